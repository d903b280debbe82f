"""What an extraction profile costs and gives, on the demo site's 27 articles served on 127.0.0.1.

Speed: pages/s of ``extract_article`` with the demo source's profile vs the generic extractor
(the baseline, same pages, taking turns page by page: :func:`benchmarks.scoring.per_page`), on
the usual layout (the profile reads the body, trafilatura is skipped) and on ``--layout
redesign`` (the profile finds nothing, so its try is pure overhead before the generic reading).
Correctness: records whose title, authors, date, tags and body equal the site's own content.
Also the time of ``newsflow check`` over the shipped saved pages. No data set needed.
"""

from __future__ import annotations

import time
import urllib.request

from benchmarks.scoring import REPEATS, per_page
from newsflow.demo_site import DemoArticle, load_articles, start_demo_site
from newsflow.settings import Settings
from newsflow.sources import load_registry


def _pages(layout: str) -> list[tuple[str, bytes]]:
    with start_demo_site(layout=layout) as site:
        return [
            (site.url_for(a.path), urllib.request.urlopen(site.url_for(a.path)).read())
            for a in site.articles
        ]


def _right(record, article: DemoArticle) -> bool:
    return (
        record.title == article.title
        and record.authors == [article.author]
        and record.published == article.published
        and record.tags == article.tags
        and record.text == "\n\n".join(article.paragraphs)
    )


def main() -> None:
    from extraction import extract_article
    from newsflow.pipeline.checking import check_source

    settings = Settings()
    demo = next(s for s in load_registry(settings.sources_file) if s.name == "demo")
    truth = load_articles()
    print(f"demo site: {len(truth)} articles; speed: fastest of {REPEATS} turns per page")
    print(f"{'layout':10} {'extractor':9} {'pages/s':>8} {'ratio':>6} {'records right':>14}")
    for layout in ("classic", "redesign"):
        pages = _pages(layout)
        timed = per_page(
            pages,
            {
                "generic": lambda p: extract_article(p[1], p[0], source="demo"),
                "profile": lambda p: extract_article(p[1], p[0], source=demo),
            },
        )
        generic_s = timed["generic"][1]
        for name, (records, seconds) in timed.items():
            right = sum(_right(r, a) for r, a in zip(records, truth, strict=True))
            ratio = generic_s / seconds
            print(
                f"{layout:10} {name:9} {len(pages) / seconds:8.1f} {ratio:6.2f} "
                f"{right:>8} of {len(pages)}"
            )
    started = time.perf_counter()
    checked = check_source(settings, demo)
    elapsed = time.perf_counter() - started
    print(
        f"newsflow check demo: {len(checked)} saved pages in {elapsed:.1f} s "
        "(worker start-up included)"
    )
