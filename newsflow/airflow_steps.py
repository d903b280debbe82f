"""The DAG tasks' side of the pipeline: Airflow context in, JSON-ready dicts (XCom) out.

Kept apart from `newsflow.pipeline` so the steps themselves know nothing of Airflow.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime
from typing import Any

from newsflow import pipeline
from newsflow.settings import load_settings
from newsflow.sources import load_registry, select_sources

log = logging.getLogger(__name__)


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def crawl_step(context: Any) -> dict:
    params = context["params"]
    settings = load_settings()
    sources = select_sources(load_registry(settings.sources_file), params.get("sources") or None)
    run_id = pipeline.safe_run_id(context["run_id"])
    reports = pipeline.crawl(
        settings,
        sources,
        run_id=run_id,
        since=_parse(params.get("since")),
        max_pages=params.get("max_pages"),
    )
    for report in reports:
        log.info(
            "%s: %d fetched, %d already stored", report.source, report.fetched, report.skipped_seen
        )
    return {
        "run_id": run_id,
        "sources": [s.name for s in sources],
        "warcs": [r.warc for r in reports if r.warc],
        "crawl": [asdict(r) for r in reports],
    }


def extract_step(crawled: dict) -> dict:
    report = pipeline.extract(load_settings(), crawled["warcs"], run_id=crawled["run_id"])
    log.info("extracted %d articles from %d pages", report.articles, report.pages)
    return {**crawled, "extract": asdict(report)}


def load_step(extracted: dict) -> dict:
    settings = load_settings()
    registry = load_registry(settings.sources_file)
    report = pipeline.load(settings, extracted["extract"]["output"], registry)
    log.info("stored %d articles (%d new)", report.stored, report.inserted)
    return {"run_id": extracted["run_id"], "load": {**asdict(report), "stored": report.stored}}
