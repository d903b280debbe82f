"""Schema migrations (Alembic), configured in code so they also run from an installed package.

`upgrade` is what `newsflow db upgrade` and every `connect` call run. Two processes upgrading at
once wait for each other: PostgreSQL takes a transaction-scoped advisory lock, on SQLite the
upgrade is a `write_transaction` (`BEGIN IMMEDIATE`: the write lock up front), and the whole
upgrade is one transaction on both, so the second process finds the schema at head and does
nothing.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from storage.database import create_database_engine, write_transaction

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The revision the pre-Alembic `metadata.create_all` schema corresponds to.
BASELINE_REVISION = "0001"
_PG_LOCK_KEY = 0x6E657773666C6F77  # "newsflow"
# What Alembic says each time it looks at a database ("Context impl SQLiteImpl.", "Will assume
# non-transactional DDL."): every connect checks the revision, so every task log repeated it.
# The migrations it runs are still logged.
_EVERY_LOOK = ("Context impl ", "Will assume ")


def _not_every_look(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith(_EVERY_LOOK)


logging.getLogger("alembic.runtime.migration").addFilter(_not_every_look)


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Leave the full-text objects out of autogenerate: the migrations write them by hand."""
    return not (name or "").startswith(("articles_fts", "ix_articles_fts"))


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


@functools.cache
def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Migrate the database to `revision` (default: the latest) and return where it ended."""
    with engine.connect() as conn:
        if revision == "head" and current_revision(conn) == head_revision():
            return head_revision()
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        config = alembic_config(conn)
        names = set(inspect(conn).get_table_names())
        if "articles" in names and "alembic_version" not in names:
            command.stamp(config, BASELINE_REVISION)
        command.upgrade(config, revision)
        return current_revision(conn)


def new_revision(message: str) -> str:
    """Write the next migration from the difference between `schema.py` and the migrations.

    Autogenerate compares against a scratch SQLite database at head; review the file, and add by
    hand what autogenerate cannot see (PostgreSQL-only objects, data changes).
    """
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        engine = create_database_engine(f"sqlite:///{scratch}/head.db")
        try:
            upgrade(engine)
            with engine.begin() as conn:
                script = command.revision(
                    alembic_config(conn),
                    message=message,
                    autogenerate=True,
                    rev_id=f"{int(head_revision()) + 1:04d}",
                )
        finally:
            engine.dispose()
    return script.path


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="python -m storage.migrate revision MESSAGE")
    parser.add_argument("action", choices=["revision"])
    parser.add_argument("message")
    print(new_revision(parser.parse_args().message))
