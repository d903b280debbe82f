"""Opening the project database: an engine, migrated to the latest schema before anything is read
or written, and disposed when the work is done.

Kept apart from `storage.database` (engines, errors, retries), which the migrations use too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from storage.database import Retry, create_database_engine, database_error, redact_url, with_retries


def connect(url: str, retry: Retry | None = None) -> Engine:
    """Create an engine and migrate the schema to the latest revision; the caller disposes it."""
    # Alembic loads only when a database is opened: importing storage (a DAG file being parsed)
    # must stay cheap.
    from storage.migrate import upgrade

    retry = retry or Retry()
    engine = create_database_engine(url, retry.answer_timeout)
    try:
        with_retries(lambda: upgrade(engine), retry, f"connecting to {redact_url(url)}")
    except DBAPIError as exc:
        engine.dispose()
        raise database_error(url, exc) from exc
    return engine


@contextmanager
def open_database(url: str, retry: Retry | None = None) -> Iterator[Engine]:
    """`with open_database(url) as engine:` connect (migrating), then dispose however it ends."""
    engine = connect(url, retry)
    try:
        yield engine
    finally:
        engine.dispose()
