"""Title, authors, date and body of ``extract_article`` vs trafilatura on the metadata-dev set.

123 pages of 86 publishers in 15 languages with a hand-checked record each; scored by the set's
README (:mod:`benchmarks.scoring`). The baseline is ``trafilatura.bare_extraction`` with its
defaults and ``with_metadata=True`` on the same decoded pages, timed in the same run, the two
taking turns page by page (:func:`benchmarks.scoring.per_page`). Besides the totals it prints a
per-language breakdown (the language of the true body, as py3langid reads it), the ten worst
pages per field, and how often the body safety net fired, a paywall was seen and a wire agency
was credited.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.bench_extraction import DATASET as EXTRACTION_DEV
from benchmarks.scoring import (
    REPEATS,
    author_counts,
    normalise,
    page_f1,
    per_page,
    prf,
    safety_net_line,
    same_day,
    same_title,
    score,
)

if TYPE_CHECKING:
    from extraction.record import Article

DATASET = EXTRACTION_DEV.parent / "metadata-dev"
WORST = 10


@dataclass
class Page:
    id: str
    url: str
    html: bytes
    title: str
    authors: list[str]
    date: str
    text: str
    language: str = "?"


@dataclass
class Result:
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    date: str | None = None
    text: str = ""
    note: str = ""


def load_pages(folder: Path = DATASET) -> list[Page]:
    from extraction.language import detect_language

    pages = []
    for line in (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        html = gzip.decompress((folder / f"{item['id']}.html.gz").read_bytes())
        page = Page(
            item["id"],
            item["url"],
            html,
            item.get("title") or "",
            item.get("authors") or [],
            item.get("date") or "",
            item.get("text") or "",
        )
        page.language = detect_language(page.text) or "?"
        pages.append(page)
    return pages


def _as_result(article: Article) -> Result:
    return Result(
        article.title,
        list(article.authors),
        article.published.isoformat() if article.published else None,
        article.text,
        article.error or "",
    )


def _trafilatura(page: Page, text: str) -> Result:
    import trafilatura

    doc = trafilatura.bare_extraction(text, url=page.url, with_metadata=True)
    if doc is None:
        return Result(note="nothing extracted")
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
    return Result(doc.title, authors, doc.date, doc.text or "")


@dataclass
class Figures:
    title: float
    authors: tuple[float, float, float]
    date: float
    body: float


def figures(pages: list[Page], results: list[Result]) -> Figures:
    n = len(pages) or 1
    counts = [author_counts(p.authors, r.authors) for p, r in zip(pages, results, strict=True)]
    return Figures(
        sum(same_title(p.title, r.title) for p, r in zip(pages, results, strict=True)) / n,
        prf(*(sum(c[i] for c in counts) for i in range(3))),
        sum(same_day(p.date, r.date) for p, r in zip(pages, results, strict=True)) / n,
        score([p.text for p in pages], [r.text for r in results]).f1,
    )


def _row(name: str, f: Figures, extra: str = "") -> str:
    p, r, f1 = f.authors
    return (
        f"{name:26} {f.title:6.3f} {f1:6.3f} ({p:.3f}/{r:.3f}) {f.date:6.3f} {f.body:6.3f}{extra}"
    )


def _by_language(pages: list[Page], ours: list[Result], theirs: list[Result]) -> None:
    print(f"per language (of the true body): {'title':>13} {'authors F1':>11} {'date':>11}", end="")
    print(f" {'body F1':>11}   (ours / trafilatura)")
    languages = Counter(p.language for p in pages)
    for language, count in languages.most_common():
        picked = [i for i, p in enumerate(pages) if p.language == language]
        sub = [pages[i] for i in picked]
        a = figures(sub, [ours[i] for i in picked])
        b = figures(sub, [theirs[i] for i in picked])
        print(
            f"  {language:4} {count:3} pages       "
            f"{a.title:5.2f}/{b.title:4.2f}  {a.authors[2]:5.2f}/{b.authors[2]:4.2f}"
            f"  {a.date:5.2f}/{b.date:4.2f}  {a.body:5.2f}/{b.body:4.2f}"
        )


def _poorer(pages: list[Page]) -> None:
    """Titles (on the pages whose <title> holds the true headline), authors and dates (on all)
    with the JSON-LD, then the social titles, byline and date tags, then the <h1>s removed in
    turn: how well the cleaning holds when a page states less."""
    import lxml.html

    from extraction import extract_article
    from extraction.bylines import BYLINE_META
    from extraction.charset import decode_html
    from extraction.dates import MODIFIED_META, PUBLISHED_META

    # removed in turn, as many small sites' templates lack them (with the JSON-LD go the site
    # names and authors it gave); an <h1> or <time> becomes plain text, still shown
    byline_meta = " or ".join(f"@name='{n}' or @property='{n}'" for n in BYLINE_META)
    dates = [key for key, _ in PUBLISHED_META + MODIFIED_META]
    date_meta = " or ".join(f"@name='{n}' or @property='{n}' or @itemprop='{n}'" for n in dates)
    levels = (
        ("no JSON-LD", "//script[@type='application/ld+json']"),
        (
            "+ no social title, byline, date meta",
            f"//meta[@property='og:title' or @name='twitter:title' or {byline_meta}"
            f" or {date_meta}] | //time",
        ),
        ("+ no <h1>", "//h1"),
    )
    trees = [lxml.html.document_fromstring(decode_html(page.html)) for page in pages]
    held = [
        bool(page.title) and normalise(page.title) in normalise(tree.findtext(".//title") or "")
        for page, tree in zip(pages, trees, strict=True)
    ]
    print(f"with less metadata: titles right of {sum(held)} pages whose <title> holds the truth,")
    print(f"  authors F1 and dates right of all {len(pages)} (ours / trafilatura):")
    for name, xpath in levels:
        titles, counts, days = [0, 0], [[], []], [0, 0]
        for page, tree, scored in zip(pages, trees, held, strict=True):
            for element in tree.xpath(xpath):
                if element.tag in ("h1", "time"):  # shown as plain text
                    element.tag = "div" if element.tag == "h1" else "span"
                    element.attrib.pop("datetime", None)
                else:
                    element.drop_tree()
            html = lxml.html.tostring(tree, encoding="unicode")
            results = (_as_result(extract_article(html, page.url)), _trafilatura(page, html))
            for i, result in enumerate(results):
                titles[i] += scored and same_title(page.title, result.title)
                counts[i].append(author_counts(page.authors, result.authors))
                days[i] += same_day(page.date, result.date)
        ours, theirs = (prf(*map(sum, zip(*c, strict=True)))[2] for c in counts)
        print(
            f"  {name:36} titles {titles[0]:3} / {titles[1]:3}   authors {ours:.3f} / {theirs:.3f}"
            f"   dates {days[0]:3} / {days[1]:3}"
        )


def _clip(text: str | None, width: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _worst(pages: list[Page], ours: list[Result], theirs: list[Result]) -> None:
    trios = list(zip(pages, ours, theirs, strict=True))
    misses = [t for t in trios if not same_title(t[0].title, t[1].title)]
    print(f"worst titles ({len(misses)} misses; ours -> truth):")
    for page, mine, _ in misses[:WORST]:
        print(f"  {page.id:36} {_clip(mine.title)!r}\n  {'':36} -> {_clip(page.title)!r}")

    def author_f1(page: Page, result: Result) -> float:
        return prf(*author_counts(page.authors, result.authors))[2]

    ranked = sorted(trios, key=lambda t: author_f1(t[0], t[1]))
    ranked = [t for t in ranked if author_f1(t[0], t[1]) < 1.0]
    print(f"worst authors ({len(ranked)} pages below F1 1; ours -> truth):")
    for page, mine, _ in ranked[:WORST]:
        print(f"  {page.id:36} {mine.authors} -> {page.authors}")

    misses = [t for t in trios if not same_day(t[0].date, t[1].date)]
    print(f"worst dates ({len(misses)} misses; ours -> truth):")
    for page, mine, _ in misses[:WORST]:
        print(f"  {page.id:36} {mine.date} -> {page.date}")

    ranked = sorted(trios, key=lambda t: page_f1(t[0].text, t[1].text))
    print("worst bodies (page shingle F1 ours / trafilatura; our error):")
    for page, mine, other in ranked[:WORST]:
        f_ours, f_theirs = page_f1(page.text, mine.text), page_f1(page.text, other.text)
        print(f"  {page.id:36} {f_ours:5.2f} / {f_theirs:4.2f}  {mine.note}")


def main() -> None:
    if not (DATASET / "truth.jsonl").is_file():
        print(f"metadata-dev set not found at {DATASET}; nothing measured")
        return
    from extraction import extract_article
    from extraction.charset import decode_html

    pages = load_pages()
    texts = {p.id: decode_html(p.html) for p in pages}
    timed = per_page(
        pages,
        {
            "ours": lambda p: extract_article(p.html, p.url),
            "trafilatura": lambda p: _trafilatura(p, texts[p.id]),
        },
    )
    (articles, ours_s), (theirs, theirs_s) = timed["ours"], timed["trafilatura"]
    ours = [_as_result(a) for a in articles]

    n = len(pages)
    print(f"pages: {n} from {DATASET}; speed: fastest of {REPEATS} turns per page")
    print(f"{'extractor':26} {'title':>6} {'authors F1 (P/R)':>20} {'date':>6} {'body':>6} pages/s")
    print(_row("newsflow extract_article", figures(pages, ours), f" {n / ours_s:7.1f}"))
    print(_row("trafilatura defaults", figures(pages, theirs), f" {n / theirs_s:7.1f}"))
    print(f"speed ratio ours/trafilatura {theirs_s / ours_s:.2f}")
    flags = Counter(flag for a in articles for flag in a.quality_flags)
    errors = Counter(a.error for a in articles if a.error)
    print(f"quality flags: {dict(sorted(flags.items()))}; errors: {dict(errors)}")
    print(safety_net_line(articles))
    _by_language(pages, ours, theirs)
    _poorer(pages)
    _worst(pages, ours, theirs)
