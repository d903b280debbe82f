"""Scoring, timing and record counts shared by the extraction benchmarks, so every set is
judged the same way.

Body: the ScrapingHub article-extraction-benchmark method (4-token shingles of ``\\w+`` tokens,
per-page normalised counts, precision averaged over pages with predicted text, recall over pages
with true text). Metadata: the metadata-dev README's rules (NFKC, collapsed whitespace,
casefold; exact title, set P/R/F1 of authors over all pages, same calendar day for dates).
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

_TOKEN = re.compile(r"\w+")
Item = TypeVar("Item")
SHINGLE = 4
REPEATS = 3


@dataclass
class Score:
    precision: float
    recall: float
    f1: float
    accuracy: float


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    return Counter(tuple(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1))


def page_counts(truth: str, predicted: str) -> tuple[float, float, float]:
    """(tp, fp, fn) of shingles, normalised to sum to 1."""
    true_sh, pred_sh = _shingles(truth), _shingles(predicted)
    tp = sum((true_sh & pred_sh).values())
    fp = sum((pred_sh - true_sh).values())
    fn = sum((true_sh - pred_sh).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def page_f1(truth: str, predicted: str) -> float:
    """One page's shingle F1 (1.0 when both are empty or identical), for ranking the misses."""
    tp, fp, fn = page_counts(truth, predicted)
    if fp == 0 and fn == 0:
        return 1.0
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def score(truths: Iterable[str], predictions: Iterable[str]) -> Score:
    """Body score of a whole set (the benchmark's published method)."""
    precisions, recalls, exact, pages = [], [], 0, 0
    for truth, predicted in zip(truths, predictions, strict=True):
        pages += 1
        tp, fp, fn = page_counts(truth, predicted)
        if fp == 0 and fn == 0:
            precisions.append(1.0)
            recalls.append(1.0)
        else:
            if predicted.strip():
                precisions.append(tp / (tp + fp) if tp + fp else 0.0)
            if truth.strip():
                recalls.append(tp / (tp + fn) if tp + fn else 0.0)
        exact += _TOKEN.findall(truth) == _TOKEN.findall(predicted)
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return Score(p, r, f1, exact / pages if pages else 0.0)


def normalise(text: str | None) -> str:
    """NFKC, whitespace runs collapsed to one space, stripped, case-folded."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split()).casefold()


def same_title(truth: str | None, predicted: str | None) -> bool:
    return normalise(truth) == normalise(predicted)


def same_day(truth: str | None, predicted: str | None) -> bool:
    """Same calendar day: the first 10 characters of the ISO strings."""
    return bool(truth and predicted) and truth[:10] == predicted[:10]


def author_set(names: Iterable[str] | None) -> set[str]:
    return {normalise(name) for name in names or [] if normalise(name)}


def author_counts(truth: Iterable[str] | None, predicted: Iterable[str] | None) -> tuple[int, ...]:
    """(tp, fp, fn) of one page's normalised author strings."""
    true_set, pred_set = author_set(truth), author_set(predicted)
    return len(true_set & pred_set), len(pred_set - true_set), len(true_set - pred_set)


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall and F1 of pooled counts (1.0 each when there is nothing to find)."""
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def per_page(
    items: Sequence[Item], runs: dict[str, Callable[[Item], Any]]
) -> dict[str, tuple[list[Any], float]]:
    """Each run's outputs and time over ``items``: every item goes through all runs in turn,
    :data:`REPEATS` times, and each run is charged its fastest time per item.

    On a shared machine other jobs come and go within seconds; taking turns per item exposes
    the runs to the same load, and the per-item minimum drops the samples those jobs slowed
    down (they only ever add time).
    """
    best: dict[str, list[float]] = {name: [float("inf")] * len(items) for name in runs}
    outputs: dict[str, list[Any]] = {name: [None] * len(items) for name in runs}
    for _ in range(REPEATS):
        for i, item in enumerate(items):
            for name, run in runs.items():
                started = time.perf_counter()
                outputs[name][i] = run(item)
                best[name][i] = min(best[name][i], time.perf_counter() - started)
    return {name: (outputs[name], sum(best[name])) for name in runs}


def safety_net_line(articles: Sequence[Any]) -> str:
    """How often the body safety net fired, pages were marked for subscribers and agencies were
    credited, over extracted records (``extraction.record.Article``)."""
    n = len(articles)
    fired = sum("body_fallback" in a.quality_flags for a in articles)
    paywalled = sum(a.free_access is False for a in articles)
    wired = sum(bool(a.agencies) for a in articles)
    failed = sum(bool(a.error) for a in articles)
    return (
        f"body safety net fired on {fired} of {n} pages; {failed} without text; "
        f"free_access False on {paywalled}; agencies credited on {wired}"
    )
