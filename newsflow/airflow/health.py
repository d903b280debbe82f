"""The "News sources" board: one row per source from its last nights in the `runs` table, worst
first. Plain data, so the plugin's page, its JSON endpoint and the tests read the same rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine

from newsflow.airflow.anomalies import CRAWL_KINDS, flag_rate, kind_of
from newsflow.pipeline import CrawlReport
from storage.health import Night, Run, source_nights
from storage.runs import CHECK_STAGE, CRAWL_STAGE

# Worst first; a run's status is the worst kind it had, a night's the worst of its runs'.
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
NO_RUN = "no run"  # a night's label when the source did not run at all that night


@dataclass
class TrendNight:
    """One night of a source's trend: its runs added up (`new` None, `status` None: no run)."""

    day: str  # the UTC date, ISO
    runs: int
    new: int | None
    flag_rate: float | None
    status: str | None  # a SEVERITY kind: the worst of the night's runs
    label: str


@dataclass
class SourceHealth:
    source: str
    status: str  # a SEVERITY kind
    label: str
    kinds: list[str]
    reasons: list[str]
    run_id: str
    last_run_at: str
    last_success_at: str | None
    new: int
    copies: int  # of the stored articles, those found to copy one stored before
    listed: int
    fetched: int
    stored: int
    flag_rate: float | None
    trend: list[TrendNight]  # one per calendar night, oldest first, today last
    dag_id: str
    dag_url: str
    # the latest run's Airflow run (its DAG may be newsflow_manual) and its page in the UI; None
    # for a run the CLI started
    dag_run_id: str | None
    run_url: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_kinds(run: Run) -> tuple[list[str], list[str]]:
    """A run's kinds and reasons: the check's verdict, else what the crawl row says (a crawl
    that failed, a site that was down, never reaches `check`)."""
    if CHECK_STAGE in run.statuses:
        kinds = run.kinds or [kind_of(r) for r in run.reasons]
        return kinds, run.reasons
    status = run.statuses.get(CRAWL_STAGE)
    if status is None or status == "ok":
        return [], []  # a re-extract (no crawl), or a run still running or failed later
    report = CrawlReport.from_dict({"source": "?", **run.crawl, "status": status})
    return [CRAWL_KINDS.get(status, "crawl_failed")], [report.explain()]


def trend_night(night: Night) -> TrendNight:
    """One point of the trend: the night's new articles and pages summed over its runs, under
    the worst status of any of them (a re-run that went fine does not hide a blocked one)."""
    if not night.runs:
        return TrendNight(night.day.isoformat(), 0, None, None, None, NO_RUN)
    status = worst([k for run in night.runs for k in run_kinds(run)[0]])
    return TrendNight(
        day=night.day.isoformat(),
        runs=len(night.runs),
        new=int(night.load.get("new", 0)),
        flag_rate=flag_rate(night.quality),
        status=status,
        label=LABELS[status],
    )


def run_url(dag_id: str | None, dag_run_id: str | None) -> str | None:
    """The Airflow 3 UI's page of one DAG run (its route `dags/:dagId/runs/:runId`), relative to
    the UI's root; the run id quoted whole, since Airflow's hold ':' and '+'."""
    if not (dag_id and dag_run_id):
        return None
    return f"dags/{quote(dag_id, safe='')}/runs/{quote(dag_run_id, safe='')}"


def worst(kinds: list[str]) -> str:
    known = [k if k in SEVERITY else "anomaly" for k in kinds]
    return min(known, key=SEVERITY.index) if known else "ok"


def source_health(
    engine: Engine, nights: int = 14, dag_prefix: str = "newsflow_", today: date | None = None
) -> list[dict]:
    """Every source's board row, worst status first, then by name: the latest run's status,
    counts and link, and a trend of the `nights` calendar nights ending `today` (UTC)."""
    rows = []
    for source, history in source_nights(engine, nights, today).items():
        last = history.latest
        kinds, reasons = run_kinds(last)
        crawl = last.crawl
        dag_id = f"{dag_prefix}{source}"
        status = worst(kinds)
        rows.append(
            SourceHealth(
                source=source,
                status=status,
                label=LABELS[status],
                kinds=kinds,
                reasons=reasons,
                run_id=last.run_id,
                last_run_at=last.started_at.isoformat(),
                last_success_at=(
                    history.last_success.isoformat() if history.last_success else None
                ),
                new=int(last.load.get("new", 0)),
                copies=int(last.load.get("duplicates", 0)),
                listed=int(crawl.get("discovered") or 0),
                fetched=int(crawl.get("fetched") or 0),
                stored=int(last.load.get("articles", 0)),
                flag_rate=flag_rate(last.quality),
                trend=[trend_night(night) for night in history.nights],
                dag_id=dag_id,
                dag_url=f"dags/{dag_id}",
                dag_run_id=last.dag_run_id,
                run_url=run_url(last.dag_id, last.dag_run_id),
            )
        )
    rows.sort(key=lambda r: (SEVERITY.index(r.status), r.source))
    return [r.to_dict() for r in rows]
