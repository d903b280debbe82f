"""Where CC-NEWS lives and how a file of it is opened: the public HTTPS endpoint, an `s3://`
bucket, or a local folder with the same layout (`crawl-data/CC-NEWS/<year>/<month>/...`).

Files are opened as streams (an HTTP response, a file object): a WARC file is read once from
start to end and never held whole in memory or written to disk.
"""

from __future__ import annotations

import gzip
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

DEFAULT_BASE = "https://data.commoncrawl.org/"
# Common Crawl's bucket is served read-only over HTTPS at the default base: no credentials needed.
PUBLIC_BUCKET = "s3://commoncrawl/"
INDEX = "crawl-data/CC-NEWS/{year:04d}/{month:02d}/warc.paths.gz"
USER_AGENT = "newsflow-ccnews-backfill"
TIMEOUT_SECONDS = 60.0


class LocationError(RuntimeError):
    """A base location or file that cannot be opened or read."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, value: str) -> Month:
        """`2023-01` (CC-NEWS starts in 2016-08)."""
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", value.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"{value!r} is not a month (YYYY-MM, e.g. 2023-01)")
        return cls(int(match.group(1)), int(match.group(2)))

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def month_range(since: Month, until: Month) -> list[Month]:
    """Every month from `since` to `until`, both included."""
    if until < since:
        raise ValueError(f"--until {until} is before --since {since}")
    months, month = [], since
    while month <= until:
        months.append(month)
        month = month.next()
    return months


def _resolve(base: str) -> str:
    """The base as an http(s) URL, an fsspec `s3://` URL, or a local folder path."""
    base = base.strip()
    if base.startswith(PUBLIC_BUCKET) or base.rstrip("/") == PUBLIC_BUCKET.rstrip("/"):
        return DEFAULT_BASE + base.removeprefix(PUBLIC_BUCKET.rstrip("/")).lstrip("/")
    return base


def open_location(base: str, key: str) -> BinaryIO:
    """Open `key` (a path inside the CC-NEWS layout) under `base` as a binary stream."""
    resolved = _resolve(base)
    if resolved.startswith(("http://", "https://")):
        url = resolved.rstrip("/") + "/" + key.lstrip("/")
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        try:
            return urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)  # noqa: S310
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise LocationError(f"cannot open {url}: {exc}") from exc
    if resolved.startswith("s3://"):
        return _open_s3(resolved.rstrip("/") + "/" + key.lstrip("/"))
    path = Path(resolved) / key
    try:
        return open(path, "rb")  # noqa: SIM115 - the caller closes the stream
    except OSError as exc:
        raise LocationError(f"cannot open {path}: {exc}") from exc


def _open_s3(url: str) -> BinaryIO:
    """Another bucket than Common Crawl's: through fsspec, which needs `s3fs` installed (not a
    dependency of newsflow)."""
    import fsspec

    try:
        return fsspec.open(url, "rb").open()
    except ImportError as exc:
        raise LocationError(
            f"cannot open {url}: reading s3:// needs the s3fs package (pip install s3fs); "
            f"Common Crawl's own bucket is read over HTTPS ({DEFAULT_BASE})"
        ) from exc
    except (OSError, ValueError) as exc:
        raise LocationError(f"cannot open {url}: {exc}") from exc


def list_month(base: str, month: Month) -> list[str]:
    """The WARC files of one month, as listed in its `warc.paths.gz` (paths inside the layout)."""
    key = INDEX.format(year=month.year, month=month.month)
    try:
        with open_location(base, key) as stream, gzip.open(stream, "rt", encoding="utf-8") as text:
            paths = [line.strip() for line in text if line.strip()]
    except (LocationError, OSError, EOFError, UnicodeDecodeError) as exc:
        raise LocationError(f"cannot read the paths index {key} under {base}: {exc}") from exc
    for path in paths:
        # an index is data from elsewhere: its paths stay inside the layout
        if not path.startswith("crawl-data/") or ".." in path.split("/") or "\\" in path:
            raise LocationError(f"paths index {key} under {base}: bad path {path!r}")
    return paths
