"""The DAG tasks' side of the pipeline: Airflow context in, JSON-ready dicts (XCom) out.

Kept apart from `newsflow.pipeline` so the steps themselves know nothing of Airflow, and free of
top-level Airflow imports so the anomaly checks, window and summary logic are plain functions
tests call directly. Airflow is imported lazily where a task needs it (exceptions, connections).
"""

from __future__ import annotations

import json
import logging
import statistics
import urllib.parse
import urllib.request
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from newsflow import pipeline
from newsflow.settings import AirflowSettings, Settings, load_settings
from newsflow.sources import RegistryError, Source, load_registry, select_sources

log = logging.getLogger(__name__)

# Run types whose data interval is the crawl window; manual runs use the form's since/until.
WINDOW_RUN_TYPES = {"scheduled", "backfill"}
# The API user the run-note connection logs in as: role `user` (may edit DAG runs), never admin.
API_USER = "newsflow_api"
# The asset the load task updates and the report DAG is scheduled on.
ARTICLES_ASSET = {"name": "articles", "uri": "x-newsflow://articles"}


def articles_asset() -> Any:
    from airflow.sdk import Asset

    return Asset(**ARTICLES_ASSET)


class ParamsError(ValueError):
    """A manual trigger's params are inconsistent (the form's schema cannot express it)."""


# --- params and crawl window ---------------------------------------------------------------------


def _parse_when(name: str, value: Any, zone: tzinfo = UTC) -> datetime | None:
    """An ISO date or time from the form; one without an offset is in `zone`."""
    if value in (None, ""):
        return None
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise ParamsError(f"{name}: {value!r} is not an ISO date (YYYY-MM-DD)") from exc
    return when if when.tzinfo else when.replace(tzinfo=zone)


def resolve_plan(
    params: dict,
    *,
    registry: list[Source],
    fixed_source: str | None = None,
    run_type: str | None = None,
    interval: tuple[datetime | None, datetime | None] = (None, None),
    lookback: timedelta = timedelta(0),
) -> dict:
    """Turn a run's params and data interval into what to do, rejecting bad combinations.

    The crawl window is the form's since/until when given; otherwise, for scheduled and backfill
    runs, the run's data interval opened `lookback` earlier (so a backfill re-crawls its days);
    otherwise none.
    """
    names = [fixed_source] if fixed_source else list(params.get("sources") or [])
    try:
        sources = select_sources(registry, names or None)
    except RegistryError as exc:
        raise ParamsError(f"sources: {exc}") from exc
    if not sources:
        raise ParamsError("sources: no enabled source to run")
    # "2026-05-01" means that day where the sources are, when they share a time zone
    zones = {s.timezone for s in sources}
    zone = ZoneInfo(zones.pop()) if len(zones) == 1 else UTC
    since = _parse_when("since", params.get("since"), zone)
    until = _parse_when("until", params.get("until"), zone)
    window_from = "params" if (since or until) else None
    if not window_from and str(run_type or "").lower() in WINDOW_RUN_TYPES and interval[0]:
        since, until = interval[0] - lookback, interval[1]
        window_from = "data interval"
    if since and until and since >= until:
        raise ParamsError(f"since ({since.isoformat()}) must be before until ({until.isoformat()})")
    max_pages = params.get("max_pages")
    if max_pages is not None and (not isinstance(max_pages, int) or max_pages < 1):
        raise ParamsError(f"max_pages: {max_pages!r} must be a positive whole number or empty")
    reextract = bool(params.get("reextract"))
    if reextract and max_pages:
        raise ParamsError("max_pages has no effect with reextract (nothing is fetched): clear it")
    if reextract and window_from == "params":
        raise ParamsError(
            "since/until select articles by publication day while crawling; reextract reads "
            "whole archives and would ignore them: clear since/until"
        )
    if reextract:
        # a backfill with reextract re-reads every archive: say so rather than show a window
        since = until = window_from = None
    return {
        "sources": [s.name for s in sources],
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "window_from": window_from,
        "max_pages": max_pages,
        "reextract": reextract,
        "dry_run": bool(params.get("dry_run")),
    }


