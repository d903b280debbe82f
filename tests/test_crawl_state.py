"""Crawl-state reads and writes on both backends: upserts (also of one URL twice in a batch),
what counts as done or pending, archiving, reset, and the stored per-run report."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from spiders.window import CrawlWindow
from storage import connect, crawl_state
from storage.crawl_state import UrlState
from storage.runs import record_run
from storage.schema import runs
from tests.test_storage import databases  # noqa: F401 - the fixture (SQLite and PostgreSQL)

LISTED = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def test_crawl_state_round_trip(databases):  # noqa: F811
    engine = connect(databases.new())
    try:
        crawl_state.save_states(
            engine,
            "demo",
            [
                UrlState("https://a.example/1", crawl_state.DISCOVERED, listed_published=LISTED),
                UrlState("https://a.example/1", crawl_state.FETCHED, 200, fetched=True),
                UrlState("https://a.example/2", "http_500", 500, fetched=True),
                UrlState("https://a.example/3", crawl_state.OUTSIDE_WINDOW),
                UrlState("https://a.example/4", "binary", 200, fetched=True),
                UrlState(
                    "https://a.example/feed",
                    crawl_state.LISTING + "ok",
                    200,
                    etag='"v1"',
                    last_modified="Wed, 01 May 2024 08:00:00 GMT",
                    fetched=True,
                ),
            ],
        )
        # a 304 later keeps the validators it did not repeat
        crawl_state.save_states(
            engine, "demo", [UrlState("https://a.example/feed", "listing:not_modified", 304)]
        )
        state = crawl_state.load_source_state(engine, "demo")
        assert state.done == {"https://a.example/4"}
        assert sorted(state.pending) == [
            ("https://a.example/1", LISTED),
            ("https://a.example/2", None),
        ]
        assert state.validators["https://a.example/feed"].etag == '"v1"'

        crawl_state.mark_archived(engine, "demo", ["https://a.example/1", "https://a.example/2"])
        outcomes = crawl_state.outcomes(engine, "demo")
        assert outcomes["https://a.example/1"] == "archived"
        assert outcomes["https://a.example/2"] == "http_500"  # only fetched pages become archived

        for _ in range(5):
            crawl_state.save_states(
                engine, "demo", [UrlState("https://a.example/2", "http_500", 500, fetched=True)]
            )
        assert crawl_state.load_source_state(engine, "demo", max_attempts=5).pending == []

        for status in ("failed", "ok"):
            record_run(
                engine,
                run_id="r1",
                source="demo",
                stage="crawl",
                started_at=LISTED,
                status=status,
                stats={"fetched": 1},
            )
        with engine.connect() as conn:
            (row,) = conn.execute(select(runs)).all()
        assert (row.status, row.stats) == ("ok", {"fetched": 1})

        assert crawl_state.reset_source(engine, "demo") == 5
        assert crawl_state.outcomes(engine, "demo") == {}
    finally:
        engine.dispose()


def test_pending_rules_for_refusals_and_windows(databases):  # noqa: F811
    """Robots-disallowed URLs wait for a listing; outside_window URLs come back when a run's
    window covers their listed date; errors count attempts and stop at the cap."""
    engine = connect(databases.new())
    try:
        crawl_state.save_states(
            engine,
            "demo",
            [
                UrlState("https://a.example/robots", "robots_disallowed"),
                UrlState(
                    "https://a.example/old", crawl_state.OUTSIDE_WINDOW, listed_published=LISTED
                ),
                UrlState("https://a.example/bomb", "too_large", fetched=True),
            ],
        )
        nightly = crawl_state.load_source_state(
            engine, "demo", in_window=CrawlWindow(since=datetime(2024, 6, 1, tzinfo=UTC)).contains
        )
        assert [url for url, _ in nightly.pending] == ["https://a.example/bomb"]
        backfill = crawl_state.load_source_state(
            engine,
            "demo",
            in_window=CrawlWindow(
                datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 2, tzinfo=UTC)
            ).contains,
        )
        assert sorted(url for url, _ in backfill.pending) == [
            "https://a.example/bomb",
            "https://a.example/old",
        ]
        crawl_state.save_states(
            engine, "demo", [UrlState("https://a.example/bomb", "too_large", fetched=True)]
        )
        assert crawl_state.load_source_state(engine, "demo", max_attempts=2).pending == [
            ("https://a.example/old", LISTED)
        ]
    finally:
        engine.dispose()


def test_archived_pages_wait_for_the_extract_step(databases):  # noqa: F811
    """An archived URL is done for the crawl, but the extract step still owes it until it is
    stored or found to hold no article."""
    engine = connect(databases.new())
    try:
        urls = ["https://a.example/1", "https://a.example/2", "https://a.example/3"]
        crawl_state.save_states(
            engine, "demo", [UrlState(u, crawl_state.FETCHED, 200, fetched=True) for u in urls]
        )
        crawl_state.mark_archived(engine, "demo", urls)
        assert crawl_state.unstored_archived(engine, "demo") == set(urls)
        crawl_state.mark_extracted(engine, "demo", urls[:1], crawl_state.EXTRACT_FAILED)
        crawl_state.mark_extracted(engine, "demo", urls[1:2], crawl_state.STORED)
        assert crawl_state.unstored_archived(engine, "demo") == {urls[2]}
        assert crawl_state.load_source_state(engine, "demo").done == set(urls)
    finally:
        engine.dispose()


def test_how_a_pending_url_was_found_is_kept(databases):  # noqa: F811
    """A URL first seen as a section link and later declared by a feed is no longer a candidate;
    a state written without the flag (a fetch result) leaves it as it was."""
    engine = connect(databases.new())
    try:
        section, feed = "https://a.example/section-link", "https://a.example/feed-item"
        crawl_state.save_states(
            engine,
            "demo",
            [
                UrlState(section, crawl_state.DISCOVERED, candidate=True),
                UrlState(feed, crawl_state.DISCOVERED, candidate=True),
            ],
        )
        crawl_state.save_states(
            engine, "demo", [UrlState(feed, crawl_state.DISCOVERED, candidate=False)]
        )
        crawl_state.save_states(
            engine,
            "demo",
            [UrlState(u, "http_500", 500, fetched=True) for u in (section, feed)],
        )
        state = crawl_state.load_source_state(engine, "demo")
        assert state.candidates == {section: True, feed: False}
    finally:
        engine.dispose()
