"""The one spider every source uses: a source is data (the registry), not a spider class."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response

from newsflow.sources import Source
from newsflow.urls import normalize_url
from spiders.discovery import (
    DiscoveryError,
    Listing,
    looks_like_article,
    page_links,
    parse_feed,
    parse_sitemap,
)
from spiders.items import PageItem


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(
        self,
        source: str,
        known_urls: str | None = None,
        since: str | None = None,
        until: str | None = None,
        max_pages: str | int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source = Source.model_validate(json.loads(source))
        self.known: set[str] = set()
        if known_urls:
            self.known = set(Path(known_urls).read_text(encoding="utf-8").split())
        self.since = datetime.fromisoformat(since) if since else None
        self.until = datetime.fromisoformat(until) if until else None
        self.max_pages = int(max_pages) if max_pages else None
        self.allowed_domains = [self.source.url.split("/")[2].split(":")[0]]
        self.scheduled: set[str] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.feed_urls:
            yield scrapy.Request(url, callback=self.parse_feed, priority=30)
        for url in self.source.sitemap_urls:
            yield scrapy.Request(url, callback=self.parse_sitemap, priority=20)
        for url in self.source.section_urls:
            yield scrapy.Request(url, callback=self.parse_section, priority=10)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            listings = parse_feed(response.body, response.url)
        except DiscoveryError as exc:
            self._count("discovery_errors")
            self.logger.warning("feed %s: %s", response.url, exc)
            return
        for listing in listings:
            yield from self._article_request(listing, "feed")

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            kind, listings = parse_sitemap(response.body, response.url)
        except DiscoveryError as exc:
            self._count("discovery_errors")
            self.logger.warning("sitemap %s: %s", response.url, exc)
            return
        for listing in listings:
            if kind == "index":
                yield scrapy.Request(listing.url, callback=self.parse_sitemap, priority=20)
            else:
                yield from self._article_request(listing, "sitemap")

    def parse_section(self, response: Response) -> Iterator[scrapy.Request]:
        for url in page_links(response.body, response.url):
            yield from self._article_request(Listing(url), "section")

    def _article_request(self, listing: Listing, via: str) -> Iterator[scrapy.Request]:
        url = listing.url
        if not looks_like_article(url, self.source.article_url_patterns) or url in self.scheduled:
            return
        self.scheduled.add(url)
        self._count("discovered")
        if normalize_url(url) in self.known:
            self._count("skipped_seen")
            return
        if not self._in_window(listing.published):
            self._count("outside_window")
            return
        if self.max_pages and self._stat("in_window") >= self.max_pages:
            self._count("over_max_pages")
            return
        self._count("in_window")
        yield scrapy.Request(
            url,
            callback=self.parse_article,
            cb_kwargs={"listing": listing, "via": via},
        )

    def _in_window(self, published: datetime | None) -> bool:
        if published is None:
            return True
        if self.since and published < self.since:
            return False
        return not (self.until and published >= self.until)

    def parse_article(self, response: Response, listing: Listing, via: str) -> Iterator[PageItem]:
        self._count("fetched")
        yield PageItem(
            url=response.url,
            status=response.status,
            headers=[
                (k.decode("latin-1"), v.decode("latin-1"))
                for k, values in response.headers.items()
                for v in values
            ],
            body=response.body,
            fetched_at=datetime.now(UTC),
            source=self.source.name,
            listed_published=listing.published,
            discovered_via=via,
            request_url=listing.url,
        )

    def _count(self, key: str) -> None:
        self.crawler.stats.inc_value(f"newsflow/{key}")

    def _stat(self, key: str) -> int:
        return self.crawler.stats.get_value(f"newsflow/{key}", 0)
