"""Faults of a real night under real Airflow (the shared standalone of tests/airflow_processes.py,
LocalExecutor): the task process killed with SIGKILL in the middle of crawl, extract and load,
and a run that hangs until its dagrun_timeout.

Each stage stops at a count through the settings' `pause_dir` hook (newsflow.pipeline.progress),
which writes the task process's pid, so the kill lands midway every time.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import OperationalError

from newsflow.airflow.params import pipeline_run_id
from storage.schema import articles, source_locks
from tests.airflow_processes import HANG_RUN_TIMEOUT_MINUTES, LiveAirflow, wait_for
from tests.process_table import alive, find

# on the session's one standalone, which pytest-xdist starts once per worker: keep them on one
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("live_airflow")]


def kill_when_paused(live: LiveAirflow, stage: str, at: int, dag_id: str, run_id: str) -> None:
    """Wait for `stage` to reach its pause point, SIGKILL the task process there and let the
    retry through."""
    pid_file = live.pause_dir / f"{stage}.pid"

    def paused():
        if live.run(dag_id, run_id)["state"] in ("success", "failed"):
            pytest.fail(f"{dag_id} run ended before {stage} reached {at}")
        return pid_file.exists() and pid_file.read_text()

    pid = int(wait_for(f"{stage} paused", paused, 240, [live.proc], [live.log], every=0.2))
    os.kill(pid, signal.SIGKILL)
    (live.pause_dir / f"{stage}.at").unlink()
    pid_file.unlink()


def crawl_child(source: str) -> int | None:
    """The running crawl child of `source` (its job file is under `runs/<run>/<source>/`)."""
    return next(iter(find(b"spiders.run", f"/{source}/".encode())), None)


def parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


def test_sigkilled_tasks_are_retried_and_every_article_is_stored_once(live_airflow):
    live, dag_id = live_airflow, "newsflow_killed"
    site = live.sites["killed"]
    truth = {site.url + a.path: a.title for a in site.articles}
    paths = {a.path for a in site.articles}
    site.set_delay(0.3)  # ~10 s of crawl: the kill lands while the crawl child is fetching
    stops = {"extract": 8, "load": 10}
    for stage, at in stops.items():
        (live.pause_dir / f"{stage}.at").write_text(str(at))
    engine = create_engine(live.database_url)
    try:
        run_id = live.trigger(dag_id)

        def fetching():
            served = sum(1 for r in site.request_log if r.path in paths)
            return served >= 4 and crawl_child("killed")

        child = wait_for("crawl midway", fetching, 240, [live.proc], [live.log], every=0.2)
        task = parent(child)
        os.kill(task, signal.SIGKILL)
        fetched_at_kill = sum(1 for r in site.request_log if r.path in paths)
        site.set_delay(0)
        # the crawl child dies with the task process: no crawl goes on behind the retry's back
        wait_for(
            "crawl child gone",
            lambda: not alive(child),
            10,
            [live.proc],
            [live.log],
            every=0.2,
        )
        assert fetched_at_kill < len(paths), "the crawl was over before the kill"
        kill_when_paused(live, "extract", stops["extract"], dag_id, run_id)
        kill_when_paused(live, "load", stops["load"], dag_id, run_id)
        with engine.connect() as conn:
            stored_at_kill = conn.scalar(
                select(func.count()).select_from(articles).where(articles.c.source == "killed")
            )
        # the killed load had committed its first batches, not all of them
        assert 0 < stored_at_kill < len(truth)

        final = live.wait_finished(dag_id, run_id, 240)
        tries = {t: ti["try_number"] for t, ti in live.task_instances(dag_id, run_id).items()}
        assert final["state"] == "success", (tries, live.log.read_text()[-3000:])
        # each killed task succeeded on Airflow's retry: its second try
        assert tries == {"crawl": 2, "extract": 2, "load": 2, "check": 1}

        with engine.connect() as conn:
            rows = conn.execute(
                select(articles.c.url, articles.c.title).where(articles.c.source == "killed")
            ).all()
            locks = conn.execute(select(source_locks)).all()
        stored = [r.url for r in rows]
        assert sorted(stored) == sorted(truth), "an article lost or stored twice"
        assert {r.url: r.title for r in rows} == truth
        assert [lock.source for lock in locks if lock.source == "killed"] == []
    finally:
        for stage in stops:
            (live.pause_dir / f"{stage}.at").unlink(missing_ok=True)
        site.set_delay(0)
        engine.dispose()


def test_a_hanging_run_is_timed_out_reported_once_and_the_next_run_starts_clean(live_airflow):
    live, dag_id = live_airflow, "newsflow_hang"
    engine = create_engine(live.database_url)
    for _ in range(2):  # the second run shows the first left nothing behind
        started = time.monotonic()
        run_id = live.trigger(dag_id)

        def crawling(run_id=run_id):
            # the crawl holds the source's lock: the run got past any stale one (run first in
            # the session, its task makes the database: until then there is none to read)
            try:
                with engine.connect() as conn:
                    holders = conn.execute(select(source_locks.c.run_id)).scalars().all()
            except OperationalError:
                return False
            return pipeline_run_id(dag_id, run_id) in holders

        wait_for("hang crawl started", crawling, 60, [live.proc], [live.log], every=0.5)
        final = live.wait_finished(dag_id, run_id, 120)
        took = time.monotonic() - started
        assert final["state"] == "failed"
        tis = live.task_instances(dag_id, run_id)
        # dagrun_timeout marks what was unfinished skipped: the crawl was cut, not failed
        assert tis["crawl"]["state"] == "skipped", tis["crawl"]

        def posted(run_id=run_id):
            return [p for p in live.webhook.posts if p["run_id"] == run_id]

        posts = wait_for("failure webhook", posted, 60, [live.proc], [live.log], every=0.5)
        time.sleep(3)  # a second call would come right after the first
        posts = posted()
        assert len(posts) == 1, posts
        assert posts[0]["event"] == "newsflow run failed"
        assert "timed_out" in posts[0]["reason"] and posts[0]["sources"] == ["hang"]
        print(f"{run_id}: failed after {took:.0f} s (run_timeout {HANG_RUN_TIMEOUT_MINUTES} min)")

        def released():
            # the killed crawl's lock is gone (or held by a process that no longer exists)
            # and no crawl child of the source is left running
            with engine.connect() as conn:
                held = conn.execute(select(source_locks.c.holder)).scalars().all()
            pids = [int(h.rpartition(":")[2]) for h in held]
            return not any(alive(p) for p in pids) and not hang_crawls()

        wait_for("lock released", released, 30, [live.proc], [live.log], every=0.5)
    engine.dispose()


def hang_crawls() -> list[int]:
    """Crawl children of the `hang` source still running."""
    return find(b"spiders.run", b"/hang/")
