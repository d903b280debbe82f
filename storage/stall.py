"""A database server that stops answering: the TCP connection stays open and nothing comes back.

libpq would wait for that answer forever. Its keepalives and `tcp_user_timeout` do not notice
(measured against a proxy that stops forwarding: still blocked after 15 s with keepalives every
second and a 2 s user timeout), because the peer's kernel still acknowledges every packet; only
the server process is silent. So a watchdog thread watches the engine while a unit of work runs:
every statement, transaction and checkout counts as an answer, and once none has come for
`seconds` it shuts the engine's sockets down. The blocked driver call then fails at once
("server closed the connection"), the connection is invalidated, and the caller's retries take
over; the error says the server stopped answering. New connections get libpq's own
`connect_timeout` (see `storage.database.create_database_engine`).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import weakref
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, OperationalError

T = TypeVar("T")

# The setting the message names, so a reader knows what to raise on a slow but healthy server.
SETTING = "database_answer_timeout_seconds"


class NoAnswer(Exception):
    """The server kept the connection open but answered nothing for the configured time."""


class _Watch:
    """An engine's connections and the time of the last answer on any of them."""

    def __init__(self, engine: Engine) -> None:
        self.connections: weakref.WeakSet = weakref.WeakSet()
        self.last_answer = time.monotonic()
        for name in ("before_cursor_execute", "after_cursor_execute", "begin", "commit"):
            event.listen(engine, name, self.answered)
        # checkout too: a connection opened before the first watch (the migration's) is reused
        event.listen(engine.pool, "connect", self._connected)
        event.listen(engine.pool, "checkout", self._connected)

    def answered(self, *_args: object, **_kwargs: object) -> None:
        self.last_answer = time.monotonic()

    def _connected(self, dbapi_connection: object, *_args: object) -> None:
        self.connections.add(dbapi_connection)
        self.answered()

    def cut(self) -> None:
        """Shut every open socket of the engine down, waking the driver call blocked on one."""
        for connection in list(self.connections):
            try:
                fd = connection.fileno()
            except Exception:  # noqa: BLE001 - already closed: nothing to wake
                continue
            try:
                # shutdown acts on the socket itself, so a duplicate descriptor reaches it
                with socket.socket(fileno=os.dup(fd)) as sock:
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                continue


_watches: weakref.WeakKeyDictionary[Engine, _Watch] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _watch_of(engine: Engine) -> _Watch:
    with _lock:
        watch = _watches.get(engine)
        if watch is None:
            watch = _watches[engine] = _Watch(engine)
        return watch


def with_answer_timeout(engine: Engine, seconds: float | None, action: Callable[[], T]) -> T:
    """Run `action` (database work on `engine`); a server silent for `seconds` has the engine's
    connections cut and the action fails with a transient `OperationalError` saying so."""
    if seconds is None or engine.dialect.name == "sqlite":
        return action()
    watch = _watch_of(engine)
    watch.answered()
    done = threading.Event()
    fired = threading.Event()

    def guard() -> None:
        while not done.wait(min(seconds / 10, 1.0)):
            if time.monotonic() - watch.last_answer > seconds:
                fired.set()
                watch.cut()
                watch.answered()  # a retry's new connection gets its own full wait

    thread = threading.Thread(target=guard, name="newsflow-answer-timeout", daemon=True)
    thread.start()
    try:
        return action()
    except DBAPIError as exc:
        # fired, or a new connection's own connect_timeout (as long) ran out first
        if not fired.is_set() and time.monotonic() - watch.last_answer < seconds:
            raise
        reason = NoAnswer(
            f"no answer from the server for {seconds:g} s ({SETTING}); its connection was closed"
        )
        raise OperationalError(
            exc.statement, exc.params, reason, connection_invalidated=True
        ) from exc
    finally:
        done.set()
        thread.join()
