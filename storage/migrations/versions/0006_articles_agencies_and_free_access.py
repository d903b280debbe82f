"""articles keep the wire agencies credited and the paywall signal

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Rows stored earlier get no agencies and an unknown (NULL) free_access: a re-extract fills them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both backends (no batch copy): the full-text triggers on articles stay.
def upgrade() -> None:
    op.add_column(
        "articles",
        sa.Column("agencies", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )
    op.add_column("articles", sa.Column("free_access", sa.Boolean(), nullable=True))


def downgrade() -> None:
    op.drop_column("articles", "free_access")
    op.drop_column("articles", "agencies")
