"""A misbehaving news site on 127.0.0.1 for the crawl tests: one path per fault.

Every article path lives under `/news/2024/05/01/<name>/` so the generic dated-URL rule finds it;
`/feed.xml` lists them all (plus two entries outside any 2024 window). Requests are recorded with
their time and headers so tests can check waits and conditional GETs. Large and endless bodies
are streamed in chunks, never built in memory.
"""

from __future__ import annotations

import functools
import gzip
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import brotli

DATE = "Wed, 01 May 2024 08:00:00 GMT"
CAP = 32 * 1024 * 1024  # max_response_bytes, the crawl's default
ARABIC_TITLE = "القوات العراقية تستعيد السيطرة على بلدة في الأنبار"
ARABIC_PARAGRAPHS = [
    "أعلنت قيادة العمليات المشتركة اليوم أن القوات الأمنية استعادت السيطرة الكاملة على البلدة "
    "بعد اشتباكات استمرت عدة ساعات مع مسلحين في غرب محافظة الأنبار.",
    "وقال المتحدث باسم القيادة إن العملية جرت بمشاركة طيران الجيش وإن المدنيين لم يصابوا بأذى، "
    "مضيفا أن فرق الهندسة تعمل على إزالة العبوات الناسفة من الطرق الرئيسية.",
    "وأشار المسؤولون المحليون إلى أن العائلات النازحة ستبدأ بالعودة إلى منازلها خلال الأيام "
    "المقبلة بعد استكمال عمليات التفتيش وإعادة الخدمات الأساسية إلى الأحياء السكنية.",
]
UNDATED_ARTICLE = "/story/local-council-approves-new-budget/"
UNDATED_PAGE = "/about/our-team-and-contact-details/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 8

# Fault name -> what the crawler should record for that article URL.
ARTICLE_FAULTS = {
    "ok-1": "archived",
    "ok-2": "archived",
    "gzip-bomb": "too_large",
    "brotli-bomb": "too_large",
    "deflate-bomb": "too_large",
    "huge": "too_large",
    "loop": "redirect_loop",
    "redirect-chain": "too_many_redirects",
    "rate-limited": "archived",
    "server-error": "http_500",
    "reset": "connection",
    "slow": "timeout",
    "arabic": "archived",
    "binary": "binary",
    "forbidden": "blocked",
    "challenge": "blocked",
    "to-ftp": "bad_scheme",
}


def article_url(base: str, name: str, prefix: str = "news") -> str:
    return f"{base}/{prefix}/2024/05/01/{name}/"


def article_html(title: str, paragraphs: list[str], charset: str = "utf-8") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><title>{title}</title>"
        '<meta property="og:type" content="article">'
        f"</head><body><article><h1>{title}</h1>{body}</article></body></html>"
    ).encode(charset)


def _ok_page(name: str) -> bytes:
    sentence = f"This is the {name} report from the fault server about local events. "
    return article_html(f"Story {name}", [sentence * 6, sentence * 5])


