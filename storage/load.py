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
from typing import Protocol

from sqlalchemy import Connection, Engine, bindparam, delete, select, text, update
from sqlalchemy.exc import DBAPIError

from extraction.dedup import MAX_DISTANCE
from extraction.record import Article
from storage.bulk import copy_rows, insert_rows
from storage.changes import classify, stored_rows
from storage.database import Retry, database_error, with_retries, write_transaction
from storage.near_duplicates import duplicate_targets, simhash_bands_of
from storage.runs import bump_load_counts, finish_load
from storage.schema import article_versions, articles, entities, simhash_bands, sources, upsert, utc
from storage.stall import with_answer_timeout
from storage.urls import normalize_url


class SourceEntry(Protocol):
    """What the load keeps of a registry entry (the `sources` table)."""

    name: str
    title: str
    url: str


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


def _batches(items: Iterable[Article], size: int) -> Iterator[list[Article]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _row(article: Article, key: str, now: datetime) -> dict:
    """The article's columns; `last_seen` is when it was fetched, so a re-load changes nothing."""
    return {
        "source": article.source,
        "url": article.url,
        "canonical_url": key,
        "title": article.title,
        "authors": article.authors,
        "agencies": article.agencies,
        "published": utc(article.published),
        "published_source": article.published_source,
        "modified": utc(article.modified),
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
        "free_access": article.free_access,
        "content_hash": article.content_hash,
        "simhash": article.simhash,
        "fetched_at": utc(article.fetched_at),
        "last_seen": utc(article.fetched_at) or now,
        "origin": article.origin,
        "warc_file": article.warc_file,
        "warc_offset": article.warc_offset,
    }


def article_key(article: Article) -> str:
    return normalize_url(article.canonical_url or article.url)


def load_articles(
    engine: Engine,
    records: Iterable[Article],
    registry: list[SourceEntry],
    *,
    batch_size: int = 500,
    run_id: str | None = None,
    retry: Retry | None = None,
    near_duplicate_distance: int = MAX_DISTANCE,
    keep_stored: bool = False,
) -> LoadReport:
    """Upsert articles and their entities keyed on the normalised canonical URL.

    With `keep_stored` (a backfill from an older archive), articles already stored are left
    exactly as they are and count as unchanged; only new ones are inserted.

    A batch that fails on a transient error (server gone, deadlock, or silent for
    `retry.answer_timeout`) is retried whole with backoff; if it still fails, `DatabaseError`
    names the database and nothing later is attempted.
    """
    retry = retry or Retry()
    report = LoadReport()
    url = str(engine.url)
    seen: dict[str, Counter] = {}

    def attempt(action, what: str):
        def watched():
            return with_answer_timeout(engine, retry.answer_timeout, action)

        try:
            return with_retries(watched, retry, what)
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
            with write_transaction(engine) as conn:
                result = _load_batch(conn, good, near_duplicate_distance, keep_stored)
                if run_id:
                    bump_load_counts(conn, run_id, result.per_source)
                return result

        result = attempt(load_batch, f"batch {number}")
        for name in ("inserted", "updated", "unchanged", "entities", "duplicates", "versions"):
            setattr(report, name, getattr(report, name) + getattr(result, name))
        for name, counts in result.per_source.items():
            seen[name].update({k: counts[k] for k in ("new", "updated", "duplicates")})
    if run_id and seen:
        attempt(lambda: finish_load(engine, run_id, seen), "recording the run")
    report.by_source = {name: dict(counts) for name, counts in seen.items()}
    return report


def _upsert_registry(engine: Engine, registry: list[SourceEntry]) -> None:
    statement = upsert(engine, sources)
    with write_transaction(engine) as conn:
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["name"],
                set_={"title": statement.excluded.title, "url": statement.excluded.url},
            ),
            [{"name": s.name, "title": s.title, "url": s.url} for s in registry],
        )


