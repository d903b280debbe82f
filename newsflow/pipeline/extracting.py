"""The extract step: archived pages in, article records (JSON lines) out, each page in a worker
process bounded in time and memory, then NER in batches per language.

It reads every WARC of the run for its sources (a retried crawl adds one) and the pages earlier
runs archived but never stored, so a run killed after its crawl loses nothing. Per source, the
pages, failures and quality flags go to `runs` (stage `extract`), the history the Airflow
checks compare a night with.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from newsflow.pipeline.reports import ExtractReport, SourceQuality, safe_run_id
from newsflow.settings import Settings
from storage import crawl_state, known_urls, open_database
from storage.archive import ArchivedPage, ArchiveError, read_pages, run_archives, source_archives
from storage.archive import verify as verify_archive
from storage.runs import record_run
from storage.urls import normalize_url

if TYPE_CHECKING:
    from extraction.bounds import Bounds
    from extraction.record import Article

log = logging.getLogger(__name__)


def extraction_bounds(settings: Settings) -> Bounds:
    """Per-page time and memory bounds of the extract step, from the settings."""
    from extraction.bounds import Bounds

    return Bounds(
        timeout_seconds=settings.extract_timeout_seconds,
        memory_bytes=settings.extract_memory_mb * 1024 * 1024,
        max_html_bytes=int(settings.extract_max_page_mb * 1024 * 1024),
    )


def complete_archives(
    settings: Settings, sources: list[str], since: datetime | None = None
) -> tuple[list[str], dict[str, str]]:
    """Every complete WARC file of the sources (crawls started since `since`), oldest first, and
    the damaged ones (truncated, bad digest) with the reason they were skipped."""
    good: list[str] = []
    damaged: dict[str, str] = {}
    for name in sources:
        for path in source_archives(settings.warc_dir, name, since):
            try:
                verify_archive(path)
                good.append(str(path))
            except ArchiveError as exc:
                damaged[str(path)] = str(exc)
    return good, damaged


def _charset(content_type: str) -> str | None:
    match = re.search(r"charset=([\w.:-]+)", content_type, re.I)
    return match.group(1) if match else None


def _archived_pages(
    settings: Settings,
    warc_files: list[str],
    sources: list[str],
    run_id: str,
    damaged: dict[str, str],
) -> Iterator[ArchivedPage]:
    """The given files and every WARC of the run for these sources (a retried crawl adds one),
    then what earlier runs archived but never stored. A file that cannot be read to its end is
    checked before any of its pages is used, then skipped and named in `damaged`."""
    files = [Path(w) for w in warc_files]
    for name in sources:
        files += run_archives(settings.warc_dir, name, run_id)
    read: set[Path] = set()
    seen: dict[str, set[str]] = {}
    for path in files:
        if path.resolve() in read:
            continue
        read.add(path.resolve())
        try:
            verify_archive(path)
        except ArchiveError as exc:
            log.warning("skipping a damaged archive: %s", exc)
            damaged[str(path)] = str(exc)
            continue
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
    with open_database(settings.database_url) as engine:
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


class ExtractError(RuntimeError):
    """The extract file could not be written (disk full, I/O error); the message names it."""


def _write_records(output: Path, records: list[Article]) -> None:
    """JSON lines under a `.part` name, renamed when complete; on a failed write the part is
    removed and nothing is marked in crawl state, so the next extract reads the pages again."""
    partial = output.with_name(output.name + ".part")
    try:
        with open(partial, "w", encoding="utf-8") as stream:
            for article in records:
                stream.write(json.dumps(article.to_dict(), ensure_ascii=False) + "\n")
        partial.replace(output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ExtractError(f"cannot write the extract file {partial}: {exc}") from exc


def quality_by_source(records: list[Article]) -> dict[str, SourceQuality]:
    """Per source: pages, pages without an article, and articles with quality flags."""
    out: dict[str, SourceQuality] = {}
    for article in records:
        quality = out.setdefault(article.source or "?", SourceQuality())
        quality.pages += 1
        if article.error:
            quality.failed += 1
        elif article.quality_flags:
            quality.flagged += 1
        for flag in article.quality_flags:
            quality.flags[flag] = quality.flags.get(flag, 0) + 1
    return out


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
    A dry run reads only `warc_files` and leaves crawl state and `runs` alone.
    """
    from extraction.bounds import BoundedExtractor
    from extraction.entities import add_entities_by_language
    from extraction.quality import flag_counts

    run_id = safe_run_id(run_id)
    started_at = datetime.now(UTC)
    output = settings.extracted_dir / f"{run_id}.jsonl"
    output.parent.mkdir(parents=True, exist_ok=True)
    report = ExtractReport(output=str(output))
    records: list[Article] = []
    names = sorted({Path(w).parent.name for w in warc_files}) if sources is None else sources
    if dry_run:
        names = []
    failed_pages: dict[str, list[str]] = {}
    with BoundedExtractor(extraction_bounds(settings)) as extractor:
        for page in _archived_pages(settings, warc_files, names, run_id, report.damaged):
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
    report.by_source = quality_by_source(records)
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
    _write_records(output, records)
    if not dry_run:
        with open_database(settings.database_url) as engine:
            for name, urls in failed_pages.items():
                crawl_state.mark_extracted(engine, name, urls, crawl_state.EXTRACT_FAILED)
            for name, quality in report.by_source.items():
                record_run(
                    engine,
                    run_id=run_id,
                    source=name,
                    stage="extract",
                    started_at=started_at,
                    status="ok",
                    stats=asdict(quality),
                )
    return report
