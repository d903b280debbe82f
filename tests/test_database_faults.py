"""PostgreSQL going away in the middle of a load (issue 16, point 1): the load's backend
terminated with `pg_terminate_backend` (only backends of this test's own database). Real crawl of
the demo site, real extraction, real PostgreSQL on 127.0.0.1; the database is checked row by row."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from newsflow import pipeline
from newsflow.demo_site import load_articles as demo_articles
from newsflow.settings import CrawlSettings, Settings
from newsflow.sources import load_registry, select_sources
from storage import connect
from storage.schema import articles, runs
from tests.conftest import write_registry

PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_name() -> str:
    name = f"newsflow_i16_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - no server: skip with the reason
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 is not reachable: {exc}")
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _load_counts(engine) -> tuple[list[str], dict]:
    with engine.connect() as conn:
        urls = [r.canonical_url for r in conn.execute(select(articles.c.canonical_url))]
        rows = conn.execute(select(runs.c.run_id, runs.c.stats).where(runs.c.stage == "load"))
        return urls, {r.run_id: r.stats for r in rows}


def test_load_backend_terminated_mid_load_is_retried_and_counts_stay_right(
    tmp_path: Path, demo_site, pg_name: str
) -> None:
    url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{pg_name}"
    settings = Settings(
        data_dir=tmp_path / "data",
        sources_file=write_registry(tmp_path / "sources.yaml", demo_site.url),
        crawl=CrawlSettings(download_delay=0, timeout_seconds=5),
        database_url=url,
        load_batch_size=1,
        database_retry_backoff_seconds=0.2,
    )
    sources = select_sources(load_registry(settings.sources_file), ["demo"])
    crawled = pipeline.crawl(settings, sources, run_id="night")
    extracted = pipeline.extract(settings, [r.warc for r in crawled], run_id="night")
    total = len(demo_articles())
    assert extracted.articles == total

    watcher = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    terminated: list[int] = []
    stored_then: list[int] = []

    def terminate_mid_load() -> None:
        probe = create_engine(url)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with probe.connect() as conn:
                done = conn.execute(select(func.count()).select_from(articles)).scalar_one()
            if done >= 3:
                with watcher.connect() as conn:
                    terminated.extend(
                        r.pid
                        for r in conn.execute(
                            text(
                                "SELECT pid, pg_terminate_backend(pid) AS ok FROM pg_stat_activity"
                                " WHERE datname = :db AND pid <> pg_backend_pid()"
                            ),
                            {"db": pg_name},
                        )
                        if r.ok
                    )
                stored_then.append(done)
                break
            time.sleep(0.005)
        probe.dispose()

    killer = threading.Thread(target=terminate_mid_load)
    killer.start()
    report = pipeline.load(settings, extracted.output, sources)
    killer.join()
    watcher.dispose()
    assert terminated, "no backend of the load was terminated"
    assert 3 <= stored_then[0] < total, "the termination did not land in the middle of the load"
    assert report.stored == total

    engine = connect(url)
    try:
        urls, load_rows = _load_counts(engine)
        assert len(urls) == len(set(urls)) == total
        assert load_rows["night"]["new"] == total
        # re-running the load changes nothing
        again = pipeline.load(settings, extracted.output, sources)
        assert again.inserted == 0 and again.unchanged == total
        urls, load_rows = _load_counts(engine)
        assert len(urls) == total and load_rows["night"]["new"] == total
    finally:
        engine.dispose()
