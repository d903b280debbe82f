"""The health board's query over the `runs` table: each source's last nights, stage by stage.

One query for every source (a window function picks each source's latest runs, with the Airflow
DAG run behind each where Airflow started it), plus one for the last successful crawl, so the
board stays fast with a hundred sources and a year of runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, func, select

from storage.runs import CHECK_STAGE, CRAWL_STAGE, EXTRACT_STAGE, LOAD_STAGE
from storage.schema import airflow_runs, runs, utc


@dataclass
class Night:
    """One run of one source: each stage's status and the counts the board needs."""

    run_id: str
    started_at: datetime
    # the Airflow DAG run that made it (None: a CLI run, or one recorded before migration 0009)
    dag_id: str | None = None
    dag_run_id: str | None = None
    statuses: dict[str, str] = field(default_factory=dict)
    crawl: dict[str, Any] = field(default_factory=dict)
    quality: dict[str, Any] = field(default_factory=dict)
    load: dict[str, Any] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)


@dataclass
class SourceNights:
    source: str
    nights: list[Night]  # newest first
    last_success: datetime | None


def source_nights(engine: Engine, nights: int = 14) -> dict[str, SourceNights]:
    """Every source's `nights` latest runs (newest first) and when its crawl last went ok."""
    per_run = (
        select(
            runs.c.source,
            runs.c.run_id,
            func.row_number()
            .over(
                partition_by=runs.c.source,
                order_by=(func.max(runs.c.started_at).desc(), runs.c.run_id.desc()),
            )
            .label("rank"),
        )
        .group_by(runs.c.source, runs.c.run_id)
        .subquery()
    )
    statement = (
        select(runs.c.source, runs.c.run_id, runs.c.stage, runs.c.status, runs.c.stats)
        .add_columns(runs.c.started_at, per_run.c.rank)
        .add_columns(airflow_runs.c.dag_id, airflow_runs.c.dag_run_id)
        .join(per_run, and_(per_run.c.source == runs.c.source, per_run.c.run_id == runs.c.run_id))
        .outerjoin(airflow_runs, airflow_runs.c.run_id == runs.c.run_id)
        .where(per_run.c.rank <= nights)
        .order_by(runs.c.source, per_run.c.rank, runs.c.started_at)
    )
    last_ok = (
        select(runs.c.source, func.max(runs.c.finished_at))
        .where(runs.c.stage == CRAWL_STAGE, runs.c.status == "ok")
        .group_by(runs.c.source)
    )
    found: dict[str, dict[str, Night]] = {}
    with engine.connect() as conn:
        for row in conn.execute(statement):
            night = found.setdefault(row.source, {}).get(row.run_id)
            if night is None:
                night = Night(row.run_id, utc(row.started_at), row.dag_id, row.dag_run_id)
                found[row.source][row.run_id] = night
            _add_stage(night, row.stage, row.status, row.stats or {})
        successes = {source: utc(when) for source, when in conn.execute(last_ok)}
    return {
        source: SourceNights(source, list(by_run.values()), successes.get(source))
        for source, by_run in found.items()
    }


def _add_stage(night: Night, stage: str, status: str, stats: dict[str, Any]) -> None:
    night.statuses[stage] = status
    if stage == CRAWL_STAGE:
        night.crawl = dict(stats)
    elif stage == EXTRACT_STAGE:
        night.quality = dict(stats)
    elif stage == LOAD_STAGE:
        night.load = dict(stats)
    elif stage == CHECK_STAGE:
        night.reasons = list(stats.get("reasons") or [])
        night.kinds = list(stats.get("kinds") or [])
