"""The load step: an extract file's records upserted into the database (migrated first)."""

from __future__ import annotations

import json
from pathlib import Path

from extraction.record import Article
from newsflow.settings import Settings
from newsflow.sources import Source
from storage import DatabaseError, LoadReport, Retry, load_articles, open_database


def read_articles(path: str | Path) -> list[Article]:
    with open(path, encoding="utf-8") as stream:
        return [Article.from_dict(json.loads(line)) for line in stream if line.strip()]


def load(
    settings: Settings, articles_file: str, sources: list[Source], *, keep_stored: bool = False
) -> LoadReport:
    """Upsert an extract step's output into the database.

    The run id is the extract file's name. If the database cannot be used, the error says that the
    records are still in the extract file and how to load them later: nothing is lost. With
    `keep_stored` (a backfill), articles already stored are left as they are.
    """
    run_id = Path(articles_file).stem
    retry = Retry(settings.database_retries, settings.database_retry_backoff_seconds)
    try:
        with open_database(settings.database_url, retry) as engine:
            return load_articles(
                engine,
                read_articles(articles_file),
                sources,
                batch_size=settings.load_batch_size,
                run_id=run_id,
                retry=retry,
                near_duplicate_distance=settings.near_duplicate_distance,
                keep_stored=keep_stored,
            )
    except DatabaseError as exc:
        raise DatabaseError(
            f"{exc}\nnothing was lost: the records are still in {articles_file}; "
            f"load them when the database is back with `newsflow load --run-id {run_id}`"
        ) from exc
