"""The servers some tests need, PostgreSQL and Redis on 127.0.0.1: where they are, one probe each,
and what happens when one cannot be reached.

A test that needs a server carries its marker (`postgres`, `redis`). When a selected test needs a
server that does not answer, the run fails at once with the server's name and how to start it:
a skipped half of the storage suite must not pass for a green one. Skipping is possible only when
a person asks for it: `-m "not postgres"` (deselects) or `--skip-missing-services` (skips, with
the reason; refused under `CI=true`, where every test must run).

`python tests/services.py --wait 120` waits for both servers to answer (`.ci/run` calls it before
`make test`, since CI's servers may still be starting).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterable

import pytest

# user@host:port of the PostgreSQL the tests create their databases on (trust authentication,
# an existing database `test` to connect to first); NEWSFLOW_TEST_POSTGRES names another one.
POSTGRES = os.environ.get("NEWSFLOW_TEST_POSTGRES", "postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("NEWSFLOW_TEST_REDIS", "redis://127.0.0.1:6379/0")
SKIP_OPTION = "--skip-missing-services"
TIMEOUT_SECONDS = 3

HOW_TO_START = {
    "postgres": (
        "start it (Debian: `service postgresql start`, or `pg_ctlcluster <version> main start`); "
        "the tests connect as user postgres without a password (trust on 127.0.0.1) to the "
        "existing database `test` and create and drop their own databases"
    ),
    "redis": "start it (Debian: `service redis-server start`, or `redis-server --daemonize yes`)",
}
NAMES = {"postgres": "PostgreSQL", "redis": "Redis"}


def postgres_url(
    database: str = "test", password: str | None = None, driver: bool = True, user: str = ""
) -> str:
    """A URL for `database` on the test PostgreSQL (`driver=False`: plain `postgresql://`)."""
    default_user, _, address = POSTGRES.rpartition("@")
    user = user or default_user
    login = f"{user}:{password}" if password else user
    scheme = "postgresql+psycopg2" if driver else "postgresql"
    return f"{scheme}://{login}@{address}/{database}"


def _first_line(exc: BaseException) -> str:
    """The driver's own message (SQLAlchemy's wrapper adds a link and the statement)."""
    exc = getattr(exc, "orig", None) or exc
    return " ".join(str(exc).split())[:300] or exc.__class__.__name__


def probe_postgres() -> str | None:
    """None when the test PostgreSQL answers a query, else why not."""
    from sqlalchemy import create_engine, text

    url = postgres_url()
    try:
        engine = create_engine(url, connect_args={"connect_timeout": TIMEOUT_SECONDS})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure is the reason it is not usable
        return f"{POSTGRES.rpartition('@')[2]} (database test): {_first_line(exc)}"
    return None


def probe_redis() -> str | None:
    """None when the test Redis answers PING, else why not."""
    import redis

    try:
        client = redis.Redis.from_url(
            REDIS_URL, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001 - any failure is the reason it is not usable
        return f"{REDIS_URL}: {_first_line(exc)}"
    return None


PROBES: dict[str, Callable[[], str | None]] = {"postgres": probe_postgres, "redis": probe_redis}


def unreachable(services: Iterable[str]) -> dict[str, str]:
    """Service -> why it cannot be used, for those of `services` that do not answer."""
    down = {}
    for service in sorted(set(services)):
        reason = PROBES[service]()
        if reason:
            down[service] = reason
    return down


def failure_message(down: dict[str, str]) -> str:
    lines = []
    for service, reason in down.items():
        lines.append(f"{NAMES[service]} is not reachable: {reason}")
        lines.append(f"  {HOW_TO_START[service]}")
    lines.append(
        f'Or leave those tests out on purpose: -m "not {" and not ".join(down)}", or '
        f"{SKIP_OPTION} to skip them (refused under CI=true)."
    )
    return "\n".join(lines)


# -- pytest hooks (imported by tests/conftest.py) ------------------------------------------------

_DOWN = pytest.StashKey[dict[str, str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        SKIP_OPTION,
        action="store_true",
        help="skip the tests whose PostgreSQL or Redis cannot be reached instead of failing the "
        "run (refused under CI=true)",
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """After selection: probe the servers the selected tests need, once each."""
    needed = {m for item in session.items for m in PROBES if item.get_closest_marker(m)}
    down = unreachable(needed)
    session.config.stash[_DOWN] = down
    if not down:
        return
    skipping = session.config.getoption(SKIP_OPTION)
    if skipping and os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.exit(
            f"{SKIP_OPTION} is refused under CI=true: CI runs every test.\n"
            + failure_message(down),
            returncode=pytest.ExitCode.USAGE_ERROR,
        )
    if not skipping:
        pytest.exit(failure_message(down), returncode=pytest.ExitCode.USAGE_ERROR)


def pytest_runtest_setup(item: pytest.Item) -> None:
    down = item.config.stash.get(_DOWN, {})
    for service, reason in down.items():
        if item.get_closest_marker(service):
            pytest.skip(f"{NAMES[service]} not reachable ({SKIP_OPTION}): {reason}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Wait for the test servers to answer.")
    parser.add_argument("--wait", type=float, default=0, help="seconds to keep trying")
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.wait
    while True:
        down = unreachable(PROBES)
        if not down:
            print("test servers answer: " + ", ".join(NAMES[s] for s in PROBES))
            return 0
        if time.monotonic() >= deadline:
            print(failure_message(down), file=sys.stderr)
            return 1
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
