"""Body quality and speed of our extractor on the extraction-dev set, with baselines in one run.

Quality: the ScrapingHub article-extraction-benchmark scoring as described in the set's README
(:func:`benchmarks.scoring.score`). Baseline: ``trafilatura.extract`` with its defaults, on the
same decoded pages.

Speed: pages/s of ``extract_article`` (in process, and in the bounded worker the extract step
uses) vs trafilatura's default extract vs bare lxml parsing, taking turns page by page
(:func:`benchmarks.scoring.per_page`). Also how often the body safety net fired.

Near-duplicates: SimHash distances between the ground-truth bodies (distinct articles) and
between each body and syndication-style variants of it, to justify ``dedup.MAX_DISTANCE``.
"""

from __future__ import annotations

import gzip
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

from benchmarks.scoring import REPEATS, per_page, safety_net_line, score
from newsflow.settings import PROJECT_ROOT

DATASET = PROJECT_ROOT.parent / "shared" / "bench" / "extraction-dev"


@dataclass
class Page:
    id: str
    url: str
    html: bytes
    truth: str


def load_pages(folder: Path = DATASET) -> list[Page]:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id, item in sorted(truth.items()):
        html = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append(Page(page_id, item.get("url") or "", html, item.get("articleBody") or ""))
    return pages


def _syndicated_variants(text: str) -> dict[str, str]:
    """How republished copies of one story differ: credit lines, a trimmed end, small edits."""
    paragraphs = [p for p in text.split("\n") if p.strip()]
    words = text.split()
    for i in (len(words) // 3, 2 * len(words) // 3):
        words[i] = "changed"
    trimmed = "\n".join(paragraphs[:-1]) if len(paragraphs) > 2 else text
    return {
        "credit line first": "This story originally appeared on Example News.\n" + text,
        "credit line last": text + "\n(Reporting by Jane Doe; Editing by John Smith)",
        "last paragraph dropped": trimmed,
        "two words edited": " ".join(words),
        "all of these": f"Copyright 2019 The Associated Press.\n{trimmed}\nRead more at x.com",
    }


def near_duplicate_report(pages: list[Page], thresholds: tuple[int, ...] = (3, 5, 7, 9)) -> None:
    from extraction.dedup import MAX_DISTANCE, hamming_distance, simhash

    texts = [p.truth for p in pages if len(p.truth.split()) >= 80]
    prints = [simhash(t) for t in texts]
    distinct = [hamming_distance(a, b) for a, b in itertools.combinations(prints, 2)]
    copies: dict[str, list[int]] = {}
    for text, fingerprint in zip(texts, prints, strict=True):
        for kind, variant in _syndicated_variants(text).items():
            copies.setdefault(kind, []).append(hamming_distance(fingerprint, simhash(variant)))
    print(
        f"simhash: {len(texts)} bodies, {len(distinct)} distinct pairs, closest distinct pair "
        f"{min(distinct)} bits; copies found within k bits (MAX_DISTANCE={MAX_DISTANCE})"
    )
    print(f"  {'copy kind':24}" + "".join(f"{f'k={k}':>7}" for k in thresholds))
    everything = [d for found in copies.values() for d in found]
    for kind, found in [*copies.items(), ("all", everything)]:
        shares = [sum(d <= k for d in found) / len(found) for k in thresholds]
        print(f"  {kind:24}" + "".join(f"{share:7.2f}" for share in shares))
    false = [sum(d <= k for d in distinct) for k in thresholds]
    print(f"  {'distinct pairs matched':24}" + "".join(f"{n:7d}" for n in false))


def _decoded(pages: list[Page]) -> list[str]:
    from extraction.charset import decode_html

    return [decode_html(p.html) for p in pages]


def main() -> None:
    if not (DATASET / "ground-truth.json").is_file():
        print(f"extraction-dev set not found at {DATASET}; nothing measured")
        return
    import lxml.html
    import trafilatura

    from extraction import extract_article
    from extraction.bounds import BoundedExtractor

    pages = load_pages()
    texts = dict(zip((p.id for p in pages), _decoded(pages), strict=True))

    with BoundedExtractor() as extractor:
        extractor.extract(b"<p>start the worker</p>", "https://example.com/")
        timed = per_page(
            pages,
            {
                "ours": lambda p: extract_article(p.html, p.url),
                "bounded": lambda p: extractor.extract(p.html, p.url).text,
                "default": lambda p: trafilatura.extract(texts[p.id], url=p.url) or "",
                "lxml": lambda p: lxml.html.document_fromstring(p.html).tag,
            },
        )
    (articles, ours_s), (bounded, bounded_s) = timed["ours"], timed["bounded"]
    (default, default_s), lxml_s = timed["default"], timed["lxml"][1]
    ours = [a.text for a in articles]

    n = len(pages)
    print(f"pages: {n} from {DATASET}; speed: fastest of {REPEATS} turns per page")
    print(f"{'extractor':28} {'F1':>6} {'P':>6} {'R':>6} {'exact':>6} {'pages/s':>8}")
    rows = (
        ("newsflow extract_article", ours, ours_s),
        ("newsflow, bounded worker", bounded, bounded_s),
        ("trafilatura.extract default", default, default_s),
    )
    for name, predictions, seconds in rows:
        s = score([p.truth for p in pages], predictions)
        print(
            f"{name:28} {s.f1:6.3f} {s.precision:6.3f} {s.recall:6.3f} {s.accuracy:6.3f}"
            f" {n / seconds:8.1f}"
        )
    print(f"{'lxml parse only':28} {'':6} {'':6} {'':6} {'':6} {n / lxml_s:8.1f}")
    print(
        f"speed ratios: ours/trafilatura {default_s / ours_s:.2f}, "
        f"ours/lxml-parse {lxml_s / ours_s:.3f}, bounded/unbounded {ours_s / bounded_s:.2f}"
    )
    print(safety_net_line(articles))
    near_duplicate_report(pages)
