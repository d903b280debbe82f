"""Reading the stored articles back: full-text search, export rows, the URLs already stored.

Full text uses what migration 0002 built: the FTS5 table on SQLite, the GIN-indexed `tsvector`
expression on PostgreSQL (repeated verbatim here so the planner uses the index). Every word of a
query must appear; there is no stemming on either backend.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Engine,
    Select,
    column,
    func,
    literal_column,
    select,
    table,
)

from storage.entity_search import EntityQuery, names_entity
from storage.schema import articles, entities, utc
from storage.urls import normalize_url

PG_TSVECTOR = (
    "to_tsvector('simple'::regconfig, coalesce(articles.title, '') || ' ' || articles.text)"
)
EXPORT_COLUMNS = (
    "id",
    "source",
    "url",
    "canonical_url",
    "title",
    "authors",
    "agencies",
    "published",
    "modified",
    "language",
    "section",
    "tags",
    "description",
    "image",
    "free_access",
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


def _filtered(
    statement: Select,
    *,
    since: datetime | None = None,
    source: str | None = None,
    entity: Sequence[EntityQuery | tuple] | None = None,
) -> Select:
    if since is not None:
        when = func.coalesce(articles.c.published, articles.c.first_seen)
        statement = statement.where(when >= utc(since))
    if source:
        statement = statement.where(articles.c.source == source)
    for query in entity or []:
        statement = statement.where(names_entity(query))
    return statement


# A search by entity alone shows the start of each article (about 25 words).
_LEAD_CHARS = 160


def _fts_terms(query: str) -> str:
    """Each word as an FTS5 string, so user punctuation is never read as query syntax."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in query.split())


def search(
    engine: Engine,
    query: str,
    *,
    since: datetime | None = None,
    source: str | None = None,
    entity: Sequence[EntityQuery | tuple] | None = None,
    limit: int = 20,
) -> list[SearchHit]:
    """Articles containing every word of `query`, best match first; with no words, the
    articles naming every `entity`, newest first."""
    fields = (articles.c.id, articles.c.source, articles.c.title, articles.c.url)
    published = articles.c.published
    if not query.split():
        if not entity:
            return []
        when = func.coalesce(articles.c.published, articles.c.first_seen)
        statement = select(
            *fields, published, func.substr(articles.c.text, 1, _LEAD_CHARS).label("snippet")
        ).order_by(when.desc(), articles.c.id.desc())
    elif engine.dialect.name == "postgresql":
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
            SearchHit(r.id, r.source, r.title, r.url, r.published, _snippet(r.snippet, query))
            for r in conn.execute(statement)
        ]


def _snippet(text: str, query: str) -> str:
    """One line; the start of an article (a search by entity alone) ends at a whole word."""
    words = text.split()
    if not query.split() and len(text) >= _LEAD_CHARS and len(words) > 1:
        words = [*words[:-1], "…"]
    return " ".join(words)


def iter_export_rows(
    engine: Engine,
    *,
    since: datetime | None = None,
    source: str | None = None,
    entity: Sequence[EntityQuery | tuple] | None = None,
    batch_size: int = 1000,
) -> Iterator[dict]:
    """Stored articles as plain dicts, each with its `entities` list, in id order."""
    statement = _filtered(
        select(*(articles.c[name] for name in EXPORT_COLUMNS)),
        since=since,
        source=source,
        entity=entity,
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
                    {
                        "label": e.label,
                        "text": e.text,
                        "id": e.entity_id,
                        "count": e.count,
                        "offset": e.first_offset,
                    }
                )
            for row in rows:
                for key in ("published", "modified", "fetched_at", "first_seen", "last_seen"):
                    if row[key] is not None:
                        row[key] = utc(row[key])
                yield {**row, "entities": found[row["id"]]}


def last_fetched(engine: Engine, source: str) -> dict[str, datetime]:
    """Normalised URL (as fetched and canonical) -> when the stored article was last fetched
    (`last_seen`): a listing that says the page changed later has an edit to fetch."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(articles.c.url, articles.c.canonical_url, articles.c.last_seen).where(
                articles.c.source == source
            )
        ).all()
    seen: dict[str, datetime] = {}
    for row in rows:
        for url in (row.url, row.canonical_url):
            key = normalize_url(url)
            moment = utc(row.last_seen)
            if key not in seen or moment > seen[key]:
                seen[key] = moment
    return seen


def known_urls(engine: Engine, source: str) -> set[str]:
    """Normalised URLs (as fetched and canonical) of the articles already stored for a source."""
    return set(last_fetched(engine, source))


def has_articles(engine: Engine, source: str) -> bool:
    """Whether any article of `source` is stored (a source taken out of the registry keeps
    its articles, and they can still be searched and exported by its name)."""
    with engine.connect() as conn:
        found = conn.execute(select(articles.c.id).where(articles.c.source == source).limit(1))
        return found.first() is not None


@dataclass(frozen=True)
class DayCounts:
    """Per source: articles first seen on the day (``new`` originals, ``copies`` of an article
    stored before: syndicated or repeated), articles published that day, and all stored."""

    new: dict[str, int]
    copies: dict[str, int]
    published: dict[str, int]
    total: dict[str, int]


def day_counts(engine: Engine, start: datetime, end: datetime) -> DayCounts:
    """Counts for the day ``start`` to ``end``, for the daily report (one connection)."""
    seen = (articles.c.first_seen >= start, articles.c.first_seen < end)
    with engine.connect() as conn:

        def per_source(*where) -> dict[str, int]:
            statement = select(articles.c.source, func.count()).where(*where)
            return dict(conn.execute(statement.group_by(articles.c.source)).all())

        return DayCounts(
            new=per_source(*seen, articles.c.duplicate_of.is_(None)),
            copies=per_source(*seen, articles.c.duplicate_of.is_not(None)),
            published=per_source(articles.c.published >= start, articles.c.published < end),
            total=per_source(),
        )
