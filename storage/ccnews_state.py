"""CC-NEWS backfill progress: one row per WARC file and source (`ccnews_files`).

A file is `done` for a source once its pages of that source are stored; a backfill reads a file
only for the sources it is not done for, so a killed backfill restarts at the files not yet
done and never loads a file twice. A file that could not be read to its end is `failed` (what
was read before the damage is stored) and is read again by the next backfill.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select

from storage.database import write_transaction
from storage.schema import ccnews_files, upsert

DONE = "done"
FAILED = "failed"


def done_sources(engine: Engine, paths: list[str]) -> dict[str, set[str]]:
    """For each of these files, the sources it is done for."""
    done: dict[str, set[str]] = {}
    if not paths:
        return done
    with engine.connect() as conn:
        for start in range(0, len(paths), 500):
            rows = conn.execute(
                select(ccnews_files.c.path, ccnews_files.c.source).where(
                    ccnews_files.c.path.in_(paths[start : start + 500]),
                    ccnews_files.c.status == DONE,
                )
            )
            for path, source in rows:
                done.setdefault(path, set()).add(source)
    return done


def mark_file(
    engine: Engine,
    path: str,
    sources: list[str],
    *,
    run_id: str,
    stats: dict,
    error: str | None = None,
) -> None:
    """Record one file as done (no error) or failed for these sources."""
    if not sources:
        return
    statement = upsert(engine, ccnews_files)
    values = {
        "status": FAILED if error else DONE,
        "run_id": run_id,
        "finished_at": datetime.now(UTC),
        "stats": stats,
        "error": error,
    }
    with write_transaction(engine) as conn:
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["path", "source"],
                set_={name: statement.excluded[name] for name in values},
            ),
            [{"path": path, "source": source, **values} for source in sources],
        )


def file_states(engine: Engine, source: str | None = None) -> list[dict]:
    """Every recorded file (optionally of one source), for reports and tests."""
    query = select(ccnews_files).order_by(ccnews_files.c.path, ccnews_files.c.source)
    if source:
        query = query.where(ccnews_files.c.source == source)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]
