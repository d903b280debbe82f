"""Crawl throughput: our spider against a generated local site of 2,000 article pages with
politeness off, next to `scrapy bench` measured on the same machine in the same run. The pages
are real articles to newsflow (a headline, a byline, twelve paragraphs of varied sentences), so
`newsflow run` on this site extracts and stores every one (python -m benchmarks night measures
that whole path on real pages).

Our figure is pages / Scrapy's own elapsed time (no process start-up), and it includes what a
plain crawl does not: WARC archiving of every response with digests, crawl state written to
SQLite, robots.txt, and per-response classification. `scrapy bench` crawls its own Twisted
server on 127.0.0.1 following links; its rate is the median of its per-second log lines.
Run the site server alone with `python -m benchmarks.bench_crawl --serve PORT`.
"""

from __future__ import annotations

import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

PAGES = 2000
_SUBJECTS = (
    "The city council",
    "Local farmers",
    "The health ministry",
    "Police in the north",
    "A group of teachers",
    "The regional governor",
    "Residents of the old quarter",
    "The water authority",
    "Election officials",
    "The football club",
)
_VERBS = (
    "announced",
    "rejected",
    "welcomed",
    "questioned",
    "postponed",
    "approved",
    "criticised",
    "debated",
    "reviewed",
    "defended",
)
_OBJECTS = (
    "a new budget for the coming year",
    "plans to rebuild the bridge",
    "the rise in bread prices",
    "a proposal to close two schools",
    "the results of the spring harvest",
    "changes to the bus timetable",
    "a report on hospital waiting times",
    "the decision to extend the curfew",
    "funding for the flood defences",
)
_TAILS = (
    "after a long meeting on Tuesday",
    "despite protests outside the building",
    "according to a statement seen by reporters",
    "in a vote that surprised many observers",
    "while critics called for more time",
    "as the dispute entered its third week",
)
_PLACES = ("Ramadi", "Fallujah", "Hit", "Haditha", "Rawa", "Qaim", "Rutba", "Habbaniyah")


def _sentence(rng: random.Random) -> str:
    parts = (rng.choice(_SUBJECTS), rng.choice(_VERBS), rng.choice(_OBJECTS), rng.choice(_TAILS))
    return f"{parts[0]} in {rng.choice(_PLACES)} {parts[1]} {parts[2]} {parts[3]}."


def article(n: int) -> str:
    """Article `n`: a headline and twelve paragraphs of varied sentences, so the extract step
    takes it for an article (a page of one repeated sentence is not)."""
    rng = random.Random(n)
    paragraphs = "".join(
        "<p>" + " ".join(_sentence(rng) for _ in range(3)) + "</p>" for _ in range(12)
    )
    title = _sentence(rng).rstrip(".")
    return (
        f"<!doctype html><html lang=en><head><title>{title}</title>"
        '<meta property="og:type" content="article">'
        '<meta property="article:published_time" content="2024-05-01T08:00:00Z"></head>'
        f"<body><article><h1>{title}</h1><p class=byline>By Staff Reporter {n}</p>"
        f"{paragraphs}</article></body></html>"
    )


def _page(path: str) -> tuple[int, bytes, str]:
    if path == "/robots.txt":
        return 200, b"User-agent: *\nAllow: /\n", "text/plain"
    if path == "/sitemap.xml":
        urls = "".join(
            f"<url><loc>http://HOST/news/2024/05/01/article-{n}/</loc></url>" for n in range(PAGES)
        )
        body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        return 200, body.encode(), "application/xml"
    match = re.fullmatch(r"/news/2024/05/01/article-(\d+)/", path)
    if match:
        return 200, article(int(match.group(1))).encode(), "text/html; charset=utf-8"
    return 404, b"not found", "text/plain"


def serve(port: int) -> None:
    """A Twisted web server for the generated site (the same server stack `scrapy bench` uses)."""
    from twisted.internet import reactor
    from twisted.web import resource, server

    class Site(resource.Resource):
        isLeaf = True

        def render_GET(self, request):  # noqa: N802 - Twisted's name
            status, body, content_type = _page(request.path.decode())
            request.setResponseCode(status)
            request.setHeader(b"Content-Type", content_type.encode())
            return body.replace(b"HOST", f"127.0.0.1:{port}".encode())

    reactor.listenTCP(port, server.Site(Site()), interface="127.0.0.1")
    reactor.run()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"benchmark site did not start on port {port}")


def ours(workdir: Path) -> tuple[int, float]:
    from newsflow import pipeline
    from newsflow.settings import CrawlSettings, Settings
    from newsflow.sources import load_registry

    port = _free_port()
    site = subprocess.Popen([sys.executable, "-m", "benchmarks.bench_crawl", "--serve", str(port)])
    try:
        _wait_for(port)
        registry = workdir / "sources.yaml"
        entry = {
            "name": "bench",
            "url": f"http://127.0.0.1:{port}/",
            "local": True,
            "sitemaps": ["/sitemap.xml"],
        }
        registry.write_text(yaml.safe_dump({"sources": [entry]}), encoding="utf-8")
        settings = Settings(
            data_dir=workdir / "data",
            sources_file=registry,
            crawl=CrawlSettings(
                download_delay=0, concurrent_requests=16, concurrent_requests_per_domain=16
            ),
        )
        (report,) = pipeline.crawl(settings, load_registry(registry), run_id="bench")
    finally:
        site.terminate()
        site.wait()
    return report.fetched, report.elapsed_seconds or float("nan")


def scrapy_bench(seconds: int = 8) -> float:
    """Pages/s of `scrapy bench` (median of its per-second rates, start-up second dropped)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy.cmdline",
            "bench",
            "-s",
            f"CLOSESPIDER_TIMEOUT={seconds}",
            "-s",
            "LOG_LEVEL=INFO",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tempfile.gettempdir(),
    )
    rates = [int(r) for r in re.findall(r"Crawled \d+ pages \(at (\d+) pages/min\)", result.stderr)]
    rates = [r for r in rates[1:] if r > 0]
    if not rates:
        raise RuntimeError(f"could not read scrapy bench's rate:\n{result.stderr[-2000:]}")
    return statistics.median(rates) / 60


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        fetched, elapsed = ours(Path(tmp))
    bench = scrapy_bench()
    rate = fetched / elapsed
    print(f"newsflow spider: {fetched} pages in {elapsed:.1f} s = {rate:8.1f} pages/s")
    print("  (politeness off; WARC + digests, crawl state in SQLite, robots.txt included)")
    print(f"scrapy bench:    {bench:8.1f} pages/s (same machine, same run)")
    print(f"ratio newsflow / scrapy bench: {rate / bench:.2f} (goal >= 0.5)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]))
    else:
        main()
