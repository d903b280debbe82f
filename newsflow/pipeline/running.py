"""A whole run (crawl, extract, load, in order) and re-extraction from the archive."""

from __future__ import annotations

from datetime import datetime

from newsflow.pipeline.crawling import BUSY, CrawlError, crawl
from newsflow.pipeline.extracting import complete_archives, extract
from newsflow.pipeline.loading import load
from newsflow.pipeline.reports import ReextractReport, RunSummary, new_run_id
from newsflow.settings import Settings
from newsflow.sources import Source
from spiders.window import CrawlWindow


def run(
    settings: Settings,
    sources: list[Source],
    *,
    run_id: str | None = None,
    window: CrawlWindow | None = None,
    max_pages: int | None = None,
) -> RunSummary:
    """Crawl, extract and load, in order, for the given sources.

    A source whose crawl failed does not stop the others: they are extracted and loaded, then
    the crawl error is raised. A source another run is crawling (`busy`) is left to that run:
    neither crawled nor extracted here.
    """
    run_id = run_id or new_run_id()
    failure = None
    try:
        crawled = crawl(settings, sources, run_id=run_id, window=window, max_pages=max_pages)
    except CrawlError as exc:
        crawled, failure = exc.reports, exc
    warcs = [r.warc for r in crawled if r.warc]
    busy = {r.source for r in crawled if r.status == BUSY}
    names = [s.name for s in sources if s.name not in busy]
    fetched = sum(r.fetched for r in crawled)
    extracted = extract(settings, warcs, run_id=run_id, sources=names, expected_pages=fetched)
    loaded = load(settings, extracted.output, sources)
    if failure is not None:
        raise failure
    return RunSummary(run_id=run_id, crawl=crawled, extract=extracted, load=loaded)


def reextract(
    settings: Settings,
    sources: list[Source],
    *,
    source: str,
    since: datetime | None = None,
    run_id: str | None = None,
) -> ReextractReport:
    """Extract and load a source's archived pages again, without the network.

    Damaged (truncated, bad digest) archives are skipped and named in the report.
    """
    good, damaged = complete_archives(settings, [source], since)
    run_id = run_id or f"reextract-{source}-{new_run_id()}"
    extracted = extract(settings, good, run_id=run_id)
    loaded = load(settings, extracted.output, sources)
    return ReextractReport(source, good, damaged, extracted, loaded)
