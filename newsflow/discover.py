"""`newsflow sources discover URL`: inspect a news site's home page and propose a registry entry.

A handful of polite requests (home page, robots.txt, the usual WordPress feed and sitemap paths),
each bounded in size and time; no crawl. What it finds is checked by parsing it, so a listed
feed that is not a feed is left out.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html
import yaml

from newsflow.sources import SOURCE_NAME
from spiders.addresses import is_private_host
from spiders.discovery import DiscoveryError, feed_links, gunzip_capped, parse_feed, parse_sitemap

COMMON_FEEDS = ["/feed/", "/rss.xml", "/feed.xml", "/rss/"]
COMMON_SITEMAPS = ["/news-sitemap.xml", "/sitemap_index.xml", "/wp-sitemap.xml", "/sitemap.xml"]
MAX_BYTES = 4 * 1024 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass
class Discovered:
    url: str
    name: str
    title: str = ""
    language: str = "en"
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    local: bool = False

    def entry(self) -> dict:
        """The registry entry, with paths relative to the site where possible."""
        entry: dict = {"name": self.name, "title": self.title, "url": self.url}
        if not self.title:  # no <title> (or no home page): unset, not an empty title
            del entry["title"]
        entry["language"] = self.language
        if self.local:
            entry["local"] = True
        for key in ("feeds", "sitemaps", "sections"):
            values = [_relative(self.url, u) for u in getattr(self, key)]
            if values:
                entry[key] = values
        return entry


def entry_yaml(entry: dict) -> str:
    """A proposed registry entry as the YAML to paste, saying so when the site gave no title."""
    text = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True)
    if not entry.get("title"):
        text += "  # no title: the home page has none (or could not be read); add `title:`\n"
    return text


def _relative(base: str, url: str) -> str:
    return url[len(base) - 1 :] if url.startswith(base) else url


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s), and to private addresses only when allowed."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        target = urlsplit(newurl)
        if target.scheme not in ("http", "https"):
            return None
        if is_private_host(target.hostname or "") and not self.allow_private:
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _fetch(url: str, user_agent: str, timeout: float, allow_private: bool) -> bytes | None:
    if is_private_host(urlsplit(url).hostname or "") and not allow_private:
        return None
    opener = urllib.request.build_opener(_SafeRedirects(allow_private))
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    try:
        with opener.open(request, timeout=timeout) as response:
            if response.status != 200:
                return None
            return response.read(MAX_BYTES)
    except (urllib.error.URLError, OSError, ValueError):
        return None


def proposed_name(url: str) -> str:
    """A registry name for the site at `url`: the first label of a domain (`www.` dropped:
    www.iraqinews.com is `iraqinews`), the whole host for an IP address or a one-label host
    (127.0.0.1 is `127-0-0-1`, not `127`), and the port when one is given (two local sites stay
    apart). Always a valid `SOURCE_NAME`."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None and "." in host:
        host = host.removeprefix("www.").split(".")[0]
    elif address is not None and address.version == 6:
        host = f"ipv6-{host}"
    port = parts.port
    if port is not None and port != DEFAULT_PORTS.get(parts.scheme):
        host += f"-{port}"
    name = re.sub(r"[^a-z0-9]+", "-", host).strip("-")[:63].rstrip("-")
    return name if SOURCE_NAME.match(name) else "site"


def discover_source(
    url: str, *, user_agent: str, timeout: float = 10.0, allow_private: bool = False
) -> Discovered:
    """Feeds from `<link rel=alternate>`, sitemaps from robots.txt, and common WordPress paths."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url} is not an http(s) URL")
    private = is_private_host(parts.hostname)
    if private and not allow_private:
        raise ValueError(f"{url} is a loopback/private address (pass --local to allow it)")
    base = f"{parts.scheme}://{parts.netloc}/"
    found = Discovered(url=base, name=proposed_name(url), local=private)
    home = _fetch(base, user_agent, timeout, private) or b""
    feeds: list[str] = []
    if home:
        document = lxml.html.document_fromstring(home)
        found.title = (document.findtext(".//title") or "").strip()
        found.language = (document.get("lang") or "en").split("-")[0].lower()
        feeds.extend(feed_links(home, base))
        sections = document.xpath('//a[contains(@href, "/category/")]/@href')
        found.sections = list(dict.fromkeys(urljoin(base, h) for h in sections))[:5]
    robots = (_fetch(urljoin(base, "/robots.txt"), user_agent, timeout, private) or b"").decode(
        "utf-8", "replace"
    )
    sitemaps = re.findall(r"(?im)^\s*sitemap:\s*(\S+)", robots)
    for path in COMMON_FEEDS:
        feeds.append(urljoin(base, path))
    for path in COMMON_SITEMAPS:
        sitemaps.append(urljoin(base, path))
    for candidate in dict.fromkeys(feeds):
        body = _fetch(candidate, user_agent, timeout, private)
        try:
            if body and parse_feed(body, candidate) is not None:
                found.feeds.append(candidate)
        except DiscoveryError:
            continue
    for candidate in dict.fromkeys(sitemaps):
        body = _fetch(candidate, user_agent, timeout, private)
        try:
            if body and body[:2] == b"\x1f\x8b":
                body = gunzip_capped(body, MAX_BYTES)
            if body and parse_sitemap(body, candidate):
                found.sitemaps.append(candidate)
        except DiscoveryError:
            continue
    return found