def _fail(message: str) -> None:
    """Fail the task without retrying: retries cannot fix bad input or an anomaly."""
    from airflow.sdk.exceptions import AirflowFailException

    raise AirflowFailException(message)


def pipeline_run_id(dag_id: str, run_id: str) -> str:
    """The run id of files and `runs` rows: Airflow's run id is only unique within one DAG, and
    every source's DAG is scheduled at the same time (`scheduled__<time>`)."""
    return pipeline.safe_run_id(f"{dag_id}__{run_id}")


def run_day(dag_run: Any) -> date:
    """The day a run is for (UTC): when it was due (`run_after`: a scheduled or backfill run's data
    interval end, a manual run's trigger time), not the day it happens to run (a backfill)."""
    for name in ("run_after", "logical_date", "start_date"):
        when = getattr(dag_run, name, None)
        if isinstance(when, datetime):
            return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC).date()
    return datetime.now(UTC).date()


def plan_from_context(context: Any, fixed_source: str | None = None) -> dict:
    dag_run = context.get("dag_run")
    run_type = getattr(dag_run, "run_type", None)
    run_type = getattr(run_type, "value", run_type)
    interval = (context.get("data_interval_start"), context.get("data_interval_end"))
    settings = load_settings()
    try:
        plan = resolve_plan(
            dict(context["params"]),
            registry=load_registry(settings.sources_file),
            fixed_source=fixed_source,
            run_type=run_type,
            interval=interval,
            lookback=timedelta(hours=settings.airflow.window_lookback_hours),
        )
    except ParamsError as exc:
        _fail(f"bad params: {exc}")
    dag_id = getattr(dag_run, "dag_id", None) or context["dag"].dag_id
    plan["run_id"] = pipeline_run_id(dag_id, context["run_id"])
    plan["day"] = run_day(dag_run).isoformat()
    return plan


# --- the steps ----------------------------------------------------------------------------------


def archived_warcs(settings: Settings, sources: list[str]) -> tuple[list[str], dict[str, str]]:
    """Every complete WARC archive of the sources, oldest first, and the damaged ones skipped."""
    from storage.archive import ArchiveError, source_archives, verify

    good: list[str] = []
    damaged: dict[str, str] = {}
    for name in sources:
        for path in source_archives(settings.warc_dir, name):
            try:
                verify(path)
                good.append(str(path))
            except ArchiveError as exc:
                damaged[str(path)] = str(exc)
    return good, damaged


def crawl_step(plan: dict) -> dict:
    settings = load_settings()
    if plan["reextract"]:
        warcs, damaged = archived_warcs(settings, plan["sources"])
        log.info("reextract: %d archived WARC files, nothing fetched", len(warcs))
        for path, reason in damaged.items():
            log.warning("reextract: skipped damaged archive %s: %s", path, reason)
        return {**plan, "warcs": warcs, "damaged_archives": damaged, "crawl": []}
    registry = load_registry(settings.sources_file)
    sources = select_sources(registry, plan["sources"])
    reports = pipeline.crawl(
        settings,
        sources,
        run_id=plan["run_id"],
        since=_parse_when("since", plan["since"]),
        until=_parse_when("until", plan["until"]),
        max_pages=plan["max_pages"],
        dry_run=plan["dry_run"],
    )
    crawled = [asdict(r) for r in reports]
    for report in crawled:
        log.info("crawl %s", crawl_line(report))
    return {**plan, "warcs": [r["warc"] for r in crawled if r.get("warc")], "crawl": crawled}


def quality_by_source(articles_file: str | Path) -> dict[str, dict]:
    """Per source: pages, failed pages and articles with quality flags, from the extract output."""
    out: dict[str, dict] = {}
    path = Path(articles_file)
    if not path.exists():
        return out
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            if not line.strip():
                continue
            record = json.loads(line)
            stats = out.setdefault(
                record.get("source") or "?", {"pages": 0, "failed": 0, "flagged": 0, "flags": {}}
            )
            stats["pages"] += 1
            flags = record.get("quality_flags") or []
            if record.get("error"):
                stats["failed"] += 1
            elif flags:
                stats["flagged"] += 1
            for flag in flags:
                stats["flags"][flag] = stats["flags"].get(flag, 0) + 1
    return out


