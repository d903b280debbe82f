"""The "News sources" board: one row per source from its last nights in the `runs` table, worst
first. Plain data, so the plugin's page, its JSON endpoint and the tests read the same rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine

from newsflow.airflow.anomalies import CRAWL_KINDS, flag_rate, kind_of
from newsflow.pipeline import CrawlReport
from storage.health import Night, source_nights
from storage.runs import CHECK_STAGE, CRAWL_STAGE

# Worst first; a night's status is the worst kind it had.
SEVERITY = (
    "site_down",
    "blocked",
    "robots_unreachable",
    "robots_disallowed",
    "crawl_failed",
    "layout_drift",
    "fewer_articles",
    "quality_jump",
    "anomaly",
    "running",
    "ok",
)
LABELS = {
    "site_down": "site down",
    "blocked": "blocked",
    "robots_unreachable": "robots.txt unreachable",
    "robots_disallowed": "robots refused",
    "crawl_failed": "crawl failed",
    "layout_drift": "layout drift",
    "fewer_articles": "fewer articles",
    "quality_jump": "quality flags jump",
    "anomaly": "anomaly",
    "running": "running",
    "ok": "ok",
}


@dataclass
class SourceHealth:
    source: str
    status: str  # a SEVERITY kind
    label: str
    kinds: list[str]
    reasons: list[str]
    run_id: str | None
    last_run_at: str | None
    last_success_at: str | None
    new: int
    listed: int
    fetched: int
    stored: int
    flag_rate: float | None
    new_trend: list[int]  # oldest night first
    flag_trend: list[float | None]
    dag_id: str
    dag_url: str
    # the last night's Airflow run (its DAG may be newsflow_manual) and its page in the UI; None
    # for a run the CLI started
    dag_run_id: str | None
    run_url: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def night_kinds(night: Night) -> tuple[list[str], list[str]]:
    """A night's kinds and reasons: the check's verdict, else what the crawl row says (a crawl
    that failed, a site that was down, never reaches `check`)."""
    if CHECK_STAGE in night.statuses:
        kinds = night.kinds or [kind_of(r) for r in night.reasons]
        return kinds, night.reasons
    status = night.statuses.get(CRAWL_STAGE)
    if status is None or status == "ok":
        return [], []  # a re-extract (no crawl), or a night still running or failed later
    report = CrawlReport.from_dict({"source": "?", **night.crawl, "status": status})
    return [CRAWL_KINDS.get(status, "crawl_failed")], [report.explain()]


def run_url(dag_id: str | None, dag_run_id: str | None) -> str | None:
    """The Airflow 3 UI's page of one DAG run (its route `dags/:dagId/runs/:runId`), relative to
    the UI's root; the run id quoted whole, since Airflow's hold ':' and '+'."""
    if not (dag_id and dag_run_id):
        return None
    return f"dags/{quote(dag_id, safe='')}/runs/{quote(dag_run_id, safe='')}"


def worst(kinds: list[str]) -> str:
    known = [k if k in SEVERITY else "anomaly" for k in kinds]
    return min(known, key=SEVERITY.index) if known else "ok"


def source_health(engine: Engine, nights: int = 14, dag_prefix: str = "newsflow_") -> list[dict]:
    """Every source's board row, worst status first, then by name."""
    rows = []
    for source, history in source_nights(engine, nights).items():
        last = history.nights[0] if history.nights else None
        kinds, reasons = night_kinds(last) if last else ([], [])
        crawl = last.crawl if last else {}
        dag_id = f"{dag_prefix}{source}"
        oldest_first = list(reversed(history.nights))
        status = worst(kinds)
        rows.append(
            SourceHealth(
                source=source,
                status=status,
                label=LABELS[status],
                kinds=kinds,
                reasons=reasons,
                run_id=last.run_id if last else None,
                last_run_at=last.started_at.isoformat() if last else None,
                last_success_at=(
                    history.last_success.isoformat() if history.last_success else None
                ),
                new=int((last.load if last else {}).get("new", 0)),
                listed=int(crawl.get("discovered") or 0),
                fetched=int(crawl.get("fetched") or 0),
                stored=int((last.load if last else {}).get("articles", 0)),
                flag_rate=flag_rate(last.quality) if last and last.quality else None,
                new_trend=[int(n.load.get("new", 0)) for n in oldest_first],
                flag_trend=[flag_rate(n.quality) if n.quality else None for n in oldest_first],
                dag_id=dag_id,
                dag_url=f"dags/{dag_id}",
                dag_run_id=last.dag_run_id if last else None,
                run_url=run_url(last.dag_id, last.dag_run_id) if last else None,
            )
        )
    rows.sort(key=lambda r: (SEVERITY.index(r.status), r.source))
    return [r.to_dict() for r in rows]
