"""Progress of the long steps, the one place that reports it.

In a terminal each stage (crawl: listed and fetched; extract; load) is a rich progress line with
its count, rate and, when the total is known, a bar and the time left. When stderr is not a
terminal (Airflow task logs, cron) a stage prints one summary line every ``progress_seconds``
(settings; default 30) and one when it ends, so a log shows the night moving without a line per
page; ``progress_seconds = 0`` turns it all off. Output goes to stderr (stdout stays the
command's result), or to stdout where settings say ``progress_stream = "stdout"`` (Airflow's
tasks: Airflow logs a task's stderr as errors).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


class Meter:
    """One stage's counter; ``advance`` is cheap enough to call per page."""

    def __init__(
        self,
        name: str,
        unit: str,
        total: int | None,
        stream: TextIO,
        interval: float,
        pause_dir: Path | None = None,
    ) -> None:
        self.name, self.unit, self.total = name, unit, total
        self.count = 0
        self.note = ""
        self._pause = PausePoint.find(pause_dir, name)
        self._stream, self._interval = stream, interval
        self._started = self._shown = time.monotonic()
        self._bar = None
        if stream.isatty() and interval > 0:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[note]}"),
                console=Console(file=stream),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(name, total=total, rate="", note="")

    def rate(self) -> float:
        elapsed = time.monotonic() - self._started
        return self.count / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        """``extract: 1200/10000 pages, 12.3 pages/s, 11 min left``."""
        elapsed = time.monotonic() - self._started
        done = f"{self.count}/{self.total}" if self.total else str(self.count)
        text = f"{self.name}: {done} {self.unit}, {self.rate():.1f} {self.unit}/s"
        if self.total and self.rate() > 0 and self.count < self.total:
            text += f", {_duration((self.total - self.count) / self.rate())} left"
        text += f", {_duration(elapsed)} elapsed"
        return f"{text}; {self.note}" if self.note else text

    def advance(self, count: int = 1, *, to: int | None = None, note: str | None = None) -> None:
        """Add `count` (or set the count `to`), with an optional note (``listed 340``)."""
        self.count = to if to is not None else self.count + count
        if note is not None:
            self.note = note
        if self._bar is not None:
            rate = f"{self.rate():.1f} {self.unit}/s"
            self._bar.update(self._task, completed=self.count, rate=rate, note=self.note)
        elif self._interval > 0 and time.monotonic() - self._shown >= self._interval:
            self._show()
        if self._pause is not None and self.count >= self._pause.at:
            self._pause.wait()
            self._pause = None

    def _show(self) -> None:
        self._shown = time.monotonic()
        print(self.line(), file=self._stream, flush=True)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif self._interval > 0:
            self._show()


class PausePoint:
    """A test hook (settings `pause_dir`): a stage whose `<dir>/<stage>.at` file holds a count
    stops once it reaches that count, writes its pid to `<dir>/<stage>.pid` and waits while the
    `.at` file exists, so a test can kill the process in the middle of a crawl, extract or load."""

    def __init__(self, hold: Path, at: int) -> None:
        self.hold, self.at = hold, at

    @classmethod
    def find(cls, pause_dir: Path | None, stage_name: str) -> PausePoint | None:
        if pause_dir is None:
            return None
        hold = Path(pause_dir) / (stage_name.replace(" ", "-") + ".at")
        try:
            return cls(hold, int(hold.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return None

    def wait(self) -> None:
        self.hold.with_suffix(".pid").write_text(str(os.getpid()), encoding="utf-8")
        while self.hold.exists():
            time.sleep(0.1)


def progress_output(stream: str) -> TextIO:
    """The stream settings' ``progress_stream`` names, looked up when a stage starts."""
    return sys.stdout if stream == "stdout" else sys.stderr


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@contextmanager
def stage(
    name: str,
    interval: float,
    *,
    unit: str = "pages",
    total: int | None = None,
    stream: TextIO | None = None,
    pause_dir: Path | None = None,
) -> Iterator[Meter]:
    """A stage's meter, shown while the block runs and summed up when it ends; `interval` is
    the seconds between lines off a terminal, 0 for no output at all."""
    meter = Meter(name, unit, total, stream or sys.stderr, interval, pause_dir)
    try:
        yield meter
    finally:
        meter.finish()
