"""Disk full while writing the WARC archive (issue 16, point 2): a 64 KiB tmpfs the test mounts
(the tests run as root) holds the archive folder, so writes really fail with ENOSPC. Real crawl
of the demo site, real SQLite; the database is checked row by row."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from newsflow import pipeline
from newsflow.demo_site import load_articles as demo_articles
from newsflow.settings import CrawlSettings, Settings
from newsflow.sources import load_registry, select_sources
from storage import connect
from storage.crawl_state import outcomes
from storage.schema import articles
from tests.conftest import write_registry


@pytest.fixture
def small_disk(tmp_path: Path) -> Path:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_disk_full_while_archiving_fails_clearly_and_the_next_run_recovers(
    tmp_path: Path, demo_site, small_disk: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        sources_file=write_registry(tmp_path / "sources.yaml", demo_site.url),
        crawl=CrawlSettings(download_delay=0, timeout_seconds=5),
    )
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "warc").symlink_to(small_disk)
    sources = select_sources(load_registry(settings.sources_file), ["demo"])
    with pytest.raises(pipeline.CrawlError) as failure:
        pipeline.run(settings, sources, run_id="full")
    message = str(failure.value)
    assert "No space left on device" in message
    assert (
        f"cannot write the WARC archive {settings.warc_dir / 'demo' / 'full.warc.gz'}." in message
    )
    assert not list((settings.warc_dir / "demo").glob("*.warc.gz"))  # no half-archive kept
    engine = connect(settings.database_url)
    try:
        assert "archived" not in set(outcomes(engine, "demo").values())
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(articles)).scalar_one() == 0
    finally:
        engine.dispose()

    subprocess.run(["umount", "-l", str(small_disk)], check=True)  # space again
    summary = pipeline.run(settings, sources, run_id="after")
    total = len(demo_articles())
    assert summary.load.inserted == total
    engine = connect(settings.database_url)
    try:
        with engine.connect() as conn:
            urls = [r.canonical_url for r in conn.execute(select(articles.c.canonical_url))]
        assert len(urls) == len(set(urls)) == total
        states = outcomes(engine, "demo")
        assert [o for o in states.values() if not o.startswith("listing:")].count(
            "archived"
        ) == total
    finally:
        engine.dispose()


def test_disk_full_while_writing_the_extract_file_loses_nothing(
    tmp_path: Path, demo_site, small_disk: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        sources_file=write_registry(tmp_path / "sources.yaml", demo_site.url),
        crawl=CrawlSettings(download_delay=0, timeout_seconds=5),
    )
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "extracted").symlink_to(small_disk)
    sources = select_sources(load_registry(settings.sources_file), ["demo"])
    crawled = pipeline.crawl(settings, sources, run_id="night")
    with pytest.raises(pipeline.ExtractError) as failure:
        pipeline.extract(settings, [crawled[0].warc], run_id="night", sources=["demo"])
    part = settings.extracted_dir / "night.jsonl.part"
    assert str(failure.value).startswith(f"cannot write the extract file {part}: [Errno 28]")
    assert not list(small_disk.iterdir())  # no half file left, taken for complete or not
    total = len(demo_articles())
    engine = connect(settings.database_url)
    try:
        pages = [o for o in outcomes(engine, "demo").values() if not o.startswith("listing:")]
        assert pages.count("archived") == total  # nothing marked done by the failed extract
    finally:
        engine.dispose()

    subprocess.run(["umount", "-l", str(small_disk)], check=True)
    summary = pipeline.run(settings, sources, run_id="next")
    assert summary.crawl[0].fetched == 0  # already archived: read from the archive, not fetched
    assert summary.load.inserted == total
    engine = connect(settings.database_url)
    try:
        with engine.connect() as conn:
            urls = [r.canonical_url for r in conn.execute(select(articles.c.canonical_url))]
        assert len(urls) == len(set(urls)) == total
    finally:
        engine.dispose()
