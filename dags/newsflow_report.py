"""The day's per-source summary, rebuilt whenever a load updates the `articles` asset.

Asset-scheduled rather than timed, so the report follows the data: every source's load (nightly,
manual or backfill) refreshes `data/reports/<day>.json`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, get_current_context, task

from newsflow.airflow.notes import on_task_failure
from newsflow.airflow.schedule import articles_asset


@dag(
    dag_id="newsflow_report",
    schedule=[articles_asset()],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    on_failure_callback=on_task_failure,
    default_args={
        "owner": "newsflow",
        "retries": 2,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": 2.0,
        "on_failure_callback": on_task_failure,
    },
    tags=["newsflow", "report"],
    doc_md=__doc__,
)
def newsflow_report():
    @task(execution_timeout=timedelta(minutes=10))
    def report() -> dict:
        from newsflow.airflow.report import report_step

        return report_step(get_current_context())

    report()


newsflow_report()
