"""End to end on the bundled demo site: pages/s per stage and peak memory.

Baselines in the same run: fetching the same article URLs one by one with urllib (crawl), and
trafilatura's default `extract` on the same pages (extract).
"""

from __future__ import annotations

import resource
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

from newsflow import pipeline
from newsflow.demo_site import start_demo_site
from newsflow.settings import PROJECT_ROOT, CrawlSettings, Settings
from newsflow.sources import load_registry, select_sources
from storage.warc_reader import read_pages


def _peak_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def main() -> None:
    import trafilatura

    with start_demo_site() as site, tempfile.TemporaryDirectory() as tmp:
        registry = yaml.safe_load((PROJECT_ROOT / "sources.yaml").read_text())
        registry["sources"][0]["url"] = site.url + "/"
        path = Path(tmp) / "sources.yaml"
        path.write_text(yaml.safe_dump(registry))
        settings = Settings(
            data_dir=Path(tmp) / "data", sources_file=path, crawl=CrawlSettings(download_delay=0)
        )
        sources = select_sources(load_registry(path))

        started = time.perf_counter()
        crawled = pipeline.crawl(settings, sources, run_id="bench")
        crawl_s = time.perf_counter() - started
        warcs = [r.warc for r in crawled if r.warc]
        pages = [p for w in warcs for p in read_pages(Path(w))]

        started = time.perf_counter()
        for page in pages:
            urllib.request.urlopen(page.url, timeout=10).read()
        fetch_s = time.perf_counter() - started

        started = time.perf_counter()
        extracted = pipeline.extract(settings, warcs, run_id="bench")
        extract_s = time.perf_counter() - started

        started = time.perf_counter()
        for page in pages:
            trafilatura.extract(page.body, url=page.url)
        traf_s = time.perf_counter() - started

        started = time.perf_counter()
        loaded = pipeline.load(settings, extracted.output, sources)
        load_s = time.perf_counter() - started

    n = len(pages)
    print(f"pages: {n}, articles stored: {loaded.stored}, entities: {extracted.entities}")
    print(f"crawl   {n / crawl_s:8.1f} pages/s (incl. subprocess + Scrapy start-up)")
    print(
        f"  baseline urllib sequential fetch {n / fetch_s:8.1f} pages/s; "
        f"ratio {fetch_s / crawl_s:.2f}"
    )
    print(f"extract {n / extract_s:8.1f} pages/s (incl. spaCy model load and NER)")
    print(
        f"  baseline trafilatura.extract     {n / traf_s:8.1f} pages/s; "
        f"ratio {traf_s / extract_s:.2f}"
    )
    print(f"load    {loaded.stored / load_s:8.1f} articles/s (SQLite, incl. schema check)")
    print(
        f"peak RSS: this process {_peak_mib(resource.RUSAGE_SELF):.0f} MiB, "
        f"crawl child {_peak_mib(resource.RUSAGE_CHILDREN):.0f} MiB"
    )
