"""The `newsflow_backfill_ccnews` DAG's form and task bodies: plan -> scan (one mapped task per
CC-NEWS WARC file, in a pool) -> load.

Scans run wherever the executor puts them (Celery workers included) and hand the load task the
path of their extract file, so the data folder must be shared by the workers. The load stores the
files one after the other and marks each done, so a failed or killed run is resumed by the next
one at the files not yet done.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from ccnews import Month
from newsflow.airflow.tasks import task_settings
from newsflow.pipeline import safe_run_id
from newsflow.pipeline.backfilling import (
    BackfillReport,
    FileScan,
    FileTask,
    add_file,
    load_scan,
    plan_files,
    scan_file,
)
from newsflow.sources import RegistryError, load_registry, select_sources

log = logging.getLogger(__name__)
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


def backfill_params(sources: list[str]) -> dict[str, Any]:
    """The trigger form: sources, month range, max files, and where CC-NEWS is read."""
    from airflow.sdk import Param

    return {
        "sources": Param(
            [],
            type="array",
            items={"type": "string", "enum": sources},
            minItems=1,
            uniqueItems=True,
            title="Sources",
            description="The registry's sources whose history to load (their url host and "
            "hosts: list are matched).",
            examples=sources,
        ),
        "since": Param(
            "2023-01", type="string", pattern=MONTH_PATTERN, title="First month (YYYY-MM)"
        ),
        "until": Param(
            None,
            type=["null", "string"],
            pattern=MONTH_PATTERN,
            title="Last month (YYYY-MM)",
            description="Empty = the first month only.",
        ),
        "max_files": Param(
            None,
            type=["null", "integer"],
            minimum=1,
            title="Max WARC files",
            description="Read at most this many files in this run (the next run goes on).",
        ),
        "base": Param(
            None,
            type=["null", "string"],
            title="Base location",
            description="https:// URL, s3:// bucket or local folder; empty = settings "
            "ccnews_base (https://data.commoncrawl.org/).",
        ),
    }


def plan_step(params: dict[str, Any], run_id: str) -> list[dict]:
    """The files the mapped scans read, one XCom item each."""
    from airflow.exceptions import AirflowFailException

    settings = task_settings()
    try:
        sources = select_sources(
            load_registry(settings.sources_file), params["sources"], allow_disabled=True
        )
        since = Month.parse(params["since"])
        until = Month.parse(params["until"]) if params.get("until") else since
        tasks = plan_files(
            settings,
            sources,
            since=since,
            until=until,
            base=params.get("base"),
            max_files=params.get("max_files"),
        )
    except (RegistryError, ValueError) as exc:
        raise AirflowFailException(str(exc)) from exc
    log.info("ccnews: %d WARC files to read for %s", len(tasks), ", ".join(params["sources"]))
    name = f"newsflow_backfill_ccnews__{safe_run_id(run_id)}"
    return [{**asdict(t), "run_id": name, "base": params.get("base")} for t in tasks]


def scan_step(item: dict) -> dict:
    """Stream one WARC file and extract its pages on the chosen sources' hosts."""
    settings = task_settings()
    sources = select_sources(
        load_registry(settings.sources_file), item["sources"], allow_disabled=True
    )
    task = FileTask(item["path"], item["sources"])
    scan = scan_file(settings, sources, task, run_id=item["run_id"], base=item["base"])
    log.info(
        "ccnews %s: %d records, %d kept, %d articles%s",
        scan.path,
        scan.records,
        scan.kept,
        scan.articles,
        f" -- NOT FINISHED: {scan.error}" if scan.error else "",
    )
    return {**asdict(scan), "run_id": item["run_id"]}


def load_step(scans: list[dict]) -> dict:
    """Store every scanned file's records and mark the files; a file that could not be read to
    its end is reported (and read again by the next run), not fatal."""
    settings = task_settings()
    registry = load_registry(settings.sources_file)
    report = BackfillReport(planned=len(scans))
    for item in scans:
        run_id = item.pop("run_id")
        add_file(report, load_scan(settings, registry, FileScan(**item), run_id=run_id))
    for path, reason in report.failed_files.items():
        log.warning("ccnews: not finished, read again next run: %s: %s", path, reason)
    log.info("ccnews: %d new articles, %d already stored", report.inserted, report.unchanged)
    return asdict(report)
