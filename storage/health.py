"""The health board's query over the `runs` table: each source's last nights, stage by stage.

One query for every source (a window function picks each source's latest run; with it, every run
of the nights shown, and the Airflow DAG run behind each where Airflow started it), plus one for
the last successful crawl, so the board stays fast with a hundred sources and a year of runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select

from storage.runs import CHECK_STAGE, CRAWL_STAGE, EXTRACT_STAGE, LOAD_STAGE
from storage.schema import airflow_runs, runs, utc


@dataclass
class Run:
    """One run of one source: each stage's status and the counts the board needs."""

    run_id: str
    started_at: datetime  # its first stage's start
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
class Night:
    """One calendar night of one source: the runs that started on that UTC date, newest first
    (none: it did not run). A re-run or a retried run is part of its night, not a night of its
    own, so a trend of nights neither doubles a night nor hides one without a run."""

    day: date
    runs: list[Run] = field(default_factory=list)

    @property
    def load(self) -> dict[str, int]:
        """The night's load counts (new, duplicates, articles, ...), summed over its runs."""
        return _summed(r.load for r in self.runs)

    @property
    def quality(self) -> dict[str, int]:
        """The night's extract counts (pages, failed, flagged), summed over its runs."""
        return _summed(r.quality for r in self.runs)


@dataclass
class SourceNights:
    source: str
    latest: Run  # the source's latest run, inside the nights shown or before them
    nights: list[Night]  # oldest first, today last
    last_success: datetime | None


def group_nights(source_runs: list[Run], today: date, count: int) -> list[Night]:
    """The `count` calendar nights ending `today`, oldest first, each with the runs that started
    on it. A night is the UTC date of a run's start: each source's cron runs once a day in its own
    time zone, and the UTC date is the same for every reader of the board. Runs outside those
    nights are left out."""
    nights = [Night(today - timedelta(days=back)) for back in range(count - 1, -1, -1)]
    by_day = {night.day: night for night in nights}
    for run in sorted(source_runs, key=lambda r: (r.started_at, r.run_id), reverse=True):
        night = by_day.get(run.started_at.astimezone(UTC).date())
        if night is not None:
            night.runs.append(run)
    return nights


def source_nights(
    engine: Engine, nights: int = 14, today: date | None = None
) -> dict[str, SourceNights]:
    """Every source's latest run, its `nights` calendar nights ending `today` (UTC; default the
    current date) and when its crawl last went ok."""
    today = today or datetime.now(UTC).date()
    since = datetime.combine(today - timedelta(days=nights - 1), time(), tzinfo=UTC)
    per_run = (
        select(
            runs.c.source,
            runs.c.run_id,
            func.min(runs.c.started_at).label("started"),
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
        .add_columns(per_run.c.started, per_run.c.rank)
        .add_columns(airflow_runs.c.dag_id, airflow_runs.c.dag_run_id)
        .join(per_run, and_(per_run.c.source == runs.c.source, per_run.c.run_id == runs.c.run_id))
        .outerjoin(airflow_runs, airflow_runs.c.run_id == runs.c.run_id)
        .where(or_(per_run.c.rank == 1, per_run.c.started >= since))
        .order_by(runs.c.source, per_run.c.rank, runs.c.started_at)
    )
    last_ok = (
        select(runs.c.source, func.max(runs.c.finished_at))
        .where(runs.c.stage == CRAWL_STAGE, runs.c.status == "ok")
        .group_by(runs.c.source)
    )
    found: dict[str, dict[str, Run]] = {}
    with engine.connect() as conn:
        for row in conn.execute(statement):
            run = found.setdefault(row.source, {}).get(row.run_id)
            if run is None:
                run = Run(row.run_id, utc(row.started), row.dag_id, row.dag_run_id)
                found[row.source][row.run_id] = run
            _add_stage(run, row.stage, row.status, row.stats or {})
        successes = {source: utc(when) for source, when in conn.execute(last_ok)}
    return {
        source: SourceNights(
            source,
            next(iter(by_run.values())),  # rank 1 comes first
            group_nights(list(by_run.values()), today, nights),
            successes.get(source),
        )
        for source, by_run in found.items()
    }


def _summed(stats: Any) -> dict[str, int]:
    """Each count (an int, not a nested dict or a flag) added up over several runs' stats."""
    total: dict[str, int] = {}
    for one in stats:
        for key, value in one.items():
            if isinstance(value, int) and not isinstance(value, bool):
                total[key] = total.get(key, 0) + value
    return total


def _add_stage(run: Run, stage: str, status: str, stats: dict[str, Any]) -> None:
    run.statuses[stage] = status
    if stage == CRAWL_STAGE:
        run.crawl = dict(stats)
    elif stage == EXTRACT_STAGE:
        run.quality = dict(stats)
    elif stage == LOAD_STAGE:
        run.load = dict(stats)
    elif stage == CHECK_STAGE:
        run.reasons = list(stats.get("reasons") or [])
        run.kinds = list(stats.get("kinds") or [])
