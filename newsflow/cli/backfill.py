"""`newsflow backfill --ccnews --only S --since 2023-01 --until 2023-06`: a source's history from
Common Crawl News, without touching the site.

`newsflow.cli.main` registers it. Prints one line per WARC file and a total; a file that cannot
be read to its end is named (and read again by the next backfill), not fatal.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ccnews import LocationError, Month
from newsflow import pipeline
from newsflow.cli.arguments import positive_int
from newsflow.settings import Settings
from newsflow.sources import RegistryError, load_registry, select_sources

COMMANDS = ("backfill",)


def _month(value: str) -> Month:
    try:
        return Month.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_parsers(
    commands: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None]
) -> None:
    """Register ``backfill`` on the `newsflow` parser."""
    backfill = commands.add_parser(
        "backfill", help="load sources' past articles from an archive (--ccnews: Common Crawl News)"
    )
    backfill.add_argument(
        "--ccnews", action="store_true", required=True, help="read Common Crawl News (CC-NEWS)"
    )
    backfill.add_argument("--only", nargs="+", metavar="SOURCE", required=True)
    backfill.add_argument("--since", type=_month, required=True, help="first month, YYYY-MM")
    backfill.add_argument("--until", type=_month, help="last month, YYYY-MM (default: --since)")
    backfill.add_argument(
        "--base", help="https:// URL, s3:// bucket or local folder (default: settings ccnews_base)"
    )
    backfill.add_argument(
        "--max-files", type=positive_int, help="read at most N WARC files this time"
    )
    backfill.add_argument("--run-id", help="name of this backfill (default: the current time)")
    common(backfill)


def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    registry = load_registry(settings.sources_file)
    sources = select_sources(registry, args.only, allow_disabled=True)
    run_id = args.run_id or f"ccnews-{pipeline.new_run_id()}"
    try:
        report = pipeline.backfill(
            settings,
            registry,
            sources,
            since=args.since,
            until=args.until or args.since,
            run_id=run_id,
            base=args.base,
            max_files=args.max_files,
        )
    except (LocationError, ValueError) as exc:
        raise RegistryError(str(exc)) from exc
    print(f"backfill {run_id}: {report.planned} WARC files to read")
    for done in report.files:
        print(
            f"  {done['path']}: {done['records']} records, {done['kept']} on "
            f"{', '.join(done['sources'])}, {done['articles']} articles, "
            f"{done['inserted']} new, {done['unchanged']} already stored"
            + (f" -- NOT FINISHED: {done['error']}" if done["error"] else "")
        )
    print(
        f"  stored {report.inserted} new articles, {report.unchanged} already stored; "
        f"{len(report.failed_files)} files to read again"
    )
    return 0
