"""Two runs of one source at once, run ids that never collide, damaged archives named and
skipped (issue 16, point 4): real crawls of the demo site, real SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text, update

from newsflow import pipeline
from newsflow.demo_site import load_articles as demo_articles
from newsflow.demo_site import start_demo_site
from newsflow.settings import CrawlSettings, Settings
from newsflow.sources import load_registry, select_sources
from storage import connect
from storage.crawl_state import outcomes
from storage.locks import SourceBusy, acquire, crawl_lock, holders, release
from storage.schema import articles, crawl_state, runs, source_locks
from storage.warc_reader import verify
from tests.conftest import ROOT, write_registry

PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


def _pg_database() -> str | None:
    """A fresh PostgreSQL database of this test's own, or None when the server is not there."""
    name = f"newsflow_i16_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception:  # noqa: BLE001 - no server: the PostgreSQL case is skipped
        return None
    return name


def _drop(name: str) -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'locks.db'}"
        return
    name = _pg_database()
    if name is None:
        pytest.skip("PostgreSQL on 127.0.0.1:5432 is not reachable")
    yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    _drop(name)


def _settings(tmp_path: Path, site_url: str, database_url: str | None = None) -> Settings:
    registry = write_registry(tmp_path / "sources.yaml", site_url)
    extra = {"database_url": database_url} if database_url else {}
    return Settings(
        data_dir=tmp_path / "data",
        sources_file=registry,
        crawl=CrawlSettings(download_delay=0, timeout_seconds=5),
        **extra,
    )


def test_run_ids_are_unique_even_in_the_same_second() -> None:
    moment = datetime(2026, 12, 1, 23, 8, 50, tzinfo=UTC)
    ids = {pipeline.new_run_id(moment) for _ in range(200)}
    assert len(ids) == 200
    assert all(i.startswith("20261201T230850Z-") for i in ids)


def test_source_lock_refuses_a_second_run_and_names_the_first(db_url: str) -> None:
    engine = connect(db_url)
    try:
        with crawl_lock(engine, "demo", "night-1", ttl_seconds=600):
            with pytest.raises(SourceBusy, match=r"demo is being crawled by run night-1 \("):
                acquire(engine, "demo", "manual-1", ttl_seconds=600)
            acquire(engine, "other", "manual-1", ttl_seconds=600)  # another source is free
            assert holders(engine) == {"demo": "night-1", "other": "manual-1"}
        assert holders(engine) == {"other": "manual-1"}
        release(engine, "other", "manual-1")
        # a holder that died without releasing: taken over once expired ...
        acquire(engine, "demo", "killed", ttl_seconds=600)
        with engine.begin() as conn:
            past = datetime.now(UTC) - timedelta(seconds=1)
            conn.execute(update(source_locks).values(expires_at=past))
        acquire(engine, "demo", "next", ttl_seconds=600)
        assert holders(engine) == {"demo": "next"}
        # ... or at once when it was a process of this host that no longer exists
        dead = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        with engine.begin() as conn:
            conn.execute(update(source_locks).values(holder=f"{os.uname().nodename}:{dead}"))
        acquire(engine, "demo", "after-a-kill", ttl_seconds=600)
        with engine.connect() as conn:
            rows = conn.execute(select(source_locks.c.source, source_locks.c.run_id)).all()
        assert rows == [("demo", "after-a-kill")]
    finally:
        engine.dispose()


def _check_stored_once(settings: Settings, run_ids: list[str]) -> None:
    """Row by row: every demo article once, crawl state all archived, one crawl row per run."""
    total = len(demo_articles())
    engine = connect(settings.database_url)
    try:
        with engine.connect() as conn:
            urls = [r.url for r in conn.execute(select(articles.c.url))]
            crawl_rows = conn.execute(
                select(runs.c.run_id, runs.c.status).where(runs.c.stage == "crawl")
            ).all()
            state_rows = conn.execute(select(func.count()).select_from(crawl_state)).scalar_one()
            locks = conn.execute(select(func.count()).select_from(source_locks)).scalar_one()
        assert len(urls) == len(set(urls)) == total
        states = outcomes(engine, "demo")
        assert state_rows == len(states)
        article_states = [o for u, o in states.items() if not o.startswith("listing:")]
        assert sorted(set(article_states)) == ["archived"] and len(article_states) == total
        assert sorted(r.run_id for r in crawl_rows) == sorted(run_ids)
        assert {r.status for r in crawl_rows} == {"ok"}
        assert locks == 0
    finally:
        engine.dispose()


