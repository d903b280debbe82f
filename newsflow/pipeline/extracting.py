"""The extract step: archived pages in, article records (JSON lines) out, each page in a worker
process bounded in time and memory, then NER in batches per language.

It reads every WARC of the run for its sources (a retried crawl adds one) and the pages earlier
runs archived but never stored, so a run killed after its crawl loses nothing. Per source, the
pages, failures and quality flags go to `runs` (stage `extract`), the history the Airflow
checks compare a night with.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from newsflow.pipeline.progress import progress_output, stage
from newsflow.pipeline.reports import ExtractReport, SourceQuality, safe_run_id
from newsflow.settings import Settings
from newsflow.sources import Source, load_registry
from storage import crawl_state, known_urls, open_database
from storage.archive import ArchiveError, run_archives, source_archives
from storage.runs import EXTRACT_STAGE, record_run
from storage.urls import normalize_url
from storage.warc_reader import ArchivedPage, read_pages
from storage.warc_reader import verify as verify_archive

if TYPE_CHECKING:
    from extraction.bounds import BoundedExtractor, Bounds
    from extraction.ner_workers import NerConfig
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


def _write_failed(partial: Path, exc: OSError) -> ExtractError:
    """On a failed write the part is removed and nothing is marked in crawl state, so the next
    extract reads the pages again."""
    partial.unlink(missing_ok=True)
    return ExtractError(f"cannot write the extract file {partial}: {exc}")


def _tally(report: ExtractReport, article: Article) -> None:
    """Count one record into the report: per source pages, failures, quality flags and which
    profile selectors matched."""
    report.pages += 1
    report.by_source.setdefault(article.source or "?", SourceQuality()).count(article)
    if not article.ok:
        report.failed += 1
        reason = article.error or "empty"
        report.failures[reason] = report.failures.get(reason, 0) + 1
        return
    report.articles += 1
    flags = report.quality_flags.setdefault(article.source, {})
    for flag in article.quality_flags:
        flags[flag] = flags.get(flag, 0) + 1


def _chunks(pages: Iterable[ArchivedPage], size: int) -> Iterator[tuple[list[ArchivedPage], bool]]:
    """Chunks of `size` pages, each with whether it is the only one."""
    chunk: list[ArchivedPage] = []
    first = True
    for page in pages:
        if len(chunk) >= size:
            yield chunk, False
            chunk, first = [], False
        chunk.append(page)
    if chunk:
        yield chunk, first


def registry_by_name(settings: Settings) -> dict[str, Source]:
    """The registry's sources by name, for their extraction profiles; none when the settings
    name no registry file that exists (extracting archives needs no registry)."""
    if not settings.sources_file.is_file():
        return {}
    return {s.name: s for s in load_registry(settings.sources_file)}


def ner_config(settings: Settings) -> NerConfig:
    from extraction.ner_workers import NerConfig

    return NerConfig(
        model=settings.spacy_model,
        language_models=dict(settings.ner_models),
        gazetteers=tuple(settings.gazetteers),
        batch_size=settings.ner_batch_size,
    )


def extract_pages(
    settings: Settings,
    pages: Iterable[ArchivedPage],
    output: Path,
    *,
    origin: str = "crawl",
    expected_pages: int | None = None,
) -> tuple[ExtractReport, dict[str, list[str]]]:
    """Extract pages (read lazily, each in the bounded worker, with its source's profiles), add
    entities and write the records as JSON lines to `output`; the report and the failed pages'
    URLs by source. Each record says where it was read (`origin`, its WARC file and offset).

    Pages go through in chunks of `extract_chunk_size`: a chunk's NER runs in a worker while the
    next chunk is extracted, and each chunk is written out once its entities are in, so memory
    holds a few chunks whatever the size of the night. A run of one chunk does its NER here.
    `expected_pages` is the progress meter's total.
    """
    from extraction.bounds import BoundedExtractor
    from extraction.ner_workers import NerWorkers

    output.parent.mkdir(parents=True, exist_ok=True)
    report = ExtractReport(output=str(output))
    failed_pages: dict[str, list[str]] = {}
    registry = registry_by_name(settings)
    partial = output.with_name(output.name + ".part")
    pending: deque[tuple[Future[None], list[Article]]] = deque()
    written = [0]

    def write_oldest() -> None:
        done, records = pending.popleft()
        done.result()
        try:
            for article in records:
                report.entities += len(article.entities)
                stream.write(json.dumps(article.to_dict(), ensure_ascii=False) + "\n")
            stream.flush()
        except OSError as exc:
            with contextlib.suppress(OSError):  # closed now: its unwritten buffer is dropped
                stream.close()
            raise _write_failed(partial, exc) from exc
        written[0] += len(records)
        meter.advance(0, note=f"with entities and written: {written[0]}")

    try:
        stream = open(partial, "w", encoding="utf-8")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        raise _write_failed(partial, exc) from exc
    with (
        BoundedExtractor(extraction_bounds(settings)) as extractor,
        NerWorkers(ner_config(settings), settings.ner_workers) as ner,
        stream,
        stage(
            "extract",
            settings.progress_seconds,
            total=expected_pages,
            pause_dir=settings.pause_dir,
            stream=progress_output(settings.progress_stream),
        ) as meter,
    ):
        for chunk, only in _chunks(pages, settings.extract_chunk_size):
            records = []
            for page in chunk:
                article = _extract_page(extractor, page, registry.get(page.source), origin)
                records.append(article)
                meter.advance()
                _tally(report, article)
                if not article.ok:
                    failed_pages.setdefault(page.source, []).append(page.request_url or page.url)
            pending.append((ner.submit([a for a in records if a.ok], here=only), records))
            while len(pending) > max(1, settings.ner_workers):
                write_oldest()
        while pending:
            write_oldest()
    report.quality_flags = {
        source: dict(sorted(flags.items()))
        for source, flags in sorted(report.quality_flags.items())
        if flags
    }
    try:
        partial.replace(output)
    except OSError as exc:
        raise _write_failed(partial, exc) from exc
    return report, failed_pages


def extract(
    settings: Settings,
    warc_files: list[str],
    *,
    run_id: str,
    sources: list[str] | None = None,
    dry_run: bool = False,
    expected_pages: int | None = None,
) -> ExtractReport:
    """Turn archived pages into article records with entities, written as JSON lines.

    Reads every WARC of the run for `sources` (default: the sources the files belong to) and the
    pages earlier runs archived but never stored; an archived page without an article is marked
    `extract_failed` in crawl state, so a URL is done once stored or found not to be an article.
    A dry run reads only `warc_files` and leaves crawl state and `runs` alone.
    `expected_pages` (the crawl's count) is the progress meter's total.
    """
    run_id = safe_run_id(run_id)
    started_at = datetime.now(UTC)
    output = settings.extracted_dir / f"{run_id}.jsonl"
    names = sorted({Path(w).parent.name for w in warc_files}) if sources is None else sources
    if dry_run:
        names = []
    damaged: dict[str, str] = {}
    report, failed_pages = extract_pages(
        settings,
        _archived_pages(settings, warc_files, names, run_id, damaged),
        output,
        expected_pages=expected_pages,
    )
    report.damaged = damaged
    if not dry_run:
        with open_database(settings.database_url) as engine:
            for name, urls in failed_pages.items():
                crawl_state.mark_extracted(engine, name, urls, crawl_state.EXTRACT_FAILED)
            for name, quality in report.by_source.items():
                record_run(
                    engine,
                    run_id=run_id,
                    source=name,
                    stage=EXTRACT_STAGE,
                    started_at=started_at,
                    status="ok",
                    stats=asdict(quality),
                )
    return report


def _extract_page(
    extractor: BoundedExtractor, page: ArchivedPage, source: Source | None, origin: str
) -> Article:
    article = extractor.extract(
        page.body,
        page.url,
        source=source or page.source,
        fallback_published=page.listed_published,
        encoding=_charset(page.content_type),
    )
    article.fetched_at = page.fetched_at
    article.origin = origin
    article.warc_file = page.warc_file or None
    article.warc_offset = page.offset
    return article
