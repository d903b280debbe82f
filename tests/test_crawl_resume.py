"""Incremental and resumable crawling on the demo site: SIGKILL mid-crawl, crawl-state reset,
reextract from the archive, truncated archives, and `sources discover`."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from newsflow import pipeline
from newsflow.cli import main as newsflow_main
from newsflow.demo_site import load_articles as demo_articles
from newsflow.demo_site import start_demo_site
from newsflow.discover import discover_source
from newsflow.settings import CrawlSettings, Settings
from newsflow.sources import Source, load_registry, select_sources
from storage import connect
from storage.archive import ArchiveError, source_archives
from storage.crawl_state import DISCOVERED, FETCHED, outcomes
from storage.schema import articles, crawl_state, runs
from storage.warc_reader import read_pages, verify
from tests.conftest import ROOT, write_registry
from tests.fault_server import start_fault_site
from tests.process_table import alive, find

ARTICLE_PATH = re.compile(r"/20\d\d/\d\d/")


@pytest.fixture
def site():
    with start_demo_site() as demo:
        yield demo


def _settings(tmp_path: Path, site_url: str, delay: float = 0) -> Settings:
    registry = write_registry(tmp_path / "sources.yaml", site_url)
    return Settings(
        data_dir=tmp_path / "data",
        sources_file=registry,
        crawl=CrawlSettings(download_delay=delay, timeout_seconds=5),
    )


def _article_requests(site) -> list[str]:
    return [path for _, path in list(site.requests) if ARTICLE_PATH.search(path)]


def _db_counts(settings: Settings) -> tuple[int, int, Counter]:
    engine = connect(settings.database_url)
    try:
        with engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(articles)).scalar_one()
            distinct = conn.execute(
                select(func.count(func.distinct(articles.c.canonical_url)))
            ).scalar_one()
        return total, distinct, Counter(outcomes(engine, "demo").values())
    finally:
        engine.dispose()


def _flushed_pages(settings: Settings) -> dict[str, str]:
    """Article URLs the crawl state has past `discovered`, read-only while a crawl writes it."""
    path = settings.data_dir / "newsflow.db"
    if not path.exists():
        return {}
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as db:
            rows = db.execute(
                "SELECT url, outcome FROM crawl_state WHERE source = 'demo'"
            ).fetchall()
    except sqlite3.OperationalError:  # the child has not created the table yet
        return {}
    return {
        url: outcome for url, outcome in rows if ARTICLE_PATH.search(url) and outcome != DISCOVERED
    }


def test_sigkilled_crawl_then_rerun_stores_every_article_exactly_once(tmp_path, site):
    settings = _settings(tmp_path, site.url)
    env = {
        **os.environ,
        "NEWSFLOW_DATA_DIR": str(settings.data_dir),
        "NEWSFLOW_SOURCES_FILE": str(settings.sources_file),
        "NEWSFLOW_CRAWL__DOWNLOAD_DELAY": "0.3",
    }
    command = [sys.executable, "-m", "newsflow.cli", "crawl", "--run-id", "killed"]
    crawl = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    # Kill once crawl state holds fetched pages (it is flushed every 2 s), so the claim is put
    # to the test: those rows must not say `archived` while their WARC file is unfinished.
    deadline = time.monotonic() + 60
    while len(_flushed_pages(settings)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(crawl.pid, signal.SIGKILL)
    crawl.wait()
    fetched_before_kill = len(_article_requests(site))
    total = len(demo_articles())
    # staged: the kill landed after pages were fetched and recorded, before the archive was done
    flushed = _flushed_pages(settings)
    assert len(flushed) >= 3 and fetched_before_kill < total
    assert set(flushed.values()) == {FETCHED}  # fetched, but not archived
    warc_dir = settings.data_dir / "warc" / "demo"
    assert not (warc_dir / "killed.warc.gz").exists()  # only the .part of the killed run
    assert len(list(warc_dir.glob("killed.warc.gz.*.part"))) == 1

    sources = select_sources(load_registry(settings.sources_file))
    summary = pipeline.run(settings, sources, run_id="resumed")
    assert summary.crawl[0].fetched == total
    assert summary.load.inserted == total
    stored, distinct, states = _db_counts(settings)
    assert stored == distinct == total
    assert states["archived"] == total

    again = pipeline.run(settings, sources, run_id="again")
    # section pages are always fetched in full, so every article is listed and skipped as seen
    assert (again.crawl[0].fetched, again.crawl[0].retried) == (0, 0)
    assert again.crawl[0].skipped_seen == total
    assert _db_counts(settings)[0] == total


def test_unfinished_archives_of_long_dead_crawls_are_removed(tmp_path, site):
    """A `.part` older than any crawl may run (`subprocess_timeout_seconds`) belongs to a killed
    crawl and goes; a younger one may still be written by a running crawl and stays."""
    settings = _settings(tmp_path, site.url)
    settings.crawl.subprocess_timeout_seconds = 600
    folder = settings.warc_dir / "demo"
    folder.mkdir(parents=True)
    stale, live = folder / "killed.warc.gz.part", folder / "running.warc.gz.part"
    for path in (stale, live):
        path.write_bytes(b"partial")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    pipeline.crawl(settings, select_sources(load_registry(settings.sources_file)), run_id="r")
    assert not stale.exists() and live.exists()


def test_archives_are_dated_by_their_crawl_not_their_file_time(tmp_path, site):
    """`reextract --since` selects by the warcinfo record's date: a restored copy of an archive
    (new file time, or an old one) is still selected by when its crawl ran."""
    settings = _settings(tmp_path, site.url)
    started = datetime.now(UTC) - timedelta(minutes=1)
    report = pipeline.crawl(
        settings, select_sources(load_registry(settings.sources_file)), run_id="r"
    )[0]
    long_ago = time.time() - 30 * 86400
    os.utime(report.warc, (long_ago, long_ago))
    assert source_archives(settings.warc_dir, "demo", since=started) == [Path(report.warc)]
    assert source_archives(settings.warc_dir, "demo", since=started + timedelta(hours=1)) == []


def test_reset_reextract_and_truncated_archives(tmp_path, site, capsys):
    settings = _settings(tmp_path, site.url)
    sources = select_sources(load_registry(settings.sources_file))
    first = pipeline.crawl(settings, sources, run_id="one")[0]
    total = len(demo_articles())
    assert first.fetched == total and first.status == "ok"
    base = [
        "--sources",
        str(settings.sources_file),
        "--data-dir",
        str(settings.data_dir),
    ]

    # A copy of the archive cut short (at a record boundary and mid-record) is detected.
    warc = Path(first.warc)
    data = warc.read_bytes()
    for cut in (len(data) // 2, len(data) - 30):
        broken = warc.with_name(f"broken-{cut}.warc.gz")
        broken.write_bytes(data[:cut])
        with pytest.raises(ArchiveError):
            list(read_pages(broken))
    assert verify(warc) >= total

    # reextract: no network (the site is stopped), damaged files skipped and named
    site.stop()
    assert newsflow_main(["reextract", "--source", "demo", *base]) == 0
    report = yaml.safe_load(capsys.readouterr().out)
    assert report["archives"] == [str(warc)]
    assert len(report["damaged"]) == 2
    assert report["load"]["inserted"] == total

    # crawl-state reset: forgets outcomes, but stored articles are still never fetched again
    assert newsflow_main(["crawl-state", "demo", *base]) == 0
    state = yaml.safe_load(capsys.readouterr().out)["outcomes"]
    assert state["stored"] == total and "archived" not in state  # all of them are stored now
    assert newsflow_main(["crawl-state", "demo", "--reset", *base]) == 0
    forgot = re.search(r"forgot the crawl state of (\d+) URLs", capsys.readouterr().out)
    assert forgot and int(forgot.group(1)) >= total
    engine = connect(settings.database_url)
    with engine.connect() as conn:
        left = conn.execute(select(func.count()).select_from(crawl_state)).scalar_one()
    engine.dispose()
    assert left == 0


def test_sources_discover_proposes_a_valid_entry(site, capsys):
    found = discover_source(site.url, user_agent="newsflow-test", allow_private=True)
    assert found.url == site.url + "/"
    assert any(u.endswith("/feed/") for u in found.feeds)
    assert any("sitemap" in u for u in found.sitemaps)
    entry = found.entry()
    assert Source.model_validate(entry).local
    with pytest.raises(ValueError, match="private"):
        discover_source(site.url, user_agent="newsflow-test")
    assert newsflow_main(["sources", "discover", site.url, "--local"]) == 0
    (printed,) = yaml.safe_load(capsys.readouterr().out)
    assert printed["feeds"] == entry["feeds"]


def test_retried_crawl_of_the_same_run_keeps_the_first_archive(tmp_path, site):
    """An Airflow task retry reuses the run id: the first attempt's archive is never replaced,
    and extracting the run reads every attempt's file."""
    settings = _settings(tmp_path, site.url)
    sources = select_sources(load_registry(settings.sources_file))
    first = pipeline.crawl(settings, sources, run_id="r")[0]
    kept = Path(first.warc).read_bytes()
    second = pipeline.crawl(settings, sources, run_id="r")[0]
    total = len(demo_articles())
    assert (first.fetched, second.fetched) == (total, 0)
    assert Path(second.warc).name == "r~1.warc.gz"
    assert Path(first.warc).read_bytes() == kept
    extracted = pipeline.extract(settings, [second.warc], run_id="r")
    assert extracted.articles == total


