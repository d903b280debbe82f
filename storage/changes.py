"""What a batch of articles changes against the rows stored: which articles are new, which were
edited (the stored copy becomes a version), which are unchanged (their `last_seen` moves on when
this copy was fetched later).

Loading the same file twice changes nothing: the same content is no edit, and neither is an older
crawl's copy of an article stored from a newer one (an old extract loaded again).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Row, select

from extraction.record import Article
from storage.schema import articles, utc


def stored_rows(conn: Connection, keys: list[str], *, lock: bool = False) -> dict[str, Row]:
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


def classify(
    good: dict[str, Article], existing: dict[str, Row], now: datetime, keep_stored: bool = False
) -> tuple[list[str], list[tuple[str, Row]], list[dict], int]:
    """New keys, changed (key, stored row) pairs, last-seen bumps, and how many are unchanged."""
    new_keys, changed, seen_again, unchanged = [], [], [], 0
    for key, article in good.items():
        row = existing.get(key)
        if row is None:
            new_keys.append(key)
        elif keep_stored:
            unchanged += 1
        elif row.content_hash == article.content_hash or _is_stale(article, row):
            seen_at = utc(article.fetched_at) or now
            if seen_at > utc(row.last_seen):
                seen_again.append({"row_id": row.id, "seen_at": seen_at})
            unchanged += 1
        else:
            changed.append((key, row))
    return new_keys, changed, seen_again, unchanged


def _is_stale(article: Article, row) -> bool:
    """An older crawl's copy (an old extract loaded again) must not overwrite a newer one."""
    fetched, stored = utc(article.fetched_at), utc(row.fetched_at)
    return fetched is not None and stored is not None and fetched < stored