@functools.cache
def _bomb(kind: str, size: int = 100 * 1024 * 1024) -> bytes:
    """A small body that decompresses to `size` zero bytes, built chunk by chunk."""
    chunk = b"\0" * (1 << 20)
    if kind == "br":
        compressor = brotli.Compressor(quality=4)
        parts = [compressor.process(chunk) for _ in range(size // len(chunk))]
        return b"".join(parts) + compressor.finish()
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31 if kind == "gzip" else 15)
    parts = [compressor.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join(parts) + compressor.flush()


@dataclass
class FaultSite:
    host: str
    port: int
    robots_status: int = 200
    crawl_delay: float | None = None
    robots_sitemap: bool = True
    extra_robots_sitemap: str | None = None
    requests: list[tuple[float, str, dict[str, str]]] = field(default_factory=list)
    hits: dict[str, int] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def times(self, path: str) -> list[float]:
        return [t for t, p, _ in self.requests if p == path]

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def feed(
    base: str, names: list[str], old: tuple[str, ...] | list[str] = (), prefix: str = "news"
) -> bytes:
    items = [
        f"<item><title>{n}</title><link>{article_url(base, n, prefix)}</link>"
        f"<pubDate>{DATE}</pubDate></item>"
        for n in names
    ]
    items += [
        f"<item><title>{n}</title><link>{article_url(base, n)}</link>"
        "<pubDate>Mon, 02 Mar 2020 08:00:00 GMT</pubDate></item>"
        for n in old
    ]
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>faults</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode()


LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>&lol9;</loc></url>
<url><loc>BASE/news/2024/05/01/from-sitemap/</loc><lastmod>2024-05-01</lastmod></url>
</urlset>
"""


def _urlset(*entries: tuple[str, str]) -> str:
    urls = "".join(
        f"<url><loc>BASE/news/2024/05/01/{name}/</loc><news:news><news:publication_date>{date}"
        "</news:publication_date></news:news></url>"
        for name, date in entries
    )
    return (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + urls + "</urlset>"
    )


# A sitemap index whose children are picked by lastmod: one last changed before the window.
SITEMAPS = {
    "/sitemap-index.xml": '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    "<sitemap><loc>BASE/sitemap-old.xml</loc><lastmod>2020-01-01</lastmod></sitemap>"
    "<sitemap><loc>BASE/sitemap-new.xml</loc><lastmod>2024-07-01</lastmod></sitemap>"
    "</sitemapindex>",
    "/sitemap-old.xml": _urlset(("ok-old", "2020-01-01T08:00:00Z")),
    "/sitemap-new.xml": _urlset(("ok-new", "2024-05-01T08:00:00Z"), ("ok-late", "2024-07-01")),
}
# A sitemap index and its child, both with ETags (304 when the client sends them back).
ETAG_SITEMAPS = {
    "/etag-index.xml": '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    "<sitemap><loc>BASE/etag-child.xml</loc></sitemap></sitemapindex>",
    "/etag-child.xml": _urlset(("ok-etag", "2024-05-01T08:00:00Z")),
}
GZ_SITEMAP = _urlset(("ok-gz", "2024-05-01T08:00:00Z"))
CHALLENGE_PAGE = (
    b"<html><head><title>Just a moment...</title></head>"
    b"<body>Checking your browser. cf-chl-widget</body></html>"
)
# An ordinary article with what Cloudflare and comment forms put in ordinary pages.
WIDGETS = (
    b'<script src="/cdn-cgi/challenge-platform/scripts/jsd/main.js"></script>'
    b'<form class="comments"><div class="g-recaptcha" data-sitekey="k"></div></form></body>'
)
# A small 200 page that is only a captcha wall.
CAPTCHA_WALL = (
    b"<html><head><title>Verify</title></head><body><p>Please verify you are human.</p>"
    b'<div class="h-captcha" data-sitekey="k"></div></body></html>'
)
HOME = (
    '<html><head><title>Faults home</title><link rel="alternate" type="application/rss+xml"'
    ' href="/ok-feed.xml"></head><body><a href="/news/2024/05/01/ok-home/">home story</a>'
    "</body></html>"
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    site: FaultSite
    bombs: dict[str, bytes] = {}

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, chunks: Iterator[bytes], content_type: str = "text/html") -> None:
        """A body without Content-Length, until the client hangs up."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.end_headers()
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
        except OSError:
            pass

    def do_GET(self) -> None:  # noqa: C901, PLR0911, PLR0912 - one branch per fault
        site = self.site
        path = self.path
        site.requests.append((time.monotonic(), path, dict(self.headers.items())))
        site.hits[path] = site.hits.get(path, 0) + 1
        base = site.url
        if path == "/robots.txt":
            if site.robots_status != 200:
                return self._send(site.robots_status, b"unavailable", "text/plain")
            robots = "User-agent: *\nDisallow: /private/\n"
            if site.robots_sitemap:
                robots += f"Sitemap: {base}/laughs-sitemap.xml\n"
            if site.extra_robots_sitemap:
                robots += f"Sitemap: {base}{site.extra_robots_sitemap}\n"
            if site.crawl_delay is not None:
                robots += f"Crawl-delay: {site.crawl_delay}\n"
            return self._send(200, robots.encode(), "text/plain")
        if path == "/feed.xml" and self.headers.get("If-None-Match") == '"feed-v1"':
            return self._send(304, b"")
        if path == "/feed.xml":
            secret = (
                f"<item><link>{article_url(base, 'secret', 'private')}</link>"
                f"<pubDate>{DATE}</pubDate></item>"
            ).encode()
            body = feed(base, list(ARTICLE_FAULTS), old=["old-1", "old-2"])
            return self._send(
                200,
                body.replace(b"</channel>", secret + b"</channel>"),
                "application/rss+xml",
                {"ETag": '"feed-v1"', "Last-Modified": DATE},
            )
        if path in ETAG_SITEMAPS:
            etag = f'"{path}-v1"'
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, b"")
            body = ETAG_SITEMAPS[path].replace("BASE", base).encode()
            return self._send(200, body, "application/xml", {"ETag": etag})
        if path == "/sitemap-news.xml.gz":
            body = gzip.compress(GZ_SITEMAP.replace("BASE", base).encode())
            return self._send(200, body, "application/x-gzip")
        if path == "/":
            return self._send(200, HOME.encode())
        if path == "/forbidden-feed.xml":
            return self._send(403, CHALLENGE_PAGE)
        if path == "/challenge-feed.xml":
            return self._send(200, CHALLENGE_PAGE)
        if path in ("/error-feed.xml", "/error-sitemap.xml"):
            return self._send(500, b"oops")
        if path == "/long-wait-feed.xml":
            return self._send(200, feed(base, ["rate-limited-long", "ok-1"]), "application/rss+xml")
        if path == "/widgets-feed.xml":
            return self._send(
                200, feed(base, ["cf-injected", "captcha-wall"]), "application/rss+xml"
            )
        if path == "/tracked-feed.xml":
            link = article_url(base, "tracked") + "?utm_source=rss&amp;utm_medium=feed"
            item = f"<item><link>{link}</link><pubDate>{DATE}</pubDate></item>"
            return self._send(200, f"<rss><channel>{item}</channel></rss>".encode())
        if path == "/plain-tracked-feed.xml":
            link = article_url(base, "tracked")
            item = f"<item><link>{link}</link><pubDate>{DATE}</pubDate></item>"
            return self._send(200, f"<rss><channel>{item}</channel></rss>".encode())
        if path.startswith("/news/2024/05/01/tracked/?"):
            return self._send(301, b"", headers={"Location": "/news/2024/05/01/tracked/"})
        if path == "/undated-feed.xml":
            item = f"<item><link>{base}{UNDATED_ARTICLE}</link><pubDate>{DATE}</pubDate></item>"
            return self._send(200, f"<rss><channel>{item}</channel></rss>".encode())
        if path in SITEMAPS:
            return self._send(200, SITEMAPS[path].replace("BASE", base).encode(), "application/xml")
        if path == "/refused-feed.xml":
            return self._send(200, feed(base, ["forbidden"]), "application/rss+xml")
        if path == "/blocked-feed.xml":
            return self._send(200, feed(base, ["forbidden", "challenge"]), "application/rss+xml")
        if path == "/private-feed.xml":
            items = [article_url(base, "ok-1"), article_url(base, "secret", "private")]
            links = "".join(
                f"<item><link>{u}</link><pubDate>{DATE}</pubDate></item>" for u in items
            )
            return self._send(200, f"<rss><channel>{links}</channel></rss>".encode())
        if path == "/cap-feed.xml":
            names = ["under-cap", "over-cap"]
            return self._send(200, feed(base, names), "application/rss+xml")
        if path == "/ok-feed.xml":
            return self._send(
                200, feed(base, ["ok-1", "ok-2", "ok-3", "ok-4"]), "application/rss+xml"
            )
        if path == "/storm-feed.xml":
            names = [f"s-{i}" for i in range(12)]
            return self._send(200, feed(base, names, prefix="storm"), "application/rss+xml")
        if path == "/broken-feed.xml":
            return self._send(200, b"<<< this is not a feed &&& <rss", "application/rss+xml")
        if path == "/laughs-sitemap.xml":
            return self._send(200, LAUGHS.replace(b"BASE", base.encode()), "application/xml")
        if path == "/section/" and self.headers.get("If-Modified-Since") == DATE:
            return self._send(304, b"")
        if path == "/section/":
            links = "".join(f'<a href="{u}">{u}</a>' for u in (UNDATED_ARTICLE, UNDATED_PAGE))
            page = f"<html><body>{links}</body></html>".encode()
            return self._send(200, page, headers={"Last-Modified": DATE})
        if path == UNDATED_ARTICLE:
            return self._send(200, _ok_page("undated"))
        if path == UNDATED_PAGE:
            return self._send(200, b"<html><head><title>Team</title></head><body>Us</body></html>")
        if path.startswith("/storm/"):
            return self._send(500, b"storm")
        parts = path.strip("/").split("/")
        name = parts[-1] if len(parts) == 5 else ""
        if name.startswith("ok") or name in ("from-sitemap", "secret", "tracked"):
            return self._send(200, _ok_page(name))
        if name == "cf-injected":
            return self._send(200, _ok_page(name).replace(b"</body>", WIDGETS))
        if name == "captcha-wall":
            return self._send(200, CAPTCHA_WALL)
        if name.endswith("-bomb"):
            kind = {"gzip-bomb": "gzip", "brotli-bomb": "br", "deflate-bomb": "deflate"}[name]
            return self._send(200, self.bombs[kind], headers={"Content-Encoding": kind})
        if name in ("under-cap", "over-cap"):
            return self._cap_page(name)
        if name == "huge":
            chunk = b"<p>" + b"x" * (1 << 16) + b"</p>"
            return self._stream(chunk for _ in range(50 * 1024 * 1024 // len(chunk) + 1))
        if name == "loop":
            return self._send(302, b"", headers={"Location": path})
        if name == "redirect-chain" or name.startswith("hop-"):
            hop = int(name.removeprefix("hop-")) + 1 if name.startswith("hop-") else 1
            return self._send(302, b"", headers={"Location": f"/news/2024/05/01/hop-{hop}/"})
        if name == "to-ftp":
            return self._send(301, b"", headers={"Location": "ftp://127.0.0.1/file"})
        if name == "rate-limited":
            if site.hits[path] == 1:
                return self._send(429, b"slow down", headers={"Retry-After": "1"})
            return self._send(200, _ok_page(name))
        if name == "rate-limited-long":
            return self._send(429, b"come back tomorrow", headers={"Retry-After": "3600"})
        if name == "server-error":
            return self._send(500, b"oops")
        if name == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return None
        if name == "slow":
            return self._stream(self._trickle())
        if name == "arabic":
            body = article_html(ARABIC_TITLE, ARABIC_PARAGRAPHS * 2, "windows-1256")
            return self._send(200, body, "text/html; charset=utf-8")
        if name == "binary":
            return self._send(200, PNG, "text/html")
        if name == "forbidden":
            return self._send(403, b"<html><body>Forbidden</body></html>")
        if name == "challenge":
            page = b"<html><head><title>Just a moment...</title></head><body>cf-chl-</body></html>"
            return self._send(403, page)
        return self._send(404, b"not found")

    def _cap_page(self, name: str) -> None:
        """An article that decompresses to just under (32 MiB - 64 KiB) or just over (33 MiB)
        the 32 MiB cap, gzipped and streamed chunk by chunk, so only the decompressed size is
        over: the cap must count after decompression, and stop exactly at 32 MiB."""
        size = CAP - (64 << 10) if name == "under-cap" else CAP + (1 << 20)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        head, tail = _ok_page(name).split(b"</article>")
        padding = size - len(head) - len(tail) - len(b"</article>")
        compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
        try:
            self.wfile.write(compressor.compress(head))
            chunk = b" " * (1 << 20)
            for _ in range(padding // len(chunk)):
                self.wfile.write(compressor.compress(chunk))
            self.wfile.write(compressor.compress(b" " * (padding % len(chunk))))
            self.wfile.write(compressor.compress(b"</article>" + tail) + compressor.flush())
        except OSError:
            pass

    @staticmethod
    def _trickle() -> Iterator[bytes]:
        for _ in range(40):
            yield b" "
            time.sleep(0.25)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass


def start_fault_site(**options: object) -> FaultSite:
    """Serve on a free loopback port; `options` set FaultSite fields (robots_status, ...)."""
    site = FaultSite("127.0.0.1", 0, **options)
    bombs = {kind: _bomb(kind) for kind in ("gzip", "br", "deflate")}
    handler = type("Handler", (_Handler,), {"site": site, "bombs": bombs})
    server = _Server(("127.0.0.1", 0), handler)
    site.port = server.server_address[1]
    site.server = server
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return site
