"""Loading article records: batched upserts, one transaction per batch, safe to re-run.

Every batch is one transaction, so a load killed midway leaves whole batches behind and a re-run
finishes the job (already stored articles come back "unchanged"). Per-run statistics are bumped in
the same transaction as the rows they count, so they too come out the same after a re-run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice

from sqlalchemy import Connection, Engine, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from extraction.record import Article
from newsflow.sources import Source
from newsflow.urls import normalize_url
from storage.database import Retry, database_error, with_retries
from storage.schema import (
    article_versions,
    articles,
    entities,
    runs,
    simhash_bands,
    sources,
)

MASK64 = (1 << 64) - 1
BANDS = 4
LOAD_STAGE = "load"
# Counted per source in `runs.stats` for the load stage; bumped once per article event.
RUN_COUNTERS = ("new", "updated", "duplicates", "entities")


@dataclass
class LoadReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_failed: int = 0
    entities: int = 0
    duplicates: int = 0
    versions: int = 0
    by_source: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def stored(self) -> int:
        return self.inserted + self.updated + self.unchanged


@dataclass
class _BatchResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    entities: int = 0
    duplicates: int = 0
    versions: int = 0
    per_source: dict[str, Counter] = field(default_factory=dict)


def _insert(engine: Engine | Connection):
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


def _batches(items: Iterable[Article], size: int) -> Iterator[list[Article]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _utc(value: datetime | None) -> datetime | None:
    """Timestamps are stored in UTC: SQLite keeps no offset and hands them back naive."""
    if value is None:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _simhash(article: Article) -> int | None:
    return getattr(article, "simhash", None)


def simhash_bands_of(value: int) -> list[int]:
    """The four 16-bit bands of a signed 64-bit SimHash."""
    unsigned = value & MASK64
    return [(unsigned >> (16 * i)) & 0xFFFF for i in range(BANDS)]


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & MASK64).bit_count()


def _row(article: Article, key: str, now: datetime) -> dict:
    return {
        "source": article.source,
        "url": article.url,
        "canonical_url": key,
        "title": article.title,
        "authors": article.authors,
        "published": _utc(article.published),
        "published_source": article.published_source,
        "modified": _utc(article.modified),
        "modified_source": article.modified_source,
        "language": article.language,
        "text": article.text,
        "description": article.description,
        "section": article.section,
        "tags": article.tags,
        "image": article.image,
        "captions": article.captions,
        "extractor": article.extractor,
        "quality_flags": article.quality_flags,
        "content_hash": article.content_hash,
        "simhash": _simhash(article),
        "fetched_at": _utc(article.fetched_at),
        "last_seen": now,
    }


def article_key(article: Article) -> str:
    return normalize_url(article.canonical_url or article.url)


def load_articles(
    engine: Engine,
    records: Iterable[Article],
    registry: list[Source],
    *,
    batch_size: int = 500,
    run_id: str | None = None,
    retry: Retry | None = None,
    near_duplicate_distance: int = 3,
) -> LoadReport:
    """Upsert articles and their entities keyed on the normalised canonical URL.

    A batch that fails on a transient error (server gone, deadlock) is retried whole with backoff;
    if it still fails, `DatabaseError` names the database and nothing later is attempted.
    """
    retry = retry or Retry()
    report = LoadReport()
    insert = _insert(engine)
    url = str(engine.url)
    seen: dict[str, Counter] = {}

    def attempt(action, what: str):
        try:
            return with_retries(action, retry, what)
        except DBAPIError as exc:
            raise database_error(url, exc, "load into") from exc

    if registry:
        attempt(lambda: _upsert_registry(engine, registry), "storing the sources")
    for number, batch in enumerate(_batches(records, batch_size), start=1):
        good: dict[str, Article] = {}
        for article in batch:
            counts = seen.setdefault(article.source, Counter())
            if article.ok:
                good[article_key(article)] = article
                counts["articles"] += 1
            else:
                report.skipped_failed += 1
                counts["failed"] += 1
        if not good:
            continue

        def load_batch(good: dict[str, Article] = good) -> _BatchResult:
            with engine.begin() as conn:
                result = _load_batch(conn, good, insert, near_duplicate_distance)
                if run_id:
                    _bump_run(conn, insert, run_id, result.per_source)
                return result

        result = attempt(load_batch, f"batch {number}")
        for name in ("inserted", "updated", "unchanged", "entities", "duplicates", "versions"):
            setattr(report, name, getattr(report, name) + getattr(result, name))
    if run_id and seen:
        attempt(lambda: _finish_run(engine, insert, run_id, seen), "recording the run")
    report.by_source = {name: dict(counts) for name, counts in seen.items()}
    return report


def _upsert_registry(engine: Engine, registry: list[Source]) -> None:
    insert = _insert(engine)
    statement = insert(sources)
    with engine.begin() as conn:
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["name"],
                set_={"title": statement.excluded.title, "url": statement.excluded.url},
            ),
            [{"name": s.name, "title": s.title, "url": s.url} for s in registry],
        )


def _load_batch(
    conn: Connection, good: dict[str, Article], insert, near_distance: int
) -> _BatchResult:
    now = datetime.now(UTC)
    result = _BatchResult()
    names = sorted({a.source for a in good.values()})
    conn.execute(
        insert(sources).on_conflict_do_nothing(index_elements=["name"]),
        [{"name": n, "title": n, "url": ""} for n in names],
    )
    existing = {
        row.canonical_url: row
        for row in conn.execute(
            select(
                articles.c.id,
                articles.c.canonical_url,
                articles.c.content_hash,
                articles.c.title,
                articles.c.text,
                articles.c.modified,
                articles.c.fetched_at,
                articles.c.last_seen,
            ).where(articles.c.canonical_url.in_(list(good)))
        )
    }
    new_rows, changed, unchanged = [], [], []
    for key, article in good.items():
        row = existing.get(key)
        if row is None:
            new_rows.append({**_row(article, key, now), "first_seen": now})
        elif row.content_hash == article.content_hash or _is_stale(article, row):
            unchanged.append(row.id)
        else:
            changed.append((key, row))

    rewritten: dict[str, int] = {}
    if new_rows:
        inserted = conn.execute(
            insert(articles)
            .on_conflict_do_nothing(index_elements=["canonical_url"])
            .returning(articles.c.id, articles.c.canonical_url),
            new_rows,
        ).all()
        rewritten.update({r.canonical_url: r.id for r in inserted})
        result.inserted = len(inserted)
        # Stored meanwhile by a concurrent load of the same records.
        result.unchanged += len(new_rows) - len(inserted)
    if changed:
        conn.execute(
            insert(article_versions).on_conflict_do_nothing(
                index_elements=["article_id", "content_hash"]
            ),
            [
                {
                    "article_id": row.id,
                    "content_hash": row.content_hash,
                    "title": row.title,
                    "text": row.text,
                    "modified": row.modified,
                    "captured_at": row.fetched_at or row.last_seen,
                }
                for _, row in changed
            ],
        )
        columns = _row(good[changed[0][0]], changed[0][0], now)
        conn.execute(
            update(articles)
            .where(articles.c.id == bindparam("row_id"))
            .values({name: bindparam(f"new_{name}") for name in columns}),
            [
                {"row_id": row.id, **{f"new_{k}": v for k, v in _row(good[key], key, now).items()}}
                for key, row in changed
            ],
        )
        rewritten.update({key: row.id for key, row in changed})
        result.updated = result.versions = len(changed)
    if unchanged:
        conn.execute(update(articles).where(articles.c.id.in_(unchanged)).values(last_seen=now))
        result.unchanged += len(unchanged)

    if rewritten:
        ids = list(rewritten.values())
        conn.execute(delete(entities).where(entities.c.article_id.in_(ids)))
        conn.execute(delete(simhash_bands).where(simhash_bands.c.article_id.in_(ids)))
        entity_rows = [
            {
                "article_id": article_id,
                "label": e.label,
                "text": e.text,
                "count": e.count,
                "first_offset": e.first_offset,
            }
            for key, article_id in rewritten.items()
            for e in good[key].entities
        ]
        if entity_rows:
            conn.execute(
                insert(entities).on_conflict_do_nothing(
                    index_elements=["article_id", "label", "text"]
                ),
                entity_rows,
            )
        band_rows = [
            {"article_id": article_id, "band": band, "value": value}
            for key, article_id in rewritten.items()
            if _simhash(good[key]) is not None
            for band, value in enumerate(simhash_bands_of(_simhash(good[key])))
        ]
        if band_rows:
            conn.execute(insert(simhash_bands), band_rows)
        duplicates = _mark_duplicates(conn, rewritten, good, near_distance)
        result.entities = len(entity_rows)
        result.duplicates = len(duplicates)
        new_keys = {r["canonical_url"] for r in new_rows}
        for key, article_id in rewritten.items():
            counts = result.per_source.setdefault(good[key].source, Counter())
            counts["new" if key in new_keys else "updated"] += 1
            counts["entities"] += len(good[key].entities)
            counts["duplicates"] += article_id in duplicates
    for name in names:
        result.per_source.setdefault(name, Counter())
    return result


def _is_stale(article: Article, row) -> bool:
    """An older crawl's copy (an old extract loaded again) must not overwrite a newer one."""
    fetched, stored = _utc(article.fetched_at), _utc(row.fetched_at)
    return fetched is not None and stored is not None and fetched < stored


