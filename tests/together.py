"""Processes started at the same moment, and the write transactions each one held, so a
concurrency test can check that what it staged happened: the loads really overlapped.

A fixed start time ahead does not do it: importing the pipeline takes about as long as such a
margin on a busy machine, so one child may finish before the other starts and the end-state
assertions still pass. Here each child imports first, says `ready`, and waits for `go` on
stdin (`wait_for_go()`); the parent sends `go` once all are ready. Each child logs, for every
write transaction (`storage.database.write_transaction`), when it asked for it, when it held it
(SQLite: once `BEGIN IMMEDIATE` got the write lock) and when it ended, on the machine's
monotonic clock.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Put in front of a child's script (`python -c PRELUDE + script`): traces the write
# transactions of every engine the child opens; the script calls `wait_for_go()` once it has
# imported what it needs.
PRELUDE = textwrap.dedent(
    """
    import json, os, sys, time
    from sqlalchemy import event
    from storage import engine as _opening
    from storage.database import WRITE_OPTION as _WRITE

    _trace = open(os.environ["NEWSFLOW_TEST_TRACE"], "a", encoding="utf-8")

    def _note(what, conn):
        if conn.get_execution_options().get(_WRITE):
            _trace.write(json.dumps([what, id(conn), time.monotonic()]) + "\\n")
            _trace.flush()

    def _begin(conn):
        # PostgreSQL's transaction begins here; SQLite's with its BEGIN IMMEDIATE, which waits
        # for the write lock, so there asked and held are either side of that statement
        if conn.dialect.name != "sqlite":
            _note("asked", conn)
            _note("held", conn)

    def _statement(what):
        def listener(conn, _cursor, statement, *_args):
            if statement == "BEGIN IMMEDIATE":
                _note(what, conn)
        return listener

    _original = _opening.create_database_engine

    def _traced(url, *args, **kwargs):
        engine = _original(url, *args, **kwargs)
        event.listen(engine, "begin", _begin)
        event.listen(engine, "before_cursor_execute", _statement("asked"))
        event.listen(engine, "after_cursor_execute", _statement("held"))
        event.listen(engine, "commit", lambda conn: _note("ended", conn))
        event.listen(engine, "rollback", lambda conn: _note("ended", conn))
        return engine

    _opening.create_database_engine = _traced

    def wait_for_go():
        print("ready", flush=True)
        sys.stdin.readline()
    """
)


@dataclass(frozen=True)
class Transaction:
    asked: float
    held: float
    ended: float


@dataclass
class Child:
    stdout: str
    transactions: list[Transaction]


def transactions(trace: Path) -> list[Transaction]:
    """A child's write transactions, from its trace (asked, held, ended per connection)."""
    open_ones: dict[int, dict[str, float]] = {}
    done = []
    for line in trace.read_text(encoding="utf-8").splitlines():
        what, conn, at = json.loads(line)
        open_ones.setdefault(conn, {})[what] = at
        if what == "ended":
            times = open_ones.pop(conn)
            done.append(Transaction(times["asked"], times["held"], times["ended"]))
    return done


def run_together(
    scripts: list[tuple[str, list[str]]], trace_dir: Path, timeout: float = 120
) -> list[Child]:
    """Start `python -c PRELUDE + script args...` for each, release them at once, and return
    each one's output and write transactions; a child that fails fails the test."""
    import sys

    started = []
    for i, (script, args) in enumerate(scripts):
        trace = trace_dir / f"trace-{i}.jsonl"
        trace.touch()
        env = {**os.environ, "NEWSFLOW_TEST_TRACE": str(trace)}
        child = subprocess.Popen(
            [sys.executable, "-c", PRELUDE + textwrap.dedent(script), *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append((child, trace))
    for child, _ in started:
        if child.stdout.readline().strip() != "ready":
            child.wait(timeout=timeout)
            raise AssertionError(f"child did not start: {child.stderr.read()[-3000:]}")
    for child, _ in started:  # all imported: release them together
        child.stdin.write("go\n")
        child.stdin.flush()
    results = []
    for child, trace in started:
        out, err = child.communicate(timeout=timeout)
        assert child.returncode == 0, err[-3000:]
        results.append(Child(out, transactions(trace)))
    return results


def overlapped(a: list[Transaction], b: list[Transaction]) -> bool:
    """One asked for a write transaction while the other's was not yet over (it waited for it,
    or, on PostgreSQL, held one beside it)."""
    return any(x.asked < y.ended and y.asked < x.ended for x in a for y in b)


def held_at_once(a: list[Transaction], b: list[Transaction]) -> bool:
    """Both held a write transaction at the same moment."""
    return any(max(x.held, y.held) < min(x.ended, y.ended) for x in a for y in b)
