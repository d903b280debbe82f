"""airflow_runs: the Airflow DAG run behind a pipeline run id, so the board links the exact run

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

Runs recorded earlier have no row: the board shows their run id without a link.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "airflow_runs",
        sa.Column("run_id", sa.String(length=255), nullable=False),
        sa.Column("dag_id", sa.String(length=250), nullable=False),
        sa.Column("dag_run_id", sa.String(length=250), nullable=False),
        sa.PrimaryKeyConstraint("run_id"),
    )


def downgrade() -> None:
    op.drop_table("airflow_runs")
