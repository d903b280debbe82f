"""`newsflow_backfill_ccnews`: sources' history from Common Crawl News, without touching the sites.

plan -> scan (one mapped task per WARC file, `.expand`, bounded by the `newsflow_ccnews` pool;
on CeleryExecutor they spread over the workers) -> load. Thin: every task calls
`newsflow.airflow.backfill`, which calls the same `newsflow.pipeline` functions as
`newsflow backfill --ccnews`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, get_current_context, task

from newsflow.airflow.backfill import backfill_params
from newsflow.airflow.notes import on_task_failure
from newsflow.settings import load_settings
from newsflow.sources import load_registry

SETTINGS = load_settings(connections=False)  # parsing opens no database
SOURCES = [s.name for s in load_registry(SETTINGS.sources_file)]

with DAG(
    dag_id="newsflow_backfill_ccnews",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    on_failure_callback=on_task_failure,
    default_args={
        "owner": "newsflow",
        "retries": 2,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": 2.0,
        "on_failure_callback": on_task_failure,
    },
    tags=["newsflow", "backfill", "ccnews"],
    doc_md=__doc__,
    params=backfill_params(SOURCES),
) as newsflow_backfill_ccnews:

    @task(execution_timeout=timedelta(minutes=10))
    def plan() -> list[dict]:
        from newsflow.airflow.backfill import plan_step

        context = get_current_context()
        return plan_step(dict(context["params"]), context["run_id"])

    @task(pool=SETTINGS.airflow.ccnews_pool, execution_timeout=timedelta(hours=3))
    def scan(item: dict) -> dict:
        from newsflow.airflow.backfill import scan_step

        return scan_step(item)

    @task(execution_timeout=timedelta(hours=2))
    def load(scans: list[dict]) -> dict:
        from newsflow.airflow.backfill import load_step

        return load_step(list(scans))

    load(scan.expand(item=plan()))
