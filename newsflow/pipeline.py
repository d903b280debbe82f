"""The pipeline steps as plain functions: the CLI, the Airflow DAGs and the tests all call these.

Each step hands the next one files on disk (WARC archives, then JSON lines of article records),
so any step can be re-run on its own and a failed load loses nothing that was extracted.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from extraction.record import Article
from newsflow.settings import PROJECT_ROOT, Settings
from newsflow.sources import Source
from storage import LoadReport, connect, crawl_state, known_urls, load_articles
from storage.archive import (
    ArchivedPage,
    ArchiveError,
    read_pages,
    remove_stale_parts,
    run_archives,
    source_archives,
)
from storage.database import DatabaseError, Retry
from storage.urls import normalize_url

if TYPE_CHECKING:
    from extraction.bounds import Bounds

log = logging.getLogger(__name__)


# The crawl child's database URL travels in its environment: a command line is visible to `ps`.
CRAWL_STATE_URL_ENV = "NEWSFLOW_CRAWL_STATE_URL"


class CrawlError(RuntimeError):
    """A crawl child process failed or produced no report; raised once every source was tried,
    with all their reports (the failed ones included)."""

    def __init__(self, message: str, reports: list[CrawlReport] | None = None) -> None:
        super().__init__(message)
        self.reports = reports or []


@dataclass
class CrawlReport:
    source: str
    warc: str | None = None
    discovered: int = 0
    in_window: int = 0
    fetched: int = 0
    skipped_seen: int = 0
    not_modified: int = 0
    blocked: int = 0
    binary: int = 0
    not_article: int = 0
    retried: int = 0
    outside_window: int = 0
    over_max_pages: int = 0
    offsite: int = 0
    discovery_errors: int = 0
    robots_forbidden: int = 0
    robots_unreachable: int = 0
    archived: int = 0
    # feeds, sitemaps and sections requested; refused by the site (blocked) or failed otherwise
    listings: int = 0
    listings_blocked: int = 0
    listings_failed: int = 0
    not_article_url: int = 0
    home_page_fallback: int = 0
    paused_hosts: list[str] = field(default_factory=list)
    status_counts: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    finish_reason: str | None = None
    elapsed_seconds: float | None = None
    status: str = "ok"
    log_file: str = ""
    error: str = ""

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def judge(self) -> str:
        """Say "blocked" when nothing came back because the site refused us, not "0 new".

        A few article paths disallowed by robots.txt are the site's rule, not a refusal: only an
        unreachable robots.txt or a listing it disallows counts as blocked.
        """
        robots_refused_listing = any(k.endswith("_robots_disallowed") for k in self.errors)
        # every feed, sitemap and section gave nothing: blocked if the site refused any of them
        listings_dead = 0 < self.listings <= self.listings_blocked + self.listings_failed
        if listings_dead and self.listings_blocked:
            return "blocked"
        blocked_pages = self.blocked - self.listings_blocked
        if self.fetched == 0 and (
            blocked_pages or self.robots_unreachable or robots_refused_listing
        ):
            return "blocked"
        if listings_dead or (self.fetched == 0 and self.in_window and self.error_count):
            return "failed"
        return "ok"


@dataclass
class ExtractReport:
    output: str
    pages: int = 0
    articles: int = 0
    failed: int = 0
    entities: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    quality_flags: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class RunSummary:
    run_id: str
    crawl: list[CrawlReport]
    extract: ExtractReport
    load: LoadReport

    def to_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "crawl": [asdict(r) for r in self.crawl],
            "extract": asdict(self.extract),
            "load": {**asdict(self.load), "stored": self.load.stored},
        }


def new_run_id(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def safe_run_id(run_id: str) -> str:
    """Airflow run ids contain ':' and '+'; keep file names portable."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", run_id)


