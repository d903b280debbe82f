"""Near-duplicate lookup: an index on the content hash and the SimHash band table.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_articles_content_hash", "articles", ["content_hash"])
    op.create_table(
        "simhash_bands",
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("band", sa.SmallInteger(), primary_key=True),
        sa.Column("value", sa.Integer(), nullable=False),
    )
    op.create_index("ix_simhash_bands_band_value", "simhash_bands", ["band", "value"])


def downgrade() -> None:
    op.drop_index("ix_simhash_bands_band_value", table_name="simhash_bands")
    op.drop_table("simhash_bands")
    op.drop_index("ix_articles_content_hash", table_name="articles")