def extract_step(crawled: dict) -> dict:
    # The run's sources, not only this attempt's files: a retried crawl that archived nothing new
    # still has its first attempt's archive, and earlier runs may have left pages unstored.
    report = pipeline.extract(
        load_settings(),
        crawled["warcs"],
        run_id=crawled["run_id"],
        sources=None if crawled.get("reextract") else crawled["sources"],
        dry_run=bool(crawled.get("dry_run")),
    )
    extracted = asdict(report)
    log.info(
        "extract: %d articles from %d pages (%d failed), %d entities",
        report.articles,
        report.pages,
        report.failed,
        report.entities,
    )
    return {**crawled, "extract": extracted, "quality": quality_by_source(report.output)}


def load_step(extracted: dict, context: Any | None = None) -> dict:
    """Upsert the run's records and tag the `articles` asset event; a dry run stores nothing."""
    if extracted.get("dry_run"):
        log.info("dry run: %d records not stored", extracted["extract"]["articles"])
        return {**_summary_base(extracted), "load": None}
    settings = load_settings()
    registry = load_registry(settings.sources_file)
    report = pipeline.load(settings, extracted["extract"]["output"], registry)
    loaded = {**asdict(report), "stored": report.stored}
    log.info(
        "load: %d stored (%d new, %d updated, %d unchanged), %d entity rows",
        report.stored,
        report.inserted,
        report.updated,
        report.unchanged,
        report.entities,
    )
    summary = {**_summary_base(extracted), "load": loaded}
    if context is not None and "outlet_events" in context:
        context["outlet_events"][articles_asset()].extra = {
            "run_id": summary["run_id"],
            "day": summary["day"],
            "sources": summary["sources"],
            "new": report.inserted,
            "updated": report.updated,
        }
    return summary


def _summary_base(extracted: dict) -> dict:
    """What goes downstream and into XCom: counts, not the archive paths."""
    keep = ("run_id", "day", "sources", "since", "until", "window_from", "reextract", "dry_run")
    keep += ("damaged_archives",)
    crawl = [{k: v for k, v in r.items() if k != "log_file"} for r in extracted.get("crawl") or []]
    return {
        **{k: extracted.get(k) for k in keep},
        "crawl": crawl,
        "extract": {k: v for k, v in extracted["extract"].items() if k != "output"},
        "quality": extracted.get("quality") or {},
    }


# --- summaries people read ----------------------------------------------------------------------


def blocked_count(crawl: dict) -> int:
    """Requests the site refused (the crawl report's `blocked`, else HTTP 403/429 responses)."""
    if "blocked" in crawl:
        return int(crawl.get("blocked") or 0)
    statuses = crawl.get("status_counts") or {}
    return sum(int(statuses.get(code, 0)) for code in ("403", "429"))


def crawl_line(crawl: dict, new: int | None = None) -> str:
    parts = [f"{crawl.get('fetched', 0)} fetched"]
    if new is not None:
        parts.append(f"{new} new")
    parts.append(f"{blocked_count(crawl)} blocked")
    if crawl.get("not_modified"):
        parts.append(f"{crawl['not_modified']} not modified")
    if crawl.get("robots_forbidden"):
        parts.append(f"{crawl['robots_forbidden']} disallowed by robots.txt")
    status = str(crawl.get("status") or "ok")
    suffix = "" if status == "ok" else f" -- {status.upper()}"
    return f"{crawl.get('source', '?')}: " + ", ".join(parts) + suffix


