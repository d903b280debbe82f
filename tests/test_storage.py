"""The load step against real SQLite and the real PostgreSQL on 127.0.0.1:5432, same tests for both.

The PostgreSQL cases carry the `postgres` marker: a server that does not answer fails the run
(tests/services.py), it does not turn them into skips.

Each PostgreSQL test gets its own database (created and dropped here), so engineers and CI jobs
running at the same time do not see each other's rows.
"""

from __future__ import annotations

import csv
import json
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, MetaData, Text, create_engine, event, func, select, text
from sqlalchemy.exc import OperationalError

from extraction.record import Article, Entity
from newsflow import cli, pipeline
from newsflow.pipeline.reports import CrawlReport
from newsflow.settings import Settings, load_settings
from storage import DatabaseError, connect, load_articles
from storage.database import Retry, with_retries
from storage.entity_search import EntityQuery, entity_counts, parse_entity
from storage.export import export_articles
from storage.migrate import alembic_config, current_revision, head_revision, include_name
from storage.query import day_counts, iter_export_rows, search
from storage.runs import CRAWL_STAGE, load_stats, record_run
from storage.schema import article_versions, articles, entities, metadata, runs
from tests.services import postgres_url
from tests.together import held_at_once, overlapped, run_together

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = postgres_url()
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


class Databases:
    """Makes fresh, empty databases of one backend and drops them afterwards."""

    def __init__(self, backend: str, tmp_path: Path) -> None:
        self.backend, self.tmp_path, self.created = backend, tmp_path, []

    def new(self) -> str:
        name = f"newsflow_test_{uuid.uuid4().hex[:12]}"
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp_path / name}.db"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.created.append(name)
        return postgres_url(name)

    def drop(self) -> None:
        if not self.created:
            return
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Databases:
    dbs = Databases(request.param, tmp_path)
    yield dbs
    dbs.drop()


@pytest.fixture
def db_url(databases: Databases) -> str:
    return databases.new()


def make_article(i: int, source: str = "demo", **changes: object) -> Article:
    article = Article(
        url=f"https://news.example/{source}/story-{i}?utm_source=feed",
        source=source,
        canonical_url=f"https://news.example/{source}/story-{i}",
        title=f"Story {i}: council meets in Ramadi",
        authors=[f"Reporter {i % 7}"],
        published=NOW - timedelta(hours=i),
        language="en",
        text=f"Body of story {i}. The council in Ramadi discussed roads and schools. " * 3,
        section="Local",
        tags=["council", f"tag{i % 5}"],
        extractor="trafilatura",
        entities=[
            Entity("Ramadi", "GPE", 3, 40),
            Entity(f"Reporter {i % 7}", "PERSON", 1, 0),
            Entity("Anbar Council", "ORG", 1, 10),
        ],
        fetched_at=NOW,
    )
    for key, value in changes.items():
        setattr(article, key, value)
    return article


def snapshot(url: str) -> dict:
    """Everything a load decides (first/last seen come from the records), without ids."""
    engine = connect(url)
    with engine.connect() as conn:
        key = dict(conn.execute(select(articles.c.id, articles.c.canonical_url)).all())
        state = {
            "articles": sorted(
                (
                    r.canonical_url,
                    r.source,
                    r.title,
                    r.text,
                    r.content_hash,
                    key.get(r.duplicate_of),
                    r.first_seen,
                    r.last_seen,
                )
                for r in conn.execute(select(articles))
            ),
            "entities": sorted(
                (key[r.article_id], r.label, r.text, r.count, r.first_offset)
                for r in conn.execute(select(entities))
            ),
            "versions": sorted(
                (key[r.article_id], r.content_hash, r.text)
                for r in conn.execute(select(article_versions))
            ),
            "runs": sorted(
                (r.run_id, r.source, r.status, json.dumps(r.stats, sort_keys=True))
                for r in conn.execute(select(runs))
            ),
        }
    engine.dispose()
    return state


def write_jsonl(path: Path, records: list[Article]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(a.to_dict()) + "\n" for a in records), encoding="utf-8")
    return path


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- migrations ----------------------------------------------------------------------------------


def test_migrations_produce_exactly_the_schema(db_url: str) -> None:
    engine = connect(db_url)
    with engine.connect() as conn:
        assert current_revision(conn) == head_revision()
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        assert compare_metadata(context, metadata) == []
        drifted = MetaData()
        for table in metadata.tables.values():
            table.to_metadata(drifted)
        drifted.tables["crawl_state"].append_column(Column("new_field", Text))
        assert compare_metadata(context, drifted), "the drift check must notice a new column"
    engine.dispose()


def test_a_pre_migration_database_is_adopted(db_url: str) -> None:
    engine = connect(db_url)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0001")
        conn.execute(text("DROP TABLE alembic_version"))
    engine.dispose()
    load_articles(connect(db_url), [make_article(1)], [])
    engine = connect(db_url)
    with engine.connect() as conn:
        assert current_revision(conn) == head_revision()
    assert [h.title for h in search(engine, "Ramadi")] == [make_article(1).title]
    engine.dispose()


def test_two_processes_upgrading_at_once_both_succeed(db_url: str, tmp_path: Path) -> None:
    script = """
        import storage.migrate  # alembic loads on first use: not after the go
        from storage.engine import connect
        wait_for_go()
        started = time.monotonic()
        connect(sys.argv[1]).dispose()
        print(started, time.monotonic())
        """
    children = run_together([(script, [db_url])] * 2, tmp_path)
    (a_start, a_end), (b_start, b_end) = ([float(t) for t in c.stdout.split()] for c in children)
    # staged: each began upgrading the empty database before the other was done, and at least
    # one migrated it (the other waited, then found it at head or migrated nothing)
    assert a_start < b_end and b_start < a_end
    first, second = (c.transactions for c in children)
    assert first or second
    if db_url.startswith("sqlite"):
        assert not held_at_once(first, second)
    engine = connect(db_url)
    with engine.connect() as conn:
        assert current_revision(conn) == head_revision()
    engine.dispose()


# -- loading -------------------------------------------------------------------------------------


def test_reloading_changes_nothing(db_url: str) -> None:
    records = [make_article(i) for i in range(120)]
    engine = connect(db_url)
    first = load_articles(engine, records, [], batch_size=50, run_id="r1")
    before = snapshot(db_url)
    second = load_articles(engine, records, [], batch_size=50, run_id="r1")
    engine.dispose()
    assert (first.inserted, first.entities) == (120, 360)
    assert (second.inserted, second.updated, second.unchanged, second.entities) == (0, 0, 120, 0)
    assert (first.by_source["demo"]["articles"], first.by_source["demo"]["new"]) == (120, 120)
    assert second.by_source["demo"]["new"] == 0
    assert snapshot(db_url) == before
    assert len(before["articles"]) == 120 and len(before["entities"]) == 360


def test_one_article_is_one_row_whatever_its_tracking_parameters(db_url: str) -> None:
    """The key is the normalised canonical URL (the page URL without one): the same article
    seen with tracking parameters, another case of host or a fragment is stored once."""
    plain = make_article(1)
    tracked = make_article(1, canonical_url="https://News.Example/demo/story-1?utm_source=rss#top")
    no_canonical = make_article(2, canonical_url="")
    engine = connect(db_url)
    first = load_articles(engine, [plain, no_canonical], [])
    again = load_articles(
        engine,
        [tracked, make_article(2, canonical_url="", url=no_canonical.url + "&utm_medium=x")],
        [],
    )
    with engine.connect() as conn:
        keys = sorted(conn.execute(select(articles.c.canonical_url)).scalars())
    engine.dispose()
    assert (first.inserted, again.inserted, again.unchanged) == (2, 0, 2)
    assert keys == ["https://news.example/demo/story-1", "https://news.example/demo/story-2"]


def test_awkward_values_are_stored_exactly(db_url: str) -> None:
    """PostgreSQL loads through COPY's text format, escaped by hand: tabs, backslashes, line
    breaks, quotes and lists must come back as they went in."""
    awkward = make_article(
        1,
        title='Tab\there, back\\slash, "quotes" and \\N',
        text="Line one\r\nline two\n\n\tindented \\ end. عربي نص",
        authors=['Ali "Abu" Hassan', "O'Neil\\"],
        tags=["a\tb", "c\nd"],
        captions=[],
        description=None,
        simhash=-(2**63),
    )
    engine = connect(db_url)
    load_articles(engine, [awkward], [])
    with engine.connect() as conn:
        row = conn.execute(select(articles)).one()
    engine.dispose()
    assert (row.title, row.text, row.authors, row.tags) == (
        awkward.title,
        awkward.text,
        awkward.authors,
        awkward.tags,
    )
    assert (row.captions, row.description, row.simhash) == ([], None, -(2**63))


def test_an_edit_keeps_the_earlier_version(db_url: str) -> None:
    original = make_article(1)
    edited = make_article(
        1,
        title="Story 1: council meets in Fallujah",
        text="A corrected body: the council met in Fallujah instead.",
        fetched_at=NOW + timedelta(days=1),
    )
    engine = connect(db_url)
    load_articles(engine, [original, make_article(2)], [])
    report = load_articles(engine, [edited], [])
    assert (report.updated, report.versions) == (1, 1)
    stale = load_articles(engine, [original], [])  # an old extract loaded again
    again = load_articles(engine, [edited], [])
    assert (stale.updated, again.updated) == (0, 0)
    with engine.connect() as conn:
        row = conn.execute(select(articles).where(articles.c.title.like("%Fallujah%"))).one()
        versions = conn.execute(select(article_versions)).all()
    assert row.text == edited.text
    assert [(v.article_id, v.title, v.text) for v in versions] == [
        (row.id, original.title, original.text)
    ]
    assert [h.title for h in search(engine, "Fallujah")] == [edited.title]
    assert [h.title for h in search(engine, "Ramadi council", source="demo")] == [
        make_article(2).title
    ]
    engine.dispose()


def test_copies_point_to_the_first_seen_article(db_url: str) -> None:
    first = make_article(1, simhash=0x0F0F_0000_1234_5678)
    exact = make_article(1, source="other", canonical_url="https://other.example/copy")
    # 7 bits apart (the measured threshold), spread so that every 16-bit band differs
    near = make_article(3, simhash=0x0F0F_0000_1234_5678 ^ 0x0001_0003_0003_0003)
    far = make_article(4, simhash=0x0F0F_0000_1234_5678 ^ 0x0300_0300_0300_0300)  # 8 bits
    negative = make_article(5, simhash=-(0x0F0F_0000_1234_5678 ^ 0b1))
    engine = connect(db_url)
    load_articles(engine, [first], [])
    report = load_articles(engine, [exact, near, far, negative], [], batch_size=2)
    with engine.connect() as conn:
        rows = {r.canonical_url: r for r in conn.execute(select(articles))}
    engine.dispose()
    first_id = rows[first.canonical_url].id
    assert rows[first.canonical_url].duplicate_of is None
    assert rows[exact.canonical_url].duplicate_of == first_id
    assert rows[near.canonical_url].duplicate_of == first_id
    assert rows[far.canonical_url].duplicate_of is None
    assert rows[negative.canonical_url].duplicate_of is None
    assert report.duplicates == 2


def int64(value: int) -> int:
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


def test_copies_within_one_batch_point_to_the_earliest(db_url: str) -> None:
    signature = -0x1234_5678_9ABC_DEF0
    original = make_article(10, simhash=signature)
    near = make_article(11, simhash=int64(signature ^ (1 << 63) ^ 1))  # 2 bits, sign flipped
    near_of_near = make_article(12, simhash=int64(signature ^ (1 << 63) ^ 0b111))  # 3 bits
    exact = make_article(10, canonical_url="https://news.example/demo/story-10-amp")
    edited_into_copy = make_article(13)
    engine = connect(db_url)
    load_articles(engine, [original, near, near_of_near, exact, edited_into_copy], [])
    copy = make_article(13, title=original.title, text=original.text, fetched_at=NOW + timedelta(1))
    load_articles(engine, [copy], [])
    with engine.connect() as conn:
        rows = {r.canonical_url: r.duplicate_of for r in conn.execute(select(articles))}
        ids = dict(conn.execute(select(articles.c.canonical_url, articles.c.id)).all())
    engine.dispose()
    first = ids[original.canonical_url]
    assert rows[original.canonical_url] is None
    for article in (near, near_of_near, exact, edited_into_copy):
        assert rows[article.canonical_url] == first, article.canonical_url


def test_two_loads_at_once_end_like_one(databases: Databases, tmp_path: Path) -> None:
    """Same extract loaded twice at once, new and edited articles: rows, versions and run stats
    come out as one load's, and only one of the two loads reports each article as new or
    updated."""
    base = [make_article(i) for i in range(0, 240, 3)]
    records = [make_article(i) for i in range(300)]
    records += [
        make_article(1000 + i, text=records[i].text, title=records[i].title) for i in range(5)
    ]
    for i in range(0, 240, 6):  # half of the stored articles are edited
        records[i] = make_article(
            i, text=f"Corrected story {i}: the council met in Fallujah.", fetched_at=NOW + DAY
        )
    first = write_jsonl(tmp_path / "data" / "extracted" / "base.jsonl", base)
    extract = write_jsonl(tmp_path / "data" / "extracted" / "twice.jsonl", records)
    reference, shared = databases.new(), databases.new()
    for url in (reference, shared):
        pipeline.load(Settings(database_url=url, load_batch_size=40), str(first), [])
    once = pipeline.load(Settings(database_url=reference, load_batch_size=40), str(extract), [])
    assert (once.inserted, once.updated) == (225, 40)
    script = """
        import storage.migrate  # alembic loads on first use: not after the go
        from newsflow import pipeline
        from newsflow.settings import Settings
        settings = Settings(database_url=sys.argv[1], load_batch_size=40)
        wait_for_go()
        report = pipeline.load(settings, sys.argv[2], [])
        print(report.inserted, report.updated, report.entities)
        """
    children = run_together([(script, [shared, str(extract)])] * 2, tmp_path)
    first, second = (c.transactions for c in children)
    # staged: the loads overlapped; on PostgreSQL both held a transaction at the same moment, on
    # SQLite one waited for the other's write lock (writers queue, never hold it together)
    assert len(first) >= 8 and len(second) >= 8  # 305 records in batches of 40, each
    assert overlapped(first, second)
    assert held_at_once(first, second) == (databases.backend == "postgresql")
    counts = [[int(n) for n in c.stdout.split()] for c in children]
    expected = [once.inserted, once.updated, once.entities]
    assert [sum(c) for c in zip(*counts, strict=True)] == expected
    assert snapshot(shared) == snapshot(reference)


def test_an_edit_loaded_twice_at_once_is_counted_once(databases: Databases) -> None:
    """The second load reads the edited article's row while the first has rewritten it but not
    yet committed: it must end up seeing the edit as already stored, not store it again."""
    original, edited = make_article(1), make_article(1, text="Corrected.", fetched_at=NOW + DAY)
    reference, shared = databases.new(), databases.new()
    for url, records in ((reference, [original, edited]), (shared, [original])):
        engine = connect(url)
        for run_id, article in zip(("first", "edit"), records, strict=False):
            load_articles(engine, [article], [], run_id=run_id)
        engine.dispose()
    first, second = connect(shared), connect(shared)
    committing, second_began, second_read = threading.Event(), threading.Event(), threading.Event()
    postgres = databases.backend == "postgresql"
    staged: dict[str, bool] = {}

    def hold_first_commit(_conn) -> None:
        if not committing.is_set():
            committing.set()
            # SQLite: the second load waits for the write lock, so this waits out its 2 s
            second_read.wait(timeout=10 if postgres else 2)
            staged.update(began=second_began.is_set(), read=second_read.is_set())

    def note_second(_conn, _cursor, statement: str, *_args) -> None:
        second_began.set()  # its first statement (SQLite: BEGIN IMMEDIATE) is under way
        if statement.startswith("SELECT articles.id, articles.canonical_url"):
            second_read.set()

    event.listen(first, "commit", hold_first_commit)
    event.listen(second, "before_cursor_execute", note_second)
    with ThreadPoolExecutor(2) as pool:
        loads = [pool.submit(load_articles, first, [edited], [], run_id="edit")]
        assert committing.wait(timeout=30)
        loads.append(pool.submit(load_articles, second, [edited], [], run_id="edit"))
        reports = [f.result(timeout=60) for f in loads]
    first.dispose()
    second.dispose()
    # staged: the second load was under way while the first held its commit, and read the row
    # before that commit on PostgreSQL; on SQLite it queued for the write lock instead
    assert staged == {"began": True, "read": postgres}
    assert sorted(r.updated for r in reports) == [0, 1]
    assert sum(r.entities for r in reports) == 3
    assert snapshot(shared) == snapshot(reference)


def test_an_open_reader_does_not_block_a_load(db_url: str) -> None:
    """An export half-way through holds a read transaction: a load goes ahead (SQLite readers
    take no write lock), and the export still sees the articles as they were when it began."""
    engine = connect(db_url)
    load_articles(engine, [make_article(1)], [])
    exporting = iter_export_rows(engine, batch_size=1)
    loader, pool = connect(db_url), ThreadPoolExecutor(1)
    try:
        assert next(exporting)["title"] == make_article(1).title
        loading = pool.submit(load_articles, loader, [make_article(2)], [], run_id="r")
        assert loading.result(timeout=5).inserted == 1
        assert list(exporting) == []
    finally:
        exporting.close()
        pool.shutdown()
        loader.dispose()
    titles = [h.title for h in search(engine, "Ramadi")]
    assert sorted(titles) == [make_article(1).title, make_article(2).title]
    engine.dispose()


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from sqlalchemy import event
    from newsflow import pipeline
    from newsflow.settings import Settings

    seen = {"batches": 0}

    def kill_in_third_batch(conn, cursor, statement, *args):
        # Each batch begins by inserting its sources; kill the third once its articles are in.
        if statement.startswith("INSERT INTO sources"):
            seen["batches"] += 1
        if statement.startswith("INSERT INTO articles") and seen["batches"] == 3:
            os.kill(os.getpid(), signal.SIGKILL)

    from storage import engine as opening
    original = opening.create_database_engine

    def engine_with_killer(url, *args):
        engine = original(url, *args)
        event.listen(engine, "after_cursor_execute", kill_in_third_batch)
        return engine

    opening.create_database_engine = engine_with_killer
    pipeline.load(Settings(database_url=sys.argv[1], load_batch_size=25), sys.argv[2], [])
    """
)


def test_a_killed_load_rerun_ends_like_an_uninterrupted_one(
    databases: Databases, tmp_path: Path
) -> None:
    records = [make_article(i) for i in range(200)]
    extract = write_jsonl(tmp_path / "data" / "extracted" / "killed.jsonl", records)
    reference, target = databases.new(), databases.new()
    pipeline.load(Settings(database_url=reference, load_batch_size=25), str(extract), [])
    child = subprocess.run(
        [sys.executable, "-c", KILLER, target, str(extract)], cwd=ROOT, capture_output=True
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-3000:]
    engine = connect(target)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(articles)) == 50  # two whole batches
    engine.dispose()
    report = pipeline.load(Settings(database_url=target, load_batch_size=25), str(extract), [])
    assert (report.inserted, report.unchanged) == (150, 50)
    assert snapshot(target) == snapshot(reference)


# -- using the data ------------------------------------------------------------------------------


def test_search_filters_by_time_source_and_entity(db_url: str) -> None:
    anbar = make_article(
        1,
        title="Flood defences for Annah",
        text="Engineers in Annah, a town in Anbar, said the river wall would hold.",
        entities=[Entity("Annah", "GPE", 2, 0), Entity("Anbar", "GPE", 1, 30)],
    )
    old = make_article(2, title="Annah market reopens", text="Annah traders returned.")
    old.published = NOW - timedelta(days=30)
    elsewhere = make_article(3, source="other", title="Annah bridge", text="Annah again.")
    quoted = make_article(4, title='A "quoted" OR -odd title', text="Punctuation: AND NOT (x).")
    engine = connect(db_url)
    load_articles(engine, [anbar, old, elsewhere, quoted], [])
    since = NOW - timedelta(days=7)
    assert {h.title for h in search(engine, "Annah")} == {anbar.title, old.title, elsewhere.title}
    assert {h.title for h in search(engine, "annah", since=since)} == {
        anbar.title,
        elsewhere.title,
    }
    hits = search(engine, "Annah", since=since, source="demo", entity=[parse_entity("GPE:Anbar")])
    assert [h.title for h in hits] == [anbar.title]
    assert "[Annah]" in hits[0].snippet
    assert search(engine, "Annah river wall", entity=[("ORG", "Anbar")]) == []
    assert [h.title for h in search(engine, '"quoted" OR -odd (x)')] == [quoted.title]
    assert search(engine, "Mosul") == []
    engine.dispose()


def test_postgres_search_uses_the_gin_index(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite searches the FTS5 table itself")
    from storage.query import PG_TSVECTOR

    engine = connect(db_url)
    load_articles(engine, [make_article(i) for i in range(20)], [])
    with engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        plan = conn.execute(
            text(
                f"EXPLAIN SELECT id FROM articles WHERE {PG_TSVECTOR} @@ "
                "plainto_tsquery('simple', 'Ramadi')"
            )
        ).all()
    engine.dispose()
    assert "ix_articles_fts" in " ".join(r[0] for r in plan)


def test_export_round_trip(db_url: str, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    records = [make_article(i) for i in range(30)]
    records[0].published = datetime(2024, 5, 1, 6, 0, tzinfo=timezone(timedelta(hours=3)))
    engine = connect(db_url)
    load_articles(engine, records, [], batch_size=7)
    expected = {a.canonical_url: a for a in records}

    count = export_articles(engine, tmp_path / "a.jsonl", "jsonl")
    rows = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert count == len(rows) == 30
    for row in rows:
        article = expected[row["canonical_url"]]
        assert (row["title"], row["text"], row["tags"]) == (
            article.title,
            article.text,
            article.tags,
        )
        assert datetime.fromisoformat(row["published"]) == article.published
        assert sorted((e["label"], e["text"]) for e in row["entities"]) == sorted(
            (e.label, e.text) for e in article.entities
        )

    assert export_articles(engine, tmp_path / "a.parquet", "parquet") == 30
    table = pq.read_table(tmp_path / "a.parquet")
    parquet_rows = {r["canonical_url"]: r for r in table.to_pylist()}
    assert set(parquet_rows) == set(expected)
    first = parquet_rows[records[0].canonical_url]
    assert first["published"] == records[0].published
    assert first["authors"] == records[0].authors
    assert {e["text"] for e in first["entities"]} == {e.text for e in records[0].entities}

    since = NOW - timedelta(hours=9, minutes=30)
    # records[0] was published in 2024: outside the window
    assert export_articles(engine, tmp_path / "a.csv", "csv", since=since, source="demo") == 9
    with open(tmp_path / "a.csv", encoding="utf-8", newline="") as stream:
        csv_rows = list(csv.DictReader(stream))
    engine.dispose()
    assert {r["canonical_url"] for r in csv_rows} == {a.canonical_url for a in records[1:10]}
    assert json.loads(csv_rows[0]["tags"]) == expected[csv_rows[0]["canonical_url"]].tags


def test_runs_record_per_source_load_stats(db_url: str, tmp_path: Path, capsys) -> None:
    records = [make_article(i) for i in range(10)]
    records += [make_article(i, source="other") for i in range(4)]  # copies of demo stories
    records.append(make_article(99, source="other", canonical_url=records[0].canonical_url + "/c"))
    records.append(Article(url="https://news.example/demo/broken", source="demo", error="no text"))
    extract = write_jsonl(tmp_path / "data" / "extracted" / "20261125T010000Z.jsonl", records)
    settings = Settings(database_url=db_url, data_dir=tmp_path / "data", load_batch_size=4)
    pipeline.load(settings, str(extract), [])
    edited = [make_article(1, text="Changed.", fetched_at=NOW + timedelta(days=1))]
    second = write_jsonl(tmp_path / "data" / "extracted" / "20261126T010000Z.jsonl", edited)
    pipeline.load(settings, str(second), [])
    pipeline.load(settings, str(second), [])
    engine = connect(db_url)
    stats = {(s.run_id, s.source): s for s in load_stats(engine)}
    engine.dispose()
    first_demo = stats[("20261125T010000Z", "demo")]
    assert (first_demo.articles, first_demo.new, first_demo.failed) == (10, 10, 1)
    first_other = stats[("20261125T010000Z", "other")]
    assert (first_other.articles, first_other.new, first_other.duplicates) == (5, 5, 4)
    later = stats[("20261126T010000Z", "demo")]
    assert (later.articles, later.new, later.updated, later.status) == (1, 0, 1, "ok")

    assert cli.main(["stats", "--database-url", db_url]) == 0
    out = capsys.readouterr().out
    assert out.index("20261126T010000Z") < out.index("20261125T010000Z")
    assert "other" in out and "duplicates" in out

    # the daily report's day: the copies of demo stories are not new articles of "other"
    engine = connect(db_url)
    with engine.connect() as conn:
        first_seen = conn.execute(select(func.min(articles.c.first_seen))).scalar_one()
    day = datetime.combine(first_seen.date(), datetime.min.time(), tzinfo=UTC)
    counts = day_counts(engine, day, day + timedelta(days=1))
    engine.dispose()
    assert counts.copies == {"other": 4} and counts.new == {"demo": 10, "other": 1}


def test_stats_shows_a_run_that_loaded_nothing(db_url: str, capsys) -> None:
    """A night with nothing new (or a site down) writes a crawl row and no load row; `newsflow
    stats` showed only loads, so such nights vanished from it."""
    engine = connect(db_url)
    quiet = CrawlReport(source="demo", discovered=24, skipped_seen=24)
    down = CrawlReport(source="other", status="site_down", robots_failure="connection")
    for report in (quiet, down):
        record_run(
            engine,
            run_id="20261127T010000Z",
            source=report.source,
            stage=CRAWL_STAGE,
            started_at=NOW + timedelta(days=7),
            status=report.status,
            stats=report.to_dict(),
        )
    stats = {s.source: s for s in load_stats(engine) if s.run_id == "20261127T010000Z"}
    engine.dispose()
    assert stats["demo"].crawl["skipped_seen"] == 24 and stats["demo"].articles == 0
    assert cli.main(["stats", "--database-url", db_url]) == 0
    out = capsys.readouterr().out
    assert "nothing loaded; crawl: nothing new: 24 listed, 24 already stored" in out
    assert "site_down" in out and "site unreachable" in out


def test_cli_search_export_and_db_upgrade(db_url: str, tmp_path: Path, capsys) -> None:
    engine = connect(db_url)
    load_articles(
        engine,
        [make_article(1, title="Annah council", entities=[Entity("Anbar", "GPE", 1, 0)])],
        [],
    )
    engine.dispose()
    assert cli.main(["db", "upgrade", "--database-url", db_url]) == 0
    assert head_revision() in capsys.readouterr().out
    args = ["search", "Annah", "--since", "3650d", "--source", "demo", "--entity", "GPE:Anbar"]
    assert cli.main([*args, "--database-url", db_url]) == 0
    assert "Annah council" in capsys.readouterr().out
    out_file = tmp_path / "out.jsonl"
    assert (
        cli.main(["export", "--format", "jsonl", "-o", str(out_file), "--database-url", db_url])
        == 0
    )
    assert json.loads(out_file.read_text())["title"] == "Annah council"


# -- entities across languages -------------------------------------------------------------------


def _anbar_in_three_languages() -> list[Article]:
    english = make_article(
        1,
        title="Troops advance on Annah",
        text="Troops advanced on Annah, west of Anbar, on Monday.",
        entities=[
            Entity("Annah", "GPE", 1, 20, "iq.anah"),
            Entity("Anbar", "GPE", 1, 35, "iq.anbar"),
        ],
    )
    transliterated = make_article(
        2,
        title="Council meets in Ramadi",
        text="The council of al-Anbar met in Ramadi.",
        entities=[
            Entity("al-Anbar", "GPE", 1, 15, "iq.anbar"),
            Entity("Ramadi", "GPE", 1, 31, "iq.ramadi"),
        ],
    )
    arabic = make_article(
        3,
        title="القوات العراقية تتقدم نحو عانة",
        language="ar",
        text="تقدمت القوات العراقية نحو عانة غرب الأنبار، وقُتل مسلحون من داعش في والقائم.",
        entities=[
            Entity("عانة", "GPE", 1, 27, "iq.anah"),
            Entity("الأنبار", "GPE", 1, 35, "iq.anbar"),
            Entity("داعش", "ORG", 1, 58, "iq.islamic-state"),
        ],
    )
    unrelated = make_article(
        4,
        title="Anbar Council",
        entities=[Entity("Anbar Council", "ORG", 1, 0)],
    )
    return [english, transliterated, arabic, unrelated]


def test_entity_ids_are_stored_and_search_finds_every_spelling(db_url: str) -> None:
    english, transliterated, arabic, _ = records = _anbar_in_three_languages()
    engine = connect(db_url)
    load_articles(engine, records, [])
    with engine.connect() as conn:
        stored = {(r.text, r.entity_id) for r in conn.execute(select(entities))}
    assert {("الأنبار", "iq.anbar"), ("al-Anbar", "iq.anbar"), ("Anbar Council", None)} <= stored

    anbar_titles = {english.title, transliterated.title, arabic.title}
    # By a name the stored rows carry: every article whose entity has the same id.
    hits = search(engine, "", entity=[parse_entity("GPE:Anbar")])
    assert {h.title for h in hits} == anbar_titles
    assert [h.title for h in hits] == [english.title, transliterated.title, arabic.title]
    assert hits[0].snippet.startswith("Troops advanced on Annah")
    assert {h.title for h in search(engine, "", entity=[("GPE", "الأنبار")])} == anbar_titles
    # By ids looked up in a gazetteer: a spelling no article uses, or the id itself.
    looked_up = EntityQuery("GPE", "Al Anbar", {"iq.anbar"})
    assert {h.title for h in search(engine, "", entity=[looked_up])} == anbar_titles
    # The label still counts, and a name without an id matches as written only.
    assert search(engine, "", entity=[("ORG", "Anbar")]) == []
    assert [h.title for h in search(engine, "", entity=[("ORG", "anbar council")])] == [
        "Anbar Council"
    ]
    # Words and entities together; two entities must both be named.
    assert [h.title for h in search(engine, "Annah", entity=[("GPE", "Anbar")])] == [english.title]
    both = [("GPE", "Anbar"), ("ORG", "Daesh", {"iq.islamic-state"})]
    assert [h.title for h in search(engine, "", entity=both)] == [arabic.title]
    assert search(engine, "") == []
    engine.dispose()


def test_export_carries_entity_ids_and_filters_by_entity(db_url: str, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    records = _anbar_in_three_languages()
    engine = connect(db_url)
    load_articles(engine, records, [])
    query = [EntityQuery("GPE", "Anbar", {"iq.anbar"})]
    assert export_articles(engine, tmp_path / "a.jsonl", "jsonl", entity=query) == 3
    rows = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert {e["id"] for row in rows for e in row["entities"] if e["label"] == "GPE"} == {
        "iq.anah",
        "iq.anbar",
        "iq.ramadi",
    }
    arabic = next(row for row in rows if row["language"] == "ar")
    assert arabic["entities"][1] == {
        "label": "GPE",
        "text": "الأنبار",
        "id": "iq.anbar",
        "count": 1,
        "offset": 35,
    }
    assert export_articles(engine, tmp_path / "a.parquet", "parquet", entity=query) == 3
    ids = {
        e["id"] for r in pq.read_table(tmp_path / "a.parquet").to_pylist() for e in r["entities"]
    }
    assert "iq.islamic-state" in ids
    counts = {c.entity_id: c for c in entity_counts(engine)}
    engine.dispose()
    assert counts["iq.anbar"].articles == 3
    assert counts["iq.anbar"].label == "GPE"
    assert sorted(counts["iq.anbar"].names) == [("Anbar", 1), ("al-Anbar", 1), ("الأنبار", 1)]
    assert counts["iq.anah"].articles == 2
    assert set(counts) == {"iq.anbar", "iq.anah", "iq.ramadi", "iq.islamic-state"}


def test_cli_search_by_entity_uses_the_gazetteer(db_url: str, tmp_path: Path, capsys) -> None:
    engine = connect(db_url)
    load_articles(engine, _anbar_in_three_languages(), [])
    # No stored row is written "Al Anbar": only the gazetteer knows it is iq.anbar.
    assert search(engine, "", entity=[("GPE", "Al Anbar")]) == []
    engine.dispose()
    assert cli.main(["search", "--entity", "GPE:al anbar", "--database-url", db_url]) == 0
    out = capsys.readouterr().out
    assert "Troops advance on Annah" in out and "القوات العراقية تتقدم نحو عانة" in out
    assert "Council meets in Ramadi" in out and "3 article(s)" in out
    assert cli.main(["search", "--entity", "GPE:iq.anah", "--database-url", db_url]) == 0
    assert "2 article(s)" in capsys.readouterr().out
    assert cli.main(["search", "--database-url", db_url]) == 2
    assert "search needs words to look for, or --entity" in capsys.readouterr().err
    out_file = tmp_path / "anbar.jsonl"
    args = ["export", "--entity", "ORG:ISIS", "-o", str(out_file), "--database-url", db_url]
    assert cli.main(args) == 0
    assert [json.loads(line)["title"] for line in out_file.read_text().splitlines()] == [
        "القوات العراقية تتقدم نحو عانة"
    ]


def test_cli_stats_counts_articles_per_entity_id(db_url: str, capsys) -> None:
    engine = connect(db_url)
    load_articles(engine, _anbar_in_three_languages(), [])
    engine.dispose()
    assert cli.main(["stats", "--entities", "2", "--database-url", db_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[1].split()[:3] == ["iq.anbar", "GPE", "3"]
    assert "الأنبار (1)" in lines[1] and "al-Anbar (1)" in lines[1]
    assert lines[2].split()[:3] == ["iq.anah", "GPE", "2"]
    assert cli.main(["stats", "--entities", "--source", "iraqinews", "--database-url", db_url]) == 0
    assert "no entities with a gazetteer id stored yet" in capsys.readouterr().out
    assert cli.main(["stats", "--entities", "--source", "nowhere", "--database-url", db_url]) == 2
    assert "unknown source nowhere; known: demo, " in capsys.readouterr().err


def test_migration_0005_gives_stored_entities_their_gazetteer_ids(db_url: str) -> None:
    engine = connect(db_url)
    load_articles(engine, [make_article(1, entities=[])], [])
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0004")
        article_id = conn.scalar(select(articles.c.id))
        for label, name in [
            ("GPE", "Anbar"),
            ("GPE", "al-Anbar"),
            ("ORG", "ISIS"),
            ("ORG", "Anbar"),
        ]:
            conn.execute(
                text(
                    "INSERT INTO entities (article_id, label, text, count, first_offset) "
                    "VALUES (:a, :l, :t, 1, 0)"
                ),
                {"a": article_id, "l": label, "t": name},
            )
    engine.dispose()
    engine = connect(db_url)
    with engine.connect() as conn:
        assert current_revision(conn) == head_revision()
        found = {(r.label, r.text): r.entity_id for r in conn.execute(select(entities))}
    engine.dispose()
    assert found == {
        ("GPE", "Anbar"): "iq.anbar",
        ("GPE", "al-Anbar"): "iq.anbar",
        ("ORG", "ISIS"): "iq.islamic-state",
        ("ORG", "Anbar"): None,
    }


ARABIC_BODY = (
    "قُتِلَ مسلحون في محافظة الأنبار أمس، وقالت مصادر إن القوات وصلت إلى بغداد وبالأنبار أيضاً."
)


def test_full_text_search_finds_arabic_words(db_url: str) -> None:
    """What each backend does with Arabic: whole words as written are found on both; neither
    strips the prefixes glued to a word (وبالأنبار is its own word); vowel marks split a word
    into pieces on SQLite (unicode61 reads them as separators) and stay part of it on PostgreSQL,
    so a word written with marks is found only with the same marks on either."""
    story = make_article(1, title="مقتل مسلحين في الأنبار", language="ar", text=ARABIC_BODY)
    engine = connect(db_url)
    load_articles(engine, [story, make_article(2)], [])

    def titles(query: str) -> list[str | None]:
        return [h.title for h in search(engine, query)]

    for words in ("الأنبار", "مسلحين", "بغداد", "وبالأنبار", "محافظة الأنبار", "قُتِلَ"):
        assert titles(words) == [story.title], words
    assert "[الأنبار]" in search(engine, "الأنبار")[0].snippet
    for words in ("قتل", "الانبار", "أنبار", "Ramadi الأنبار"):
        assert titles(words) == [], words
    # A mark at the end of a word (tanween) is dropped by SQLite, kept by PostgreSQL.
    assert titles("أيضا") == ([story.title] if db_url.startswith("sqlite") else [])
    engine.dispose()


# -- failures ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "invalid database URL"),
        ("postgresql+nosuchdriver://u:secret@127.0.0.1/x", "invalid database URL"),
        (
            "postgresql://u:secret@127.0.0.1:notaport/db",
            "invalid database URL postgresql+psycopg2://u:***@127.0.0.1:notaport/db",
        ),
        (
            "postgres://u:secret@127.0.0.1:notaport/db",
            "invalid database URL postgresql+psycopg2://u:***@127.0.0.1:notaport/db",
        ),
        ("sqlite:////proc/newsflow/denied.db", "cannot use database sqlite:////proc/newsflow"),
    ],
)
def test_bad_urls_give_a_clear_error(url: str, expected: str) -> None:
    with pytest.raises(DatabaseError, match=re.escape(expected)) as caught:
        connect(url, Retry(retries=0))
    assert "secret" not in str(caught.value)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (postgres_url("newsflow_no_such_db"), 'database "newsflow_no_such_db" does not'),
        (postgres_url(user="nobody_here", password="s3cret"), 'role "nobody_here" does not exist'),
    ],
)
def test_a_wrong_database_or_login_fails_at_once(
    url: str, expected: str, caplog: pytest.LogCaptureFixture
) -> None:
    started = time.monotonic()
    with pytest.raises(DatabaseError) as caught:
        connect(url, Retry(retries=3, backoff_seconds=1))
    assert time.monotonic() - started < 1, "retried an error that cannot go away"
    assert "retrying" not in caplog.text
    message = str(caught.value)
    assert message.startswith(f"cannot use database {url.replace('s3cret', '***')}: ")
    assert expected in message and "s3cret" not in message


def test_sqlite_retries_a_locked_database_but_not_a_missing_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    engine = connect(url)
    quick = Retry(retries=2, backoff_seconds=0.05)
    with engine.connect() as conn:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="no such table"):
            with_retries(lambda: conn.execute(text("SELECT * FROM nothing_here")), quick, "read")
        assert time.monotonic() - started < 0.05
    holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    other = create_engine(url, connect_args={"timeout": 0})
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"):
            with_retries(lambda: take_write_lock(other), quick, "write")
        assert time.monotonic() - started >= 0.15  # waited 0.05 s, then 0.1 s
    finally:
        holder.close()
        other.dispose()
        engine.dispose()


def take_write_lock(engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def test_postgres_scheme_is_accepted_everywhere(
    databases: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Heroku-style `postgres://` URLs work in NEWSFLOW_DATABASE_URL as in Airflow connections."""
    if databases.backend != "postgresql":
        pytest.skip("a PostgreSQL URL")
    url = databases.new().replace("postgresql+psycopg2://", "postgres://")
    monkeypatch.setenv("NEWSFLOW_DATABASE_URL", url)
    engine = connect(Settings().database_url)
    assert engine.url.drivername == "postgresql+psycopg2"
    assert load_articles(engine, [make_article(1)], []).inserted == 1
    engine.dispose()


def test_a_stopped_server_is_retried_then_named_without_password() -> None:
    port = closed_port()
    url = f"postgresql+psycopg2://newsflow:s3cret@127.0.0.1:{port}/news"
    started = time.monotonic()
    with pytest.raises(DatabaseError) as caught:
        connect(url, Retry(retries=2, backoff_seconds=0.1, backoff_factor=2))
    assert time.monotonic() - started >= 0.3  # waited 0.1 s, then 0.2 s
    message = str(caught.value)
    assert f"newsflow:***@127.0.0.1:{port}/news" in message
    assert "s3cret" not in message
    assert "refused" in message.lower()


def test_cli_load_with_the_database_down_keeps_the_records(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_jsonl(tmp_path / "data" / "extracted" / "R1.jsonl", [make_article(1)])
    monkeypatch.setenv("NEWSFLOW_DATABASE_RETRIES", "2")
    monkeypatch.setenv("NEWSFLOW_DATABASE_RETRY_BACKOFF_SECONDS", "0.01")
    url = f"postgresql+psycopg2://newsflow:s3cret@127.0.0.1:{closed_port()}/news"
    code = cli.main(
        ["load", "--run-id", "R1", "--database-url", url, "--data-dir", str(tmp_path / "data")]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "newsflow: error: cannot use database postgresql+psycopg2://newsflow:***@" in err
    assert "s3cret" not in err
    assert "R1.jsonl" in err and "newsflow load --run-id R1" in err


def test_database_url_from_an_airflow_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_NEWSFLOW_DB", "postgres://postgres:pw@127.0.0.1:5432/test")
    assert (
        load_settings(database_conn_id="newsflow_db").database_url
        == "postgresql+psycopg2://postgres:pw@127.0.0.1:5432/test"
    )


def test_airflow_is_not_imported_without_a_connection_id(tmp_path: Path) -> None:
    script = (
        "import sys; from newsflow.settings import Settings; from newsflow import pipeline; "
        "Settings(data_dir=sys.argv[1]).database_url; print('airflow' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, capture_output=True, text=True
    )
    assert out.stdout.strip() == "False", out.stderr


def test_agencies_and_the_paywall_signal_are_stored_and_exported(db_url: str, tmp_path: Path):
    wire = make_article(1, authors=["Jane Doe", "AP"], agencies=["AP"], free_access=False)
    engine = connect(db_url)
    try:
        load_articles(engine, [wire, make_article(2)], [])
        rows = {r["url"]: r for r in iter_export_rows(engine)}
        assert export_articles(engine, tmp_path / "a.csv", "csv") == 2
    finally:
        engine.dispose()
    assert (rows[wire.url]["agencies"], rows[wire.url]["free_access"]) == (["AP"], False)
    other = rows[make_article(2).url]
    assert (other["agencies"], other["free_access"]) == ([], None)
    assert '"[""AP""]"' in (tmp_path / "a.csv").read_text()
