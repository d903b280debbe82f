"""Nightly crawl -> extract -> load over the enabled sources of the registry.

Thin on purpose: every task calls a plain function of `newsflow.pipeline`, the same ones the
`newsflow` CLI and the tests call. Heavy imports (Scrapy, trafilatura, spaCy) happen inside the
tasks so that parsing this file stays fast.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

DEFAULT_ARGS = {
    "owner": "newsflow",
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,
}


@dag(
    dag_id="newsflow_nightly",
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Baghdad"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["newsflow"],
    doc_md=__doc__,
    params={
        "sources": Param([], type="array", description="source names; empty = all enabled"),
        "since": Param(None, type=["null", "string"], description="ISO date; empty = no limit"),
        "max_pages": Param(None, type=["null", "integer"], minimum=1),
    },
)
def newsflow_nightly():
    @task(execution_timeout=timedelta(hours=2))
    def crawl() -> dict:
        from newsflow.airflow_steps import crawl_step

        return crawl_step(get_current_context())

    @task(execution_timeout=timedelta(hours=1))
    def extract(crawled: dict) -> dict:
        from newsflow.airflow_steps import extract_step

        return extract_step(crawled)

    @task(execution_timeout=timedelta(minutes=30))
    def load(extracted: dict) -> dict:
        from newsflow.airflow_steps import load_step

        return load_step(extracted)

    load(extract(crawl()))


newsflow_nightly()
