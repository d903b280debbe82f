"""Health board: the "News sources" rows for S sources x N nights of runs (default 100 x 365, a
year; `NEWSFLOW_BENCH_HEALTH=SxN` for another size), in SQLite.

Baseline in the same run: one `storage.runs.latest_runs` query per source (how the anomaly checks
read one source's history), 14 nights each. The board is `newsflow.airflow.health.source_health`
(one windowed query for every source, joined to `airflow_runs` for the exact-run link, one for
the last successes), its 14 calendar nights ending on the last night of runs; every night is an
Airflow run with its `airflow_runs` row. Each charged its fastest of three turns.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from newsflow.airflow.health import source_health
from storage import open_database
from storage.runs import latest_runs
from storage.schema import airflow_runs, runs

NIGHTS = 14
START = datetime(2026, 1, 1, 2, tzinfo=UTC)


def _rows(sources: int, nights: int) -> list[dict]:
    rows = []
    stages = {
        "crawl": {"discovered": 12, "fetched": 5, "skipped_seen": 7},
        "extract": {"pages": 5, "failed": 0, "flagged": 1},
        "load": {"new": 5, "articles": 5},
        "check": {"reasons": [], "kinds": []},
    }
    for s in range(sources):
        for n in range(nights):
            at = START + timedelta(days=n)
            for stage, stats in stages.items():
                rows.append(
                    {
                        "run_id": f"newsflow_s{s:03d}__{n:04d}",
                        "source": f"s{s:03d}",
                        "stage": stage,
                        "status": "ok",
                        "stats": stats,
                        "started_at": at,
                        "finished_at": at,
                    }
                )
    return rows


def _airflow_rows(sources: int, nights: int) -> list[dict]:
    return [
        {
            "run_id": f"newsflow_s{s:03d}__{n:04d}",
            "dag_id": f"newsflow_s{s:03d}",
            "dag_run_id": f"scheduled__{(START + timedelta(days=n)).isoformat()}",
        }
        for s in range(sources)
        for n in range(nights)
    ]


def _fastest(action) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    sources, _, nights = os.environ.get("NEWSFLOW_BENCH_HEALTH", "100x365").partition("x")
    sources, nights = int(sources), int(nights)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'health.db'}"
        with open_database(url) as engine:
            rows = _rows(sources, nights)
            with engine.begin() as conn:
                conn.execute(insert(runs), rows)
                conn.execute(insert(airflow_runs), _airflow_rows(sources, nights))
            names = [f"s{s:03d}" for s in range(sources)]
            baseline = _fastest(lambda: [latest_runs(engine, n, NIGHTS) for n in names])
            last_night = (START + timedelta(days=nights - 1)).date()
            board = _fastest(lambda: source_health(engine, NIGHTS, today=last_night))
    print(f"{sources} sources x {nights} nights ({len(rows)} runs rows), {NIGHTS} nights shown")
    print(f"  baseline, latest_runs per source: {baseline:.3f} s")
    print(f"  board, source_health:             {board:.3f} s  ({baseline / board:.1f}x)")
