"""The crawl step: one child process per source (`python -m spiders.run`), because Twisted's
reactor cannot restart inside one process and `dag.test()` runs every task in one.

The parent builds each child's `CrawlJob` (the registry entry, its politeness settings, the
window), hands it over as one JSON file and the database URL in the environment, then reads the
child's report back and stores it in `runs`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from newsflow.pipeline.progress import progress_output, stage
from newsflow.pipeline.reports import CrawlReport, safe_run_id
from newsflow.settings import PROJECT_ROOT, Settings
from newsflow.sources import Source
from spiders.job import DATABASE_URL_ENV, CrawlJob
from spiders.window import CrawlWindow
from storage import last_fetched, open_database
from storage.archive import remove_stale_parts
from storage.crawl_state import activity_since
from storage.locks import SourceBusy, crawl_lock
from storage.runs import CRAWL_STAGE, record_run

log = logging.getLogger(__name__)
POLL_SECONDS = 2.0
# The status of a source refused because another run holds its crawl lock.
BUSY = "busy"
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class CrawlError(RuntimeError):
    """A crawl child process failed or produced no report; raised once every source was tried,
    with all their reports (the failed ones included)."""

    def __init__(self, message: str, reports: list[CrawlReport] | None = None) -> None:
        super().__init__(message)
        self.reports = reports or []


def crawl(
    settings: Settings,
    sources: list[Source],
    *,
    run_id: str,
    window: CrawlWindow | None = None,
    max_pages: int | None = None,
    dry_run: bool = False,
) -> list[CrawlReport]:
    """Crawl each source in a child process; articles already stored are not fetched again.

    A dry run leaves the crawl state and `runs` alone and writes its WARC into the run's folder,
    not the archive: otherwise the pages it fetched would count as done for the next real run.
    """
    run_id = safe_run_id(run_id)
    window = window or CrawlWindow()
    with open_database(settings.database_url) as engine:
        stored = {s.name: last_fetched(engine, s.name) for s in sources}
    reports = []
    for source in sources:
        try:
            report, started_at = _crawl_locked(
                settings, source, run_id, window, max_pages, dry_run, stored[source.name]
            )
        except SourceBusy as exc:  # raised below with the other failures; said once
            log.info("%s", exc)
            reports.append(CrawlReport(source=source.name, status=BUSY, error=str(exc)))
            continue
        if not dry_run:
            with open_database(settings.database_url) as engine:
                record_run(
                    engine,
                    run_id=run_id,
                    source=report.source,
                    stage=CRAWL_STAGE,
                    started_at=started_at,
                    status=report.status,
                    stats=report.to_dict(),
                )
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


def _watch(
    settings: Settings,
    source: str,
    child: subprocess.Popen[bytes],
    timeout: float,
    state: Settings | None,
) -> None:
    """Wait for the crawl child, showing what its crawl state says it listed and fetched (a
    dry run keeps no state: only the time moves)."""
    started = datetime.now(UTC)
    deadline = time.monotonic() + timeout
    with stage(
        f"crawl {source}",
        settings.progress_seconds,
        unit="fetched",
        pause_dir=settings.pause_dir,
        stream=progress_output(settings.progress_stream),
    ) as meter:
        while True:
            try:
                child.wait(timeout=min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    raise
            if state is not None:
                with open_database(state.database_url) as engine:
                    listed, fetched = activity_since(engine, source, started)
                meter.advance(to=fetched, note=f"{listed} new URLs listed")
        if state is not None:
            with open_database(state.database_url) as engine:
                listed, fetched = activity_since(engine, source, started)
            meter.advance(to=fetched, note=f"{listed} new URLs listed")


def _crawl_locked(
    settings: Settings,
    source: Source,
    run_id: str,
    window: CrawlWindow,
    max_pages: int | None,
    dry_run: bool,
    stored: dict[str, datetime],
) -> tuple[CrawlReport, datetime]:
    """One source's crawl under its lock (`storage.locks`): a second run of the source, from
    any DAG or command, is refused with `SourceBusy` naming this one. A dry run takes no lock:
    it writes neither crawl state nor the archive."""
    run_dir = settings.data_dir / "runs" / run_id / source.name
    run_dir.mkdir(parents=True, exist_ok=True)
    timeout = settings.crawl.subprocess_timeout_seconds
    with contextlib.ExitStack() as held:
        if not dry_run:
            engine = held.enter_context(open_database(settings.database_url))
            held.enter_context(crawl_lock(engine, source.name, run_id, timeout + 60))
        known_file = run_dir / "known-urls.txt"
        lines = [f"{url}\t{when.isoformat()}" for url, when in sorted(stored.items())]
        known_file.write_text("\n".join(lines), encoding="utf-8")
        warc = (run_dir if dry_run else settings.warc_dir / source.name) / f"{run_id}.warc.gz"
        for part in remove_stale_parts(warc.parent, timeout):
            log.info("%s: removed the unfinished archive of a killed crawl: %s", source.name, part)
        crawl_settings = source.crawl_settings(settings.crawl)
        job = CrawlJob(
            site=source.site(),
            crawl=crawl_settings,
            warc=str(warc),
            report=str(run_dir / "crawl-report.json"),
            known_urls=str(known_file),
            window=window,
            max_pages=max_pages or crawl_settings.max_pages,
        )
        started_at = datetime.now(UTC)
        return _run_child(settings, source, job, run_dir, dry_run), started_at


def _die_with_parent() -> None:
    """In the crawl child before exec: Linux sends it SIGKILL when the process that started it
    dies (an Airflow task process killed with SIGKILL runs no cleanup of its own)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _run_child(
    settings: Settings, source: Source, job: CrawlJob, run_dir: Path, dry_run: bool
) -> CrawlReport:
    """Run one source's crawl child; a crash or timeout becomes a `failed` report, not an error,
    so one source's failure does not stop the others."""
    job_file = run_dir / "crawl-job.json"
    job_file.write_text(job.to_json(), encoding="utf-8")
    report_file = Path(job.report)
    log_file = run_dir / "crawl.log"
    env = {k: v for k, v in os.environ.items() if k != DATABASE_URL_ENV}
    if not dry_run:
        env[DATABASE_URL_ENV] = settings.database_url
    command = [sys.executable, "-m", "spiders.run", "--job", str(job_file)]
    log.info("crawling %s (%s)", source.name, source.url)
    report_file.unlink(missing_ok=True)  # an earlier attempt's report says nothing of this one
    timeout = settings.crawl.subprocess_timeout_seconds
    failure = None
    with open(log_file, "wb") as log_stream:
        child = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log_stream,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - only a prctl call, no locks taken
        )
        try:
            _watch(settings, source.name, child, timeout, None if dry_run else settings)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            failure = f"timed out after {timeout:g} s"
        except BaseException:
            # the task was stopped (Airflow's SIGTERM at a timeout, Ctrl-C): no crawl goes on
            # writing crawl state and an archive behind the next try's back
            child.kill()
            child.wait()
            raise
    if failure is None and (child.returncode != 0 or not report_file.exists()):
        failure = f"failed (exit {child.returncode})"
    if failure is None:
        raw = json.loads(report_file.read_text(encoding="utf-8"))
        # the child reports only the counters that moved: none refused is 0, not unknown
        report = CrawlReport.from_dict({"blocked": 0, **raw, "source": source.name})
        report.warc = raw.get("warc") or None
        report.status = report.judge()
    else:
        tail = log_file.read_text(encoding="utf-8", errors="replace")[-2000:]
        report = CrawlReport(source=source.name, status="failed")
        report.error = f"crawl of {source.name} {failure}; log {log_file}:\n{tail}"
        log.error("%s", report.error)
    report.log_file = str(log_file)
    return report
