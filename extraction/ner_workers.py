"""NER in worker processes, so entities for one batch of articles are found while the next
batch is extracted, and on both cores.

:func:`extraction.entities.add_entities_by_language` is the same function in the worker; a batch
goes out as its articles' language and text and comes back as each article's entities and note,
so a record is the same whether NER ran here or in the caller (tested). Each worker is a plain
``python -m extraction.ner_workers`` child (not ``multiprocessing``, which would re-import the
caller's ``__main__``) that loads its models once and keeps them; a thread per worker sends its
batch and waits, so the caller goes on extracting. A worker that dies raises ``NerWorkerError``
in the caller: nothing is written for that run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any

from extraction.record import Article, Entity

READY = "ready"


class NerWorkerError(RuntimeError):
    """A NER worker did not start or died."""


@dataclass(frozen=True)
class NerConfig:
    """What :func:`extraction.entities.add_entities_by_language` is called with."""

    model: str
    language_models: dict[str, str] = field(default_factory=dict)
    gazetteers: tuple[Path, ...] = ()
    batch_size: int = 32


def find_entities(articles: list[Article], config: NerConfig) -> None:
    """Fill ``entities`` and ``entities_note`` in place, in this process."""
    from extraction.entities import add_entities_by_language

    add_entities_by_language(
        articles,
        config.model,
        config.language_models,
        config.gazetteers,
        batch_size=config.batch_size,
    )


def _serve(jobs: Connection, results: Connection) -> None:
    """Worker loop: a NerConfig first, then batches of (language, text) until EOF."""
    config: NerConfig = jobs.recv()
    from extraction.entities import load_nlp

    load_nlp(config.model, config.gazetteers)
    results.send(READY)
    while True:
        try:
            batch = jobs.recv()
        except EOFError:
            return
        articles = [Article(url="", language=lang, text=text) for lang, text in batch]
        find_entities(articles, config)
        results.send([(a.entities, a.entities_note) for a in articles])


class _Worker:
    def __init__(self, config: NerConfig) -> None:
        jobs_read, jobs_write = os.pipe()
        results_read, results_write = os.pipe()
        command = [sys.executable, "-m", "extraction.ner_workers", str(jobs_read)]
        command.append(str(results_write))
        self.process = subprocess.Popen(command, pass_fds=(jobs_read, results_write))
        os.close(jobs_read)
        os.close(results_write)
        self.jobs = Connection(jobs_write, readable=False)
        self.results = Connection(results_read, writable=False)
        self.jobs.send(config)
        self.started = False

    def run(self, batch: list[tuple[str | None, str]]) -> list[tuple[list[Entity], str | None]]:
        try:
            if not self.started:
                if self.results.recv() != READY:
                    raise NerWorkerError("NER worker did not start")
                self.started = True
            self.jobs.send(batch)
            answer: list[tuple[list[Entity], str | None]] = self.results.recv()
            return answer
        except (EOFError, OSError) as exc:
            code = self.process.poll()
            raise NerWorkerError(f"NER worker died (exit code {code})") from exc

    def close(self) -> None:
        self.jobs.close()
        self.results.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class NerWorkers:
    """``workers`` NER processes taking batches in turn, started with the first batch sent to
    them; with 0, or for a batch submitted ``here``, NER runs in this process (where the models
    stay loaded between calls: a small run is not worth two process start-ups). Use as a
    context manager."""

    def __init__(self, config: NerConfig, workers: int = 1) -> None:
        self.config = config
        self.count = workers
        self._workers: list[_Worker] = []
        self._threads: list[ThreadPoolExecutor] = []
        self._turn = 0

    def __enter__(self) -> NerWorkers:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def submit(self, articles: list[Article], *, here: bool = False) -> Future[None]:
        """Find the articles' entities (filled in place when the future is done)."""
        if here or not self.count:
            done: Future[None] = Future()
            find_entities(articles, self.config)
            done.set_result(None)
            return done
        if not self._workers:
            self._workers = [_Worker(self.config) for _ in range(self.count)]
            self._threads = [ThreadPoolExecutor(max_workers=1) for _ in self._workers]
        turn = self._turn % len(self._workers)
        self._turn += 1
        worker = self._workers[turn]
        batch = [(a.language, a.text) for a in articles]

        def run() -> None:
            for article, (entities, note) in zip(articles, worker.run(batch), strict=True):
                article.entities, article.entities_note = entities, note

        return self._threads[turn].submit(run)

    def close(self) -> None:
        for thread in self._threads:
            thread.shutdown(wait=True)
        for worker in self._workers:
            worker.close()
        self._workers = []


def _main() -> None:
    parser = argparse.ArgumentParser(description="NER worker (started by NerWorkers)")
    parser.add_argument("jobs_fd", type=int)
    parser.add_argument("results_fd", type=int)
    args: Any = parser.parse_args()
    _serve(Connection(args.jobs_fd, writable=False), Connection(args.results_fd, readable=False))


if __name__ == "__main__":
    _main()
