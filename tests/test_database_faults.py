"""PostgreSQL going away in the middle of a load (issue 16, point 1): the load's backend
terminated with `pg_terminate_backend`, and a server that stops answering mid-transaction (a
proxy in front of it holds the connection open and forwards nothing). Only this module's own
databases are touched. One real crawl of the demo site and real extraction, shared: each test
loads the night's extract file into its own copy of the crawled database; the database is then
checked row by row."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, func, select, text

from newsflow import pipeline
from newsflow.demo_site import load_articles as demo_articles
from newsflow.settings import CrawlSettings, Settings
from newsflow.sources import Source, load_registry, select_sources
from storage import DatabaseError, connect
from storage.crawl_state import outcomes
from storage.schema import articles, runs
from storage.urls import normalize_url
from tests.conftest import write_registry
from tests.stalling_proxy import StallingProxy

PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
pytestmark = pytest.mark.postgres


def _pg_url(name: str, port: int = 5432) -> str:
    return f"postgresql+psycopg2://postgres@127.0.0.1:{port}/{name}"


def _admin(statement: str) -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(statement))
    finally:
        admin.dispose()


@dataclass
class Night:
    """The crawled and extracted night: a template database holding its crawl state."""

    template: str
    settings: Settings
    sources: list[Source]
    output: str
    site_url: str

    @property
    def total(self) -> int:
        return len(demo_articles())

    def article_urls(self) -> set[str]:
        return {normalize_url(self.site_url + a.path) for a in demo_articles()}


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory, demo_site) -> Iterator[Night]:
    template = f"newsflow_i16_night_{uuid.uuid4().hex[:10]}"
    try:
        _admin(f'CREATE DATABASE "{template}"')
    except Exception as exc:  # noqa: BLE001 - no server: skip with the reason
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 is not reachable: {exc}")
    tmp = tmp_path_factory.mktemp("night")
    settings = Settings(
        data_dir=tmp / "data",
        sources_file=write_registry(tmp / "sources.yaml", demo_site.url),
        crawl=CrawlSettings(download_delay=0, timeout_seconds=5),
        database_url=_pg_url(template),
        load_batch_size=1,
        database_retry_backoff_seconds=0.2,
    )
    try:
        sources = select_sources(load_registry(settings.sources_file), ["demo"])
        crawled = pipeline.crawl(settings, sources, run_id="night")
        extracted = pipeline.extract(settings, [r.warc for r in crawled], run_id="night")
        night = Night(template, settings, sources, extracted.output, demo_site.url)
        assert extracted.articles == night.total
        yield night
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')


@pytest.fixture
def pg_name(night: Night) -> Iterator[str]:
    """A fresh copy of the night's database: its crawl state, nothing loaded yet."""
    name = f"newsflow_i16_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{night.template}"')
    yield name
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _load_counts(engine) -> tuple[list[str], dict]:
    with engine.connect() as conn:
        urls = [r.canonical_url for r in conn.execute(select(articles.c.canonical_url))]
        rows = conn.execute(select(runs.c.run_id, runs.c.stats).where(runs.c.stage == "load"))
        return urls, {r.run_id: r.stats for r in rows}


def _check_stored_once(url: str, night: Night) -> None:
    """Every demo article stored exactly once, the run's load counts those of one clean load,
    and crawl state unchanged by the load: every article page `archived`."""
    engine = connect(url)
    try:
        urls, load_rows = _load_counts(engine)
        expected = night.article_urls()
        assert len(urls) == len(set(urls)) == night.total
        assert set(urls) == expected
        assert load_rows["night"]["new"] == night.total
        state = outcomes(engine, "demo")
        assert {u: state.get(u) for u in expected} == dict.fromkeys(expected, "archived")
    finally:
        engine.dispose()


def test_load_backend_terminated_mid_load_is_retried_and_counts_stay_right(
    night: Night, pg_name: str
) -> None:
    url = _pg_url(pg_name)
    settings = night.settings.model_copy(update={"database_url": url})
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
    report = pipeline.load(settings, night.output, night.sources)
    killer.join()
    watcher.dispose()
    assert terminated, "no backend of the load was terminated"
    assert 3 <= stored_then[0] < night.total, "the termination did not land in the middle"
    assert report.stored == night.total
    _check_stored_once(url, night)
    # re-running the load changes nothing
    again = pipeline.load(settings, night.output, night.sources)
    assert again.inserted == 0 and again.unchanged == night.total
    _check_stored_once(url, night)


def test_load_into_a_server_that_stops_answering_fails_in_time_then_a_rerun_finishes(
    night: Night, pg_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The server goes silent inside the 4th batch's transaction (the proxy holds that batch's
    first insert and everything after it, new connections included): instead of waiting for
    ever, the load gives up after `database_answer_timeout_seconds`, retries once and fails with
    the documented message; the 3 committed batches stay. With the server back, a re-run
    finishes and the run's counts are those of one clean load."""
    timeout = 1.0
    # each batch stores its new article through one staging table, created first
    first_insert = b"CREATE TEMPORARY TABLE articles_staging"
    with StallingProxy(("127.0.0.1", 5432), first_insert, occurrence=4) as proxy:
        url = _pg_url(pg_name, proxy.port)
        settings = night.settings.model_copy(
            update={
                "database_url": url,
                "database_retries": 1,
                "database_answer_timeout_seconds": timeout,
            }
        )
        failed: list[BaseException] = []

        def stalled_load() -> None:
            try:
                pipeline.load(settings, night.output, night.sources)
            except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
                failed.append(exc)

        with caplog.at_level(logging.WARNING, logger="storage.database"):
            loader = threading.Thread(target=stalled_load)
            loader.start()
            loader.join(20)
        if loader.is_alive():  # still waiting for the silent server: end it, then fail
            proxy.heal()
            loader.join()
            pytest.fail("the load was still waiting for the silent server after 20 s")
        waited = time.monotonic() - proxy.stalled_at
        assert proxy.stalled.is_set(), "the proxy never stalled"
        assert len(failed) == 1 and isinstance(failed[0], DatabaseError), failed
        # the batch in flight: its transaction is open on the server, its statement never sent
        watcher = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with watcher.connect() as conn:
            states = conn.execute(
                text("SELECT state FROM pg_stat_activity WHERE datname = :db"), {"db": pg_name}
            ).scalars()
            assert "idle in transaction" in list(states)
        watcher.dispose()
        no_answer = f"no answer from the server for {timeout:g} s (database_answer_timeout_seconds)"
        assert f"batch 4 failed ({no_answer}; its connection was closed); retrying" in caplog.text
        message = str(failed[0])
        assert message.startswith(f"cannot load into database {url}: {no_answer}")
        assert "nothing was lost" in message and "newsflow load --run-id night" in message
        # detected, retried (backoff 0.2 s, the retry's connection given 2 s) and failed in time
        assert timeout <= waited < timeout + 0.2 + 2 + 1.5, waited
        print(f"server silent -> load failed: {waited:.2f} s")

        direct = connect(_pg_url(pg_name))
        try:
            urls, load_rows = _load_counts(direct)
            assert len(urls) == len(set(urls)) == 3 and load_rows["night"]["new"] == 3
        finally:
            direct.dispose()

        proxy.heal()
        report = pipeline.load(settings, night.output, night.sources)
    assert (report.inserted, report.unchanged) == (night.total - 3, 3)
    _check_stored_once(_pg_url(pg_name), night)