def test_cli_extract_picks_up_pages_an_earlier_run_left_unstored(tmp_path, site, capsys):
    """The step-by-step commands: a run killed after `newsflow crawl`; the next `newsflow extract`
    and `load` store its pages, even when the new run archived nothing itself."""
    settings = _settings(tmp_path, site.url)
    sources = select_sources(load_registry(settings.sources_file))
    pipeline.crawl(settings, sources, run_id="killed")
    base = ["--sources", str(settings.sources_file), "--data-dir", str(settings.data_dir)]
    capsys.readouterr()
    assert newsflow_main(["extract", "--run-id", "later", *base]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["articles"] == len(demo_articles())
    assert newsflow_main(["load", "--run-id", "later", *base]) == 0
    assert _db_counts(settings)[:2] == (len(demo_articles()), len(demo_articles()))


def test_archived_but_never_stored_pages_are_stored_by_the_next_run(tmp_path, site):
    """A run killed after its crawl (no extract, no load): the next run does not fetch those
    pages again, but its extract picks them up from the archive; each is stored once."""
    settings = _settings(tmp_path, site.url)
    sources = select_sources(load_registry(settings.sources_file))
    pipeline.crawl(settings, sources, run_id="killed")
    total = len(demo_articles())
    assert _db_counts(settings)[0] == 0

    summary = pipeline.run(settings, sources, run_id="next")
    assert summary.crawl[0].fetched == 0
    assert summary.extract.pages == total
    assert summary.load.inserted == total
    stored, distinct, states = _db_counts(settings)
    assert stored == distinct == total
    assert states["archived"] == total

    again = pipeline.run(settings, sources, run_id="again")
    assert (again.extract.pages, again.load.inserted) == (0, 0)


def test_one_source_failing_does_not_stop_the_others(tmp_path, site):
    """The first source's crawl child is killed at its timeout: it gets a `failed` report with
    its log in `runs`, the next source is still crawled, extracted and stored, and the run
    raises at the end."""
    slow = start_fault_site(crawl_delay=30)
    try:
        registry = write_registry(tmp_path / "sources.yaml", site.url)
        entries = yaml.safe_load(registry.read_text(encoding="utf-8"))
        faults = {"name": "faults", "url": slow.url + "/", "local": True, "feeds": ["/ok-feed.xml"]}
        entries["sources"].insert(0, faults)
        registry.write_text(yaml.safe_dump(entries), encoding="utf-8")
        settings = Settings(
            data_dir=tmp_path / "data",
            sources_file=registry,
            crawl=CrawlSettings(download_delay=0, subprocess_timeout_seconds=20),
        )
        sources = select_sources(load_registry(registry), ["faults", "demo"])
        with pytest.raises(pipeline.CrawlError, match="crawl of faults timed out"):
            pipeline.run(settings, sources, run_id="mixed")
    finally:
        slow.stop()
    engine = connect(settings.database_url)
    try:
        with engine.connect() as conn:
            rows = {r.source: r for r in conn.execute(select(runs).where(runs.c.run_id == "mixed"))}
    finally:
        engine.dispose()
    assert rows["faults"].status == "failed"
    assert rows["faults"].stats["log_file"].endswith("faults/crawl.log")
    assert "log " in rows["faults"].stats["error"]
    assert rows["demo"].status == "ok"
    assert _db_counts(settings)[0] == len(demo_articles())


def test_a_run_killed_with_sigkill_takes_its_crawl_child_with_it(tmp_path, site):
    """No orphan crawl goes on writing crawl state and an archive after its run was killed
    (an Airflow task or `newsflow run` SIGKILLed: nothing of theirs runs to stop the child)."""
    registry = write_registry(tmp_path / "sources.yaml", site.url)
    site.set_delay(3)  # pages answered in parallel: a crawl of ~30 s, killed in its first
    command = [sys.executable, "-m", "newsflow.cli", "crawl", "--only", "demo"]
    command += ["--sources", str(registry), "--data-dir", str(tmp_path / "data")]
    env = {**os.environ, "NEWSFLOW_CRAWL__DOWNLOAD_DELAY": "0"}
    run = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        child = None
        while time.monotonic() < deadline and (child is None or not _article_requests(site)):
            child = child or next(iter(find(b"spiders.run", parent=run.pid)), None)
            time.sleep(0.1)
        assert child and _article_requests(site), "the crawl child never started fetching"
        run.kill()
        run.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and alive(child):
            time.sleep(0.1)
        assert not alive(child), "the crawl child outlived its killed run"
    finally:
        site.set_delay(0)
        run.kill()
