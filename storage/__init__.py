"""The load step: one schema for SQLite and PostgreSQL, idempotent upserts."""

from storage.database import DatabaseError, connect, redact_url
from storage.load import LoadReport, known_urls, load_articles

__all__ = ["DatabaseError", "LoadReport", "connect", "known_urls", "load_articles", "redact_url"]
