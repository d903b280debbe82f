"""Exporting stored articles to files other tools load: JSON lines, Parquet, CSV.

List fields (authors, agencies, tags, entities) stay lists in JSON lines and Parquet; CSV holds
them as JSON text. Timestamps are UTC, ISO 8601 in JSON lines and CSV.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from storage.entity_search import EntityQuery
from storage.query import EXPORT_COLUMNS, iter_export_rows

FORMATS = ("jsonl", "parquet", "csv")
_LIST_FIELDS = ("authors", "agencies", "tags", "entities")
_TIME_FIELDS = ("published", "modified", "fetched_at", "first_seen", "last_seen")


def _plain(row: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def export_articles(
    engine: Engine,
    path: Path,
    fmt: str,
    *,
    since: datetime | None = None,
    source: str | None = None,
    entity: Sequence[EntityQuery | tuple] | None = None,
) -> int:
    """Write the selected articles (published since `since`, of `source`, naming every
    `entity`) to `path` (via a `.part` file) and return how many."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; have: {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    rows = iter_export_rows(engine, since=since, source=source, entity=entity)
    count = {"jsonl": _jsonl, "csv": _csv, "parquet": _parquet}[fmt](rows, partial)
    partial.replace(path)
    return count


def _jsonl(rows, path: Path) -> int:
    count = 0
    with open(path, "w", encoding="utf-8") as stream:
        for row in rows:
            stream.write(json.dumps(_plain(row), ensure_ascii=False) + "\n")
            count += 1
    return count


def _csv(rows, path: Path) -> int:
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=[*EXPORT_COLUMNS, "entities"])
        writer.writeheader()
        for row in rows:
            row = _plain(row)
            for key in _LIST_FIELDS:
                row[key] = json.dumps(row[key], ensure_ascii=False)
            writer.writerow(row)
            count += 1
    return count


def _parquet(rows, path: Path, chunk: int = 5000) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    timestamp = pa.timestamp("us", tz="UTC")
    strings = pa.list_(pa.string())
    entity = pa.struct(
        [
            ("label", pa.string()),
            ("text", pa.string()),
            ("id", pa.string()),
            ("count", pa.int32()),
            ("offset", pa.int32()),
        ]
    )
    types = {
        "id": pa.int64(),
        "simhash": pa.int64(),
        "duplicate_of": pa.int64(),
        "authors": strings,
        "agencies": strings,
        "free_access": pa.bool_(),
        "tags": strings,
        "entities": pa.list_(entity),
        **{k: timestamp for k in _TIME_FIELDS},
    }
    schema = pa.schema([(k, types.get(k, pa.string())) for k in [*EXPORT_COLUMNS, "entities"]])
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        batch: list[dict] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= chunk:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count, batch = count + len(batch), []
        if batch or not count:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count
