"""Loading article records: batched upserts, one transaction per batch, safe to re-run.

Every batch is one transaction, so a load killed midway leaves whole batches behind and a re-run
finishes the job (already stored articles come back "unchanged"). Per-run statistics are bumped in
the same transaction as the rows they count, so they too come out the same after a re-run.
"""

from __future__ import annotations

import functools
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import combinations, islice

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    bindparam,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import TextClause

from extraction.dedup import MAX_DISTANCE, hamming_distance
from extraction.record import Article
from newsflow.sources import Source
from newsflow.urls import normalize_url
from storage.database import Retry, database_error, with_retries, write_transaction
from storage.schema import (
    article_versions,
    articles,
    entities,
    runs,
    simhash_bands,
    sources,
)

BANDS = 4
BAND_BITS = 16
_PROBE_CHUNK = 5000
# Characters that COPY's text format needs escaped.
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
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


def simhash_bands_of(value: int) -> list[int]:
    """The four 16-bit bands of a signed 64-bit SimHash, as stored in `simhash_bands`."""
    unsigned = value & ((1 << 64) - 1)
    return [(unsigned >> (BAND_BITS * i)) & 0xFFFF for i in range(BANDS)]


def band_probes(value: int, max_distance: int) -> list[tuple[int, int]]:
    """(band, value) pairs to look up so that no fingerprint within `max_distance` bits is missed.

    Two fingerprints `d` bits apart differ in at most `d // 4` bits in one of the four bands
    (pigeonhole), so each band is probed with its own value and every value within that radius:
    17 probes per band for the measured 7-bit threshold, each an indexed equality lookup.
    """
    flips = _flips(max_distance // BANDS)
    return [
        (band, own ^ flip) for band, own in enumerate(simhash_bands_of(value)) for flip in flips
    ]


@functools.cache
def _flips(radius: int) -> tuple[int, ...]:
    """Every 16-bit mask with at most `radius` bits set."""
    return (0,) + tuple(
        sum(1 << bit for bit in bits)
        for r in range(1, radius + 1)
        for bits in combinations(range(BAND_BITS), r)
    )


def _row(article: Article, key: str, now: datetime) -> dict:
    """The article's columns; `last_seen` is when it was fetched, so a re-load changes nothing."""
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
        "simhash": article.simhash,
        "fetched_at": _utc(article.fetched_at),
        "last_seen": _utc(article.fetched_at) or now,
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
    near_duplicate_distance: int = MAX_DISTANCE,
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
            with write_transaction(engine) as conn:
                result = _load_batch(conn, good, insert, near_duplicate_distance)
                if run_id:
                    _bump_run(conn, insert, run_id, result.per_source)
                return result

        result = attempt(load_batch, f"batch {number}")
        for name in ("inserted", "updated", "unchanged", "entities", "duplicates", "versions"):
            setattr(report, name, getattr(report, name) + getattr(result, name))
        for name, counts in result.per_source.items():
            seen[name].update({k: counts[k] for k in ("new", "updated", "duplicates")})
    if run_id and seen:
        attempt(lambda: _finish_run(engine, insert, run_id, seen), "recording the run")
    report.by_source = {name: dict(counts) for name, counts in seen.items()}
    return report


def _upsert_registry(engine: Engine, registry: list[Source]) -> None:
    insert = _insert(engine)
    statement = insert(sources)
    with write_transaction(engine) as conn:
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
    existing = _stored_rows(conn, list(good))
    new_keys, changed, seen_again, unchanged = _classify(good, existing, now)
    if changed:
        # A concurrent load of the same edit may have rewritten these rows since they were read:
        # lock them (PostgreSQL; SQLite writers hold the write lock already) and decide again.
        keys = [key for key, _ in changed]
        locked = _stored_rows(conn, keys, lock=True)
        gone, changed, seen_more, unchanged_more = _classify(
            {key: good[key] for key in keys}, locked, now
        )
        new_keys += gone
        seen_again += seen_more
        unchanged += unchanged_more
    targets = _duplicate_targets(
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
                "first_seen": _utc(good[k].fetched_at) or now,
                "duplicate_of": batch_ids.get(targets[k], targets[k]) if k in targets else None,
            }
            for k in keys
        ]
        inserted = _insert_new_articles(conn, insert, rows)
        rewritten.update({r.canonical_url: r.id for r in inserted})
        result.inserted += len(inserted)
        # Stored meanwhile by a concurrent load of the same records.
        result.unchanged += len(rows) - len(inserted)
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
            (article_id, e.label, e.text): (e.count, e.first_offset)
            for key, article_id in rewritten.items()
            for e in good[key].entities
        }
        _insert_rows(
            conn,
            entities,
            ("article_id", "label", "text", "count", "first_offset"),
            [(*k, *v) for k, v in entity_rows.items()],
        )
        _insert_rows(
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


def _stored_rows(conn: Connection, keys: list[str], *, lock: bool = False) -> dict[str, Row]:
    """The stored rows of these canonical URLs; `lock` takes their row locks in id order."""
    statement = select(
        articles.c.id,
        articles.c.canonical_url,
        articles.c.content_hash,
        articles.c.title,
        articles.c.text,
        articles.c.modified,
        articles.c.fetched_at,
        articles.c.last_seen,
    ).where(articles.c.canonical_url.in_(keys))
    if lock:
        statement = statement.order_by(articles.c.id).with_for_update()
    return {row.canonical_url: row for row in conn.execute(statement)}


def _classify(
    good: dict[str, Article], existing: dict[str, Row], now: datetime
) -> tuple[list[str], list[tuple[str, Row]], list[dict], int]:
    """New keys, changed (key, stored row) pairs, last-seen bumps, and how many are unchanged."""
    new_keys, changed, seen_again, unchanged = [], [], [], 0
    for key, article in good.items():
        row = existing.get(key)
        if row is None:
            new_keys.append(key)
        elif row.content_hash == article.content_hash or _is_stale(article, row):
            seen_at = _utc(article.fetched_at) or now
            if seen_at > _utc(row.last_seen):
                seen_again.append({"row_id": row.id, "seen_at": seen_at})
            unchanged += 1
        else:
            changed.append((key, row))
    return new_keys, changed, seen_again, unchanged


def _insert_new_articles(conn: Connection, insert, rows: list[dict]) -> list:
    """Insert articles not stored yet (a concurrent load may have stored some: they are left
    alone); returns (id, canonical_url) of those inserted.

    On PostgreSQL the rows go through COPY into a temporary staging table and one
    `INSERT ... SELECT ... ON CONFLICT`: binding every column of a multi-row INSERT cost more than
    the server's own work. Ids are assigned in load order (`ORDER BY ord`), which the
    first-seen-copy rule relies on.
    """
    statement = insert(articles).on_conflict_do_nothing(index_elements=["canonical_url"])
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
    _copy_rows(
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


def _insert_rows(conn: Connection, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Plain inserts of rows that cannot conflict (their old rows were deleted in this
    transaction): COPY on PostgreSQL (psycopg2 or psycopg 3), executemany elsewhere."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        # straight to the driver's executemany: SQLAlchemy's per-row parameter processing cost
        # more than SQLite's own work for the tens of thousands of entity rows of a batch
        marks = ", ".join("?" for _ in columns)
        conn.exec_driver_sql(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", rows
        )
        return
    _copy_rows(conn, table.name, columns, rows)


def _copy_rows(conn: Connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """PostgreSQL COPY in text format, with psycopg2 or psycopg 3; lists and dicts as JSON."""
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with conn.connection.driver_connection.cursor() as cursor:
        if hasattr(cursor, "copy_expert"):
            buffer = io.StringIO()
            buffer.writelines("\t".join(map(_copy_text, row)) + "\n" for row in rows)
            buffer.seek(0)
            cursor.copy_expert(statement, buffer)
        else:
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row([_as_json(v) for v in row])


def _as_json(value: object) -> object:
    return json.dumps(value) if isinstance(value, list | dict) else value


def _copy_text(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, int):
        return str(value)
    raw = str(_as_json(value))
    if not _COPY_SPECIAL.search(raw):
        return raw
    return raw.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _int_list_in(values: list[int], start: int) -> TextClause:
    """`simhash_bands.value IN (...)` with the integers inlined: thousands of probe values would
    otherwise spend most of the load compiling one bound parameter each."""
    chunk = values[start : start + _PROBE_CHUNK]
    return text(f"simhash_bands.value IN ({','.join(str(int(v)) for v in chunk)})")


def _is_stale(article: Article, row) -> bool:
    """An older crawl's copy (an old extract loaded again) must not overwrite a newer one."""
    fetched, stored = _utc(article.fetched_at), _utc(row.fetched_at)
    return fetched is not None and stored is not None and fetched < stored


def _duplicate_targets(
    conn: Connection, items: list[tuple[str, Article, int | None]], near_distance: int
) -> dict[str, int | str]:
    """The first seen copy of each new or changed article's content, if there is one.

    `items` are (key, article, id if already stored), new ones in load order. Exact copies share
    the content hash (indexed); near copies are found by probing the SimHash bands (indexed, see
    `band_probes`) and then checked bit by bit. A copy of an earlier article of the same batch
    maps to that article's key (its id is not known until it is inserted); a copy of a stored
    article maps to its id, following that article's own pointer so that every copy points at
    the first one.
    """
    if not items:
        return {}
    hashes_of = {key: article.content_hash for key, article, _ in items}
    hashes = set(hashes_of.values())
    first_by_hash = dict(
        conn.execute(
            select(articles.c.content_hash, func.min(articles.c.id))
            .where(articles.c.content_hash.in_(hashes))
            .group_by(articles.c.content_hash)
        ).all()
    )
    probes = {
        key: band_probes(a.simhash, near_distance) for key, a, _ in items if a.simhash is not None
    }
    wanted: dict[int, set[int]] = {}
    for pairs in probes.values():
        for band, value in pairs:
            wanted.setdefault(band, set()).add(value)
    stored: dict[tuple[int, int], list[tuple[int, int, int | None]]] = {}
    for band, values in wanted.items():
        ordered = sorted(values)
        for start in range(0, len(ordered), _PROBE_CHUNK):
            rows = conn.execute(
                select(
                    simhash_bands.c.value,
                    articles.c.id,
                    articles.c.simhash,
                    articles.c.duplicate_of,
                )
                .join(simhash_bands, simhash_bands.c.article_id == articles.c.id)
                .where(simhash_bands.c.band == band, _int_list_in(ordered, start))
            )
            for r in rows:
                stored.setdefault((band, r.value), []).append((r.id, r.simhash, r.duplicate_of))

    # Earlier articles of this batch, by content hash and by band: (rank, root) where the root
    # is a stored id (ranked first, by id) or the key of a batch article (ranked by position).
    targets: dict[str, int | str] = {}
    batch_hashes: dict[str, tuple[tuple[int, int], int | str]] = {}
    batch_bands: dict[tuple[int, int], list[tuple[tuple[tuple[int, int], int | str], int]]] = {}
    for position, (key, article, own_id) in enumerate(items):
        signature = article.simhash
        probed = probes.get(key, [])
        options = []
        first = first_by_hash.get(hashes_of[key])
        if first is not None and (own_id is None or first < own_id):
            options.append(first)
        options += [
            duplicate_of or other_id
            for probe in probed
            for other_id, other, duplicate_of in stored.get(probe, [])
            if (own_id is None or other_id < own_id)
            and hamming_distance(signature, other) <= near_distance
        ]
        if own_id is not None:
            if options:
                targets[key] = min(options)
            continue
        earlier = [((0, option), option) for option in options]
        if hashes_of[key] in batch_hashes:
            earlier.append(batch_hashes[hashes_of[key]])
        earlier += [
            entry
            for probe in probed
            for entry, other in batch_bands.get(probe, [])
            if hamming_distance(signature, other) <= near_distance
        ]
        entry = min(earlier) if earlier else ((1, position), key)
        if earlier:
            targets[key] = entry[1]
        batch_hashes.setdefault(hashes_of[key], entry)
        if signature is not None:
            for band in enumerate(simhash_bands_of(signature)):
                batch_bands.setdefault(band, []).append((entry, signature))
    return targets


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
    with write_transaction(engine) as conn:
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
