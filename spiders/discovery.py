"""Finding article URLs in feeds, sitemaps and section pages.

Plain functions over bytes so they can be tested without a crawl. XML is parsed with entity
resolution and network access off, so a hostile feed cannot expand entities or fetch anything.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urldefrag, urljoin

import lxml.etree
import lxml.html


@dataclass(frozen=True)
class Listing:
    """An article URL as a feed or sitemap lists it, with the date the listing gives."""

    url: str
    published: datetime | None = None
    title: str | None = None
    # when the listing says the page last changed (a sitemap's <lastmod>)
    modified: datetime | None = None


class DiscoveryError(ValueError):
    """A feed or sitemap that cannot be parsed at all."""


_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*(\[.*?\])?\s*>", re.S | re.I)


def _xml_root(body: bytes) -> lxml.etree._Element:
    parser = lxml.etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        recover=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    # Feeds and sitemaps have no use for a DTD; dropping it leaves entity bombs as inert,
    # undefined references instead of a parse that libxml2 abandons half-way.
    body = _DOCTYPE.sub(b"", body.lstrip(), count=1)
    try:
        root = lxml.etree.fromstring(body, parser=parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise DiscoveryError(f"not XML: {exc}") from exc
    if root is None:
        raise DiscoveryError("not XML: empty document")
    return root


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def parse_date(value: str | None) -> datetime | None:
    """Parse RFC 822 (RSS) or ISO 8601 (Atom, sitemaps) dates; naive times are taken as UTC."""
    if not value:
        return None
    value = value.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _child_text(element: lxml.etree._Element, *names: str) -> str | None:
    for child in element.iter():
        if child is not element and _local(child.tag) in names and (child.text or "").strip():
            return child.text.strip()
    return None


def parse_feed(body: bytes, base_url: str) -> list[Listing]:
    """Items of an RSS 2.0, RSS 1.0 or Atom feed."""
    root = _xml_root(body)
    listings: list[Listing] = []
    for element in root.iter():
        kind = _local(element.tag)
        if kind == "item":
            link = _child_text(element, "link") or _child_text(element, "guid")
            date = _child_text(element, "pubdate", "date", "published", "updated")
        elif kind == "entry":
            link = None
            for child in element:
                if _local(child.tag) == "link" and child.get("rel", "alternate") == "alternate":
                    link = child.get("href")
                    break
            date = _child_text(element, "published", "updated")
        else:
            continue
        if link:
            listings.append(
                Listing(
                    url=urldefrag(urljoin(base_url, link.strip())).url,
                    published=parse_date(date),
                    title=_child_text(element, "title"),
                )
            )
    if not listings and _local(root.tag) not in ("rss", "feed", "rdf"):
        raise DiscoveryError(f"not a feed: root element <{_local(root.tag)}>")
    return listings


def gunzip_capped(body: bytes, max_bytes: int) -> bytes:
    """Gunzip a `.xml.gz` sitemap, stopping at `max_bytes` like any response (a gzip bomb is
    refused, not inflated)."""
    decompressor = zlib.decompressobj(31)
    try:
        data = decompressor.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise DiscoveryError(f"bad gzip data: {exc}") from exc
    if len(data) > max_bytes:
        raise DiscoveryError(f"gzipped sitemap larger than {max_bytes} bytes")
    return data


def parse_sitemap(body: bytes, base_url: str) -> tuple[str, list[Listing]]:
    """Return ("index", child sitemaps) or ("urlset", pages) with news or lastmod dates."""
    root = _xml_root(body)
    kind = _local(root.tag)
    if kind not in ("sitemapindex", "urlset"):
        raise DiscoveryError(f"not a sitemap: root element <{kind}>")
    listings: list[Listing] = []
    for element in root:
        if _local(element.tag) not in ("sitemap", "url"):
            continue
        loc = _child_text(element, "loc")
        if not loc:
            continue
        date = _child_text(element, "publication_date") or _child_text(element, "lastmod")
        listings.append(
            Listing(
                url=urljoin(base_url, loc),
                published=parse_date(date),
                title=_child_text(element, "title"),
                modified=parse_date(_child_text(element, "lastmod")),
            )
        )
    return ("index" if kind == "sitemapindex" else "urlset"), listings


def page_links(body: bytes, base_url: str) -> list[str]:
    """Absolute http(s) links of an HTML page, fragments dropped, in page order."""
    try:
        document = lxml.html.document_fromstring(body)
    except (lxml.etree.ParserError, ValueError):
        return []
    seen: dict[str, None] = {}
    for href in document.xpath("//a/@href"):
        url = urldefrag(urljoin(base_url, href.strip())).url
        if url.startswith(("http://", "https://")):
            seen.setdefault(url, None)
    return list(seen)


def feed_links(body: bytes, base_url: str) -> list[str]:
    """Feeds a page announces with `<link rel=alternate type=...rss|atom...>`, in page order."""
    try:
        document = lxml.html.document_fromstring(body)
    except (lxml.etree.ParserError, ValueError):
        return []
    feeds: dict[str, None] = {}
    for link in document.xpath('//link[@href][contains(concat(" ", @rel, " "), " alternate ")]'):
        kind = (link.get("type") or "").lower()
        if "rss" in kind or "atom" in kind:
            feeds.setdefault(urldefrag(urljoin(base_url, link.get("href").strip())).url, None)
    return list(feeds)


def looks_like_article(url: str, patterns: list[str]) -> bool:
    """An article URL per the source's patterns, or a dated path when it has none."""
    if patterns:
        return any(re.search(p, url) for p in patterns)
    return bool(re.search(r"/(19|20)\d{2}/\d{1,2}/(\d{1,2}/)?[^/]+", url))


_SLUG = re.compile(r"/[a-z0-9]+(?:-[a-z0-9]+){3,}/?(?:\.html?)?$", re.I)
_ARTICLE_MARKUP = re.compile(
    rb"""<meta[^>]+(?:property|name)=["']og:type["'][^>]+content=["']article["']"""
    rb"""|<meta[^>]+content=["']article["'][^>]+(?:property|name)=["']og:type["']"""
    rb"""|["']@type["']\s*:\s*["'](?:News|Report|Blog)?Article["']""",
    re.I,
)


def looks_like_candidate(url: str) -> bool:
    """A link worth fetching to check: a long hyphenated slug, as most news CMSes use."""
    return bool(_SLUG.search(urldefrag(url).url.split("?", 1)[0]))


def has_article_markup(body: bytes) -> bool:
    """The page says it is an article: `og:type=article` or a schema.org *Article type."""
    return bool(_ARTICLE_MARKUP.search(body[:262144]))
