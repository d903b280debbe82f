"""One nightly DAG per enabled source of the registry, plus `newsflow_manual` for several at once.

Per-source DAGs because each site has its own night (cron in the source's time zone), its own
failures and its own history: the UI's DAG list then reads as a list of sites, a red square names
the site that broke, and backfilling or pausing one site leaves the others alone.

Thin on purpose: every task calls `newsflow.airflow.tasks` (imported inside the task), which calls
the same `newsflow.pipeline` functions as the CLI. Parsing this file reads only the registry.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable, get_current_context, task

from newsflow.airflow.notes import on_task_failure
from newsflow.airflow.params import build_params
from newsflow.airflow.schedule import articles_asset, worst_case_run_time
from newsflow.settings import load_settings
from newsflow.sources import Source, load_registry

SETTINGS = load_settings(connections=False)  # parsing opens no database
REGISTRY = load_registry(SETTINGS.sources_file)
ENABLED = [s.name for s in REGISTRY if s.enabled]

DEFAULT_ARGS = {
    "owner": "newsflow",
    "retries": 2,
    "retry_delay": timedelta(seconds=SETTINGS.airflow.retry_delay_seconds),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(seconds=SETTINGS.airflow.max_retry_delay_seconds),
    "on_failure_callback": on_task_failure,
}
TASK_TIMEOUTS = {
    "crawl": timedelta(hours=3),
    "extract": timedelta(hours=2),
    "load": timedelta(minutes=45),
    "check": timedelta(minutes=5),
}
# every task may use all its tries (with the longest backoff) before the run is timed out
DAGRUN_TIMEOUT = worst_case_run_time(
    list(TASK_TIMEOUTS.values()), DEFAULT_ARGS["retries"], DEFAULT_ARGS["max_retry_delay"]
)

RUN_DOC = """
**Tasks:** `crawl` (child process per source, in the `{pool}` pool) -> `extract` -> `load`
(updates the `articles` asset, which triggers `newsflow_report`) -> `check` (anomalies: blocked,
crawl failed, far fewer articles than recent runs, quality flags jump; writes the run note).

**Manual trigger form:** since/until (YYYY-MM-DD) set the crawl window, otherwise scheduled and
backfill runs crawl their data interval; max pages caps fetched articles; *reextract* re-runs
extract and load from every archived WARC file without fetching (not with since/until); *dry run*
stores nothing, not even crawl state, so the next run fetches everything again.
"""


def run_timeout(source: Source | None) -> timedelta:
    """The source's own limit (`run_timeout_minutes` in the registry), else the worst case."""
    if source is not None and source.run_timeout_minutes:
        return timedelta(minutes=source.run_timeout_minutes)
    return DAGRUN_TIMEOUT


def build_dag(source: Source | None) -> DAG:
    """The crawl -> extract -> load -> check DAG for one source (or, with None, the manual one)."""
    cfg = SETTINGS.airflow
    fixed = source.name if source else None
    if source:
        dag_id = f"newsflow_{source.name}"
        schedule = CronDataIntervalTimetable(source.schedule, timezone=source.timezone)
        doc = (
            f"# {source.title or source.name}\n\n{source.url}: nightly `{source.schedule}` "
            f"({source.timezone}), catchup off.\n" + RUN_DOC.format(pool=cfg.crawl_pool)
        )
        tags = ["newsflow", f"source:{source.name}"]
    else:
        dag_id, schedule = "newsflow_manual", None
        doc = (
            "# Manual run over several sources\n\nNo schedule: trigger it with the form to "
            "backfill or re-crawl any enabled sources in one run.\n"
            + RUN_DOC.format(pool=cfg.crawl_pool)
        )
        tags = ["newsflow", "manual"]

    with DAG(
        dag_id=dag_id,
        schedule=schedule,
        start_date=pendulum.datetime(2026, 1, 1, tz=source.timezone if source else "UTC"),
        catchup=False,
        max_active_runs=1,
        dagrun_timeout=run_timeout(source),
        on_failure_callback=on_task_failure,
        default_args=DEFAULT_ARGS,
        tags=tags,
        doc_md=doc,
        params=build_params(None if source else ENABLED),
    ) as dag:

        @task(pool=cfg.crawl_pool, execution_timeout=TASK_TIMEOUTS["crawl"])
        def crawl() -> dict:
            from newsflow.airflow.params import plan_from_context
            from newsflow.airflow.tasks import crawl_step

            return crawl_step(plan_from_context(get_current_context(), fixed))

        @task(execution_timeout=TASK_TIMEOUTS["extract"])
        def extract(crawled: dict) -> dict:
            from newsflow.airflow.tasks import extract_step

            return extract_step(crawled)

        @task(execution_timeout=TASK_TIMEOUTS["load"], outlets=[articles_asset()])
        def load(extracted: dict) -> dict:
            from newsflow.airflow.tasks import load_step

            return load_step(extracted, get_current_context())

        @task(execution_timeout=TASK_TIMEOUTS["check"])
        def check(summary: dict) -> dict:
            from newsflow.airflow.tasks import check_step

            return check_step(summary, get_current_context())

        check(load(extract(crawl())))
    return dag


for _source in REGISTRY:
    if _source.enabled:
        globals()[f"newsflow_{_source.name}"] = build_dag(_source)
newsflow_manual = build_dag(None)
