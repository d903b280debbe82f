"""Extract pages with a time and memory bound, so one hostile page cannot stall a batch.

lxml and trafilatura run C code that a Python timer cannot interrupt, and a 24 MB page of markup
can take a minute and gigabytes. So pages go to a worker process whose address space is capped
with ``RLIMIT_AS``; the parent waits at most ``timeout_seconds`` for each answer and kills and
replaces the worker when it is late or dies. Pages over ``max_html_bytes`` are refused before
anyone parses them. Every outcome is an :class:`Article`; a bounded failure has ``error`` set to
one of the reasons in :mod:`extraction.errors` and the batch goes on. libxml2's own limit (256
levels of nesting) is caught in :mod:`extraction.extract`.

The worker is a plain ``python -m extraction.bounds`` child (not ``multiprocessing``, which
would re-import the caller's ``__main__``), started once per extractor and reused, so the
per-page cost is sending the bytes through a pipe.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

from extraction.errors import MEMORY_ERROR, TIMEOUT_ERROR, TOO_LARGE_ERROR, WORKER_DIED_ERROR
from extraction.profiles import ProfiledSource, SiteProfiles
from extraction.record import Article

log = logging.getLogger(__name__)

READY = "ready"
# Starting the worker (a Python start-up and the trafilatura import) is not charged to a page.
STARTUP_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class Bounds:
    """Per-page limits; see ``extract_*`` in :class:`newsflow.settings.Settings`."""

    timeout_seconds: float = 30.0
    memory_bytes: int = 1536 * 1024 * 1024
    max_html_bytes: int = 10 * 1024 * 1024


def _serve(jobs: Connection, results: Connection, memory_bytes: int) -> None:
    """Worker loop: one ``(html, url, kwargs)`` in, one Article out, until ``None`` or EOF."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    from extraction.extract import extract_article

    results.send(READY)
    while True:
        try:
            job = jobs.recv()
        except EOFError:
            return
        if job is None:
            return
        html, url, kwargs = job
        results.send(extract_article(html, url, **kwargs))


class _Duplex:
    """A result connection to read from and a job connection to write to (two OS pipes)."""

    def __init__(self, results: Connection, jobs_fd: int) -> None:
        self.results = results
        self.jobs = Connection(jobs_fd, readable=False)

    def send(self, obj: object) -> None:
        self.jobs.send(obj)

    def poll(self, timeout: float) -> bool:
        return self.results.poll(timeout)

    def recv(self) -> Any:
        return self.results.recv()

    def close(self) -> None:
        self.jobs.close()
        self.results.close()


def _failed(url: str, source: str, reason: str) -> Article:
    from extraction.extract import EXTRACTOR

    return Article(url=url, source=source, extractor=EXTRACTOR, error=reason)


class BoundedExtractor:
    """``extract_article`` in a capped worker process; use as a context manager."""

    def __init__(self, bounds: Bounds | None = None) -> None:
        self.bounds = bounds or Bounds()
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: _Duplex | None = None
        self.restarts = 0

    def __enter__(self) -> BoundedExtractor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self) -> _Duplex:
        jobs_read, jobs_write = os.pipe()
        results_read, results_write = os.pipe()
        command = [sys.executable, "-m", "extraction.bounds", str(jobs_read), str(results_write)]
        command.append(str(self.bounds.memory_bytes))
        self._process = subprocess.Popen(command, pass_fds=(jobs_read, results_write))
        os.close(jobs_read)
        os.close(results_write)
        self._conn = _Duplex(Connection(results_read, writable=False), jobs_write)
        try:
            if self._conn.poll(STARTUP_TIMEOUT_SECONDS) and self._conn.recv() == READY:
                return self._conn
        except (EOFError, OSError):
            pass
        self._kill()
        raise RuntimeError(f"extraction worker did not start: {' '.join(command)}")

    def _kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self.restarts += 1
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = None

    def close(self) -> None:
        """Stop the worker (politely, then by force)."""
        if self._process is None or self._conn is None:
            return
        self._conn.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = self._conn = None

    def extract(
        self,
        html: str | bytes,
        url: str,
        *,
        source: str | ProfiledSource = "",
        fallback_published: datetime | None = None,
        encoding: str | None = None,
    ) -> Article:
        """Like :func:`extraction.extract_article`, but bounded; never raises for a bad page.

        The source goes to the worker as :class:`~extraction.profiles.SiteProfiles`, so the
        worker never imports the caller's registry classes."""
        site = SiteProfiles.of(source)
        source = site.name
        size = len(html)  # characters for str input: close enough for a sanity bound
        if size > self.bounds.max_html_bytes:
            log.warning("%s: %d bytes, over the %d limit", url, size, self.bounds.max_html_bytes)
            return _failed(url, source, TOO_LARGE_ERROR)
        kwargs: dict[str, Any] = {
            "source": site,
            "fallback_published": fallback_published,
            "encoding": encoding,
        }
        conn = self._conn or self._start()
        try:
            conn.send((html, url, kwargs))
            if conn.poll(self.bounds.timeout_seconds):
                article: Article = conn.recv()
                if article.error == MEMORY_ERROR:
                    self._kill()  # a fresh worker, rather than one left fragmented by the failure
                return article
        except (EOFError, BrokenPipeError, ConnectionResetError):
            code = self._process.poll() if self._process else None
            log.warning("%s: extraction worker died (exit code %s)", url, code)
            self._kill()
            return _failed(url, source, WORKER_DIED_ERROR)
        log.warning("%s: extraction took over %.0f s", url, self.bounds.timeout_seconds)
        self._kill()
        return _failed(url, source, TIMEOUT_ERROR)


def _main() -> None:
    parser = argparse.ArgumentParser(description="extraction worker (started by BoundedExtractor)")
    parser.add_argument("jobs_fd", type=int)
    parser.add_argument("results_fd", type=int)
    parser.add_argument("memory_bytes", type=int)
    args = parser.parse_args()
    jobs = Connection(args.jobs_fd, writable=False)
    results = Connection(args.results_fd, readable=False)
    _serve(jobs, results, args.memory_bytes)


if __name__ == "__main__":
    _main()
