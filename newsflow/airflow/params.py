"""The manual trigger form, and the plan a run's params and data interval turn into.

The crawl window is parsed here, once: from the form's since/until (days in the sources' time
zone) or, for scheduled and backfill runs, from the data interval. It travels to the other tasks
serialised in XCom and to the crawl child in its job file.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from newsflow.pipeline import safe_run_id
from newsflow.settings import load_settings
from newsflow.sources import RegistryError, Source, load_registry, select_sources
from spiders.window import CrawlWindow

# Run types whose data interval is the crawl window; manual runs use the form's since/until.
WINDOW_RUN_TYPES = {"scheduled", "backfill"}


class ParamsError(ValueError):
    """A manual trigger's params are inconsistent (the form's schema cannot express it)."""


@dataclass(frozen=True)
class Plan:
    """What a run does: which sources, which crawl window (and where it came from), what mode."""

    sources: list[str]
    window: CrawlWindow = field(default_factory=CrawlWindow)
    window_from: str | None = None
    max_pages: int | None = None
    reextract: bool = False
    dry_run: bool = False
    run_id: str = ""
    day: str = ""
    # Airflow's own ids of the run, for the link to it (`run_id` is file-safe, not Airflow's)
    dag_id: str = ""
    dag_run_id: str = ""

    def to_xcom(self) -> dict[str, Any]:
        return {
            "sources": self.sources,
            **self.window.to_dict(),
            "window_from": self.window_from,
            "max_pages": self.max_pages,
            "reextract": self.reextract,
            "dry_run": self.dry_run,
            "run_id": self.run_id,
            "day": self.day,
        }


def build_params(sources: list[str] | None) -> dict[str, Any]:
    """The trigger form; `sources` only for the manual DAG (the per-source DAGs have theirs)."""
    from airflow.sdk import Param

    params: dict[str, Param] = {}
    if sources is not None:
        params["sources"] = Param(
            [],
            # "null" in every optional type: the trigger form marks a field required without it
            type=["null", "array"],
            items={"type": "string", "enum": sources},
            uniqueItems=True,
            title="Sources",
            description=f"Empty = every enabled source. Enabled: {', '.join(sources)}",
            examples=sources,
        )
    params["since"] = Param(
        None,
        type=["null", "string"],
        format="date",
        title="Since",
        description="Articles published on or after this day (YYYY-MM-DD, in the source's time "
        "zone). Empty = scheduled and backfill runs use their data interval, manual runs have "
        "no lower limit.",
    )
    params["until"] = Param(
        None,
        type=["null", "string"],
        format="date",
        title="Until",
        description="Articles published before this day (YYYY-MM-DD); must be after Since.",
    )
    params["max_pages"] = Param(
        None,
        type=["null", "integer"],
        minimum=1,
        maximum=100_000,
        title="Max pages",
        description="Stop after fetching this many article pages per source. Empty = no cap.",
    )
    params["reextract"] = Param(
        False,
        type=["null", "boolean"],
        title="Re-extract from the archive only",
        description="Fetch nothing: extract and load again from the archived WARC files.",
    )
    params["dry_run"] = Param(
        False,
        type=["null", "boolean"],
        title="Dry run",
        description="Crawl and extract into this run's files, but store nothing in the database.",
    )
    return params


def _parse_day(name: str, value: Any, zone: tzinfo) -> datetime | None:
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
) -> Plan:
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
    since = _parse_day("since", params.get("since"), zone)
    until = _parse_day("until", params.get("until"), zone)
    window_from = "params" if (since or until) else None
    if not window_from and str(run_type or "").lower() in WINDOW_RUN_TYPES and interval[0]:
        since, until = interval[0] - lookback, interval[1]
        window_from = "data interval"
    try:
        window = CrawlWindow(since, until)
    except ValueError as exc:
        raise ParamsError(str(exc)) from None
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
        window, window_from = CrawlWindow(), None
    return Plan(
        sources=[s.name for s in sources],
        window=window,
        window_from=window_from,
        max_pages=max_pages,
        reextract=reextract,
        dry_run=bool(params.get("dry_run")),
    )


def pipeline_run_id(dag_id: str, run_id: str) -> str:
    """The run id of files and `runs` rows: Airflow's run id is only unique within one DAG, and
    every source's DAG is scheduled at the same time (`scheduled__<time>`)."""
    return safe_run_id(f"{dag_id}__{run_id}")


def run_day(dag_run: Any) -> date:
    """The day a run is for (UTC): when it was due (`run_after`: a scheduled or backfill run's data
    interval end, a manual run's trigger time), not the day it happens to run (a backfill)."""
    for name in ("run_after", "logical_date", "start_date"):
        when = getattr(dag_run, name, None)
        if isinstance(when, datetime):
            return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC).date()
    return datetime.now(UTC).date()


def plan_from_context(context: Any, fixed_source: str | None = None) -> Plan:
    from airflow.sdk.exceptions import AirflowFailException

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
        # retries cannot fix bad input
        raise AirflowFailException(f"bad params: {exc}") from None
    dag_id = getattr(dag_run, "dag_id", None) or context["dag"].dag_id
    return replace(
        plan,
        run_id=pipeline_run_id(dag_id, context["run_id"]),
        day=run_day(dag_run).isoformat(),
        dag_id=dag_id,
        dag_run_id=context["run_id"],
    )
