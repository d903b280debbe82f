"""The `newsflow` parser, the pipeline commands (run, crawl, extract, load, sources), dispatch."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import shlex
import sys
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from newsflow import pipeline
from newsflow.cli import backfill as backfill_commands
from newsflow.cli import checks as check_commands
from newsflow.cli import crawl as crawl_commands
from newsflow.cli import database as database_commands
from newsflow.cli import page as page_commands
from newsflow.cli.arguments import port_number, positive_int
from newsflow.demo_site.layouts import LAYOUTS
from newsflow.settings import Settings, load_settings
from newsflow.sources import RegistryError, Source, load_registry, select_sources
from spiders.window import CrawlWindow
from storage import DatabaseError, redact_url


def parse_when(value: str) -> datetime:
    """An ISO date/time, or a span back from now such as `7d`, `12h`."""
    match = re.fullmatch(r"(\d+)([dh])", value.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        span = timedelta(days=amount) if unit == "d" else timedelta(hours=amount)
        return datetime.now(UTC) - span
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date (2024-05-01, 2024-05-01T06:00+03:00) or a span (7d, 12h)"
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sources", type=Path, help="sources registry (default: sources.yaml)")
    parser.add_argument("--database-url", help="database URL (default: SQLite at data/newsflow.db)")
    parser.add_argument("--data-dir", type=Path, help="where archives and extracts go")


def _window(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only", nargs="+", metavar="SOURCE", help="sources to run (by name)")
    parser.add_argument("--since", type=parse_when, help="only articles published since")
    parser.add_argument("--until", type=parse_when, help="only articles published before")
    parser.add_argument(
        "--max-pages", type=positive_int, help="at most this many articles per source"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsflow", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="crawl, extract and load")
    _common(run)
    _window(run)
    run.add_argument(
        "--with-demo-site",
        action="store_true",
        help="serve the bundled demo site at the demo source's address during the run",
    )

    crawl = commands.add_parser("crawl", help="crawl sources into WARC archives")
    _common(crawl)
    _window(crawl)
    crawl.add_argument("--run-id", help="name of this run (default: the current time)")

    extract = commands.add_parser("extract", help="extract articles from a run's archives")
    _common(extract)
    extract.add_argument("--run-id", required=True)

    load = commands.add_parser("load", help="load a run's extracted articles")
    _common(load)
    load.add_argument("--run-id", required=True)

    demo = commands.add_parser("demo-site", help="serve the bundled demo news site")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=port_number, default=8765)
    demo.add_argument(
        "--layout",
        choices=LAYOUTS,
        default="classic",
        help="redesign: the articles in changed markup (to see the layout-drift alarm)",
    )

    sources = commands.add_parser(
        "sources", help="list the sources registry; `discover URL` proposes a new entry"
    )
    _common(sources)
    crawl_commands.add_discover_arguments(sources)
    check_commands.add_page_arguments(sources)
    crawl_commands.add_parsers(commands, _common, parse_when)
    check_commands.add_parsers(commands, _common)
    database_commands.add_parsers(commands, _common, parse_when)
    page_commands.add_parsers(commands, _common)
    backfill_commands.add_parsers(commands, _common)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        database_url=getattr(args, "database_url", None),
        sources_file=getattr(args, "sources", None),
        data_dir=getattr(args, "data_dir", None),
    )


def _selected(args: argparse.Namespace, settings: Settings) -> tuple[list[Source], list[Source]]:
    registry = load_registry(settings.sources_file)
    return registry, select_sources(registry, getattr(args, "only", None))


@contextlib.contextmanager
def _demo_site_for(sources: list[Source]) -> Iterator[None]:
    from newsflow.demo_site import start_demo_site

    demo = next((s for s in sources if s.name == "demo"), None)
    if demo is None:
        raise RegistryError("--with-demo-site needs the `demo` source among the selected sources")
    address = urlsplit(demo.url)
    try:
        site = start_demo_site(address.hostname or "127.0.0.1", address.port or 80)
    except (OSError, ValueError) as exc:
        raise RegistryError(f"cannot serve the demo site at {demo.url}: {exc}") from exc
    try:
        yield
    finally:
        site.stop()


def _print_summary(summary: pipeline.RunSummary) -> None:
    print(f"run {summary.run_id}")
    for report in summary.crawl:
        errors = ", ".join(f"{n} {kind}" for kind, n in sorted(report.errors.items()))
        print(
            f"  {report.source}: {report.discovered} discovered, "
            f"{report.fetched} fetched, {report.skipped_seen} already stored, "
            f"{report.not_modified} not modified, {report.blocked} blocked, "
            f"{report.robots_forbidden} disallowed by robots.txt"
            + (f"; errors: {errors}" if errors else "")
            + report.status_suffix()
        )
    extracted = summary.extract
    print(
        f"  extracted {extracted.articles} articles from {extracted.pages} pages "
        f"({extracted.failed} failed), {extracted.entities} entities"
    )
    for path, reason in sorted(extracted.damaged.items()):
        print(f"    skipped damaged archive {path}: {reason}")
    for reason, count in sorted(extracted.failures.items()):
        print(f"    failed: {reason}: {count}")
    for source, flags in extracted.quality_flags.items():
        print(f"    quality flags {source}: " + ", ".join(f"{f} {n}" for f, n in flags.items()))
    loaded = summary.load
    print(
        f"  stored {loaded.stored} articles: {loaded.inserted} new, {loaded.updated} updated, "
        f"{loaded.unchanged} unchanged; {loaded.entities} entity rows written"
    )


def _crawl_window(args: argparse.Namespace) -> CrawlWindow:
    try:
        return CrawlWindow(args.since, args.until)
    except ValueError as exc:
        build_parser().error(str(exc))


def _archived_sources(settings: Settings) -> list[str]:
    """Sources with an archive folder: extract reads each one's WARCs of the run (retried
    attempts included) and the pages earlier runs left unstored."""
    if not settings.warc_dir.is_dir():
        return []
    return sorted(d.name for d in settings.warc_dir.iterdir() if d.is_dir())


def _refuse_a_run_without_archives(
    settings: Settings, run_id: str, sources: list[str], output: Path
) -> None:
    """An extract that found no page, of a run id with no archive, is a typo or a crawl that
    never finished: refused, and its empty extract file removed. (A new run id with no archive
    of its own is fine while earlier runs left pages unstored: the extract stores those.)"""
    from storage.archive import SUFFIX, run_archives

    name = pipeline.safe_run_id(run_id)
    if any(run_archives(settings.warc_dir, source, name) for source in sources):
        return
    output.unlink(missing_ok=True)
    folders = ", ".join(f"{source}/" for source in sources) or "no source folders"
    raise FileNotFoundError(
        f"no archive of run {run_id}: looked for {name}{SUFFIX} (and retries {name}~N{SUFFIX}) "
        f"in {settings.warc_dir} ({folders}), and no earlier run left pages unstored; "
        f"`newsflow crawl --run-id {run_id}` writes a run's archives"
    )


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo-site":
        from newsflow.demo_site import serve

        serve(args.host, args.port, args.layout)
        return 0
    settings = _settings(args)
    if args.command in database_commands.COMMANDS:
        return database_commands.dispatch(args, settings)
    if args.command in page_commands.COMMANDS:
        return page_commands.dispatch(args, settings)
    if args.command in backfill_commands.COMMANDS:
        return backfill_commands.dispatch(args, settings)
    if args.command in crawl_commands.COMMANDS:
        return crawl_commands.dispatch(args, settings)
    if args.command in check_commands.COMMANDS:
        return check_commands.check(args, settings)
    if args.command == "sources" and args.action == "discover":
        return crawl_commands.discover(args, settings)
    if args.command == "sources" and args.action == "add":
        return check_commands.add_page(args, settings)
    if args.command == "sources":
        for source in load_registry(settings.sources_file):
            state = "enabled" if source.enabled else f"disabled ({source.note or 'no reason'})"
            print(f"{source.name:14} {source.url:45} {state}")
        return 0
    if args.command == "run":
        registry, selected = _selected(args, settings)
        demo = _demo_site_for(selected) if args.with_demo_site else contextlib.nullcontext()
        with demo:
            summary = pipeline.run(
                settings, selected, window=_crawl_window(args), max_pages=args.max_pages
            )
        _print_summary(summary)
        down = pipeline.unreachable_sources(summary.crawl)
        if down:
            # cron and scripts see a night that fetched nothing from a dead site
            print(f"newsflow: error: {down}", file=sys.stderr)
            return 3
        return 0
    if args.command == "crawl":
        _, selected = _selected(args, settings)
        run_id = args.run_id or pipeline.new_run_id()
        reports = pipeline.crawl(
            settings,
            selected,
            run_id=run_id,
            window=_crawl_window(args),
            max_pages=args.max_pages,
        )
        print(json.dumps({"run_id": run_id, "crawl": [r.to_dict() for r in reports]}, indent=2))
        return 0
    if args.command == "extract":
        sources = _archived_sources(settings)
        report = pipeline.extract(settings, [], run_id=args.run_id, sources=sources)
        if not report.pages:
            _refuse_a_run_without_archives(settings, args.run_id, sources, Path(report.output))
        print(json.dumps(asdict(report), indent=2))
        return 0
    if args.command == "load":
        registry = load_registry(settings.sources_file)
        path = settings.extracted_dir / f"{pipeline.safe_run_id(args.run_id)}.jsonl"
        report = pipeline.load(settings, str(path), registry)
        print(json.dumps({**report.__dict__, "stored": report.stored}, indent=2))
        return 0
    raise AssertionError(args.command)


def _reload_hint(exc: pipeline.NotLoaded, args: argparse.Namespace) -> str:
    """The failed load's message with `--sources`, `--database-url`, `--data-dir` as given on the
    command line, so the command it shows loads the same file into the same database; a password
    in the URL is hidden, and said to be."""
    options = ""
    for name in ("sources", "database_url", "data_dir"):
        value = getattr(args, name, None)
        if value is not None:
            shown = redact_url(value) if name == "database_url" else str(value)
            options += f" --{name.replace('_', '-')} {shlex.quote(shown)}"
    message = exc.message(options)
    url = getattr(args, "database_url", None)
    if url and redact_url(url).count("***") > url.count("***"):
        message += " (the password is hidden: put it in place of ***)"
    return message


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        code = dispatch(args)
        sys.stdout.flush()  # here, so a reader gone is seen below and not at Python's exit
        return code
    except BrokenPipeError:
        # the reader of stdout went away (`| head`): stop quietly, as `cat` does. Python's own
        # flush at exit would fail on the closed pipe again, so stdout goes to /dev/null first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a writer killed by a closed pipe
    except (
        RegistryError,
        DatabaseError,
        pipeline.CrawlError,
        pipeline.NerWorkerError,
        pipeline.ExtractError,
        FileNotFoundError,
    ) as exc:
        message = _reload_hint(exc, args) if isinstance(exc, pipeline.NotLoaded) else exc
        print(f"newsflow: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
