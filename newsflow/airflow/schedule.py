"""What the DAG files need while they are parsed: the `articles` asset and the run time limit.

Light on purpose: the DAG processor imports this every time it re-parses the dags folder.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

# The asset the load task updates and the report DAG is scheduled on.
ARTICLES_ASSET = {"name": "articles", "uri": "x-newsflow://articles"}


def articles_asset() -> Any:
    from airflow.sdk import Asset

    return Asset(**ARTICLES_ASSET)


def worst_case_run_time(
    timeouts: list[timedelta], retries: int, max_retry_delay: timedelta
) -> timedelta:
    """How long a run may take when every task uses all its tries: the least dagrun_timeout that
    never cuts a run its tasks' retries could still save."""
    return sum(((retries + 1) * t + retries * max_retry_delay for t in timeouts), timedelta())
