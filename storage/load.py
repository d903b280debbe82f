"""Loading article records: batched, one transaction per batch, safe to re-run."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from extraction.record import Article
from newsflow.sources import Source
from newsflow.urls import normalize_url
from storage.database import DatabaseError, redact_url
from storage.schema import articles, entities, sources


@dataclass
class LoadReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_failed: int = 0
    entities: int = 0

    @property
    def stored(self) -> int:
        return self.inserted + self.updated + self.unchanged


def _insert(engine: Engine):
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


def _batches(items: Iterable[Article], size: int) -> Iterator[list[Article]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _row(article: Article, key: str, now: datetime) -> dict:
    return {
        "source": article.source,
        "url": article.url,
        "canonical_url": key,
        "title": article.title,
        "authors": article.authors,
        "published": article.published,
        "published_source": article.published_source,
        "modified": article.modified,
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
        "fetched_at": article.fetched_at,
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
) -> LoadReport:
    """Upsert articles and their entities keyed on the normalised canonical URL."""
    report = LoadReport()
    insert = _insert(engine)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(sources)
                .values([{"name": s.name, "title": s.title, "url": s.url} for s in registry])
                .on_conflict_do_nothing(index_elements=["name"])
            )
        for batch in _batches(records, batch_size):
            _load_batch(engine, batch, report, insert)
    except OperationalError as exc:
        raise DatabaseError(
            f"load into {redact_url(str(engine.url))} failed: {exc.orig or exc}"
        ) from exc
    return report


def _load_batch(engine: Engine, batch: list[Article], report: LoadReport, insert) -> None:
    now = datetime.now(UTC)
    good = {}
    for article in batch:
        if article.ok:
            good[article_key(article)] = article
        else:
            report.skipped_failed += 1
    if not good:
        return
    with engine.begin() as conn:
        existing = {
            row.canonical_url: (row.id, row.content_hash)
            for row in conn.execute(
                select(articles.c.id, articles.c.canonical_url, articles.c.content_hash).where(
                    articles.c.canonical_url.in_(list(good))
                )
            )
        }
        new_rows = [
            {**_row(a, key, now), "first_seen": now}
            for key, a in good.items()
            if key not in existing
        ]
        if new_rows:
            conn.execute(
                insert(articles).on_conflict_do_nothing(index_elements=["canonical_url"]),
                new_rows,
            )
        changed = [
            key for key, a in good.items() if key in existing and existing[key][1] != a.content_hash
        ]
        for key in changed:
            conn.execute(
                update(articles)
                .where(articles.c.id == existing[key][0])
                .values(_row(good[key], key, now))
            )
        unchanged = [key for key in good if key in existing and key not in changed]
        if unchanged:
            conn.execute(
                update(articles)
                .where(articles.c.canonical_url.in_(unchanged))
                .values(last_seen=now)
            )
        rewrite = [key for key in good if key not in existing or key in changed]
        ids = (
            dict(
                conn.execute(
                    select(articles.c.canonical_url, articles.c.id).where(
                        articles.c.canonical_url.in_(rewrite)
                    )
                ).all()
            )
            if rewrite
            else {}
        )
        if ids:
            conn.execute(delete(entities).where(entities.c.article_id.in_(list(ids.values()))))
            entity_rows = [
                {
                    "article_id": ids[key],
                    "label": e.label,
                    "text": e.text,
                    "count": e.count,
                    "first_offset": e.first_offset,
                }
                for key in ids
                for e in good[key].entities
            ]
            if entity_rows:
                conn.execute(
                    insert(entities).on_conflict_do_nothing(
                        index_elements=["article_id", "label", "text"]
                    ),
                    entity_rows,
                )
                report.entities += len(entity_rows)
        report.inserted += len(new_rows)
        report.updated += len(changed)
        report.unchanged += len(unchanged)


def known_urls(engine: Engine, source: str) -> set[str]:
    """Normalised URLs (as fetched and canonical) of the articles already stored for a source."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(articles.c.url, articles.c.canonical_url).where(articles.c.source == source)
        ).all()
    return {normalize_url(u) for row in rows for u in row}