def run_note(summary: dict, anomalies: dict[str, list[str]], action: str) -> str:
    """The DAG run note: one line per source, then the load totals and any anomalies."""
    lines = []
    if anomalies:
        verdict = "ANOMALY, run failed" if action == "fail" else "anomaly marked, run kept green"
        lines.append(f"{verdict}: {', '.join(sorted(anomalies))}")
    load = summary.get("load") or {}
    for crawl in summary.get("crawl") or []:
        new = None
        if load:
            counts = (load.get("by_source") or {}).get(crawl.get("source"), {})
            new = counts.get("new", 0)
        lines.append(crawl_line(crawl, new))
    if summary.get("reextract"):
        lines.append(f"re-extracted from the archive: {', '.join(summary.get('sources') or [])}")
        if summary.get("damaged_archives"):
            lines.append(f"{len(summary['damaged_archives'])} damaged archives skipped")
    ext = summary.get("extract") or {}
    lines.append(
        f"extracted {ext.get('articles', 0)} articles from {ext.get('pages', 0)} pages "
        f"({ext.get('failed', 0)} failed)"
    )
    if summary.get("dry_run"):
        lines.append("dry run: nothing stored")
    elif load:
        lines.append(
            f"stored {load.get('stored', 0)}: {load.get('inserted', 0)} new, "
            f"{load.get('updated', 0)} updated, {load.get('unchanged', 0)} unchanged"
        )
    if summary.get("since") or summary.get("until"):
        lines.append(
            f"window {summary.get('since') or '-'} .. {summary.get('until') or '-'} "
            f"(from {summary.get('window_from')})"
        )
    for source, reasons in sorted(anomalies.items()):
        lines += [f"- {source}: {reason}" for reason in reasons]
    return "\n".join(lines)[:1000]


# --- anomaly checks -----------------------------------------------------------------------------


def history_file(settings: Settings, source: str) -> Path:
    return settings.data_dir / "airflow" / "history" / f"{source}.jsonl"


def read_history(settings: Settings, source: str) -> list[dict]:
    path = history_file(settings, source)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def append_history(settings: Settings, source: str, entry: dict) -> None:
    path = history_file(settings, source)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(json.dumps(entry) + "\n")


def flag_rate(quality: dict | None) -> float | None:
    if not quality or not quality.get("pages"):
        return None
    return (quality.get("failed", 0) + quality.get("flagged", 0)) / quality["pages"]


def find_anomalies(
    crawl: dict | None, quality: dict | None, history: list[dict], cfg: AirflowSettings
) -> list[str]:
    """Why this source's run should not stay green: blocked, crawl failed (any status but ok), far
    fewer articles, flags jump."""
    reasons = []
    recent = history[-cfg.recent_runs :]
    if crawl is not None:
        blocked = blocked_count(crawl)
        # A feed refused night after night while others work is in the note, not an anomaly;
        # articles refused at least as often as fetched are.
        pages_blocked = blocked - int(crawl.get("listings_blocked") or 0)
        status = str(crawl.get("status") or "ok").lower()
        if status == "blocked" or (
            pages_blocked and pages_blocked >= max(1, int(crawl.get("fetched") or 0))
        ):
            reasons.append(f"blocked: the site refused {blocked} requests")
        elif status != "ok":
            errors = sum(int(n) for n in (crawl.get("errors") or {}).values())
            reasons.append(
                f"crawl {status}: {int(crawl.get('fetched') or 0)} fetched, {errors} errors "
                f"({int(crawl.get('in_window') or 0)} articles in the window)"
            )
        listed = [h["discovered"] for h in recent if h.get("discovered") is not None]
        if len(listed) >= cfg.min_history:
            usual = statistics.median(listed)
            found = int(crawl.get("discovered") or 0)
            if usual > 0 and found < cfg.min_article_ratio * usual:
                reasons.append(
                    f"far fewer articles: {found} listed, usually {usual:g} "
                    f"(median of the last {len(listed)} runs)"
                )
    rate = flag_rate(quality)
    rates = [h["flag_rate"] for h in recent if h.get("flag_rate") is not None]
    if rate is not None and len(rates) >= cfg.min_history:
        usual = statistics.median(rates)
        if rate - usual > cfg.max_flag_rate_jump:
            reasons.append(
                f"quality flags jumped: {rate:.0%} of pages failed or flagged, usually {usual:.0%}"
            )
    return reasons


