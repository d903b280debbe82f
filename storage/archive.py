"""The raw archive: every fetched response as a gzipped WARC file per source per run.

Extraction reads pages back from here, so it can be re-run without touching the network. A file
is written under a temporary name, fsynced and renamed only when complete, so a killed crawl
never leaves a half-written archive that looks finished. Each record carries payload and block
digests; the file opens with a `warcinfo` record and ends with a `metadata` record counting the
responses, so a file cut short (even at a record boundary) is detected on read.

Every response is kept (feeds, sitemaps, robots.txt, redirects, errors, binary content), each
marked with its role in `WARC-X-Newsflow-Role`; extraction reads only the `article` records.
Reading the files back (ours or CC-NEWS's) is `storage.warc_reader`.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
import zlib
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

SOURCE_HEADER = "WARC-X-Newsflow-Source"
LISTED_HEADER = "WARC-X-Newsflow-Listed-Published"
VIA_HEADER = "WARC-X-Newsflow-Discovered-Via"
ROLE_HEADER = "WARC-X-Newsflow-Role"
REQUEST_HEADER = "WARC-X-Newsflow-Request-URI"
RECORDS_HEADER = "WARC-X-Newsflow-Responses"
FORMAT = "newsflow-warc/2"
SUFFIX = ".warc.gz"
ARTICLE = "article"
# Headers that describe the transfer, not the stored payload (which Scrapy already decoded).
_TRANSFER_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


# warcio compresses at zlib level 9; gzip's default 6 gives files 0.7% larger in 60% of the time
# (the real pages of ../shared/bench: 6.7 ms instead of 11.4 ms a page, the crawl's biggest cost).
GZIP_LEVEL = 6


class _Gzip:
    """One gzip member per record, as warcio writes them, at GZIP_LEVEL."""

    def __init__(self, out: BinaryIO) -> None:
        self.compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        self.out = out

    def write(self, data: bytes) -> None:
        self.out.write(self.compressor.compress(data))

    def flush(self) -> None:
        self.out.write(self.compressor.flush())
        self.out.flush()


class _Writer(WARCWriter):
    def write_record(self, record: ArcWarcRecord, params: object = None) -> None:
        self._write_warc_record(_Gzip(self.out), record)


class ArchiveError(RuntimeError):
    """A WARC file that cannot be read to its end (truncated or corrupt)."""


class WarcArchive:
    """Append-only WARC writer with an atomic finish."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # one temporary name per writer: two crawls given one run id never write into one file
        unique = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._partial = self.path.with_name(f"{self.path.name}.{unique}.part")
        self._file = open(self._partial, "wb")  # noqa: SIM115 - closed in close()
        self._writer = _Writer(self._file, gzip=False)
        self.records = 0
        self._writer.write_record(
            self._writer.create_warcinfo_record(self.path.name, {"format": FORMAT})
        )

    def write(
        self,
        *,
        url: str,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        body: bytes,
        fetched_at: datetime,
        source: str,
        listed_published: datetime | None = None,
        discovered_via: str = "",
        role: str = ARTICLE,
        request_url: str = "",
    ) -> None:
        kept = [(k, v) for k, v in headers if k.lower() not in _TRANSFER_HEADERS]
        kept.append(("Content-Length", str(len(body))))
        http_headers = StatusAndHeaders(f"{status} {reason}".strip(), kept, protocol="HTTP/1.1")
        warc_headers = {
            "WARC-Date": fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            SOURCE_HEADER: source,
            VIA_HEADER: discovered_via,
            ROLE_HEADER: role,
        }
        if listed_published is not None:
            warc_headers[LISTED_HEADER] = listed_published.isoformat()
        if request_url and request_url != url:
            warc_headers[REQUEST_HEADER] = request_url
        record = self._writer.create_warc_record(
            url,
            "response",
            payload=BytesIO(body),
            http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )
        try:
            self._writer.write_record(record)
        except OSError as exc:
            raise self._abandon(exc) from exc
        self.records += 1

    def _abandon(self, exc: OSError) -> ArchiveError:
        """A write failed (disk full, I/O error): drop the unfinished file, so no half-archive
        is ever taken for complete and the space is given back; the error names the path."""
        partial = self._partial
        with contextlib.suppress(OSError):
            self._file.close()
        partial.unlink(missing_ok=True)
        return ArchiveError(f"cannot write the WARC archive {partial}: {exc}")

    def close(self) -> Path | None:
        """Finish the file; an archive with no records is removed rather than kept empty.

        An existing archive is never replaced (a retried task reuses its run id): the file goes
        to the next free attempt name, `<run>~1.warc.gz`, `<run>~2.warc.gz`, ...
        """
        try:
            return self._finish()
        except OSError as exc:
            raise self._abandon(exc) from exc

    def _finish(self) -> Path | None:
        self._writer.write_record(
            self._writer.create_warc_record(
                self.path.name,
                "metadata",
                payload=BytesIO(f"responses: {self.records}\n".encode()),
                warc_content_type="text/plain",
                warc_headers_dict={RECORDS_HEADER: str(self.records)},
            )
        )
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        if not self.records:
            self._partial.unlink(missing_ok=True)
            return None
        self.path = _link_new(self._partial, self.path)
        self._partial.unlink()
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return self.path


