"""The demo site's route table: every path it answers and what it serves there (the front page,
feeds and sitemaps, category, tag and author archives, the articles in their layout and
encoding, placeholder images), built at start-up and again when the layout changes.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from .article_page import article_page
from .content import (
    SECTIONS,
    UPLOADS,
    DemoArticle,
    author_path,
    section_path,
    tag_path,
)
from .feeds import news_sitemap, robots_txt, rss_feed, sitemap_index
from .layouts import article_markup
from .listings import archive_page, home_page

HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Route:
    """What a path serves: a renderer taking the base URL, plus caching metadata."""

    content_type: str
    render: Callable[[str], str | bytes]
    last_modified: datetime | None = None


def placeholder_png(name: str, width: int = 16, height: int = 9) -> bytes:
    """A tiny solid-colour PNG standing in for a news photo (colour derived from the name)."""
    colour = hashlib.sha256(name.encode()).digest()[:3]
    raw = b"".join(b"\x00" + colour * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def build_routes(articles: list[DemoArticle], layout: str = "classic") -> dict[str, Route]:
    """Every URL the site answers, computed once at start-up; articles in the given layout."""
    newest = max(a.updated for a in articles)
    routes: dict[str, Route] = {
        "/": Route(HTML, partial(home_page, articles=articles), newest),
        "/feed/": Route(RSS, partial(rss_feed, articles=articles), newest),
        "/sitemap.xml": Route(XML, partial(sitemap_index, articles=articles), newest),
        "/news-sitemap.xml": Route(XML, partial(news_sitemap, articles=articles), newest),
        "/robots.txt": Route(TEXT, robots_txt),
        "/wp-content/themes/newsline/style.css": Route(
            "text/css; charset=utf-8", lambda base: "body { font-family: serif; }\n"
        ),
        "/wp-includes/js/wp-embed.min.js": Route(
            "application/javascript; charset=utf-8", lambda base: "/* wp-embed */\n"
        ),
        UPLOADS + "logo.png": Route("image/png", lambda base: placeholder_png("logo")),
    }

    def archive(path: str, heading: str, members: list[DemoArticle], body_class: str) -> None:
        page = partial(
            archive_page,
            articles=articles,
            heading=heading,
            path=path,
            members=members,
            body_class=body_class,
        )
        routes[path] = Route(HTML, page, max(a.updated for a in members))

    for key, name in SECTIONS.items():
        members = [a for a in articles if a.section == key]
        archive(section_path(key), f"Category: {name}", members, f"category-{key}")
    for tag in sorted({t for a in articles for t in a.tags}):
        members = [a for a in articles if tag in a.tags]
        archive(tag_path(tag), f"Tag: {tag}", members, "tag")
    for author in sorted({a.author for a in articles}):
        members = [a for a in articles if a.author == author]
        archive(author_path(author), f"Author: {author}", members, "author")

    for article in articles:
        page = partial(_encoded_article, articles=articles, article=article, layout=layout)
        content_type = f"text/html; charset={article.encoding}"
        routes[article.path] = Route(content_type, page, article.updated)
        for image in [article.image, *(f.image for f in article.figures)]:
            routes[image] = Route(
                "image/png",
                partial(lambda base, name: placeholder_png(name), name=image),
                article.published,
            )
    return routes


def _encoded_article(
    base: str, articles: list[DemoArticle], article: DemoArticle, layout: str = "classic"
) -> bytes:
    """The article page in its own encoding; characters of the page frame (other stories'
    titles in the sidebar) that it cannot hold become character references, as on a real
    site."""
    page = article_markup(article_page(base, articles, article), layout)
    return page.encode(article.encoding, errors="xmlcharrefreplace")