def check_step(summary: dict, context: Any | None = None) -> dict:
    """Check every source of the run for anomalies, note the run, and fail or mark as configured."""
    settings = load_settings()
    cfg = settings.airflow
    crawls = {c.get("source"): c for c in summary.get("crawl") or []}
    quality = summary.get("quality") or {}
    anomalies: dict[str, list[str]] = {}
    for source in summary.get("sources") or []:
        history = read_history(settings, source)
        crawl = crawls.get(source)
        if cfg.anomaly_action != "off":
            reasons = find_anomalies(crawl, quality.get(source), history, cfg)
            if reasons:
                anomalies[source] = reasons
        if not summary.get("dry_run") and source not in anomalies:
            append_history(
                settings,
                source,
                {
                    "run_id": summary.get("run_id"),
                    "at": datetime.now(UTC).isoformat(),
                    "discovered": crawl.get("discovered") if crawl else None,
                    "flag_rate": flag_rate(quality.get(source)),
                },
            )
    note = run_note(summary, anomalies, cfg.anomaly_action)
    for line in note.splitlines():
        log.info("%s", line)
    if context is not None:
        set_run_note(context, note, cfg)
    result = {"anomalies": anomalies, "action": cfg.anomaly_action, "note": note}
    if anomalies and cfg.anomaly_action == "fail":
        detail = "; ".join(f"{s}: {', '.join(r)}" for s, r in anomalies.items())
        _fail(f"anomaly: {detail}")
    if anomalies:
        log.warning("anomalies marked, run stays green: %s", anomalies)
    return result


# --- reaching people: run note, failure callback, report ----------------------------------------


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
    """Write the DAG run note through the REST API (tasks have no database access in Airflow 3).

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
        cfg = load_settings().airflow
        if cfg.webhook_url:
            post_webhook(cfg.webhook_url, payload, cfg.webhook_timeout_seconds)
    except Exception as exc:  # noqa: BLE001 - the callback must never raise
        log.warning("failure webhook not sent: %s", exc)
    # `check` writes its own note (the anomalies); other tasks' failures get a short one
    if payload["task_id"] != "check" and context.get("dag_run") is not None:
        try:
            where = f"at {payload['task_id']} " if payload["task_id"] else ""
            note = f"FAILED {where}({', '.join(payload['sources'])}): "
            set_run_note(context, note + payload["reason"], load_settings().airflow)
        except Exception as exc:  # noqa: BLE001
            log.warning("failure note not set: %s", exc)


def report_days(context: Any) -> list[date]:
    """The days the triggering loads were for (their `day`), else this run's own day.

    Not today's date: a backfill's loads must not rewrite today's report.
    """
    days = set()
    for asset_events in (context.get("triggering_asset_events") or {}).values():
        for event in asset_events:
            day = (getattr(event, "extra", None) or {}).get("day")
            if day:
                days.add(date.fromisoformat(day))
    return sorted(days) or [run_day(context.get("dag_run"))]


def report_step(context: Any) -> dict:
    """Each triggering day's per-source summary, written when the `articles` asset is updated."""
    from sqlalchemy import func, select

    from storage import connect
    from storage.schema import articles

    settings = load_settings()
    triggered_by = []
    for asset_events in (context.get("triggering_asset_events") or {}).values():
        for event in asset_events:
            triggered_by.append(dict(getattr(event, "extra", None) or {}))
    reports = []
    engine = connect(settings.db_url)
    try:
        with engine.connect() as conn:
            totals = dict(
                conn.execute(
                    select(articles.c.source, func.count()).group_by(articles.c.source)
                ).all()
            )
            for day in report_days(context):
                start = datetime(day.year, day.month, day.day, tzinfo=UTC)
                end = start + timedelta(days=1)
                counts = {}
                for key, column in (
                    ("new", articles.c.first_seen),
                    ("published", articles.c.published),
                ):
                    rows = conn.execute(
                        select(articles.c.source, func.count())
                        .where(column >= start, column < end)
                        .group_by(articles.c.source)
                    ).all()
                    counts[key] = {source: count for source, count in rows}
                reports.append({"day": day.isoformat(), **counts, "total": totals})
    finally:
        engine.dispose()
    files = []
    for report in reports:
        report["triggered_by"] = [t for t in triggered_by if t.get("day") in (None, report["day"])]
        out = settings.data_dir / "reports" / f"{report['day']}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2), encoding="utf-8")
        files.append(str(out))
        for source in sorted(totals):
            log.info(
                "%s %s: %d new, %d published that day, %d in total",
                report["day"],
                source,
                report["new"].get(source, 0),
                report["published"].get(source, 0),
                totals[source],
            )
    return {"days": [r["day"] for r in reports], "reports": reports, "files": files}


