"""Per-source crawl locks in the database: one crawl of a source at a time, whichever front door
(a CLI run, the source's nightly DAG, the manual DAG) started it and on whichever machine.

Two crawls of one source would write the same crawl state and fetch the site twice (politeness
is per crawl). The lock is a row in `source_locks`; a second run is refused with a message that
names the run holding it. A holder that died leaves its row: it is taken over once expired, or at
once when the holder was a process on this host that no longer exists.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from storage.database import write_transaction
from storage.schema import source_locks, utc


class SourceBusy(RuntimeError):
    """Another run is crawling this source; the message names it."""


def this_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _holder_dead(holder: str) -> bool:
    """True only when the holder was a process of this host that is gone."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def acquire(engine: Engine, source: str, run_id: str, ttl_seconds: float) -> None:
    """Take the source's lock for `run_id`, or raise `SourceBusy` naming the run that holds it."""
    now = datetime.now(UTC)
    holder = this_holder()
    try:
        with write_transaction(engine) as conn:
            row = conn.execute(select(source_locks).where(source_locks.c.source == source)).first()
            if row is not None:
                expired = utc(row.expires_at) <= now
                if not (expired or _holder_dead(row.holder)):
                    raise SourceBusy(
                        f"{source} is being crawled by run {row.run_id} ({row.holder}, since "
                        f"{utc(row.acquired_at):%Y-%m-%d %H:%M:%S} UTC); not crawled by run "
                        f"{run_id}: run it again when that run is done"
                    )
                conn.execute(delete(source_locks).where(source_locks.c.source == source))
            conn.execute(
                insert(source_locks).values(
                    source=source,
                    run_id=run_id,
                    holder=holder,
                    acquired_at=now,
                    expires_at=now + timedelta(seconds=ttl_seconds),
                )
            )
    except IntegrityError as exc:  # PostgreSQL: another run inserted its row first
        with engine.connect() as conn:
            row = conn.execute(select(source_locks).where(source_locks.c.source == source)).first()
        other = row.run_id if row is not None else "another run"
        raise SourceBusy(
            f"{source} is being crawled by run {other}; not crawled by run {run_id}"
        ) from exc


def release(engine: Engine, source: str, run_id: str) -> None:
    """Give the lock back (only this holder's row for this run)."""
    with write_transaction(engine) as conn:
        conn.execute(
            delete(source_locks)
            .where(source_locks.c.source == source)
            .where(source_locks.c.run_id == run_id)
            .where(source_locks.c.holder == this_holder())
        )


@contextmanager
def crawl_lock(engine: Engine, source: str, run_id: str, ttl_seconds: float) -> Iterator[None]:
    """`with crawl_lock(...)`: hold the source's lock while crawling, released however it ends."""
    acquire(engine, source, run_id, ttl_seconds)
    try:
        yield
    finally:
        release(engine, source, run_id)


def holders(engine: Engine) -> dict[str, str]:
    """source -> run id holding its lock (for reports and tests)."""
    with engine.connect() as conn:
        return {r.source: r.run_id for r in conn.execute(select(source_locks))}
