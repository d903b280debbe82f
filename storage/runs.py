"""The `runs` table: one row per run, source and stage, the pipeline's only history.

Crawl, extract and check rows are written whole when their stage ends (a retried stage replaces
its row); the load row is bumped batch by batch inside each batch's own transaction, so its counts
come out the same after a killed load is run again. `newsflow stats`, the Airflow anomaly checks
and the reports all read from here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, select, update

from storage.database import write_transaction
from storage.schema import airflow_runs, runs, upsert

# The stages a run records, one row per source each (`check` is the Airflow anomaly check).
CRAWL_STAGE = "crawl"
EXTRACT_STAGE = "extract"
LOAD_STAGE = "load"
CHECK_STAGE = "check"
# Counted per source in `runs.stats` for the load stage; bumped once per article event.
RUN_COUNTERS = ("new", "updated", "duplicates", "entities")
STAT_FIELDS = ("articles", "new", "updated", "duplicates", "failed")


@dataclass
class RunStats:
    run_id: str
    source: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    articles: int
    new: int
    updated: int
    duplicates: int
    failed: int
    # Set when the source's run loaded nothing (nothing new, site down, not loaded yet): the
    # crawl row's stats, which say why.
    crawl: dict[str, Any] | None = None


def record_run(
    engine: Engine,
    *,
    run_id: str,
    source: str,
    stage: str,
    started_at: datetime,
    status: str,
    stats: dict[str, Any],
) -> None:
    """Store a stage's per-source report (replacing an earlier attempt's)."""
    values = {
        "run_id": run_id,
        "source": source,
        "stage": stage,
        "started_at": started_at,
        "finished_at": datetime.now(UTC),
        "status": status,
        "stats": stats,
    }
    statement = upsert(engine, runs).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=[runs.c.run_id, runs.c.source, runs.c.stage],
        set_={k: statement.excluded[k] for k in ("started_at", "finished_at", "status", "stats")},
    )
    with write_transaction(engine) as conn:
        conn.execute(statement)


def record_airflow_run(engine: Engine, run_id: str, dag_id: str, dag_run_id: str) -> None:
    """Remember which Airflow DAG run a pipeline run id belongs to (a retried task keeps it)."""
    statement = upsert(engine, airflow_runs).values(
        run_id=run_id, dag_id=dag_id, dag_run_id=dag_run_id
    )
    statement = statement.on_conflict_do_update(
        index_elements=[airflow_runs.c.run_id],
        set_={"dag_id": statement.excluded.dag_id, "dag_run_id": statement.excluded.dag_run_id},
    )
    with write_transaction(engine) as conn:
        conn.execute(statement)


def bump_load_counts(conn: Connection, run_id: str, per_source: dict[str, Counter]) -> None:
    """Add a batch's counts to the run's per-source load row, in the batch's own transaction."""
    now = datetime.now(UTC)
    conn.execute(
        upsert(conn, runs).on_conflict_do_nothing(index_elements=["run_id", "source", "stage"]),
        [
            {
                "run_id": run_id,
                "source": name,
                "stage": LOAD_STAGE,
                "started_at": now,
                "status": "running",
                "stats": {},
            }
            for name in per_source
        ],
    )
    for row in _locked_load_rows(conn, run_id, list(per_source)):
        stats = dict(row.stats or {})
        for name in RUN_COUNTERS:
            stats[name] = stats.get(name, 0) + per_source[row.source][name]
        conn.execute(update(runs).where(runs.c.id == row.id).values(stats=stats))


def finish_load(engine: Engine, run_id: str, seen: dict[str, Counter]) -> None:
    """Close the run's load rows: articles and failed records seen per source, status ok."""
    now = datetime.now(UTC)
    with write_transaction(engine) as conn:
        bump_load_counts(conn, run_id, {name: Counter() for name in seen})
        for row in _locked_load_rows(conn, run_id, list(seen)):
            stats = {
                **(row.stats or {}),
                "articles": seen[row.source]["articles"],
                "failed": seen[row.source]["failed"],
            }
            conn.execute(
                update(runs)
                .where(runs.c.id == row.id)
                .values(stats=stats, status="ok", finished_at=now)
            )


def _locked_load_rows(conn: Connection, run_id: str, sources: list[str]) -> list:
    return conn.execute(
        select(runs.c.id, runs.c.source, runs.c.stats)
        .where(runs.c.run_id == run_id, runs.c.stage == LOAD_STAGE, runs.c.source.in_(sources))
        .with_for_update()
    ).all()


@dataclass
class StageRecord:
    status: str
    stats: dict[str, Any]


def latest_runs(
    engine: Engine, source: str, count: int, *, exclude_run_id: str | None = None
) -> list[dict[str, StageRecord]]:
    """The source's `count` latest runs (by when they started), oldest first: stage -> record."""
    recent = (
        select(runs.c.run_id)
        .where(runs.c.source == source)
        .where(runs.c.run_id != (exclude_run_id or ""))
        .group_by(runs.c.run_id)
        .order_by(func.max(runs.c.started_at).desc(), runs.c.run_id.desc())
        .limit(count)
        .subquery()
    )
    statement = (
        select(runs.c.run_id, runs.c.stage, runs.c.status, runs.c.stats, runs.c.started_at)
        .where(runs.c.source == source, runs.c.run_id.in_(select(recent.c.run_id)))
        .order_by(runs.c.started_at, runs.c.id)
    )
    found: dict[str, dict[str, StageRecord]] = {}
    with engine.connect() as conn:
        for row in conn.execute(statement):
            found.setdefault(row.run_id, {})[row.stage] = StageRecord(row.status, row.stats or {})
    return list(found.values())


def load_stats(engine: Engine, last: int = 5) -> list[RunStats]:
    """Per-source load counts of the ``last`` most recent runs, newest run first; a source the
    run crawled but loaded nothing for (nothing new, site down) comes with its crawl row."""
    stages = (CRAWL_STAGE, LOAD_STAGE)
    recent = (
        select(runs.c.run_id, func.max(runs.c.started_at).label("started"))
        .where(runs.c.stage.in_(stages))
        .group_by(runs.c.run_id)
        .order_by(func.max(runs.c.started_at).desc(), runs.c.run_id.desc())
        .limit(last)
        .subquery()
    )
    statement = (
        select(runs, recent.c.started)
        .join(recent, and_(recent.c.run_id == runs.c.run_id))
        .where(runs.c.stage.in_(stages))
        .order_by(recent.c.started.desc(), runs.c.run_id.desc(), runs.c.source)
    )
    with engine.connect() as conn:
        rows = conn.execute(statement).all()
    loaded = {(r.run_id, r.source) for r in rows if r.stage == LOAD_STAGE}
    return [
        _run_stats(r) for r in rows if r.stage == LOAD_STAGE or (r.run_id, r.source) not in loaded
    ]


def _run_stats(row: Any) -> RunStats:
    stats = dict(row.stats or {})
    is_load = row.stage == LOAD_STAGE
    return RunStats(
        run_id=row.run_id,
        source=row.source,
        status=row.status,
        started_at=row.started_at,
        finished_at=row.finished_at,
        **{k: int(stats.get(k, 0)) if is_load else 0 for k in STAT_FIELDS},
        crawl=None if is_load else stats,
    )