def crawl(
    settings: Settings,
    sources: list[Source],
    *,
    run_id: str,
    since: datetime | None = None,
    until: datetime | None = None,
    max_pages: int | None = None,
    dry_run: bool = False,
) -> list[CrawlReport]:
    """Crawl each source in a child process; articles already stored are not fetched again.

    A dry run leaves the crawl state and `runs` alone and writes its WARC into the run's folder,
    not the archive: otherwise the pages it fetched would count as done for the next real run.
    """
    run_id = safe_run_id(run_id)
    engine = connect(settings.db_url)
    reports = []
    try:
        stored = {s.name: known_urls(engine, s.name) for s in sources}
    finally:
        engine.dispose()
    for source in sources:
        run_dir = settings.data_dir / "runs" / run_id / source.name
        run_dir.mkdir(parents=True, exist_ok=True)
        known_file = run_dir / "known-urls.txt"
        known_file.write_text("\n".join(sorted(stored[source.name])), encoding="utf-8")
        warc = (run_dir if dry_run else settings.warc_dir / source.name) / f"{run_id}.warc.gz"
        for part in remove_stale_parts(warc.parent, settings.crawl.subprocess_timeout_seconds):
            log.info("%s: removed the unfinished archive of a killed crawl: %s", source.name, part)
        report_file = run_dir / "crawl-report.json"
        log_file = run_dir / "crawl.log"
        command = [
            sys.executable,
            "-m",
            "spiders.run",
            "--source-json",
            source.model_dump_json(),
            "--crawl-json",
            settings.crawl.model_dump_json(),
            "--warc",
            str(warc),
            "--report",
            str(report_file),
            "--known-urls",
            str(known_file),
        ]
        env = {k: v for k, v in os.environ.items() if k != CRAWL_STATE_URL_ENV}
        if not dry_run:
            env[CRAWL_STATE_URL_ENV] = settings.db_url
        if since:
            command += ["--since", since.isoformat()]
        if until:
            command += ["--until", until.isoformat()]
        if max_pages:
            command += ["--max-pages", str(max_pages)]
        log.info("crawling %s (%s)", source.name, source.url)
        started_at = datetime.now(UTC)
        report_file.unlink(missing_ok=True)  # an earlier attempt's report says nothing of this one
        failure = None
        with open(log_file, "wb") as log_stream:
            try:
                result = subprocess.run(
                    command,
                    cwd=PROJECT_ROOT,
                    env=env,
                    stdout=log_stream,
                    stderr=subprocess.STDOUT,
                    timeout=settings.crawl.subprocess_timeout_seconds,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                failure = f"timed out after {settings.crawl.subprocess_timeout_seconds:g} s"
        if failure is None and (result.returncode != 0 or not report_file.exists()):
            failure = f"failed (exit {result.returncode})"
        if failure is None:
            raw = json.loads(report_file.read_text(encoding="utf-8"))
            known_fields = CrawlReport.__dataclass_fields__
            report = CrawlReport(
                source=source.name,
                **{k: v for k, v in raw.items() if k in known_fields and k != "source"},
            )
            report.warc = raw.get("warc") or None
            report.status = report.judge()
        else:
            # one source's crash must not stop the others: report it, raise after the loop
            tail = log_file.read_text(encoding="utf-8", errors="replace")[-2000:]
            report = CrawlReport(source=source.name, status="failed")
            report.error = f"crawl of {source.name} {failure}; log {log_file}:\n{tail}"
            log.error("%s", report.error)
        report.log_file = str(log_file)
        if not dry_run:
            _store_crawl_report(settings, run_id, report, started_at)
        reports.append(report)
        log.info(
            "crawled %s (%s): %d discovered, %d fetched, %d already stored, %d blocked",
            source.name,
            report.status,
            report.discovered,
            report.fetched,
            report.skipped_seen,
            report.blocked,
        )
    failed = [r.error for r in reports if r.error]
    if failed:
        raise CrawlError("\n".join(failed), reports)
    return reports


def _store_crawl_report(
    settings: Settings, run_id: str, report: CrawlReport, started_at: datetime
) -> None:
    from storage.runs import record_run

    engine = connect(settings.db_url)
    try:
        record_run(
            engine,
            run_id=run_id,
            source=report.source,
            stage="crawl",
            started_at=started_at,
            status=report.status,
            stats=asdict(report),
        )
    finally:
        engine.dispose()


def _charset(content_type: str) -> str | None:
    match = re.search(r"charset=([\w.:-]+)", content_type, re.I)
    return match.group(1) if match else None


def extraction_bounds(settings: Settings) -> Bounds:
    """Per-page time and memory bounds of the extract step, from the settings."""
    from extraction.bounds import Bounds

    return Bounds(
        timeout_seconds=settings.extract_timeout_seconds,
        memory_bytes=settings.extract_memory_mb * 1024 * 1024,
        max_html_bytes=int(settings.extract_max_page_mb * 1024 * 1024),
    )


def _archived_pages(
    settings: Settings, warc_files: list[str], sources: list[str], run_id: str
) -> Iterator[ArchivedPage]:
    """The given files and every WARC of the run for these sources (a retried crawl adds one),
    then what earlier runs archived but never stored."""
    files = [Path(w) for w in warc_files]
    for name in sources:
        files += run_archives(settings.warc_dir, name, run_id)
    read: set[Path] = set()
    seen: dict[str, set[str]] = {}
    for path in files:
        if path.resolve() in read:
            continue
        read.add(path.resolve())
        for page in read_pages(path):
            seen.setdefault(page.source, set()).add(normalize_url(page.request_url or page.url))
            yield page
    if sources:
        yield from _unstored_pages(settings, sources, read, seen)


def _unstored_pages(
    settings: Settings, sources: list[str], read: set[Path], seen: dict[str, set[str]]
) -> Iterator[ArchivedPage]:
    """Pages in state `archived` but not in the articles table: a run killed after its crawl, or
    whose extract or load failed, left them, and the crawl will not fetch them again. Newest
    archives first; damaged ones are skipped."""
    engine = connect(settings.db_url)
    try:
        for name in sources:
            stored = known_urls(engine, name)
            waiting = crawl_state.unstored_archived(engine, name, stored) - seen.get(name, set())
            if not waiting:
                continue
            redirected = []
            for path in reversed(source_archives(settings.warc_dir, name)):
                if path.resolve() in read:
                    continue
                try:
                    for page in read_pages(path):
                        key = normalize_url(page.request_url or page.url)
                        if key not in waiting:
                            continue
                        waiting.discard(key)
                        if normalize_url(page.url) in stored:
                            redirected.append(page.request_url or page.url)
                        else:
                            yield page
                except ArchiveError as exc:
                    log.warning("unstored pages: skipping %s", exc)
                if not waiting:
                    break
            crawl_state.mark_extracted(engine, name, redirected, crawl_state.STORED)
    finally:
        engine.dispose()


def extract(
    settings: Settings,
    warc_files: list[str],
    *,
    run_id: str,
    sources: list[str] | None = None,
    dry_run: bool = False,
) -> ExtractReport:
    """Turn archived pages into article records with entities, written as JSON lines.

    Reads every WARC of the run for `sources` (default: the sources the files belong to) and the
    pages earlier runs archived but never stored; an archived page without an article is marked
    `extract_failed` in crawl state, so a URL is done once stored or found not to be an article.
    A dry run reads only `warc_files` and leaves crawl state alone.
    """
    from extraction.bounds import BoundedExtractor
    from extraction.entities import add_entities_by_language
    from extraction.quality import flag_counts

    output = settings.extracted_dir / f"{safe_run_id(run_id)}.jsonl"
    output.parent.mkdir(parents=True, exist_ok=True)
    report = ExtractReport(output=str(output))
    records: list[Article] = []
    names = sorted({Path(w).parent.name for w in warc_files}) if sources is None else sources
    if dry_run:
        names = []
    failed_pages: dict[str, list[str]] = {}
    with BoundedExtractor(extraction_bounds(settings)) as extractor:
        for page in _archived_pages(settings, warc_files, names, safe_run_id(run_id)):
            report.pages += 1
            article = extractor.extract(
                page.body,
                page.url,
                source=page.source,
                fallback_published=page.listed_published,
                encoding=_charset(page.content_type),
            )
            article.fetched_at = page.fetched_at
            records.append(article)
            if not article.ok:
                failed_pages.setdefault(page.source, []).append(page.request_url or page.url)
    good = [a for a in records if a.ok]
    report.quality_flags = flag_counts(good)
    if good:
        add_entities_by_language(
            good,
            settings.spacy_model,
            settings.ner_models,
            settings.gazetteers,
            batch_size=settings.ner_batch_size,
            n_process=settings.ner_processes,
        )
    for article in records:
        if not article.ok:
            report.failed += 1
            reason = article.error or "empty"
            report.failures[reason] = report.failures.get(reason, 0) + 1
    report.articles = len(good)
    report.entities = sum(len(a.entities) for a in good)
    partial = output.with_name(output.name + ".part")
    with open(partial, "w", encoding="utf-8") as stream:
        for article in records:
            stream.write(json.dumps(article.to_dict(), ensure_ascii=False) + "\n")
    partial.replace(output)
    if failed_pages and not dry_run:
        engine = connect(settings.db_url)
        try:
            for name, urls in failed_pages.items():
                crawl_state.mark_extracted(engine, name, urls, crawl_state.EXTRACT_FAILED)
        finally:
            engine.dispose()
    return report


@dataclass
class ReextractReport:
    source: str
    archives: list[str]
    damaged: dict[str, str]
    extract: ExtractReport
    load: LoadReport


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
    from storage.archive import ArchiveError, source_archives, verify

    good: list[str] = []
    damaged: dict[str, str] = {}
    for path in source_archives(settings.warc_dir, source, since):
        try:
            verify(path)
            good.append(str(path))
        except ArchiveError as exc:
            damaged[str(path)] = str(exc)
    run_id = run_id or f"reextract-{source}-{new_run_id()}"
    extracted = extract(settings, good, run_id=run_id)
    loaded = load(settings, extracted.output, sources)
    return ReextractReport(source, good, damaged, extracted, loaded)


def read_articles(path: str | Path) -> list[Article]:
    with open(path, encoding="utf-8") as stream:
        return [Article.from_dict(json.loads(line)) for line in stream if line.strip()]


def load(settings: Settings, articles_file: str, sources: list[Source]) -> LoadReport:
    """Upsert an extract step's output into the database (migrating it first).

    The run id is the extract file's name. If the database cannot be used, the error says that the
    records are still in the extract file and how to load them later: nothing is lost.
    """
    run_id = Path(articles_file).stem
    retry = Retry(settings.database_retries, settings.database_retry_backoff_seconds)
    try:
        engine = connect(settings.db_url, retry)
        try:
            return load_articles(
                engine,
                read_articles(articles_file),
                sources,
                batch_size=settings.load_batch_size,
                run_id=run_id,
                retry=retry,
                near_duplicate_distance=settings.near_duplicate_distance,
            )
        finally:
            engine.dispose()
    except DatabaseError as exc:
        raise DatabaseError(
            f"{exc}\nnothing was lost: the records are still in {articles_file}; "
            f"load them when the database is back with `newsflow load --run-id {run_id}`"
        ) from exc


def run(
    settings: Settings,
    sources: list[Source],
    *,
    run_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    max_pages: int | None = None,
) -> RunSummary:
    """Crawl, extract and load, in order, for the given sources.

    A source whose crawl failed does not stop the others: they are extracted and loaded, then
    the crawl error is raised.
    """
    run_id = run_id or new_run_id()
    failure = None
    try:
        crawled = crawl(
            settings, sources, run_id=run_id, since=since, until=until, max_pages=max_pages
        )
    except CrawlError as exc:
        crawled, failure = exc.reports, exc
    warcs = [r.warc for r in crawled if r.warc]
    extracted = extract(settings, warcs, run_id=run_id, sources=[s.name for s in sources])
    loaded = load(settings, extracted.output, sources)
    if failure is not None:
        raise failure
    return RunSummary(run_id=run_id, crawl=crawled, extract=extracted, load=loaded)