def worst_case_run_time(
    timeouts: list[timedelta], retries: int, max_retry_delay: timedelta
) -> timedelta:
    """How long a run may take when every task uses all its tries: the least dagrun_timeout that
    never cuts a run its tasks' retries could still save."""
    return sum(((retries + 1) * t + retries * max_retry_delay for t in timeouts), timedelta())


# --- starting Airflow for this project (make airflow, the standalone and Celery tests) -----------


def airflow_env(home: Path, port: int, password_file: Path | None = None) -> dict[str, str]:
    """The environment every Airflow component of this project runs with (loopback only)."""
    import os
    import sys

    from newsflow.settings import PROJECT_ROOT

    base_url = f"http://127.0.0.1:{port}"
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        # standalone starts its components as `airflow ...` from PATH: this venv's, not another
        "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")]),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": os.environ.get("AIRFLOW__CORE__PARALLELISM", "4"),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"admin:admin,{API_USER}:user",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base_url,
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
    }
    if password_file is not None:
        env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] = str(password_file)
        password = json.loads(password_file.read_text(encoding="utf-8"))[API_USER]
        # the check task writes the run note through the REST API with this connection, as a
        # user that may edit DAG runs and nothing more
        env[f"AIRFLOW_CONN_{load_settings().airflow.api_conn_id.upper()}"] = json.dumps(
            {
                "conn_type": "http",
                "host": "127.0.0.1",
                "port": port,
                "login": API_USER,
                "password": password,
            }
        )
    return env


def ensure_password_file(path: Path) -> str:
    """The admin password (and the run-note API user's), generated once into a file only the owner
    can read; returns the admin's."""
    import secrets

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text("{}", encoding="utf-8")
    passwords = json.loads(path.read_text(encoding="utf-8"))
    missing = [user for user in ("admin", API_USER) if user not in passwords]
    if missing:
        passwords.update({user: secrets.token_urlsafe(16) for user in missing})
        path.write_text(json.dumps(passwords) + "\n", encoding="utf-8")
    return passwords["admin"]


def prepare_airflow(env: dict[str, str]) -> None:
    """Migrate the metadata database and create the pool that bounds concurrent crawls."""
    import subprocess
    import sys

    airflow = str(Path(sys.executable).with_name("airflow"))
    cfg = load_settings().airflow
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        [airflow, "pools", "set", cfg.crawl_pool, str(cfg.crawl_pool_slots), "newsflow crawls"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main(argv: list[str] | None = None) -> None:
    """`python -m newsflow.airflow_steps standalone --home DIR --port N`: prepare, then exec.

    Exec (not a child) so the PID a caller records is Airflow's own and SIGINT stops it cleanly.
    """
    import argparse
    import os
    import sys

    parser = argparse.ArgumentParser(prog="python -m newsflow.airflow_steps")
    parser.add_argument("command", choices=["standalone"])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    home = args.home.resolve()
    password_file = home / "passwords.json"
    ensure_password_file(password_file)
    env = airflow_env(home, args.port, password_file)
    prepare_airflow(env)
    airflow = str(Path(sys.executable).with_name("airflow"))
    os.execve(airflow, [airflow, "standalone"], env)


if __name__ == "__main__":
    main()
