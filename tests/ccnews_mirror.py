"""A small CC-NEWS-shaped mirror written with warcio: `crawl-data/CC-NEWS/2023/01/warc.paths.gz`
listing two WARC files that hold demo-site pages (some under a second host of the demo source),
other hosts' pages, non-HTML records, request records, and a second file cut inside its last
record; plus a loopback HTTP server (a port in 18400-18499) serving the folder."""

from __future__ import annotations

import contextlib
import functools
import gzip
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsflow.demo_site import load_articles
from newsflow.demo_site.article_page import article_page
from newsflow.demo_site.routes import placeholder_png

DEMO = "http://127.0.0.1:8765"
DEMO_ALIAS = "http://anbar-daily.example"  # the demo source's `hosts:` entry in the tests
OTHER_SOURCE = "https://www.iraqinews.com"  # in the registry, not chosen
STRANGER = "https://other-news.example"  # in no registry
MONTH_DIR = "crawl-data/CC-NEWS/2023/01"
FILES = [
    f"{MONTH_DIR}/CC-NEWS-20230110120000-00000.warc.gz",
    f"{MONTH_DIR}/CC-NEWS-20230120120000-00001.warc.gz",
]


@dataclass
class Mirror:
    root: Path
    expected: set[str]  # the demo source's article URLs that must be stored, once each
    lost: str  # the demo article in the cut-off record: never stored


class _Writer:
    def __init__(self, stream) -> None:
        self.writer = WARCWriter(stream, gzip=True)
        self.writer.write_record(
            self.writer.create_warcinfo_record("CC-NEWS.warc.gz", {"software": "test"})
        )

    def response(self, url: str, body: bytes, content_type: str, status: str = "200 OK") -> None:
        request = StatusAndHeaders(
            f"GET {url.split('/', 3)[-1] if url.count('/') > 2 else '/'} HTTP/1.1",
            [("Host", url.split("/")[2])],
            is_http_request=True,
        )
        self.writer.write_record(
            self.writer.create_warc_record(url, "request", http_headers=request)
        )
        headers = StatusAndHeaders(
            status,
            [("Content-Type", content_type), ("Content-Length", str(len(body)))],
            protocol="HTTP/1.1",
        )
        self.writer.write_record(
            self.writer.create_warc_record(
                url,
                "response",
                payload=BytesIO(body),
                http_headers=headers,
                warc_headers_dict={"WARC-Date": "2023-01-10T12:00:00Z"},
            )
        )


def _page(base: str, index: int) -> tuple[str, bytes]:
    articles = load_articles()
    article = articles[index]
    html = article_page(base, articles, article).encode(article.encoding, "xmlcharrefreplace")
    return base + article.path, html


def write_mirror(root: Path) -> Mirror:
    """Write the mirror under `root`; what the demo source must end up with."""
    folder = root / MONTH_DIR
    folder.mkdir(parents=True, exist_ok=True)
    html = "text/html; charset=utf-8"
    expected: set[str] = set()

    first = BytesIO()
    writer = _Writer(first)
    for index in range(4):
        url, body = _page(DEMO, index)
        writer.response(url, body, html)
        expected.add(url)
    for index in (4, 5):
        url, body = _page(DEMO_ALIAS, index)
        writer.response(url, body, html)
        expected.add(url)
    for index in (6, 7):
        writer.response(*_page(OTHER_SOURCE, index), html)
        writer.response(*_page(STRANGER, index), html)
    writer.response(f"{DEMO}/wp-content/uploads/logo.png", placeholder_png("logo"), "image/png")
    writer.response(f"{DEMO}/robots.txt", b"User-agent: *\nAllow: /\n", "text/plain")
    writer.response(f"{DEMO}/old/", b"moved", html, status="301 Moved Permanently")
    (root / FILES[0]).write_bytes(first.getvalue())

    second = BytesIO()
    writer = _Writer(second)
    writer.response(*_page(DEMO, 0), html)  # archived twice: stored once
    for index in (8, 9):
        url, body = _page(DEMO, index)
        writer.response(url, body, html)
        expected.add(url)
    writer.response(*_page(STRANGER, 9), html)
    lost, body = _page(DEMO, 10)
    writer.response(lost, body, html)
    data = second.getvalue()
    (root / FILES[1]).write_bytes(data[: len(data) - 400])  # cut inside the last record

    with gzip.open(folder / "warc.paths.gz", "wt") as index_file:
        index_file.write("\n".join(FILES) + "\n")
    return Mirror(root=root, expected=expected, lost=lost)


@contextlib.contextmanager
def serve_mirror(root: Path) -> Iterator[str]:
    """Serve `root` over HTTP on 127.0.0.1 (first free port of 18400-18499); yields its URL."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(root))
    server = None
    for port in range(18400, 18500):
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), handler)
            break
        except OSError:
            continue
    if server is None:
        raise RuntimeError("no free port in 18400-18499")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
