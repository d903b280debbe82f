"""Crawl commands of the `newsflow` CLI: crawl state (show, reset), reextract, source discovery."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict

from newsflow import pipeline
from newsflow.settings import Settings
from newsflow.sources import RegistryError, load_registry, named_sources

COMMANDS = {"crawl-state", "reextract"}


def add_parsers(
    commands: argparse._SubParsersAction,
    common: Callable[[argparse.ArgumentParser], None],
    parse_when: Callable[[str], object],
) -> None:
    """Register the crawl commands on the `newsflow` parser."""
    state = commands.add_parser(
        "crawl-state", help="a source's crawl state: outcomes per URL; --reset forgets it"
    )
    state.add_argument("source")
    state.add_argument(
        "--reset",
        action="store_true",
        help="forget the source's crawl state (stored articles are still never fetched again)",
    )
    common(state)

    again = commands.add_parser(
        "reextract", help="extract and load a source's archived pages again, without the network"
    )
    again.add_argument("--source", required=True)
    again.add_argument("--since", type=parse_when, help="archives written since (date or 7d)")
    common(again)


def add_discover_arguments(parser: argparse.ArgumentParser) -> None:
    """`newsflow sources discover URL [--local]` and `sources add URL` (the `sources` command's
    optional action)."""
    parser.add_argument("action", nargs="?", choices=["list", "discover", "add"], default="list")
    parser.add_argument("url", nargs="?", help="home page to inspect (discover), page URL (add)")
    parser.add_argument(
        "--local", action="store_true", help="allow a loopback/private address (discover, add)"
    )


def discover(args: argparse.Namespace, settings: Settings) -> int:
    from newsflow.discover import discover_source, entry_yaml

    if not args.url:
        raise RegistryError("usage: newsflow sources discover URL")
    try:
        found = discover_source(
            args.url,
            user_agent=settings.crawl.user_agent,
            timeout=min(settings.crawl.timeout_seconds, 15.0),
            allow_private=args.local,
        )
    except ValueError as exc:
        raise RegistryError(str(exc)) from exc
    print(entry_yaml(found.entry()), end="")
    return 0


def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from newsflow.cli.database import open_existing

    registry = load_registry(settings.sources_file)
    source = named_sources(registry, [args.source])[0].name
    if args.command == "crawl-state":
        from storage.crawl_state import ARCHIVED, STORED, outcomes, reset_source
        from storage.query import known_urls

        with open_existing(settings.database_url) as engine:
            if args.reset:
                print(f"{source}: forgot the crawl state of {reset_source(engine, source)} URLs")
            else:
                # An archived page stored under its own URL keeps `archived` in the crawl state
                # (the articles table says it is stored): said as `stored` here.
                stored = known_urls(engine, source)
                counts = Counter(
                    STORED if outcome == ARCHIVED and url in stored else outcome
                    for url, outcome in outcomes(engine, source).items()
                )
                print(json.dumps({"source": source, "outcomes": dict(counts)}, indent=2))
        return 0
    if args.command == "reextract":
        report = pipeline.reextract(settings, registry, source=source, since=args.since)
        summary = asdict(report)
        summary["load"]["stored"] = report.load.stored
        print(json.dumps(summary, indent=2, default=str))
        return 0
    raise AssertionError(args.command)
