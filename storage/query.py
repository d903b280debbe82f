"""Reading the stored articles back: full-text search, export rows, per-run load statistics.

Full text uses what migration 0002 built: the FTS5 table on SQLite, the GIN-indexed `tsvector`
expression on PostgreSQL (repeated verbatim here so the planner uses the index). Every word of a
query must appear; there is no stemming on either backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Engine,
    Select,
    and_,
    column,
    exists,
    func,
    literal_column,
    select,
    table,
)

from storage.schema import articles, entities, runs

PG_TSVECTOR = (
    "to_tsvector('simple'::regconfig, coalesce(articles.title, '') || ' ' || articles.text)"
)
STAT_FIELDS = ("articles", "new", "updated", "duplicates", "failed")
EXPORT_COLUMNS = (
    "id",
    "source",
    "url",
    "canonical_url",
    "title",
    "authors",
    "published",
    "modified",
    "language",
    "section",
    "tags",
    "description",
    "image",
    "text",
    "content_hash",
    "simhash",
    "duplicate_of",
    "fetched_at",
    "first_seen",
    "last_seen",
)


@dataclass
class SearchHit:
    id: int
    source: str
    title: str | None
    url: str
    published: datetime | None
    snippet: str


@dataclass
class RunStats:
    run_id: str
    source: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    articles: int
    new: int
    updated: int
    duplicates: int
    failed: int


def parse_entity(value: str) -> tuple[str, str]:
    """`GPE:Anbar` -> ("GPE", "Anbar")."""
    label, sep, text = value.partition(":")
    if not sep or not label or not text:
        raise ValueError(f"entity {value!r} is not LABEL:TEXT (e.g. GPE:Anbar)")
    return label.strip().upper(), text.strip()


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _filtered(
    statement: Select,
    *,
    since: datetime | None = None,
    source: str | None = None,
    entity: list[tuple[str, str]] | None = None,
) -> Select:
    if since is not None:
        when = func.coalesce(articles.c.published, articles.c.first_seen)
        statement = statement.where(when >= _utc(since))
    if source:
        statement = statement.where(articles.c.source == source)
    for label, text in entity or []:
        statement = statement.where(
            exists().where(
                entities.c.article_id == articles.c.id,
                entities.c.label == label,
                func.lower(entities.c.text) == text.lower(),
            )
        )
    return statement


def _fts_terms(query: str) -> str:
    """Each word as an FTS5 string, so user punctuation is never read as query syntax."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in query.split())


def search(
    engine: Engine,
    query: str,
    *,
    since: datetime | None = None,
    source: str | None = None,
    entity: list[tuple[str, str]] | None = None,
    limit: int = 20,
) -> list[SearchHit]:
    """Articles containing every word of `query`, best match first."""
    if not query.split():
        return []
    fields = (articles.c.id, articles.c.source, articles.c.title, articles.c.url)
    published = articles.c.published
    if engine.dialect.name == "postgresql":
        tsquery = func.plainto_tsquery("simple", query)
        statement = (
            select(
                *fields,
                published,
                func.ts_headline(
                    literal_column("'simple'::regconfig"),
                    articles.c.text,
                    tsquery,
                    "MaxWords=25, MinWords=10, StartSel=[, StopSel=]",
                ).label("snippet"),
            )
            .where(literal_column(PG_TSVECTOR).op("@@")(tsquery))
            .order_by(func.ts_rank(literal_column(PG_TSVECTOR), tsquery).desc(), articles.c.id)
        )
    else:
        fts = table("articles_fts", column("rowid"), column("rank"))
        statement = (
            select(
                *fields,
                published,
                func.snippet(literal_column("articles_fts"), 1, "[", "]", "…", 16).label("snippet"),
            )
            .select_from(fts.join(articles, articles.c.id == fts.c.rowid))
            .where(literal_column("articles_fts").op("MATCH")(_fts_terms(query)))
            .order_by(fts.c.rank, articles.c.id)
        )
    statement = _filtered(statement, since=since, source=source, entity=entity).limit(limit)
    with engine.connect() as conn:
        return [
            SearchHit(r.id, r.source, r.title, r.url, r.published, " ".join(r.snippet.split()))
            for r in conn.execute(statement)
        ]


def iter_export_rows(
    engine: Engine,
    *,
    since: datetime | None = None,
    source: str | None = None,
    batch_size: int = 1000,
) -> Iterator[dict]:
    """Stored articles as plain dicts, each with its `entities` list, in id order."""
    statement = _filtered(
        select(*(articles.c[name] for name in EXPORT_COLUMNS)), since=since, source=source
    ).order_by(articles.c.id)
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=batch_size).execute(statement)
        for chunk in result.partitions():
            rows = [dict(r._mapping) for r in chunk]
            found: dict[int, list[dict]] = {r["id"]: [] for r in rows}
            for e in conn.execute(
                select(entities)
                .where(entities.c.article_id.in_(list(found)))
                .order_by(entities.c.article_id, entities.c.first_offset, entities.c.label)
            ):
                found[e.article_id].append(
                    {"label": e.label, "text": e.text, "count": e.count, "offset": e.first_offset}
                )
            for row in rows:
                for key in ("published", "modified", "fetched_at", "first_seen", "last_seen"):
                    if row[key] is not None:
                        row[key] = _utc(row[key])
                yield {**row, "entities": found[row["id"]]}


def load_stats(engine: Engine, last: int = 5) -> list[RunStats]:
    """Per-source load counts of the `last` most recent runs, newest run first."""
    recent = (
        select(runs.c.run_id, func.max(runs.c.started_at).label("started"))
        .where(runs.c.stage == "load")
        .group_by(runs.c.run_id)
        .order_by(func.max(runs.c.started_at).desc(), runs.c.run_id.desc())
        .limit(last)
        .subquery()
    )
    statement = (
        select(runs, recent.c.started)
        .join(recent, and_(recent.c.run_id == runs.c.run_id))
        .where(runs.c.stage == "load")
        .order_by(recent.c.started.desc(), runs.c.run_id.desc(), runs.c.source)
    )
    with engine.connect() as conn:
        rows = conn.execute(statement).all()
    return [
        RunStats(
            run_id=r.run_id,
            source=r.source,
            status=r.status,
            started_at=r.started_at,
            finished_at=r.finished_at,
            **{k: int((r.stats or {}).get(k, 0)) for k in STAT_FIELDS},
        )
        for r in rows
    ]
