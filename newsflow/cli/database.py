"""The database commands of `newsflow`: db upgrade, search, export, stats.

`newsflow.cli.main` registers them and hands them the parsed arguments and settings.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy import Engine

from newsflow.cli.arguments import positive_int, registry_source
from newsflow.pipeline.reports import CrawlReport
from newsflow.settings import Settings
from newsflow.sources import RegistryError
from storage import DatabaseError, Retry, open_database, redact_url
from storage.database import sqlite_file
from storage.entity_search import EntityQuery, entity_counts, parse_entity
from storage.export import FORMATS, export_articles
from storage.migrate import upgrade
from storage.query import has_articles, search
from storage.runs import load_stats

COMMANDS = ("db", "search", "export", "stats")


def _entity(value: str) -> EntityQuery:
    try:
        return parse_entity(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _with_gazetteer_ids(queries: list[EntityQuery] | None, settings: Settings) -> list:
    """Each `--entity` with the ids its name has in the gazetteers (shipped and configured),
    so `GPE:Anbar` also finds "al-Anbar" and "الأنبار"; a name no gazetteer knows is matched as
    written."""
    if not queries:
        return []
    from extraction.gazetteer import DEFAULT_GAZETTEERS, gazetteer_ids, name_key

    table = gazetteer_ids([*DEFAULT_GAZETTEERS, *settings.gazetteers])
    return [
        EntityQuery(q.label, q.text, frozenset(table.get((q.label, name_key(q.text)), ())))
        for q in queries
    ]


def _entity_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--entity",
        type=_entity,
        action="append",
        metavar="LABEL:NAME",
        help="only articles naming this entity, in any spelling the gazetteer knows "
        "(GPE:Anbar also finds al-Anbar and الأنبار; or its id, GPE:iq.anbar); repeatable",
    )


def add_parsers(
    commands: argparse._SubParsersAction,
    common: Callable[[argparse.ArgumentParser], None],
    parse_when: Callable[[str], object],
) -> None:
    """Register the database commands on the `newsflow` parser."""
    db = commands.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"], help="upgrade: migrate to the latest schema")
    common(db)

    found = commands.add_parser("search", help="full-text search of the stored articles")
    found.add_argument(
        "query",
        nargs="?",
        default="",
        help="words that must all appear (title or body); may be left out with --entity",
    )
    found.add_argument("--since", type=parse_when, help="published since (2024-05-01, 7d, 12h)")
    found.add_argument("--source", help="only this source")
    _entity_option(found)
    found.add_argument("--limit", type=positive_int, default=20, help="at most N articles (20)")
    common(found)

    export = commands.add_parser("export", help="write stored articles to a file")
    export.add_argument("--format", choices=FORMATS, default="jsonl")
    export.add_argument("-o", "--output", type=Path, help="default: data/export/articles.FORMAT")
    export.add_argument("--since", type=parse_when, help="published since (2024-05-01, 7d, 12h)")
    export.add_argument("--source", help="only this source")
    _entity_option(export)
    common(export)

    stats = commands.add_parser("stats", help="per-source load counts of the last runs")
    stats.add_argument(
        "--runs", type=positive_int, default=5, help="how many recent runs (default 5)"
    )
    stats.add_argument(
        "--entities",
        type=positive_int,
        nargs="?",
        const=20,
        metavar="N",
        help="instead: the N gazetteer entities (default 20) named by the most articles",
    )
    stats.add_argument("--since", type=parse_when, help="with --entities: published since")
    stats.add_argument("--source", help="with --entities: only this source")
    common(stats)


def _missing_file(url: str) -> Path | None:
    """The SQLite file `url` names when it is not there (None when it is, or for a server)."""
    path = sqlite_file(url)
    return path if path is not None and not path.is_file() else None


def open_existing(url: str, retry: Retry | None = None) -> AbstractContextManager[Engine]:
    """`open_database` for a command that reads what is stored (or forgets some of it, as
    `crawl-state --reset`): a SQLite file that is not there is a mistyped path, refused rather
    than created empty (whose answer would be "nothing yet")."""
    path = _missing_file(url)
    if path is not None:
        raise DatabaseError(
            f"no database at {path}: the SQLite file does not exist, and this command only reads "
            "one (a mistyped --database-url?); a database is created by the first `newsflow run` "
            "(or the Airflow DAGs) or by `newsflow db upgrade`"
        )
    return open_database(url, retry)


def _unknown_source(settings: Settings, name: str | None) -> RegistryError | None:
    """The refusal of a name the registry does not know (`named_sources`), to raise unless the
    database holds articles of it (its entry since removed); raised at once where there is no
    database to ask."""
    if not name:
        return None
    try:
        registry_source(settings, name)
    except RegistryError as exc:
        if _missing_file(settings.database_url) is not None:
            raise
        return exc
    return None


def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "search" and not args.query.split() and not args.entity:
        print("newsflow: error: search needs words to look for, or --entity", file=sys.stderr)
        return 2
    retry = Retry(
        settings.database_retries,
        settings.database_retry_backoff_seconds,
        answer_timeout=settings.database_answer_timeout_seconds,
    )
    unknown = _unknown_source(settings, getattr(args, "source", None))
    opened = open_database if args.command == "db" else open_existing
    with opened(settings.database_url, retry) as engine:
        if unknown is not None and not has_articles(engine, args.source):
            raise unknown
        if args.command == "db":
            revision = upgrade(engine)
            print(f"{redact_url(settings.database_url)} is at schema revision {revision}")
        elif args.command == "search":
            hits = search(
                engine,
                args.query,
                since=args.since,
                source=args.source,
                entity=_with_gazetteer_ids(args.entity, settings),
                limit=args.limit,
            )
            for hit in hits:
                day = hit.published.date().isoformat() if hit.published else "undated"
                print(f"{day}  {hit.source}  {hit.title or '(untitled)'}\n    {hit.url}")
                print(f"    {hit.snippet}")
            print(f"{len(hits)} article(s)")
        elif args.command == "export":
            output = args.output or settings.data_dir / "export" / f"articles.{args.format}"
            count = export_articles(
                engine,
                output,
                args.format,
                since=args.since,
                source=args.source,
                entity=_with_gazetteer_ids(args.entity, settings),
            )
            print(f"wrote {count} articles to {output}")
        elif args.command == "stats" and args.entities is not None:
            counts = entity_counts(
                engine, since=args.since, source=args.source, limit=args.entities
            )
            _print_entity_counts(counts)
        elif args.command == "stats":
            _print_stats(load_stats(engine, args.runs))
        else:
            raise AssertionError(args.command)
    return 0


def _print_stats(rows) -> None:
    if not rows:
        print("no loads recorded yet")
        return
    run_id = None
    for row in rows:
        if row.run_id != run_id:
            run_id = row.run_id
            print(f"run {run_id}  ({row.started_at:%Y-%m-%d %H:%M})")
            print(
                f"  {'source':16} {'status':12} {'articles':>8} {'new':>6} {'updated':>8} "
                f"{'duplicates':>10} {'failed':>6}"
            )
        if row.crawl is not None:  # the run loaded nothing for this source: the crawl says why
            why = CrawlReport.from_dict(row.crawl).explain()
            print(f"  {row.source:16} {row.status:12} nothing loaded; crawl: {why}")
            continue
        print(
            f"  {row.source:16} {row.status:12} {row.articles:8} {row.new:6} {row.updated:8} "
            f"{row.duplicates:10} {row.failed:6}"
        )


def _print_entity_counts(counts) -> None:
    if not counts:
        print("no entities with a gazetteer id stored yet")
        return
    print(f"  {'entity':32} {'label':6} {'articles':>8}  names (articles)")
    for count in counts:
        names = ", ".join(f"{name} ({n})" for name, n in count.names)
        print(f"  {count.entity_id:32} {count.label:6} {count.articles:8}  {names}")
