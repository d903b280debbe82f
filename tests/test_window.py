"""The crawl window: one rule for which listed articles a crawl fetches, the undated ones included,
the same in the spider and in crawl state, and the same after the trip to the crawl child."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from spiders.job import CrawlJob, CrawlSettings, Site
from spiders.window import CrawlWindow
from storage import connect, crawl_state
from storage.crawl_state import UrlState
from tests.test_storage import databases  # noqa: F401 - the fixture (SQLite and PostgreSQL)

MAY = datetime(2024, 5, 1, tzinfo=UTC)


def test_window_bounds_and_undated_articles():
    window = CrawlWindow(MAY, MAY + timedelta(days=1))
    assert window.contains(MAY)
    assert not window.contains(MAY + timedelta(days=1))  # until is exclusive
    assert not window.contains(MAY - timedelta(seconds=1))
    # an undated listing is inside every window: nothing says it is old
    assert window.contains(None)
    assert CrawlWindow().contains(None) and not CrawlWindow()
    # a naive time is UTC, on both sides
    assert CrawlWindow(datetime(2024, 5, 1)).since == MAY
    assert window.contains(datetime(2024, 5, 1, 12))
    with pytest.raises(ValueError, match="must be before until"):
        CrawlWindow(MAY, MAY)


def test_window_survives_the_trip_to_the_crawl_child(tmp_path):
    window = CrawlWindow(MAY, None)
    job = CrawlJob(
        Site("demo", "http://127.0.0.1/", feed_urls=("http://127.0.0.1/feed/",)),
        CrawlSettings(),
        str(tmp_path / "a.warc.gz"),
        str(tmp_path / "report.json"),
        window=window,
    )
    again = CrawlJob.from_json(job.to_json())
    assert again == job and again.window == window


def test_only_dated_urls_wait_outside_a_window(databases):  # noqa: F811
    """The spider puts an undated listing inside the window, so crawl state never holds one
    outside it; a row that does (written by hand here) waits for a listing, whatever the window."""
    engine = connect(databases.new())
    try:
        crawl_state.save_states(
            engine,
            "demo",
            [
                UrlState("https://a.example/undated", crawl_state.OUTSIDE_WINDOW),
                UrlState(
                    "https://a.example/april",
                    crawl_state.OUTSIDE_WINDOW,
                    listed_published=MAY - timedelta(days=20),
                ),
            ],
        )
        for window, pending in (
            (CrawlWindow(MAY, MAY + timedelta(days=1)), []),
            (CrawlWindow(MAY - timedelta(days=30), MAY), ["https://a.example/april"]),
        ):
            state = crawl_state.load_source_state(engine, "demo", in_window=window.contains)
            assert [url for url, _ in state.pending] == pending
    finally:
        engine.dispose()
