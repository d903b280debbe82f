"""Reaching people: the run note, the failure callback and its webhook.

The note is written through the REST API (tasks have no database access in Airflow 3) as a
dedicated user that may edit DAG runs and nothing more.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
import urllib.request
from typing import Any

from newsflow.pipeline import CrawlReport
from newsflow.settings import AirflowSettings, load_settings

log = logging.getLogger(__name__)


def crawl_line(crawl: dict, new: int | None = None) -> str:
    """`demo: 24 fetched, 24 new, 0 blocked, 30 listed, 6 already stored`, ending in
    `-- BLOCKED (blocked: the site refused ...)` (the status and what happened) when not ok."""
    report = CrawlReport.from_dict(crawl)
    parts = [f"{report.fetched} fetched"]
    if new is not None:
        parts.append(f"{new} new")
    parts.append(f"{report.blocked} blocked")
    parts += report.listed_parts()
    if report.not_modified:
        parts.append(f"{report.not_modified} not modified")
    if report.robots_forbidden:
        parts.append(f"{report.robots_forbidden} disallowed by robots.txt")
    line = f"{report.source}: " + ", ".join(parts) + report.status_suffix()
    return line if report.status == "ok" else f"{line} ({report.explain()})"


def run_note(summary: dict, anomalies: dict[str, list[str]], action: str) -> str:
    """The DAG run note, in Markdown that renders line by line: the most important fact first
    (the run header shows only that line), then a list: one item per source, the extract and load
    totals, the anomalies."""
    load = summary.get("load") or {}
    sources = []
    for crawl in summary.get("crawl") or []:
        new = None
        if load:
            counts = (load.get("by_source") or {}).get(crawl.get("source"), {})
            new = counts.get("new", 0)
        sources.append(crawl_line(crawl, new))
    items = list(sources)
    if summary.get("reextract"):
        items.append(f"re-extracted from the archive: {', '.join(summary.get('sources') or [])}")
        if summary.get("damaged_archives"):
            items.append(f"{len(summary['damaged_archives'])} damaged archives skipped")
    ext = summary.get("extract") or {}
    items.append(
        f"extracted {ext.get('articles', 0)} articles from {ext.get('pages', 0)} pages "
        f"({ext.get('failed', 0)} failed)"
    )
    if summary.get("dry_run"):
        items.append("dry run: nothing stored")
    elif load:
        items.append(
            f"stored {load.get('stored', 0)}: {load.get('inserted', 0)} new, "
            f"{load.get('updated', 0)} updated, {load.get('unchanged', 0)} unchanged"
        )
    if summary.get("since") or summary.get("until"):
        items.append(
            f"window {summary.get('since') or '-'} .. {summary.get('until') or '-'} "
            f"(from {summary.get('window_from')})"
        )
    items += [f"{source}: {r}" for source, reasons in sorted(anomalies.items()) for r in reasons]
    if anomalies:
        verdict = "ANOMALY, run failed" if action == "fail" else "anomaly marked, run kept green"
        first = next(iter(sorted(anomalies.items())))
        headline = f"{verdict}: {', '.join(sorted(anomalies))} ({first[1][0]})"
    elif len(sources) == 1:
        headline = items.pop(0)
    else:
        new = sum(int(c.get("new", 0)) for c in (load.get("by_source") or {}).values())
        headline = f"{len(sources)} sources: {new} new articles"
    return (headline + "\n\n" + "\n".join(f"- {item}" for item in items))[:1000]


def _api_token(conn: Any) -> tuple[str, str]:
    scheme = conn.schema or "http"
    base = f"{scheme}://{conn.host}:{conn.port or 8080}"
    body = json.dumps({"username": conn.login, "password": conn.password}).encode()
    request = urllib.request.Request(
        f"{base}/auth/token", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return base, json.load(response)["access_token"]


def set_run_note(context: Any, note: str, cfg: AirflowSettings) -> bool:
    """Write the DAG run note through the REST API.

    Needs the Airflow connection `cfg.api_conn_id` (host, port, login, password of an API user);
    without it the note is only logged.
    """
    try:
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(cfg.api_conn_id)
    except Exception:  # noqa: BLE001 - any lookup failure means "not configured"
        log.info("no %s connection: run note not set (it is in the log above)", cfg.api_conn_id)
        return False
    dag_run = context["dag_run"]
    try:
        base, token = _api_token(conn)
        request = urllib.request.Request(
            f"{base}/api/v2/dags/{dag_run.dag_id}/dagRuns/"
            f"{urllib.parse.quote(dag_run.run_id, safe='')}?update_mask=note",
            data=json.dumps({"note": note[:1000]}).encode(),
            method="PATCH",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        urllib.request.urlopen(request, timeout=10).close()
    except Exception as exc:  # noqa: BLE001 - a note is never worth failing the run
        log.warning("could not set the run note via %s: %s", cfg.api_conn_id, exc)
        return False
    return True


def post_webhook(url: str, payload: dict, timeout: float) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    urllib.request.urlopen(request, timeout=timeout).close()


def failure_note(payload: dict) -> str:
    """`FAILED at crawl (demo, town): reason`; a reason that already starts with its one
    source's name ("demo: site unreachable ...") is not given the name twice."""
    head = f"FAILED at {payload['task_id']}" if payload["task_id"] else "FAILED"
    sources, reason = payload["sources"], payload["reason"]
    if len(sources) == 1 and reason.startswith(f"{sources[0]}: "):
        return f"{head}: {reason}"
    return f"{head} ({', '.join(sources)}): {reason}"


