"""Load: articles/s for 10,000 synthetic articles with entities, into SQLite and PostgreSQL.

Baseline in the same run: row by row (one transaction per article, one INSERT per row), into a
fresh database of the same schema. The batched figure is `storage.load_articles` as the pipeline
runs it (settings' batch size), plus a re-load of the same records (all unchanged).
PostgreSQL is the server on 127.0.0.1:5432 (a scratch database is created and dropped); it is
skipped with the reason when not reachable.
"""

from __future__ import annotations

import random
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from extraction.record import Article, Entity
from newsflow.settings import Settings
from storage import connect, load_articles
from storage.database import write_transaction
from storage.load import _row, article_key
from storage.query import PG_TSVECTOR
from storage.schema import articles, entities, sources, upsert

N = 10_000
PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
WORDS = [
    "council",
    "river",
    "road",
    "school",
    "market",
    "bridge",
    "flood",
    "police",
    "court",
    "water",
    "power",
    "election",
]
PLACES = ["Ramadi", "Fallujah", "Annah", "Rawa", "Qaim", "Hit", "Haditha", "Anbar", "Baghdad"]


def synthetic_articles(n: int, seed: int = 5) -> list[Article]:
    rng = random.Random(seed)
    now = datetime(2026, 11, 25, tzinfo=UTC)
    records = []
    for i in range(n):
        places = rng.sample(PLACES, 4)
        body = " ".join(rng.choice(WORDS + places) for _ in range(400))
        records.append(
            Article(
                url=f"https://bench.example/news/{i}",
                source="bench",
                title=f"{places[0]} {rng.choice(WORDS)} story {i}",
                authors=[f"Reporter {i % 40}"],
                published=now - timedelta(minutes=i),
                language="en",
                text=body,
                tags=rng.sample(WORDS, 3),
                extractor="bench",
                entities=[Entity(p, "GPE", body.count(p), body.find(p)) for p in places]
                + [
                    Entity(f"Reporter {i % 40}", "PERSON", 1, 0),
                    Entity(f"{places[1]} Council", "ORG", 1, 5),
                    Entity("Iraqi Army", "ORG", 2, 9),
                    Entity("Ministry of Water", "ORG", 1, 17),
                ],
                fetched_at=now,
            )
        )
        records[-1].simhash = rng.getrandbits(64) - (1 << 63)
    return records


def row_by_row(engine: Engine, records: list[Article]) -> None:
    """The naive loader: one transaction per article and one statement per row."""
    now = datetime.now(UTC)
    with write_transaction(engine) as conn:
        conn.execute(
            upsert(engine, sources).on_conflict_do_nothing(),
            {"name": "bench", "title": "", "url": ""},
        )
    for article in records:
        key = article_key(article)
        with write_transaction(engine) as conn:
            article_id = conn.execute(
                upsert(engine, articles)
                .values({**_row(article, key, now), "first_seen": now})
                .on_conflict_do_nothing(index_elements=["canonical_url"])
                .returning(articles.c.id)
            ).scalar()
            for e in article.entities:
                conn.execute(
                    upsert(engine, entities)
                    .values(
                        article_id=article_id,
                        label=e.label,
                        text=e.text,
                        count=e.count,
                        first_offset=e.first_offset,
                    )
                    .on_conflict_do_nothing()
                )


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _bench(name: str, new_url: Callable[[], str], records: list[Article]) -> None:
    batch_size = Settings().load_batch_size
    baseline = connect(new_url())
    batched = connect(new_url())
    try:
        slow = _timed(lambda: row_by_row(baseline, records))
        fast = _timed(lambda: load_articles(batched, records, [], batch_size=batch_size))
        again = _timed(lambda: load_articles(batched, records, [], batch_size=batch_size))
        indexing = _full_text_cost(batched)
    finally:
        baseline.dispose()
        batched.dispose()
    n = len(records)
    print(f"{name}:")
    print(f"  row by row (baseline)        {n / slow:8.0f} articles/s  ({slow:.1f} s)")
    print(
        f"  batched ({batch_size} per transaction)  {n / fast:8.0f} articles/s  ({fast:.1f} s); "
        f"ratio {slow / fast:.1f}x"
    )
    print(f"  re-load, all unchanged       {n / again:8.0f} articles/s  ({again:.1f} s)")
    if indexing is not None:
        print(
            f"  of the batched time, {indexing:.1f} s is computing to_tsvector for the GIN index "
            f"(measured alone: {n / indexing:.0f} articles/s)"
        )


def _full_text_cost(engine: Engine) -> float | None:
    """PostgreSQL: the time to compute every article's search vector, which each insert pays."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return _timed(
            lambda: conn.execute(text(f"SELECT count({PG_TSVECTOR}) FROM articles")).scalar()
        )


def main() -> None:
    records = synthetic_articles(N)
    n_entities = sum(len(a.entities) for a in records)
    print(f"{N} synthetic articles, {n_entities} entity rows, ~{len(records[0].text)} chars each")
    with tempfile.TemporaryDirectory() as tmp:
        _bench("SQLite", lambda: f"sqlite:///{Path(tmp) / uuid.uuid4().hex}.db", records)
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        admin.connect().close()
    except Exception as exc:  # noqa: BLE001 - report and skip
        print(f"PostgreSQL: skipped, 127.0.0.1:5432 not reachable ({exc.__class__.__name__})")
        return
    created: list[str] = []

    def new_pg() -> str:
        name = f"newsflow_bench_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"

    try:
        _bench("PostgreSQL (psycopg2)", new_pg, records)
    finally:
        with admin.connect() as conn:
            for name in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