def _mark_duplicates(
    conn: Connection, rewritten: dict[str, int], good: dict[str, Article], near_distance: int
) -> set[int]:
    """Point each new or changed article at the first seen copy of its content, if any.

    Exact copies share the content hash (indexed); near copies share at least one SimHash band
    (indexed) and are then checked bit by bit. Returns the ids marked as duplicates.
    """
    hashes = {good[key].content_hash for key in rewritten}
    first_by_hash = dict(
        conn.execute(
            select(articles.c.content_hash, func.min(articles.c.id))
            .where(articles.c.content_hash.in_(hashes))
            .group_by(articles.c.content_hash)
        ).all()
    )
    signatures = {
        article_id: _simhash(good[key])
        for key, article_id in rewritten.items()
        if _simhash(good[key]) is not None
    }
    candidates: dict[int, tuple[int, int | None]] = {}
    for band in range(BANDS):
        values = {simhash_bands_of(s)[band] for s in signatures.values()}
        if not values:
            break
        rows = conn.execute(
            select(articles.c.id, articles.c.simhash, articles.c.duplicate_of)
            .join(simhash_bands, simhash_bands.c.article_id == articles.c.id)
            .where(simhash_bands.c.band == band, simhash_bands.c.value.in_(values))
        )
        candidates.update({r.id: (r.simhash, r.duplicate_of) for r in rows})

    targets: dict[int, int | None] = {}
    for key, article_id in rewritten.items():
        options = []
        first = first_by_hash.get(good[key].content_hash)
        if first is not None and first < article_id:
            options.append(first)
        signature = signatures.get(article_id)
        if signature is not None:
            options += [
                duplicate_of or other_id
                for other_id, (other, duplicate_of) in candidates.items()
                if other_id < article_id and hamming(signature, other) <= near_distance
            ]
        targets[article_id] = min(options) if options else None
    conn.execute(
        update(articles)
        .where(articles.c.id == bindparam("row_id"))
        .values(duplicate_of=bindparam("target")),
        [{"row_id": i, "target": t} for i, t in targets.items()],
    )
    return {i for i, t in targets.items() if t is not None}


