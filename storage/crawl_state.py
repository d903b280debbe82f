"""Per-URL crawl state in the project database: what was seen, fetched, and how it went.

The crawl child writes a row per URL as it goes (buffered, so a SIGKILL loses at most the last
few rows, which only means those URLs are fetched again). A page counts as done only once the
WARC file holding it has been renamed into place (`mark_archived`), so a killed crawl never
marks a page done that is not safely on disk.

Listing documents (feeds, sitemaps, sections, robots.txt) are stored with outcomes prefixed
`listing:`; their ETag/Last-Modified drive conditional GETs on the next run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, select, update

from storage.database import write_transaction
from storage.schema import crawl_state, upsert, utc
from storage.urls import normalize_url

LISTING = "listing:"
ARCHIVED = "archived"
FETCHED = "fetched"
DISCOVERED = "discovered"
OUTSIDE_WINDOW = "outside_window"
# Set by the extract step on archived pages: no article in it, or stored under the URL it
# redirected to. (A page stored under its own URL stays `archived`; the articles table says so.)
EXTRACT_FAILED = "extract_failed"
STORED = "stored"
# Article outcomes that end a URL's life: it is never requested again (until a reset).
DONE = {ARCHIVED, "binary", "not_article", EXTRACT_FAILED, STORED}
# Refused before any request (robots.txt says no, a private address): fetched again only when a
# listing names the URL again.
WAIT_FOR_LISTING = {OUTSIDE_WINDOW, "robots_disallowed", "private_address"}


@dataclass
class UrlState:
    url: str
    outcome: str
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    listed_published: datetime | None = None
    fetched: bool = False
    # True: found only as a section link; False: a feed or sitemap declared it; None: unchanged.
    candidate: bool | None = None


@dataclass
class Validators:
    etag: str | None
    last_modified: str | None


@dataclass
class SourceState:
    """What the crawl of one source needs to know from earlier runs."""

    done: set[str]
    pending: list[tuple[str, datetime | None]]
    validators: dict[str, Validators]
    # How pending URLs were found, where known (True: only as a section candidate).
    candidates: dict[str, bool] = field(default_factory=dict)


def content_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def load_source_state(
    engine: Engine,
    source: str,
    max_attempts: int = 5,
    *,
    in_window: Callable[[datetime | None], bool] = lambda _published: True,
) -> SourceState:
    """URLs that are done, article URLs still to fetch, and listing validators.

    A URL requested `max_attempts` times without being archived is no longer retried on its own
    (it is still fetched if a feed or sitemap lists it again). URLs outside an earlier run's
    window come back when this run's window (`in_window`, the crawl window's rule) covers their
    listed date, since an unchanged listing (304) never names them again; robots-disallowed ones
    only when listed again.
    """
    state = SourceState(done=set(), pending=[], validators={})
    query = select(
        crawl_state.c.url,
        crawl_state.c.outcome,
        crawl_state.c.etag,
        crawl_state.c.last_modified,
        crawl_state.c.listed_published,
        crawl_state.c.attempts,
        crawl_state.c.candidate,
    ).where(crawl_state.c.source == source)
    with engine.connect() as conn:
        for row in conn.execute(query):
            if row.outcome.startswith(LISTING):
                if row.etag or row.last_modified:
                    state.validators[row.url] = Validators(row.etag, row.last_modified)
            elif row.outcome in DONE:
                state.done.add(row.url)
            elif row.attempts < max_attempts:
                published = utc(row.listed_published)
                # an undated URL is never left outside a window (the crawl window puts it
                # inside); a row without a date waits for a listing like a refusal does
                if row.outcome not in WAIT_FOR_LISTING or (
                    row.outcome == OUTSIDE_WINDOW and published is not None and in_window(published)
                ):
                    state.pending.append((row.url, published))
                    if row.candidate is not None:
                        state.candidates[row.url] = row.candidate
    return state


def save_states(engine: Engine, source: str, states: Iterable[UrlState]) -> None:
    """Upsert URL states; first_seen is kept, attempts counts requests sent (`fetched`), errors
    included, so `max_url_attempts` caps every failure.

    Rows for the same URL are merged first: PostgreSQL refuses to upsert one row twice in a
    statement.
    """
    now = datetime.now(UTC)
    merged: dict[str, UrlState] = {}
    for s in states:
        before = merged.get(s.url)
        if before is not None:
            s = UrlState(
                s.url,
                s.outcome,
                s.http_status or before.http_status,
                s.etag or before.etag,
                s.last_modified or before.last_modified,
                s.content_hash or before.content_hash,
                s.listed_published or before.listed_published,
                s.fetched or before.fetched,
                s.candidate if s.candidate is not None else before.candidate,
            )
        merged[s.url] = s
    rows = [
        {
            "source": source,
            "url": s.url,
            "first_seen": now,
            "last_fetched": now if s.fetched else None,
            "http_status": s.http_status,
            "etag": s.etag,
            "last_modified": s.last_modified,
            "content_hash": s.content_hash,
            "outcome": s.outcome[:32],
            "listed_published": s.listed_published,
            "attempts": 1 if s.fetched else 0,
            "candidate": s.candidate,
        }
        for s in merged.values()
    ]
    if not rows:
        return
    statement = upsert(engine, crawl_state)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[crawl_state.c.source, crawl_state.c.url],
        set_={
            "outcome": excluded.outcome,
            "last_fetched": func.coalesce(excluded.last_fetched, crawl_state.c.last_fetched),
            "http_status": func.coalesce(excluded.http_status, crawl_state.c.http_status),
            "etag": func.coalesce(excluded.etag, crawl_state.c.etag),
            "last_modified": func.coalesce(excluded.last_modified, crawl_state.c.last_modified),
            "content_hash": func.coalesce(excluded.content_hash, crawl_state.c.content_hash),
            "listed_published": func.coalesce(
                excluded.listed_published, crawl_state.c.listed_published
            ),
            "attempts": crawl_state.c.attempts + excluded.attempts,
            "candidate": func.coalesce(excluded.candidate, crawl_state.c.candidate),
        },
    )
    with write_transaction(engine) as conn:
        conn.execute(statement, rows)


def mark_archived(engine: Engine, source: str, urls: Iterable[str]) -> None:
    """Pages whose WARC file is now complete on disk are done."""
    _move_outcome(engine, source, urls, FETCHED, ARCHIVED)


def _move_outcome(engine: Engine, source: str, urls: Iterable[str], old: str, new: str) -> None:
    """Set `new` on those of `urls` whose outcome is still `old`, in chunks of 500."""
    urls = list(urls)
    with write_transaction(engine) as conn:
        for start in range(0, len(urls), 500):
            conn.execute(
                update(crawl_state)
                .where(crawl_state.c.source == source)
                .where(crawl_state.c.url.in_(urls[start : start + 500]))
                .where(crawl_state.c.outcome == old)
                .values(outcome=new)
            )


def unstored_archived(engine: Engine, source: str, stored: set[str] | None = None) -> set[str]:
    """Normalised URLs archived but neither stored nor extracted as failed: a run killed (or an
    extract that failed) after its crawl left them, and the next extract picks them up.
    `stored`: the source's stored URLs, when the caller has them already."""
    from storage.query import known_urls

    with engine.connect() as conn:
        rows = conn.execute(
            select(crawl_state.c.url)
            .where(crawl_state.c.source == source)
            .where(crawl_state.c.outcome == ARCHIVED)
        )
        archived = {normalize_url(row.url) for row in rows}
    if not archived:
        return set()
    return archived - (known_urls(engine, source) if stored is None else stored)


