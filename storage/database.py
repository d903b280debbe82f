"""Engines and their errors: clear messages that name the database (never its password), retries
with backoff for what can go away, and the write lock taken up front on SQLite.

On SQLite (WAL mode) a read transaction is a plain `BEGIN`: a snapshot that blocks no one. Only
transactions opened with `write_transaction` take the write lock up front (`BEGIN IMMEDIATE`), so
that two writers queue instead of failing with "database is locked" when one of them, having read,
tries to write.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

log = logging.getLogger(__name__)
T = TypeVar("T")

# Execution option marking a transaction that will write (see `write_transaction`).
WRITE_OPTION = "newsflow_write"
# Errors that can go away by themselves: server down, restarting, overloaded, network trouble,
# a lock or a serialisation conflict. Anything else (failed login, missing database or table)
# fails at once.
_TRANSIENT_MESSAGES = (
    "connection refused",
    "could not connect",
    "connection reset",
    "timeout expired",
    "timed out",
    "server closed the connection",
    "connection already closed",
    "terminating connection",
    "the database system is shutting down",
    "the database system is starting up",
    "the database system is in recovery mode",
    "too many connections",
    "remaining connection slots are reserved",
    "no route to host",
    "network is unreachable",
    "temporary failure in name resolution",
    "ssl syscall error",
    "eof detected",
    "broken pipe",
    "deadlock detected",
    "could not serialize access",
    "database is locked",
    "database table is locked",
    "database is busy",
)
# PostgreSQL SQLSTATEs of the same kind: connection exceptions (08), serialisation failure and
# deadlock (40001, 40P01), too many connections (53300), lock not available (55P03), shutdown
# and start-up (57P01-57P03).
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "40001", "40P01", "53300", "55P03", "57P01", "57P02", "57P03")
# The password part of a URL that SQLAlchemy could not parse (same grammar as `make_url`).
_URL_PASSWORD = re.compile(r"^(?P<head>[\w+]+://[^:/]*:)[^@]*@")


class DatabaseError(RuntimeError):
    """The database cannot be reached or used; the message names it with the password hidden."""


@dataclass(frozen=True)
class Retry:
    """How often to try again when the database is unreachable, waiting longer each time, and
    how long a silent server is waited for (None: for ever) before an attempt counts as failed."""

    retries: int = 3
    backoff_seconds: float = 1.0
    backoff_factor: float = 2.0
    answer_timeout: float | None = None

    def delays(self) -> list[float]:
        return [self.backoff_seconds * self.backoff_factor**i for i in range(self.retries)]


def sqlalchemy_url(url: str) -> str:
    """`postgres://` (Heroku, Airflow connections) and `postgresql://` as the SQLAlchemy URL
    they mean, so that both are accepted wherever a URL comes from."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg2://{rest}"
    return url


def redact_url(url: str) -> str:
    """The URL for messages, password hidden, even when it cannot be parsed."""
    url = sqlalchemy_url(url)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _URL_PASSWORD.sub(r"\g<head>***@", url)


def is_transient(exc: BaseException) -> bool:
    """Connection refused or reset, timeouts, a server shutting down or full, a busy SQLite file,
    a deadlock: worth trying again later. A failed login or a missing database is not."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError):
        return False
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None)
    if sqlstate:
        return sqlstate.startswith(_TRANSIENT_SQLSTATE_PREFIXES)
    reason = _reason(exc).lower()
    return any(message in reason for message in _TRANSIENT_MESSAGES)


def with_retries(action: Callable[[], T], retry: Retry, what: str) -> T:
    """Run `action`, retrying transient database errors with exponential backoff."""
    for delay in [*retry.delays(), None]:
        try:
            return action()
        except DBAPIError as exc:
            if delay is None or not is_transient(exc):
                raise
            log.warning("%s failed (%s); retrying in %.1fs", what, _reason(exc), delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return " ".join(str(orig).split())


def database_error(url: str, exc: BaseException, doing: str = "use") -> DatabaseError:
    return DatabaseError(f"cannot {doing} database {redact_url(url)}: {_reason(exc)}")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Transactions are begun explicitly below, so the driver must not begin its own.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    """Writers take the write lock up front and queue; readers take a snapshot and block no one."""
    write = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def write_transaction(engine: Engine) -> AbstractContextManager[Connection]:
    """`engine.begin()` for a transaction that writes: on SQLite it takes the write lock first,
    so a writer that reads before writing waits its turn instead of failing with "locked"."""
    return engine.execution_options(**{WRITE_OPTION: True}).begin()


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None for another backend or an in-memory database): the
    engine creates it, with its folder, on first use."""
    try:
        parsed = make_url(sqlalchemy_url(url))
    except (ArgumentError, ValueError):
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def create_database_engine(url: str, connect_timeout: float | None = None) -> Engine:
    """An engine for `url` without touching the database yet; bad URLs fail here.

    `connect_timeout` bounds a new PostgreSQL connection (libpq's own, whole seconds, at least 2)
    unless the URL sets one: a server that accepts the TCP connection and then says nothing.
    """
    url = sqlalchemy_url(url)
    try:
        parsed = make_url(url)
        connect_args = {}
        postgresql = parsed.get_backend_name() == "postgresql"
        if connect_timeout and postgresql and "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = max(2, math.ceil(connect_timeout))
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        raise DatabaseError(f"invalid database URL {redact_url(url)}: {exc}") from exc
    path = sqlite_file(url)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"cannot use database {redact_url(url)}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine
