"""Tables, written once for both SQLite and PostgreSQL through SQLAlchemy Core, and the two things
the dialects disagree on that every writer needs: the upsert statement and UTC timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

metadata = MetaData()

sources = Table(
    "sources",
    metadata,
    Column("name", String(63), primary_key=True),
    Column("title", Text, nullable=False, default=""),
    Column("url", Text, nullable=False),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(63), ForeignKey("sources.name"), nullable=False, index=True),
    Column("url", Text, nullable=False),
    Column("canonical_url", Text, nullable=False),
    Column("title", Text),
    Column("authors", JSON, nullable=False, default=list),
    # the wire agencies credited, also among the authors: what syndication detection keys on
    Column("agencies", JSON, nullable=False, default=list),
    Column("published", DateTime(timezone=True), index=True),
    Column("published_source", String(32)),
    Column("modified", DateTime(timezone=True)),
    Column("modified_source", String(32)),
    Column("language", String(16)),
    Column("text", Text, nullable=False),
    Column("description", Text),
    Column("section", Text),
    Column("tags", JSON, nullable=False, default=list),
    Column("image", Text),
    Column("captions", JSON, nullable=False, default=list),
    Column("extractor", Text, nullable=False, default=""),
    Column("quality_flags", JSON, nullable=False, default=list),
    # False when the page says it is for subscribers (the body is a teaser); None: it says nothing
    Column("free_access", Boolean),
    Column("content_hash", String(64), nullable=False, index=True),
    Column("simhash", BigInteger),
    Column("duplicate_of", Integer, ForeignKey("articles.id", ondelete="SET NULL"), index=True),
    Column("fetched_at", DateTime(timezone=True)),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    # Where the stored version was read: "crawl" (our own archive) or "ccnews" (Common Crawl
    # News), the WARC file and the record's byte offset in it. NULL for rows loaded before 0008.
    Column("origin", String(16)),
    Column("warc_file", Text),
    Column("warc_offset", BigInteger),
    UniqueConstraint("canonical_url", name="uq_articles_canonical_url"),
)

entities = Table(
    "entities",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("label", String(16), primary_key=True),
    Column("text", Text, primary_key=True),
    Column("count", Integer, nullable=False),
    Column("first_offset", Integer, nullable=False),
    # The gazetteer id of the entity this name (as written) names: "Anbar", "al-Anbar" and
    # "الأنبار" share "iq.anbar". NULL for names the gazetteer does not know.
    Column("entity_id", String(255)),
    Index("ix_entities_entity_id", "entity_id"),
)

article_versions = Table(
    "article_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("title", Text),
    Column("text", Text, nullable=False),
    Column("modified", DateTime(timezone=True)),
    Column("captured_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("article_id", "content_hash", name="uq_article_versions_hash"),
)

# SimHash split into four 16-bit bands, so near-duplicate candidates come from indexed equality
# lookups (storage.near_duplicates.band_probes: each band's value and those within d // 4 bits).
simhash_bands = Table(
    "simhash_bands",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("band", SmallInteger, primary_key=True),
    Column("value", Integer, nullable=False),
    Index("ix_simhash_bands_band_value", "band", "value"),
)

crawl_state = Table(
    "crawl_state",
    metadata,
    Column("source", String(63), primary_key=True),
    Column("url", Text, primary_key=True),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_fetched", DateTime(timezone=True)),
    Column("http_status", Integer),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("content_hash", String(64)),
    Column("outcome", String(32), nullable=False),
    Column("listed_published", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, default=0),
    # Found only as a section link (no article-looking URL): a retry checks the page for article
    # markup again. NULL for rows written before this column existed.
    Column("candidate", Boolean),
)

# CC-NEWS backfill progress, per WARC file and source: a file done for a source is not read for
# it again, so a killed backfill restarts at the files not yet done.
ccnews_files = Table(
    "ccnews_files",
    metadata,
    Column("path", Text, primary_key=True),
    Column("source", String(63), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("run_id", String(255), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("stats", JSON, nullable=False, default=dict),
    Column("error", Text),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(255), nullable=False),
    Column("source", String(63), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),
    Column("stats", JSON, nullable=False, default=dict),
    UniqueConstraint("run_id", "source", "stage", name="uq_runs_run_source_stage"),
)

# The Airflow DAG run behind a pipeline run id, for runs Airflow started: `runs.run_id` is made
# file-safe (':' and '+' replaced), so the exact run a link opens cannot be read back from it.
# CLI runs have no row here.
airflow_runs = Table(
    "airflow_runs",
    metadata,
    Column("run_id", String(255), primary_key=True),
    Column("dag_id", String(250), nullable=False),
    Column("dag_run_id", String(250), nullable=False),
)

# One row per source being crawled: the holder (host:pid) and run, so that two runs of one source
# (the nightly DAG and the manual one, two CLI runs) never crawl it at once. A row whose holder
# died is taken over once it expires, or at once when the holder was a dead process on this host.
source_locks = Table(
    "source_locks",
    metadata,
    Column("source", String(63), primary_key=True),
    Column("run_id", String(255), nullable=False),
    Column("holder", String(255), nullable=False),
    Column("acquired_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)


def upsert(bind: Engine | Connection, table: Table):
    """INSERT with `on_conflict_do_update`/`on_conflict_do_nothing`, in the bind's dialect."""
    return (postgresql if bind.dialect.name == "postgresql" else sqlite).insert(table)


def utc(value: datetime | None) -> datetime | None:
    """Timestamps are stored in UTC; SQLite keeps no offset and hands them back naive."""
    if value is None:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
