"""Body quality and speed of our extractor on the extraction-dev set, with baselines in one run.

Quality: the ScrapingHub article-extraction-benchmark scoring as described in the set's README
(4-token shingles of ``\\w+`` tokens, per-page normalised counts, precision averaged over pages
with predicted text, recall over pages with true text). Baseline: ``trafilatura.extract`` with
its defaults, on the same decoded pages.

Speed: pages/s of ``extract_article`` vs trafilatura's default extract vs bare lxml parsing.
"""

from __future__ import annotations

import gzip
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from newsflow.settings import PROJECT_ROOT

DATASET = PROJECT_ROOT.parent / "shared" / "bench" / "extraction-dev"
_TOKEN = re.compile(r"\w+")
SHINGLE = 4


@dataclass
class Page:
    id: str
    url: str
    html: bytes
    truth: str


@dataclass
class Score:
    precision: float
    recall: float
    f1: float
    accuracy: float


def load_pages(folder: Path = DATASET) -> list[Page]:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id, item in sorted(truth.items()):
        html = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append(Page(page_id, item.get("url") or "", html, item.get("articleBody") or ""))
    return pages


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


def score(pages: list[Page], predictions: list[str]) -> Score:
    precisions, recalls, exact = [], [], 0
    for page, predicted in zip(pages, predictions, strict=True):
        tp, fp, fn = page_counts(page.truth, predicted)
        if fp == 0 and fn == 0:
            precisions.append(1.0)
            recalls.append(1.0)
        else:
            if predicted.strip():
                precisions.append(tp / (tp + fp) if tp + fp else 0.0)
            if page.truth.strip():
                recalls.append(tp / (tp + fn) if tp + fn else 0.0)
        exact += _TOKEN.findall(page.truth) == _TOKEN.findall(predicted)
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return Score(p, r, f1, exact / len(pages))


def _decoded(pages: list[Page]) -> list[str]:
    from extraction.charset import decode_html

    return [decode_html(p.html) for p in pages]


def _timed(run: Callable[[], list[str]]) -> tuple[list[str], float]:
    started = time.perf_counter()
    result = run()
    return result, time.perf_counter() - started


def main() -> None:
    if not (DATASET / "ground-truth.json").is_file():
        print(f"extraction-dev set not found at {DATASET}; nothing measured")
        return
    import lxml.html
    import trafilatura

    from extraction import extract_article

    pages = load_pages()
    texts = _decoded(pages)

    ours, ours_s = _timed(lambda: [extract_article(p.html, p.url).text for p in pages])
    default, default_s = _timed(
        lambda: [trafilatura.extract(t, url=p.url) or "" for p, t in zip(pages, texts, strict=True)]
    )
    _, lxml_s = _timed(lambda: [lxml.html.document_fromstring(p.html).tag for p in pages])

    n = len(pages)
    print(f"pages: {n} from {DATASET}")
    print(f"{'extractor':28} {'F1':>6} {'P':>6} {'R':>6} {'exact':>6} {'pages/s':>8}")
    rows = (
        ("newsflow extract_article", ours, ours_s),
        ("trafilatura.extract default", default, default_s),
    )
    for name, predictions, seconds in rows:
        s = score(pages, predictions)
        print(
            f"{name:28} {s.f1:6.3f} {s.precision:6.3f} {s.recall:6.3f} {s.accuracy:6.3f}"
            f" {n / seconds:8.1f}"
        )
    print(f"{'lxml parse only':28} {'':6} {'':6} {'':6} {'':6} {n / lxml_s:8.1f}")
    print(
        f"speed ratios: ours/trafilatura {default_s / ours_s:.2f}, "
        f"ours/lxml-parse {lxml_s / ours_s:.3f}"
    )
