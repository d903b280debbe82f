"""The daily report: per source, the articles first seen (new originals and copies apart) and
published on each day a load was for, rebuilt whenever a load updates the `articles` asset, into
`data/reports/<day>.json`."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from newsflow.airflow.health import source_health
from newsflow.airflow.params import run_day
from newsflow.settings import load_settings

log = logging.getLogger(__name__)


def report_days(context: Any) -> list[date]:
    """The days the triggering loads were for (their `day`), else this run's own day.

    Not today's date: a backfill's loads must not rewrite today's report.
    """
    days = set()
    for asset_events in (context.get("triggering_asset_events") or {}).values():
        for event in asset_events:
            day = (getattr(event, "extra", None) or {}).get("day")
            if day:
                days.add(date.fromisoformat(day))
    return sorted(days) or [run_day(context.get("dag_run"))]


def report_step(context: Any) -> dict:
    """Each triggering day's per-source summary, written when the `articles` asset is updated."""
    from storage import open_database
    from storage.query import day_counts

    settings = load_settings()
    triggered_by = []
    for asset_events in (context.get("triggering_asset_events") or {}).values():
        for event in asset_events:
            triggered_by.append(dict(getattr(event, "extra", None) or {}))
    reports = []
    with open_database(settings.database_url) as engine:
        for day in report_days(context):
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            counts = day_counts(engine, start, start + timedelta(days=1))
            reports.append({"day": day.isoformat(), **asdict(counts)})
        totals = reports[0]["total"]  # report_days gives at least one day
        # failures and blocked sources too, not only loads: each source's last night
        problems = {
            row["source"]: {"status": row["status"], "reasons": row["reasons"]}
            for row in source_health(engine, nights=1)
            if row["status"] != "ok"
        }
        for report in reports:
            report["problems"] = problems
    files = []
    for report in reports:
        report["triggered_by"] = [t for t in triggered_by if t.get("day") in (None, report["day"])]
        out = settings.data_dir / "reports" / f"{report['day']}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2), encoding="utf-8")
        files.append(str(out))
        for source, problem in sorted(report["problems"].items()):
            log.warning(
                "%s %s: %s %s", report["day"], source, problem["status"], problem["reasons"]
            )
        for source in sorted(totals):
            log.info(
                "%s %s: %d new, %d copies, %d published that day, %d in total",
                report["day"],
                source,
                report["new"].get(source, 0),
                report["copies"].get(source, 0),
                report["published"].get(source, 0),
                totals[source],
            )
    return {"days": [r["day"] for r in reports], "reports": reports, "files": files}


def latest_report(folder: Path) -> dict | None:
    """The newest daily report (`<day>.json`), for the UI; None before the first."""
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    return json.loads(files[-1].read_text(encoding="utf-8")) if files else None
