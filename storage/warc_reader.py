"""Reading WARC files back: every response record in one pass over a stream, never more than one
record held, digests checked, and a file cut short (inside a record, at a record boundary, or
without our archive's end record) told apart from a whole one.

The same reader serves our own archive (`storage.archive`, whose headers it reads back into an
`ArchivedPage`) and the CC-NEWS files the backfill opens as streams, which carry none of them.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from storage.archive import (
    ARTICLE,
    FORMAT,
    LISTED_HEADER,
    RECORDS_HEADER,
    REQUEST_HEADER,
    ROLE_HEADER,
    SOURCE_HEADER,
    VIA_HEADER,
    ArchiveError,
    warc_datetime,
)


@dataclass
class ArchivedPage:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: datetime | None
    source: str
    listed_published: datetime | None
    discovered_via: str
    role: str = ARTICLE
    request_url: str = ""
    # where the record is: the WARC file (as its reader named it) and the record's byte offset
    warc_file: str = ""
    offset: int | None = None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass
class ScanCounts:
    """What one pass over a WARC file saw: every record, the responses, those kept."""

    records: int = 0
    responses: int = 0
    kept: int = 0


class _CountingReader:
    """A read-only stream that counts the bytes handed out, so a file cut inside a record (which
    warcio ends silently on) is told apart from one that ends where its last record ends."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.consumed += len(data)
        return data


def _check_complete(record, name: str) -> None:
    """A record read to its end must have had all the bytes its Content-Length promised: warcio
    hands out a record cut short by the end of the file as if it were whole."""
    if record is not None and getattr(record.raw_stream, "limit", 0):
        uri = record.rec_headers.get_header("WARC-Target-URI") or record.rec_type
        raise ArchiveError(f"{name}: truncated WARC (record {uri} cut short)")


# which source a response belongs to (url, HTTP status, content type), or None to skip it unread
Assign = Callable[[str, int, str], str | None]


def read_stream(
    stream: BinaryIO,
    name: str,
    *,
    assign: Assign | None = None,
    counts: ScanCounts | None = None,
) -> Iterator[ArchivedPage]:
    """Yield the response records of a WARC stream in one pass, never holding more than one
    record; raise ArchiveError when it is cut short or corrupt (after the records before it).

    With `assign`, a response is read only when it returns a source name (the page gets it);
    the others are skipped without decoding their payload. `counts` is filled as it goes.
    """
    counts = counts if counts is not None else ScanCounts()
    reader = _CountingReader(stream)
    finished = versioned = False
    try:
        iterator = ArchiveIterator(reader, check_digests="raise")
        previous = None
        for record in iterator:
            _check_complete(previous, name)
            previous = record
            counts.records += 1
            warc = record.rec_headers
            if record.rec_type == "warcinfo":
                versioned = FORMAT.encode() in record.content_stream().read()
                continue
            if record.rec_type == "metadata" and warc.get_header(RECORDS_HEADER):
                finished = int(warc.get_header(RECORDS_HEADER)) == counts.responses
                continue
            if record.rec_type != "response" or record.http_headers is None:
                continue
            counts.responses += 1
            http = record.http_headers
            url = warc.get_header("WARC-Target-URI") or ""
            status = int(http.get_statuscode() or 0)
            source = warc.get_header(SOURCE_HEADER) or ""
            if assign is not None:
                source = assign(url, status, http.get_header("Content-Type") or "")
                if source is None:
                    continue
            counts.kept += 1
            body = record.content_stream().read()
            _check_complete(record, name)
            yield ArchivedPage(
                url=url,
                status=status,
                headers={k.lower(): v for k, v in http.headers},
                body=body,
                fetched_at=warc_datetime(warc.get_header("WARC-Date")),
                source=source,
                listed_published=warc_datetime(warc.get_header(LISTED_HEADER)),
                discovered_via=warc.get_header(VIA_HEADER) or "",
                role=warc.get_header(ROLE_HEADER) or ARTICLE,
                request_url=warc.get_header(REQUEST_HEADER) or "",
                warc_file=name,
                offset=iterator.get_record_offset(),
            )
        _check_complete(previous, name)
        if reader.consumed > iterator.offset:
            raise ArchiveError(
                f"{name}: truncated WARC (cut inside a record after {counts.records} records)"
            )
    except (OSError, EOFError, ValueError, ArchiveLoadFailed) as exc:
        raise ArchiveError(f"{name}: unreadable WARC ({exc})") from exc
    if versioned and not finished:
        raise ArchiveError(
            f"{name}: truncated WARC (no end record after {counts.responses} responses)"
        )


def read_records(path: Path) -> Iterator[ArchivedPage]:
    """Yield every response record, checking digests; raise ArchiveError if the file is cut
    short or corrupt (after yielding the records before the damage)."""
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed below, after the records are read
    except OSError as exc:
        raise ArchiveError(f"{path}: unreadable WARC ({exc})") from exc
    with stream:
        yield from read_stream(stream, str(path))
    try:
        with gzip.open(path, "rb") as stream:
            while stream.read(1 << 20):
                pass
    except (OSError, EOFError, ValueError) as exc:
        raise ArchiveError(f"{path}: unreadable WARC ({exc})") from exc


def read_pages(path: Path) -> Iterator[ArchivedPage]:
    """Yield the article pages of one WARC file; raise ArchiveError if it is cut short."""
    return (page for page in read_records(path) if page.role == ARTICLE)


def verify(path: Path) -> int:
    """Read a whole WARC file; the number of responses, or ArchiveError if it is damaged."""
    return sum(1 for _ in read_records(path))
