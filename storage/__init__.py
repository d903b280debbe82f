"""What newsflow keeps: the database (one schema for SQLite and PostgreSQL, idempotent upserts,
crawl state, run records) and the raw WARC archive."""

from storage.database import DatabaseError, Retry, redact_url
from storage.engine import connect, open_database
from storage.load import LoadReport, load_articles
from storage.query import known_urls, last_fetched

__all__ = [
    "DatabaseError",
    "LoadReport",
    "Retry",
    "connect",
    "known_urls",
    "last_fetched",
    "load_articles",
    "open_database",
    "redact_url",
]
