"""Entities carry the gazetteer id of what they name (`entities.entity_id`), indexed.

Rows stored before this revision get the id of the shipped gazetteer's line with their exact
label and text ("Anbar" GPE -> iq.anbar): the earlier ruler matched those same names as written,
and a stored article's entities are only rewritten when the article changes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _shipped_names() -> list[dict]:
    # Imported here, not at the top: Alembic reads every revision file on each upgrade check.
    from extraction.gazetteer import GAZETTEER_DIR, gazetteer_files, read_gazetteer

    ids: dict[tuple[str, str], set[str]] = {}
    for path in gazetteer_files(GAZETTEER_DIR):
        for line in read_gazetteer(path):
            if line.get("id") and isinstance(line["pattern"], str):
                ids.setdefault((line["label"], line["pattern"]), set()).add(line["id"])
    return [
        {"label": label, "text": text, "entity_id": next(iter(found))}
        for (label, text), found in sorted(ids.items())
        if len(found) == 1
    ]


def upgrade() -> None:
    op.add_column("entities", sa.Column("entity_id", sa.String(length=255), nullable=True))
    op.create_index("ix_entities_entity_id", "entities", ["entity_id"], unique=False)
    names = sa.table(
        "gazetteer_names_0005",
        sa.column("label", sa.String),
        sa.column("text", sa.Text),
        sa.column("entity_id", sa.String),
    )
    op.execute(
        "CREATE TEMPORARY TABLE gazetteer_names_0005 "
        "(label VARCHAR(16), text TEXT, entity_id VARCHAR(255), PRIMARY KEY (label, text))"
    )
    op.bulk_insert(names, _shipped_names())
    op.execute(
        "UPDATE entities SET entity_id = (SELECT g.entity_id FROM gazetteer_names_0005 g "
        "WHERE g.label = entities.label AND g.text = entities.text) "
        "WHERE EXISTS (SELECT 1 FROM gazetteer_names_0005 g "
        "WHERE g.label = entities.label AND g.text = entities.text)"
    )
    op.execute("DROP TABLE gazetteer_names_0005")


def downgrade() -> None:
    op.drop_index("ix_entities_entity_id", table_name="entities")
    op.drop_column("entities", "entity_id")
