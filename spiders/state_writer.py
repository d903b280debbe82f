"""Crawl-state rows written in batches while the spider runs.

A row per response would make the database the crawl's bottleneck; a buffer flushed every
``FLUSH_ROWS`` rows or ``FLUSH_SECONDS`` means a SIGKILL loses at most the buffer, and a lost
row only means that URL is requested again the next night.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy.engine import Engine

from storage import crawl_state
from storage.crawl_state import UrlState

FLUSH_ROWS = 200
FLUSH_SECONDS = 2.0


class StateWriter:
    def __init__(self, engine: Engine, source: str) -> None:
        self.engine = engine
        self.source = source
        self._rows: list[UrlState] = []
        self._flushed_at = time.monotonic()

    def record(self, state: UrlState) -> None:
        self._rows.append(state)
        if len(self._rows) >= FLUSH_ROWS or time.monotonic() - self._flushed_at > FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            crawl_state.save_states(self.engine, self.source, self._rows)
        self._rows = []
        self._flushed_at = time.monotonic()

    def close(self, archived: Iterable[str] | None) -> None:
        """Write what is buffered, then mark the ``archived`` article URLs (None when the
        archive did not complete: they stay fetched-not-archived and are fetched again)."""
        self.flush()
        if archived is not None:
            crawl_state.mark_archived(self.engine, self.source, archived)
        self.engine.dispose()