def mark_extracted(engine: Engine, source: str, urls: Iterable[str], outcome: str) -> None:
    """Archived pages the extract step settled for good (`EXTRACT_FAILED` or `STORED`)."""
    _move_outcome(engine, source, urls, ARCHIVED, outcome)


def reset_source(engine: Engine, source: str) -> int:
    """Forget a source's crawl state: every URL not stored as an article is fetched again."""
    with write_transaction(engine) as conn:
        return conn.execute(delete(crawl_state).where(crawl_state.c.source == source)).rowcount


def outcomes(engine: Engine, source: str) -> dict[str, str]:
    """URL -> outcome for one source (for reports and tests)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(crawl_state.c.url, crawl_state.c.outcome).where(crawl_state.c.source == source)
        )
        return {row.url: row.outcome for row in rows}


def activity_since(engine: Engine, source: str, since: datetime) -> tuple[int, int]:
    """(article URLs first seen, article URLs fetched) for one source since a moment: a running
    crawl's progress, as far as its child has flushed its state. Feeds, sitemaps and sections
    are not counted, so the meter ends where the run's summary does."""
    seen = crawl_state.c.first_seen >= since
    fetched = crawl_state.c.last_fetched >= since
    with engine.connect() as conn:
        row = conn.execute(
            select(
                func.count().filter(seen).label("listed"),
                func.count().filter(fetched).label("fetched"),
            ).where(crawl_state.c.source == source, ~crawl_state.c.outcome.startswith(LISTING))
        ).one()
    return row.listed, row.fetched