def on_task_failure(context: Any) -> None:
    """Failure callback of every task and of the DAGs themselves: log (and post to the configured
    webhook) the source, task and reason.

    A DAG-level call (its context has `reason`) for a failed task is skipped, that task's own call
    has reported it; other DAG-level failures (dagrun_timeout) are reported here, or never.
    """
    dag = context.get("dag")
    run_level = "reason" in context
    if run_level and context.get("reason") == "task_failure":
        log.info("run failed at a task: reported by that task's failure callback")
        return
    ti = None if run_level else context.get("task_instance") or context.get("ti")
    params = context.get("params") or {}
    tags = getattr(dag, "tags", None) or []
    sources = [t.removeprefix("source:") for t in tags if str(t).startswith("source:")]
    reason = context.get("exception") or context.get("reason") or "unknown"
    if run_level:
        reason = f"run {reason} (dagrun_timeout {getattr(dag, 'dagrun_timeout', None)})"
    payload = {
        "event": "newsflow run failed" if run_level else "newsflow task failed",
        "dag_id": getattr(dag, "dag_id", None),
        "run_id": context.get("run_id"),
        "task_id": getattr(ti, "task_id", None),
        "try_number": getattr(ti, "try_number", None),
        "sources": sources or list(params.get("sources") or []) or ["(all enabled)"],
        "reason": str(reason)[:2000],
    }
    log.error(
        "newsflow failure: source(s) %s, task %s, run %s: %s",
        ", ".join(payload["sources"]),
        payload["task_id"],
        payload["run_id"],
        payload["reason"],
    )
    try:
        cfg = load_settings(connections=False).airflow
        if cfg.webhook_url:
            post_webhook(cfg.webhook_url, payload, cfg.webhook_timeout_seconds)
    except Exception as exc:  # noqa: BLE001 - the callback must never raise
        log.warning("failure webhook not sent: %s", exc)
    # `check` writes its own note (the anomalies); other tasks' failures get a short one
    if payload["task_id"] != "check" and context.get("dag_run") is not None:
        try:
            set_run_note(context, failure_note(payload), load_settings(connections=False).airflow)
        except Exception as exc:  # noqa: BLE001
            log.warning("failure note not set: %s", exc)