def _attempt_path(path: Path, attempt: int) -> Path:
    if not attempt:
        return path
    return path.with_name(f"{path.name.removesuffix(SUFFIX)}~{attempt}{SUFFIX}")


def _link_new(partial: Path, path: Path) -> Path:
    """Give `partial` the first free attempt name of `path`; a hard link never overwrites."""
    for attempt in range(10_000):
        target = _attempt_path(path, attempt)
        try:
            os.link(partial, target)
        except FileExistsError:
            continue
        return target
    raise FileExistsError(f"{path}: no free attempt name")


def warc_datetime(value: str | None) -> datetime | None:
    """The date a record's header holds (WARC-Date, the listing's date); None if unreadable."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def run_archives(warc_dir: Path, source: str, run_id: str) -> list[Path]:
    """Every finished WARC file of one source's run, in attempt order (`<run>.warc.gz`, then
    `<run>~1.warc.gz`, ...): retries of a run add files, and extraction reads them all."""
    pattern = re.compile(re.escape(run_id) + r"(?:~(\d+))?" + re.escape(SUFFIX))
    found = []
    for path in (Path(warc_dir) / source).glob(f"{run_id}*{SUFFIX}"):
        match = pattern.fullmatch(path.name)
        if match and path.is_file():
            found.append((int(match.group(1) or 0), path))
    return [path for _, path in sorted(found)]


def remove_stale_parts(folder: Path, older_than_seconds: float) -> list[Path]:
    """Delete unfinished archives (`.part`) older than any crawl may run: their crawl was
    killed, and since none of their pages became `archived`, a later run fetched them again."""
    if not Path(folder).is_dir():
        return []
    cutoff = time.time() - older_than_seconds
    stale = [p for p in Path(folder).glob(f"*{SUFFIX}*.part") if p.stat().st_mtime < cutoff]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def archive_started(path: Path) -> float:
    """When the crawl that wrote `path` started (its warcinfo record's WARC-Date), as a timestamp:
    unlike the file's mtime it survives copying and restoring archives. The mtime if unreadable."""
    try:
        with open(path, "rb") as stream:
            first = next(iter(ArchiveIterator(stream)), None)
            written = warc_datetime(first.rec_headers.get_header("WARC-Date")) if first else None
    except (OSError, EOFError, ValueError, ArchiveLoadFailed):
        written = None
    if written is None:
        return path.stat().st_mtime
    return (written if written.tzinfo else written.replace(tzinfo=UTC)).timestamp()


def source_archives(warc_dir: Path, source: str, since: datetime | None = None) -> list[Path]:
    """A source's finished WARC files, oldest first; with `since`, only those of crawls started
    since then."""
    found = {
        p: archive_started(p) for p in (Path(warc_dir) / source).glob("*.warc.gz") if p.is_file()
    }
    if since is not None:
        found = {p: t for p, t in found.items() if t >= since.timestamp()}
    return sorted(found, key=found.__getitem__)