def test_two_cli_runs_started_together_never_crawl_one_source_twice(tmp_path: Path) -> None:
    """Two `newsflow run --only demo` on one database, started in the same instant: one crawls,
    the other refuses naming it (or, if the first was done, crawls nothing new); never the same
    archive, never a traceback, every article stored once."""
    with start_demo_site() as site:
        settings = _settings(tmp_path, site.url)
        env = {
            **os.environ,
            "NEWSFLOW_DATA_DIR": str(settings.data_dir),
            "NEWSFLOW_SOURCES_FILE": str(settings.sources_file),
            "NEWSFLOW_CRAWL__DOWNLOAD_DELAY": "0.05",
        }
        command = [sys.executable, "-m", "newsflow.cli", "run", "--only", "demo"]
        connect(settings.database_url).dispose()  # migrated once, so both start crawling at once
        procs = [
            subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    for *_, err in results:
        assert "Traceback" not in err, err
    codes = sorted(code for code, _, _ in results)
    ran = [out for code, out, _ in results if code == 0]
    refused = [err for code, _, err in results if code != 0]
    run_ids = [out.splitlines()[0].removeprefix("run ") for out in ran]
    assert codes in ([0, 0], [0, 2])
    for err in refused:
        assert f"demo is being crawled by run {run_ids[0]} (" in err
        # stderr carries the progress lines first (not a terminal), then the error
        assert err.splitlines()[-1].startswith("newsflow: error: demo is being crawled by run ")
    archives = sorted((settings.warc_dir / "demo").glob("*.warc.gz"))
    assert len(archives) == len({a.name for a in archives}) >= 1
    assert sum(verify(a) > 0 for a in archives) == len(archives)
    assert not list((settings.warc_dir / "demo").glob("*.part"))
    _check_stored_once(settings, run_ids)


def test_a_run_refused_by_the_lock_changes_nothing(tmp_path: Path, demo_site) -> None:
    settings = _settings(tmp_path, demo_site.url)
    sources = select_sources(load_registry(settings.sources_file), ["demo"])
    engine = connect(settings.database_url)
    try:
        acquire(engine, "demo", "nightly-run", ttl_seconds=600)  # a live run holds it
        with pytest.raises(pipeline.CrawlError, match="demo is being crawled by run nightly-run"):
            pipeline.run(settings, sources, run_id="manual-run")
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(articles)).scalar_one() == 0
            assert conn.execute(select(func.count()).select_from(crawl_state)).scalar_one() == 0
            assert conn.execute(select(runs.c.stage, runs.c.source)).all() == []
        assert holders(engine) == {"demo": "nightly-run"}
        assert not (settings.warc_dir / "demo").exists()
        release(engine, "demo", "nightly-run")
    finally:
        engine.dispose()
    summary = pipeline.run(settings, sources, run_id="manual-run")
    assert summary.load.inserted == len(demo_articles())
    _check_stored_once(settings, ["manual-run"])


def test_a_damaged_archive_is_named_and_skipped_not_a_traceback(tmp_path: Path, demo_site) -> None:
    settings = _settings(tmp_path, demo_site.url)
    sources = select_sources(load_registry(settings.sources_file), ["demo"])
    crawled = pipeline.crawl(settings, sources, run_id="r1")
    archive = Path(crawled[0].warc)
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])  # cut short: a disk error, a bad copy
    report = pipeline.extract(settings, [str(archive)], run_id="r1", sources=["demo"])
    assert list(report.damaged) == [str(archive)]
    assert (
        "unreadable WARC" in report.damaged[str(archive)]
        or "truncated" in report.damaged[str(archive)]
    )
    assert report.pages == 0  # nothing half-read from it
    engine = connect(settings.database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(articles)).scalar_one() == 0
        assert set(outcomes(engine, "demo").values()) >= {"archived"}
    finally:
        engine.dispose()
