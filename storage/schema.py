"""Tables, written once for both SQLite and PostgreSQL through SQLAlchemy Core."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

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
    Column("content_hash", String(64), nullable=False),
    Column("fetched_at", DateTime(timezone=True)),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
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
)
