"""The load step: an extract file's records upserted into the database (migrated first)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from extraction.record import Article
from newsflow.pipeline.progress import Meter, progress_output, stage
from newsflow.settings import Settings
from newsflow.sources import Source
from storage import DatabaseError, LoadReport, Retry, load_articles, open_database


class NotLoaded(DatabaseError):
    """A load the database failed: the records wait in their extract file, and the message says
    how to load them later. The CLI repeats in it the options it was given (`message`), so the
    command shown loads into the same database."""

    def __init__(self, reason: str, articles_file: str, run_id: str) -> None:
        self.reason, self.articles_file, self.run_id = reason, articles_file, run_id
        super().__init__(self.message())

    def __reduce__(self) -> tuple:
        return type(self), (self.reason, self.articles_file, self.run_id)

    def message(self, options: str = "") -> str:
        """The reason and the way back; `options` (such as ` --database-url URL`) go on the
        command."""
        return (
            f"{self.reason}\nnothing was lost: the records are still in {self.articles_file}; "
            "load them when the database is back with "
            f"`newsflow load --run-id {self.run_id}{options}`"
        )


def read_articles(path: str | Path) -> list[Article]:
    return list(iter_articles(path))


def iter_articles(path: str | Path, meter: Meter | None = None) -> Iterator[Article]:
    """The extract file's records one at a time, so a load holds one batch, not the night."""
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                yield Article.from_dict(json.loads(line))
                if meter is not None:
                    meter.advance()


def _count_lines(path: str | Path) -> int:
    with open(path, "rb") as stream:
        return sum(1 for line in stream if line.strip())


def load(
    settings: Settings, articles_file: str, sources: list[Source], *, keep_stored: bool = False
) -> LoadReport:
    """Upsert an extract step's output into the database.

    The run id is the extract file's name. If the database cannot be used, the error says that the
    records are still in the extract file and how to load them later: nothing is lost. With
    `keep_stored` (a backfill), articles already stored are left as they are.
    """
    run_id = Path(articles_file).stem
    retry = Retry(
        settings.database_retries,
        settings.database_retry_backoff_seconds,
        answer_timeout=settings.database_answer_timeout_seconds,
    )
    total = _count_lines(articles_file)
    try:
        with (
            open_database(settings.database_url, retry) as engine,
            stage(
                "load",
                settings.progress_seconds,
                unit="records",
                total=total,
                pause_dir=settings.pause_dir,
                stream=progress_output(settings.progress_stream),
            ) as meter,
        ):
            return load_articles(
                engine,
                iter_articles(articles_file, meter),
                sources,
                batch_size=settings.load_batch_size,
                run_id=run_id,
                retry=retry,
                near_duplicate_distance=settings.near_duplicate_distance,
                keep_stored=keep_stored,
            )
    except DatabaseError as exc:
        raise NotLoaded(str(exc), articles_file, run_id) from exc
