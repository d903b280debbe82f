"""`newsflow check [SOURCE...]` (saved pages against their expected records) and `newsflow sources
add URL --page FILE` (save a page and its record for review, propose the registry entry)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from urllib.parse import urlsplit

from newsflow.cli.page import PageError, read_page
from newsflow.pipeline.checking import (
    SavedPageError,
    check_source,
    describe,
    save_page,
    saved_page_folders,
)
from newsflow.settings import Settings
from newsflow.sources import RegistryError, Source, load_registry, named_sources, registry_entry
from spiders.addresses import is_private_host

COMMANDS = ("check",)


def add_parsers(
    commands: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None]
) -> None:
    """Register ``check`` on the `newsflow` parser."""
    check = commands.add_parser(
        "check", help="extract every saved page and diff it against its expected record"
    )
    check.add_argument("names", nargs="*", metavar="SOURCE", help="default: every source")
    common(check)


def add_page_arguments(parser: argparse.ArgumentParser) -> None:
    """`newsflow sources add URL --page FILE [--source S]` (on the `sources` command)."""
    parser.add_argument("--page", help="the saved response body (default: fetch URL)")
    parser.add_argument("--source", help="the source the page belongs to (default: by address)")


def check(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when every saved page gives its expected record, 1 on any difference."""
    registry = load_registry(settings.sources_file)
    differing = checked = 0
    if not args.names:
        known = {s.name for s in registry}
        for name in sorted(set(saved_page_folders(settings)) - known):
            folder = settings.saved_pages_dir / name
            print(f"{name}: skipped {folder}/: no source {name} in {settings.sources_file}")
    for source in named_sources(registry, args.names) or registry:
        try:
            results = check_source(settings, source)
        except SavedPageError as exc:
            print(f"newsflow: error: {exc}", file=sys.stderr)
            return 2
        if not results:
            print(f"{source.name}: no saved pages")
        for result in results:
            checked += 1
            differing += not result.ok
            print("\n".join(describe(result)))
    print(f"{checked} saved pages checked, {differing} differ")
    return 1 if differing else 0


def _source_for(args: argparse.Namespace, registry: list[Source], settings: Settings) -> Source:
    """The registry entry the page belongs to; for a new site, the discovered entry (printed)."""
    by_name = {s.name: s for s in registry}
    if args.source in by_name:
        return by_name[args.source]
    address = urlsplit(args.url)
    for source in registry:
        if not args.source and urlsplit(source.url).netloc == address.netloc:
            return source
    from newsflow.discover import discover_source, entry_yaml

    try:
        found = discover_source(
            f"{address.scheme}://{address.netloc}/",
            user_agent=settings.crawl.user_agent,
            timeout=min(settings.crawl.timeout_seconds, 15.0),
            allow_private=args.local,
        )
    except ValueError as exc:
        raise RegistryError(str(exc)) from exc
    entry = found.entry()
    if args.source:
        entry["name"] = args.source
    source = registry_entry(entry, "the proposed entry (--source)" if args.source else "the entry")
    print("proposed registry entry (add it to sources.yaml, with an `extract:` block if needed):")
    print(entry_yaml(entry), end="")
    return source


def add_page(args: argparse.Namespace, settings: Settings) -> int:
    if not args.url:
        raise RegistryError("usage: newsflow sources add URL [--page FILE] [--source S]")
    source = _source_for(args, load_registry(settings.sources_file), settings)
    private = is_private_host(urlsplit(args.url).hostname or "")
    if not args.page and private and not (args.local or source.local):
        raise RegistryError(f"{args.url} is a loopback/private address (pass --local to fetch it)")
    try:
        body, charset, _ = read_page(args.page or args.url, settings)
        page, saved = save_page(settings, source, args.url, body, charset)
    except (PageError, SavedPageError) as exc:
        print(f"newsflow: error: {exc}", file=sys.stderr)
        return 2
    record = saved["record"]
    print(f"saved {page} and {page.name.removesuffix('.html.gz')}.json beside it")
    for name in ("profile", "error", "title", "authors", "published", "section", "tags"):
        if name in record:
            print(f"  {name}: {record[name]!r}")
        else:
            print(
                f"  {name}: none found, so left out of the expected record (not checked): "
                "add it to the .json to check it"
            )
    print(f"  text: {len(record['text'])} characters")
    print(
        "The expected record is today's extraction: correct what is wrong in the .json, fix the "
        f"source's extract: profile, then run `newsflow check {source.name}`."
    )
    return 0
