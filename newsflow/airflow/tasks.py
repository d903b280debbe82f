"""The task bodies of every newsflow DAG: crawl -> extract -> load -> check.

Each takes what the previous task returned (XCom: JSON-ready dicts), calls `newsflow.pipeline`
and returns counts, never archive contents. A task that must fail without retries (bad params,
an anomaly) raises `AirflowFailException`.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from newsflow import pipeline
from newsflow.airflow.anomalies import ANOMALY, Anomaly, find_anomaly_kinds, history
from newsflow.airflow.drift import layout_drift
from newsflow.airflow.notes import crawl_line, run_note, set_run_note
from newsflow.airflow.params import Plan
from newsflow.airflow.schedule import articles_asset
from newsflow.settings import Settings, load_settings
from newsflow.sources import load_registry, select_sources
from storage import open_database
from storage.runs import CHECK_STAGE, record_airflow_run, record_run

log = logging.getLogger(__name__)


def task_settings() -> Settings:
    """Settings for a task that runs a pipeline step: its progress lines go to stdout, since
    Airflow logs whatever a task writes to stderr as an ERROR."""
    return load_settings(progress_stream="stdout")


class SiteUnreachable(RuntimeError):
    """A source's site did not answer (connection refused, DNS, timeouts): the crawl failed."""


def crawl_step(plan: Plan) -> dict:
    settings = task_settings()
    planned = plan.to_xcom()
    if plan.dag_run_id and not plan.dry_run:
        # first, so even a crawl that fails here links to its run (a dry run records nothing)
        with open_database(settings.database_url) as engine:
            record_airflow_run(engine, plan.run_id, plan.dag_id, plan.dag_run_id)
    if plan.reextract:
        warcs, damaged = pipeline.complete_archives(settings, plan.sources)
        log.info("reextract: %d archived WARC files, nothing fetched", len(warcs))
        for path, reason in damaged.items():
            log.warning("reextract: skipped damaged archive %s: %s", path, reason)
        return {**planned, "warcs": warcs, "damaged_archives": damaged, "crawl": []}
    sources = select_sources(load_registry(settings.sources_file), plan.sources)
    reports = pipeline.crawl(
        settings,
        sources,
        run_id=plan.run_id,
        window=plan.window,
        max_pages=plan.max_pages,
        dry_run=plan.dry_run,
    )
    crawled = [r.to_dict() for r in reports]
    for report in crawled:
        log.info("crawl %s", crawl_line(report))
    down = pipeline.unreachable_sources(reports)
    if down:
        # the red square goes on the step that failed; retries try the site again
        raise SiteUnreachable(down)
    return {**planned, "warcs": [r["warc"] for r in crawled if r.get("warc")], "crawl": crawled}


def extract_step(crawled: dict) -> dict:
    # The run's sources, not only this attempt's files: a retried crawl that archived nothing new
    # still has its first attempt's archive, and earlier runs may have left pages unstored.
    report = pipeline.extract(
        task_settings(),
        crawled["warcs"],
        run_id=crawled["run_id"],
        sources=None if crawled.get("reextract") else crawled["sources"],
        dry_run=bool(crawled.get("dry_run")),
        expected_pages=sum(r.get("fetched", 0) for r in crawled.get("crawl", [])) or None,
    )
    log.info(
        "extract: %d articles from %d pages (%d failed), %d entities",
        report.articles,
        report.pages,
        report.failed,
        report.entities,
    )
    extracted = asdict(report)
    return {**crawled, "extract": extracted, "quality": extracted.pop("by_source")}


def load_step(extracted: dict, context: Any | None = None) -> dict:
    """Upsert the run's records and tag the `articles` asset event; a dry run stores nothing."""
    if extracted.get("dry_run"):
        log.info("dry run: %d records not stored", extracted["extract"]["articles"])
        return {**_summary_base(extracted), "load": None}
    settings = task_settings()
    registry = load_registry(settings.sources_file)
    report = pipeline.load(settings, extracted["extract"]["output"], registry)
    loaded = {**asdict(report), "stored": report.stored}
    log.info(
        "load: %d stored (%d new, %d updated, %d unchanged), %d entity rows",
        report.stored,
        report.inserted,
        report.updated,
        report.unchanged,
        report.entities,
    )
    summary = {**_summary_base(extracted), "load": loaded}
    if context is not None and "outlet_events" in context:
        context["outlet_events"][articles_asset()].extra = {
            "run_id": summary["run_id"],
            "day": summary["day"],
            "sources": summary["sources"],
            "new": report.inserted,
            "updated": report.updated,
        }
    return summary


def _summary_base(extracted: dict) -> dict:
    """What goes downstream and into XCom: counts, not the archive paths."""
    keep = ("run_id", "day", "sources", "since", "until", "window_from", "reextract", "dry_run")
    keep += ("damaged_archives",)
    crawl = [{k: v for k, v in r.items() if k != "log_file"} for r in extracted.get("crawl") or []]
    return {
        **{k: extracted.get(k) for k in keep},
        "crawl": crawl,
        "extract": {k: v for k, v in extracted["extract"].items() if k != "output"},
        "quality": extracted.get("quality") or {},
    }


def check_step(summary: dict, context: Any | None = None) -> dict:
    """Check every source of the run for anomalies against its recent healthy runs, record the
    verdict in `runs`, note the run, and fail or mark as configured."""
    settings = load_settings()
    cfg = settings.airflow
    crawls = {c.get("source"): c for c in summary.get("crawl") or []}
    quality = summary.get("quality") or {}
    run_id = summary.get("run_id") or ""
    anomalies: dict[str, list[str]] = {}
    started_at = datetime.now(UTC)
    with open_database(settings.database_url) as engine:
        for source in summary.get("sources") or []:
            found = []
            if cfg.anomaly_action != "off":
                past = history(engine, source, cfg, run_id)
                found = find_anomaly_kinds(crawls.get(source), quality.get(source), past, cfg)
                drift = layout_drift(source, quality.get(source), past, cfg)
                found += [Anomaly("layout_drift", reason) for reason in drift]
            reasons = [a.reason for a in found]
            if reasons:
                anomalies[source] = reasons
            if not summary.get("dry_run"):
                record_run(
                    engine,
                    run_id=run_id,
                    source=source,
                    stage=CHECK_STAGE,
                    started_at=started_at,
                    status=ANOMALY if reasons else "ok",
                    stats={"reasons": reasons, "kinds": [a.kind for a in found]},
                )
    note = run_note(summary, anomalies, cfg.anomaly_action)
    for line in note.splitlines():
        log.info("%s", line)
    if context is not None:
        set_run_note(context, note, cfg)
    result = {"anomalies": anomalies, "action": cfg.anomaly_action, "note": note}
    if anomalies and cfg.anomaly_action == "fail":
        from airflow.sdk.exceptions import AirflowFailException

        detail = "; ".join(f"{s}: {', '.join(r)}" for s, r in anomalies.items())
        raise AirflowFailException(f"anomaly: {detail}")
    if anomalies:
        log.warning("anomalies marked, run stays green: %s", anomalies)
    return result
