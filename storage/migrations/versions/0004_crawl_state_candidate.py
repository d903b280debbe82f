"""Crawl state remembers whether a URL was found only as a section candidate.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("crawl_state", sa.Column("candidate", sa.Boolean(), nullable=True))


def downgrade() -> None:
    op.drop_column("crawl_state", "candidate")
