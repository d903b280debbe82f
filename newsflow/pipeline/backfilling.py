"""The CC-NEWS backfill: a source's history from Common Crawl News instead of its site.

Plan lists the months' WARC files from their paths indexes and drops those already done for
every chosen source (`ccnews_files`). Each file is then streamed once (never whole in memory or
on disk), its responses on a chosen source's hosts go through the nightly extract step, and the
records through the load step with `keep_stored`: articles already stored stay as they are, new
ones say they came from CC-NEWS (`origin`, WARC file, offset). A file is marked done for its
sources only after its records are stored, so a killed backfill restarts where it stopped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from ccnews import HostMatcher, LocationError, Month, list_month, month_range, open_location
from newsflow.pipeline.extracting import extract_pages
from newsflow.pipeline.loading import load
from newsflow.pipeline.reports import safe_run_id
from newsflow.settings import Settings
from newsflow.sources import Source
from storage import open_database
from storage.archive import ArchiveError
from storage.ccnews_state import done_sources, mark_file
from storage.warc_reader import ArchivedPage, ScanCounts, read_stream

log = logging.getLogger(__name__)
ORIGIN = "ccnews"


@dataclass
class FileTask:
    """One WARC file to read, and the sources it is not done for yet."""

    path: str
    sources: list[str]


@dataclass
class FileScan:
    """What reading one WARC file gave: counts, the extract file, the error that cut it short."""

    path: str
    sources: list[str]
    output: str = ""
    records: int = 0
    responses: int = 0
    kept: int = 0
    articles: int = 0
    failed: int = 0
    error: str | None = None


@dataclass
class BackfillReport:
    planned: int = 0
    files: list[dict] = field(default_factory=list)
    inserted: int = 0
    unchanged: int = 0
    failed_files: dict[str, str] = field(default_factory=dict)


def hosts_of(sources: list[Source]) -> dict[str, str]:
    """Each host a source publishes under (its url's, then its `hosts:`), with the source."""
    hosts: dict[str, str] = {}
    for source in sources:
        for host in [source.url, *source.hosts]:
            hosts.setdefault(host, source.name)
    return hosts


def plan_files(
    settings: Settings,
    sources: list[Source],
    *,
    since: Month,
    until: Month,
    base: str | None = None,
    max_files: int | None = None,
) -> list[FileTask]:
    """The months' WARC files not yet done for every source, oldest first, at most `max_files`."""
    base = base or settings.ccnews_base
    names = [s.name for s in sources]
    paths = [path for month in month_range(since, until) for path in list_month(base, month)]
    with open_database(settings.database_url) as engine:
        done = done_sources(engine, paths)
    tasks = []
    for path in paths:
        todo = [n for n in names if n not in done.get(path, set())]
        if todo:
            tasks.append(FileTask(path, todo))
    return tasks[:max_files] if max_files is not None else tasks


def _output_name(run_id: str, path: str) -> str:
    """`<run>__<file>`: the load step names its `runs` rows after the extract file."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", path.rsplit("/", 1)[-1].removesuffix(".warc.gz"))
    return f"{safe_run_id(run_id)}__{name}"


def scan_file(
    settings: Settings,
    sources: list[Source],
    task: FileTask,
    *,
    run_id: str,
    base: str | None = None,
) -> FileScan:
    """Stream one WARC file and extract the pages on the task's sources' hosts (JSON lines under
    `extracted/ccnews/`). A file that cannot be read to its end is reported in `error`; the
    pages read before the damage are extracted all the same."""
    base = base or settings.ccnews_base
    matcher = HostMatcher(hosts_of([s for s in sources if s.name in task.sources]))
    output = settings.extracted_dir / "ccnews" / f"{_output_name(run_id, task.path)}.jsonl"
    scan = FileScan(task.path, task.sources, output=str(output))
    counts = ScanCounts()

    def pages() -> Iterator[ArchivedPage]:
        try:
            with open_location(base, task.path) as stream:
                yield from read_stream(stream, task.path, assign=matcher, counts=counts)
        except (ArchiveError, LocationError, OSError) as exc:
            scan.error = str(exc)
            log.warning("ccnews: %s", exc)

    report, _ = extract_pages(settings, pages(), output, origin=ORIGIN)
    scan.records, scan.responses, scan.kept = counts.records, counts.responses, counts.kept
    scan.articles, scan.failed = report.articles, report.failed
    return scan


def load_scan(settings: Settings, registry: list[Source], scan: FileScan, *, run_id: str) -> dict:
    """Store one file's records (stored articles kept as they are), then mark the file done for
    its sources, or failed with the reason when it could not be read to its end."""
    report = load(settings, scan.output, registry, keep_stored=True)
    stats = {**asdict(scan), "inserted": report.inserted, "unchanged": report.unchanged}
    with open_database(settings.database_url) as engine:
        mark_file(engine, scan.path, scan.sources, run_id=run_id, stats=stats, error=scan.error)
    return stats


def backfill(
    settings: Settings,
    registry: list[Source],
    sources: list[Source],
    *,
    since: Month,
    until: Month,
    run_id: str,
    base: str | None = None,
    max_files: int | None = None,
) -> BackfillReport:
    """Plan, then read and store one file after the other (the CLI; the DAG maps the files)."""
    tasks = plan_files(settings, sources, since=since, until=until, base=base, max_files=max_files)
    report = BackfillReport(planned=len(tasks))
    for task in tasks:
        stats = load_scan(
            settings,
            registry,
            scan_file(settings, sources, task, run_id=run_id, base=base),
            run_id=run_id,
        )
        add_file(report, stats)
    return report


def add_file(report: BackfillReport, stats: dict) -> None:
    """Count one loaded file into the report."""
    report.files.append(stats)
    report.inserted += stats["inserted"]
    report.unchanged += stats["unchanged"]
    if stats["error"]:
        report.failed_files[stats["path"]] = stats["error"]
