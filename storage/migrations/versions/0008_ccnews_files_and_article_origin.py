"""CC-NEWS backfill state per WARC file and source; articles say where they were read

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-02

Rows stored earlier get a NULL origin, warc_file and warc_offset: a re-extract fills them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both backends (no batch copy): the full-text triggers on articles stay.
def upgrade() -> None:
    op.add_column("articles", sa.Column("origin", sa.String(length=16), nullable=True))
    op.add_column("articles", sa.Column("warc_file", sa.Text(), nullable=True))
    op.add_column("articles", sa.Column("warc_offset", sa.BigInteger(), nullable=True))
    op.create_table(
        "ccnews_files",
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=63), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("run_id", sa.String(length=255), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("path", "source"),
    )


def downgrade() -> None:
    op.drop_table("ccnews_files")
    op.drop_column("articles", "warc_offset")
    op.drop_column("articles", "warc_file")
    op.drop_column("articles", "origin")