def _load_batch(
    conn: Connection, good: dict[str, Article], near_distance: int, keep_stored: bool = False
) -> _BatchResult:
    now = datetime.now(UTC)
    result = _BatchResult()
    names = sorted({a.source for a in good.values()})
    conn.execute(
        upsert(conn, sources).on_conflict_do_nothing(index_elements=["name"]),
        [{"name": n, "title": n, "url": ""} for n in names],
    )
    existing = stored_rows(conn, list(good))
    new_keys, changed, seen_again, unchanged = classify(good, existing, now, keep_stored)
    if changed:
        # A concurrent load of the same edit may have rewritten these rows since they were read:
        # lock them (PostgreSQL; SQLite writers hold the write lock already) and decide again.
        keys = [key for key, _ in changed]
        locked = stored_rows(conn, keys, lock=True)
        gone, changed, seen_more, unchanged_more = classify(
            {key: good[key] for key in keys}, locked, now
        )
        new_keys += gone
        seen_again += seen_more
        unchanged += unchanged_more
    targets = duplicate_targets(
        conn,
        [(key, good[key], None) for key in new_keys] + [(k, good[k], r.id) for k, r in changed],
        near_distance,
    )

    # Rows are written once, duplicate pointer included: on PostgreSQL a second UPDATE would
    # re-index the row's full-text entry.
    rewritten: dict[str, int] = {}
    first_pass = [k for k in new_keys if not isinstance(targets.get(k), str)]
    second_pass = [k for k in new_keys if isinstance(targets.get(k), str)]
    for keys in (first_pass, second_pass):
        if not keys:
            continue
        batch_ids = _ids_of(conn, [targets[k] for k in keys if k in second_pass], rewritten)
        rows = [
            {
                **_row(good[k], k, now),
                "first_seen": utc(good[k].fetched_at) or now,
                "duplicate_of": batch_ids.get(targets[k], targets[k]) if k in targets else None,
            }
            for k in keys
        ]
        inserted = _insert_new_articles(conn, rows)
        rewritten.update({r.canonical_url: r.id for r in inserted})
        result.inserted += len(inserted)
        # Stored meanwhile by a concurrent load of the same records.
        result.unchanged += len(rows) - len(inserted)
    if changed:
        conn.execute(
            upsert(conn, article_versions).on_conflict_do_nothing(
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
        columns = [*_row(good[changed[0][0]], changed[0][0], now), "duplicate_of"]
        conn.execute(
            update(articles)
            .where(articles.c.id == bindparam("row_id"))
            .values({name: bindparam(f"new_{name}") for name in columns}),
            [
                {
                    "row_id": row.id,
                    "new_duplicate_of": targets.get(key),
                    **{f"new_{k}": v for k, v in _row(good[key], key, now).items()},
                }
                for key, row in changed
            ],
        )
        rewritten.update({key: row.id for key, row in changed})
        result.updated = result.versions = len(changed)
    if seen_again:
        conn.execute(
            update(articles)
            .where(articles.c.id == bindparam("row_id"))
            .where(articles.c.last_seen < bindparam("seen_at"))
            .values(last_seen=bindparam("seen_at")),
            seen_again,
        )
    result.unchanged += unchanged

    if rewritten:
        ids = list(rewritten.values())
        conn.execute(delete(entities).where(entities.c.article_id.in_(ids)))
        conn.execute(delete(simhash_bands).where(simhash_bands.c.article_id.in_(ids)))
        entity_rows = {
            (article_id, e.label, e.text): (e.count, e.first_offset, e.id)
            for key, article_id in rewritten.items()
            for e in good[key].entities
        }
        insert_rows(
            conn,
            entities,
            ("article_id", "label", "text", "count", "first_offset", "entity_id"),
            [(*k, *v) for k, v in entity_rows.items()],
        )
        insert_rows(
            conn,
            simhash_bands,
            ("article_id", "band", "value"),
            [
                (article_id, band, value)
                for key, article_id in rewritten.items()
                if good[key].simhash is not None
                for band, value in enumerate(simhash_bands_of(good[key].simhash))
            ],
        )
        new_keys_set = set(new_keys)
        for key in rewritten:
            counts = result.per_source.setdefault(good[key].source, Counter())
            counts["new" if key in new_keys_set else "updated"] += 1
            counts["entities"] += len(good[key].entities)
            counts["duplicates"] += key in targets
        result.entities = len(entity_rows)
        result.duplicates = sum(key in targets for key in rewritten)
    for name in names:
        result.per_source.setdefault(name, Counter())
    return result


def _insert_new_articles(conn: Connection, rows: list[dict]) -> list:
    """Insert articles not stored yet (a concurrent load may have stored some: they are left
    alone); returns (id, canonical_url) of those inserted.

    On PostgreSQL the rows go through COPY into a temporary staging table and one
    `INSERT ... SELECT ... ON CONFLICT`: binding every column of a multi-row INSERT cost more than
    the server's own work. Ids are assigned in load order (`ORDER BY ord`), which the
    first-seen-copy rule relies on.
    """
    statement = upsert(conn, articles).on_conflict_do_nothing(index_elements=["canonical_url"])
    if conn.dialect.name != "postgresql":
        return conn.execute(
            statement.returning(articles.c.id, articles.c.canonical_url), rows
        ).all()
    columns = list(rows[0])
    names = ", ".join(columns)
    conn.execute(
        text(
            f"CREATE TEMPORARY TABLE articles_staging AS "
            f"SELECT 0 AS ord, {names} FROM articles WITH NO DATA"
        )
    )
    copy_rows(
        conn,
        "articles_staging",
        ("ord", *columns),
        [(n, *(row[c] for c in columns)) for n, row in enumerate(rows)],
    )
    inserted = conn.execute(
        text(
            f"INSERT INTO articles ({names}) SELECT {names} FROM articles_staging ORDER BY ord "
            "ON CONFLICT (canonical_url) DO NOTHING RETURNING id, canonical_url"
        )
    ).all()
    conn.execute(text("DROP TABLE articles_staging"))
    return inserted


def _ids_of(conn: Connection, keys: list, known: dict[str, int]) -> dict[str, int]:
    """Ids of articles by canonical URL, from this batch's inserts or (lost a race) the table."""
    missing = [k for k in keys if k not in known]
    if not missing:
        return known
    found = conn.execute(
        select(articles.c.canonical_url, articles.c.id).where(articles.c.canonical_url.in_(missing))
    ).all()
    return {**known, **dict(found)}
