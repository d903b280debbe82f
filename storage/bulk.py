"""Writing many rows fast: COPY on PostgreSQL (psycopg2 or psycopg 3), the driver's executemany
on SQLite. For rows that cannot conflict (their old rows were deleted in the same transaction) and
for staging tables."""

from __future__ import annotations

import io
import json
import re

from sqlalchemy import Connection

# Characters that COPY's text format needs escaped.
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


def insert_rows(conn: Connection, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Plain inserts: COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        # straight to the driver's executemany: SQLAlchemy's per-row parameter processing cost
        # more than SQLite's own work for the tens of thousands of entity rows of a batch
        marks = ", ".join("?" for _ in columns)
        conn.exec_driver_sql(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", rows
        )
        return
    copy_rows(conn, table.name, columns, rows)


def copy_rows(conn: Connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """PostgreSQL COPY in text format, with psycopg2 or psycopg 3; lists and dicts as JSON."""
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with conn.connection.driver_connection.cursor() as cursor:
        if hasattr(cursor, "copy_expert"):
            buffer = io.StringIO()
            buffer.writelines("\t".join(map(_copy_text, row)) + "\n" for row in rows)
            buffer.seek(0)
            cursor.copy_expert(statement, buffer)
        else:
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row([_as_json(v) for v in row])


def _as_json(value: object) -> object:
    return json.dumps(value) if isinstance(value, list | dict) else value


def _copy_text(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, int):
        return str(value)
    raw = str(_as_json(value))
    if not _COPY_SPECIAL.search(raw):
        return raw
    return raw.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
