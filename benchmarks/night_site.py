"""A local news site of real article pages for the night benchmark, served by Twisted.

The pages are the 215 real articles of ``../shared/bench/*-dev`` (many languages, many
templates). Article ``i`` is a copy of page ``i % 215`` under its own URL, with small edits: a
sentence naming a person and a place is put at the start of its first paragraph, the title gets
the copy's number, and the page's own canonical URL and og:url are taken out (they name the
original page, and the load is keyed on the canonical URL). So near-duplicate detection sees
syndication-like copies and NER sees real prose with a few new names. The site has robots.txt, a
sitemap with every article and an RSS feed of the newest 100.

Serve it alone with ``python -m benchmarks.night_site PORT ARTICLES``.
"""

from __future__ import annotations

import gzip
import re
import sys
from functools import cache
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "bench"
FEED_SIZE = 100
PEOPLE = ("Maria Keller", "John Harris", "Aiko Tanaka", "Omar Haddad", "Lena Novak", "Paul Dubois")
PLACES = ("Berlin", "Toronto", "Osaka", "Baghdad", "Prague", "Lyon", "Cape Town", "Madrid")
_CANONICAL = re.compile(rb"<link\b[^>]*\bcanonical\b[^>]*>", re.I)
_OG_URL = re.compile(rb"<meta\b[^>]*og:url[^>]*>", re.I)
_TITLE = re.compile(rb"</title>", re.I)
_PARAGRAPH = re.compile(rb"<p(\s[^>]*)?>", re.I)


@cache
def originals() -> tuple[bytes, ...]:
    """The real pages, decompressed, in a fixed order (empty when ../shared is missing)."""
    files = sorted(SHARED.glob("extraction-dev/html/*.html.gz"))
    files += sorted(SHARED.glob("metadata-dev/*.html.gz"))
    return tuple(gzip.decompress(f.read_bytes()) for f in files)


def article_path(number: int) -> str:
    return f"/news/2024/05/{1 + number % 28:02d}/story-{number}/"


def article(number: int) -> bytes:
    """Copy ``number`` of an original page, with its small edits."""
    pages = originals()
    html = pages[number % len(pages)]
    html = _CANONICAL.sub(b"", html)
    html = _OG_URL.sub(b"", html)
    html = _TITLE.sub(f" ({number})</title>".encode(), html, count=1)
    person = PEOPLE[number % len(PEOPLE)]
    place = PLACES[(number // len(PEOPLE)) % len(PLACES)]
    sentence = f"{person} reported from {place} for edition {number}. ".encode()
    match = _PARAGRAPH.search(html)
    if match:
        html = html[: match.end()] + sentence + html[match.end() :]
    return html


def sitemap(host: str, articles: int) -> bytes:
    urls = "".join(f"<url><loc>http://{host}{article_path(n)}</loc></url>" for n in range(articles))
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()


def feed(host: str, articles: int) -> bytes:
    items = "".join(
        f"<item><title>Story {n}</title><link>http://{host}{article_path(n)}</link></item>"
        for n in range(max(0, articles - FEED_SIZE), articles)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Night</title>'
        f"<link>http://{host}/</link>{items}</channel></rss>"
    ).encode()


def respond(path: str, host: str, articles: int) -> tuple[int, bytes, str]:
    """(status, body, content type) of one request."""
    if path == "/robots.txt":
        return (
            200,
            f"User-agent: *\nAllow: /\nSitemap: http://{host}/sitemap.xml\n".encode(),
            ("text/plain"),
        )
    if path == "/sitemap.xml":
        return 200, sitemap(host, articles), "application/xml"
    if path == "/feed/":
        return 200, feed(host, articles), "application/rss+xml"
    match = re.fullmatch(r"/news/2024/05/\d\d/story-(\d+)/", path)
    if match and int(match.group(1)) < articles and article_path(int(match.group(1))) == path:
        return 200, article(int(match.group(1))), "text/html"
    return 404, b"not found", "text/plain"


def serve(port: int, articles: int) -> None:
    from twisted.internet import reactor
    from twisted.web import resource, server

    host = f"127.0.0.1:{port}"

    class Site(resource.Resource):
        isLeaf = True

        def render_GET(self, request):  # noqa: N802 - Twisted's name
            status, body, content_type = respond(request.path.decode(), host, articles)
            request.setResponseCode(status)
            request.setHeader(b"Content-Type", content_type.encode())
            return body

    originals()
    reactor.listenTCP(port, server.Site(Site()), interface="127.0.0.1")
    reactor.run()


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