def _bump_run(conn: Connection, insert, run_id: str, per_source: dict[str, Counter]) -> None:
    """Add this batch's counts to the run's per-source row, in the batch's own transaction."""
    now = datetime.now(UTC)
    conn.execute(
        insert(runs).on_conflict_do_nothing(index_elements=["run_id", "source", "stage"]),
        [
            {
                "run_id": run_id,
                "source": name,
                "stage": LOAD_STAGE,
                "started_at": now,
                "status": "running",
                "stats": {},
            }
            for name in per_source
        ],
    )
    rows = conn.execute(
        select(runs.c.id, runs.c.source, runs.c.stats)
        .where(
            runs.c.run_id == run_id,
            runs.c.stage == LOAD_STAGE,
            runs.c.source.in_(list(per_source)),
        )
        .with_for_update()
    ).all()
    for row in rows:
        stats = dict(row.stats or {})
        for name in RUN_COUNTERS:
            stats[name] = stats.get(name, 0) + per_source[row.source][name]
        conn.execute(update(runs).where(runs.c.id == row.id).values(stats=stats))


def _finish_run(engine: Engine, insert, run_id: str, seen: dict[str, Counter]) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        _bump_run(conn, insert, run_id, {name: Counter() for name in seen})
        rows = conn.execute(
            select(runs.c.id, runs.c.source, runs.c.stats)
            .where(runs.c.run_id == run_id, runs.c.stage == LOAD_STAGE)
            .where(runs.c.source.in_(list(seen)))
            .with_for_update()
        ).all()
        for row in rows:
            stats = {
                **(row.stats or {}),
                "articles": seen[row.source]["articles"],
                "failed": seen[row.source]["failed"],
            }
            conn.execute(
                update(runs)
                .where(runs.c.id == row.id)
                .values(stats=stats, status="ok", finished_at=now)
            )


def known_urls(engine: Engine, source: str) -> set[str]:
    """Normalised URLs (as fetched and canonical) of the articles already stored for a source."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(articles.c.url, articles.c.canonical_url).where(articles.c.source == source)
        ).all()
    return {normalize_url(u) for row in rows for u in row}
