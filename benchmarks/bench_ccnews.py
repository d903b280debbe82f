"""CC-NEWS backfill: one WARC file on one core, next to warcio's own read speed of the same file.

A CC-NEWS-shaped file is written first (request + response records of news pages on many hosts,
1 response in 40 on the chosen outlet's host; `NEWSFLOW_BENCH_CCNEWS_RECORDS` responses, 2,000 by
default). Measured on it, each the fastest of three turns:

- floor: warcio alone iterating every record (it decompresses the whole file), and reading
  every payload too;
- scan: `storage.warc_reader.read_stream` with the host matcher, digests checked (records/s);
- backfill: `newsflow.pipeline.backfilling.scan_file`, the scan plus the extract step on what
  it keeps (bounded worker, NER) into JSON lines (articles kept/s), twice: the first turn
  starts the extraction worker and loads the spaCy model, which a long backfill pays once.

Memory: the same scan in a fresh process over HTTP on 127.0.0.1 (a port in 18400-18499), on the
file and on one four times its size: peak RSS stays flat when the file is streamed.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

OUTLET = "bench-outlet.example"
EVERY = 40
KEY = "crawl-data/CC-NEWS/2023/01/CC-NEWS-20230101000000-00000.warc.gz"


def write_warc(path: Path, responses: int) -> None:
    """A CC-NEWS-shaped file: news pages on 200 hosts, every EVERY-th on the outlet's host."""
    from newsflow.demo_site import load_articles
    from newsflow.demo_site.article_page import article_page

    articles = load_articles()
    pages = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "bench"}))
        for n in range(responses):
            host = OUTLET if n % EVERY == 0 else f"site{n % 200}.example"
            article = articles[n % len(articles)]
            base = f"https://{host}"
            if (base, article.slug) not in pages:
                pages[base, article.slug] = article_page(base, articles, article).encode()
            body = pages[base, article.slug]
            url = f"{base}{article.path}?n={n}"
            request = StatusAndHeaders(
                f"GET {article.path} HTTP/1.1", [("Host", host)], is_http_request=True
            )
            writer.write_record(writer.create_warc_record(url, "request", http_headers=request))
            headers = StatusAndHeaders(
                "200 OK",
                [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
                protocol="HTTP/1.1",
            )
            writer.write_record(
                writer.create_warc_record(
                    url, "response", payload=BytesIO(body), http_headers=headers
                )
            )


def warcio_floor(path: Path, read_payloads: bool) -> int:
    records = 0
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream):
            records += 1
            if read_payloads:
                record.content_stream().read()
    return records


def scan(stream, name: str) -> tuple[int, int]:
    from ccnews import HostMatcher
    from storage.warc_reader import ScanCounts, read_stream

    counts = ScanCounts()
    for _ in read_stream(stream, name, assign=HostMatcher({OUTLET: "bench"}), counts=counts):
        pass
    return counts.records, counts.kept


def _fastest(action, turns: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(turns):
        started = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - started)
    return best, result


def _scan_file(path: Path) -> tuple[int, int]:
    with open(path, "rb") as stream:
        return scan(stream, path.name)


def _peak_rss_over_http(base: str, key: str) -> int:
    """Peak RSS (MiB) of a fresh process scanning one file over HTTP."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_ccnews", "--scan", base, key],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    ).stdout
    return int(out.split()[-1]) // 1024


def _child_scan(base: str, key: str) -> None:
    from ccnews import open_location

    with open_location(base, key) as stream:
        scan(stream, key)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def main() -> None:
    from newsflow.pipeline.backfilling import FileTask, scan_file
    from newsflow.settings import Settings
    from newsflow.sources import Source
    from tests.ccnews_mirror import serve_mirror

    n = int(os.environ.get("NEWSFLOW_BENCH_CCNEWS_RECORDS", "2000"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / KEY
        write_warc(path, n)
        big_key = KEY.replace("00000.warc.gz", "00001.warc.gz")
        write_warc(root / big_key, 4 * n)
        compressed = path.stat().st_size / 1e6
        floor, records = _fastest(lambda: warcio_floor(path, False))
        floor_read, _ = _fastest(lambda: warcio_floor(path, True))
        ours, (scanned, kept) = _fastest(lambda: _scan_file(path))
        print(
            f"one file: {records} records ({n} responses, {n // EVERY} on the outlet), "
            f"{compressed:.1f} MB gzipped"
        )
        print(f"  warcio iterate only (floor)   {records / floor:8.0f} records/s  ({floor:.2f} s)")
        print(
            f"  warcio + every payload read   {records / floor_read:8.0f} records/s  "
            f"({floor_read:.2f} s)"
        )
        print(
            f"  scan (host match, digests)    {scanned / ours:8.0f} records/s  ({ours:.2f} s); "
            f"{floor / ours:.2f} of the floor; {compressed / ours:.1f} MB/s gzipped"
        )

        settings = Settings(data_dir=root / "data", ner_processes=1)
        outlet = Source(name="bench", url=f"https://{OUTLET}/")
        for turn in ("first (worker start, spaCy model load)", "second (model loaded)"):
            started = time.perf_counter()
            result = scan_file(
                settings, [outlet], FileTask(KEY, ["bench"]), run_id=turn[:5], base=str(root)
            )
            whole = time.perf_counter() - started
            print(
                f"  backfill, {turn}: {result.records / whole:6.0f} records/s, "
                f"{result.articles / whole:.1f} articles kept/s ({result.articles} articles "
                f"of {kept} kept pages, {whole:.2f} s)"
            )

        with serve_mirror(root) as base:
            small = _peak_rss_over_http(base, KEY)
            large = _peak_rss_over_http(base, big_key)
        big = (root / big_key).stat().st_size / 1e6
        print(
            f"  memory, scan over HTTP: peak RSS {small} MiB for {compressed:.0f} MB, "
            f"{large} MiB for {big:.0f} MB ({large / small:.2f}x for 4x the file)"
        )
        per_gb = 1000 / (compressed / ours)
        print(
            f"  estimate: a 1 GB CC-NEWS file takes ~{per_gb:.0f} s to scan on one core "
            "(at this file's records per gzipped byte), plus the extraction of what it keeps"
        )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--scan":
        _child_scan(sys.argv[2], sys.argv[3])
    else:
        main()
