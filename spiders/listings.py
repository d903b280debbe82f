"""The listings a crawl reads: feeds, sitemaps (robots.txt's too), section pages, and the home
page of a source with none configured.

Each is asked for with the validators crawl state kept (a 304 means nothing changed), archived,
checked for a challenge page, parsed, and recorded as read only after the article URLs it listed
have been handed to the spider: a killed crawl never keeps a listing's validators without its
articles. A listing that gives nothing (refused, failed, malformed) is counted, never silent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from spiders.classify import looks_like_challenge
from spiders.discovery import (
    DiscoveryError,
    Listing,
    feed_links,
    gunzip_capped,
    looks_like_article,
    looks_like_candidate,
    page_links,
    parse_feed,
    parse_sitemap,
)
from spiders.items import response_header
from spiders.pipelines import archive_response
from storage import crawl_state
from storage.crawl_state import UrlState


class ListingCallbacks:
    """The listing requests and callbacks of `NewsSpider` (mixed into it, so Scrapy calls them as
    the spider's own methods); the spider gives them `source`, `state`, `window`, `listings`
    and its side of the crawl: `_article_request`, `on_error`, `_on_site`, `_record`,
    `_count`."""

    def _listing_request(self, url: str, role: str, callback, priority: int) -> scrapy.Request:
        self.listings.add(url)
        self._count("listings")
        headers = {}
        validators = self.state.validators.get(url)
        if validators and role != "section":
            if validators.etag:
                headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_error,
            priority=priority,
            headers=headers,
            meta={"nf_role": role, "nf_url": url, "handle_httpstatus_list": [304]},
        )

    def robots_sitemaps(self, urls: list[str]) -> None:
        """`Sitemap:` lines of robots.txt (called by the robots.txt middleware)."""
        for url in urls:
            if url not in self.listings and self._on_site(url):
                self._count("robots_sitemaps")
                request = self._listing_request(url, "sitemap", self.parse_sitemap, 20)
                self.crawler.engine.crawl(request)

    def _listing_received(self, response: Response) -> bool:
        """Archive a listing document; False when it is unchanged (304) or unusable."""
        role = response.meta["nf_role"]
        url = response.meta["nf_url"]
        archive_response(self.crawler, response, role)
        if response.status == 304:
            self._count("not_modified")
            self._record(UrlState(url, crawl_state.LISTING + "not_modified", 304, fetched=True))
            return False
        if looks_like_challenge(response.body, response.status):
            # a challenge page served with 200 where a feed, sitemap or section should be
            self.logger.warning("%s %s: blocked (challenge page)", role, url)
            self._count("challenges")
            self._listing_failed(role, url, "blocked", response.status)
            return False
        return True

    def _listing_failed(self, role: str, url: str, outcome: str, status: int | None) -> None:
        """Count a listing that gave nothing, refused by the site (blocked) or failed, so a
        source whose every listing failed is not reported as a quiet "ok"."""
        self._count("discovery_errors")
        self._count(f"errors/{role}_{outcome}")
        if outcome == "blocked":
            self._count("blocked")
        self._count("listings_blocked" if outcome == "blocked" else "listings_failed")
        self._record(UrlState(url, crawl_state.LISTING + outcome, status))

    def _listing_read(self, response: Response, validators: bool = True) -> None:
        """Record a listing as read, after the article URLs it listed (so a killed crawl never
        saves a listing's validators without its articles). A sitemap index is stored without
        validators: a 304 on it would hide children that changed while it did not."""
        self._record(
            UrlState(
                response.meta["nf_url"],
                crawl_state.LISTING + "ok",
                response.status,
                etag=response_header(response, "ETag") if validators else None,
                last_modified=response_header(response, "Last-Modified") if validators else None,
                content_hash=crawl_state.content_hash(response.body),
                fetched=True,
            )
        )

    def parse_feed(self, response: Response) -> Iterator[Any]:
        if not self._listing_received(response):
            return
        try:
            listings = parse_feed(response.body, response.url)
        except DiscoveryError as exc:
            self._discovery_error(response, exc)
            return
        for listing in listings:
            yield from self._article_request(listing, "feed")
        self._listing_read(response)

    def parse_home(self, response: Response) -> Iterator[Any]:
        """The home page of a source with no listings configured: its feeds, then its links."""
        if response.status != 304 and not looks_like_challenge(response.body, response.status):
            for url in feed_links(response.body, response.url):
                if url not in self.listings and self._on_site(url):
                    self._count("home_page_feeds")
                    yield self._listing_request(url, "feed", self.parse_feed, 30)
        yield from self.parse_section(response)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        if not self._listing_received(response):
            return
        try:
            body = response.body
            if body[:2] == b"\x1f\x8b":  # .xml.gz, served without Content-Encoding
                body = gunzip_capped(body, self.settings.getint("DOWNLOAD_MAXSIZE"))
            kind, listings = parse_sitemap(body, response.url)
        except DiscoveryError as exc:
            self._discovery_error(response, exc)
            return
        for listing in listings:
            if kind == "index":
                # a child sitemap last changed before the window cannot list anything in it
                since = self.window.since
                stale = since and listing.published and listing.published < since
                if listing.url not in self.listings and not stale:
                    yield self._listing_request(listing.url, "sitemap", self.parse_sitemap, 20)
            else:
                yield from self._article_request(listing, "sitemap")
        self._listing_read(response, validators=kind != "index")

    def parse_section(self, response: Response) -> Iterator[Any]:
        if not self._listing_received(response):
            return
        for url in page_links(response.body, response.url):
            if looks_like_article(url, self.source.article_url_patterns):
                yield from self._article_request(Listing(url), "section")
            elif not self.source.article_url_patterns and self._same_site(url):
                yield from self._article_request(Listing(url), "candidate")
        self._listing_read(response)

    def _same_site(self, url: str) -> bool:
        return url.startswith(self.source.url) and looks_like_candidate(url)

    def _discovery_error(self, response: Response, exc: Exception) -> None:
        self._count("discovery_errors")
        self._count("errors/malformed_listing")
        self._count("listings_failed")
        self.logger.warning("%s %s: %s", response.meta["nf_role"], response.url, exc)
        url = response.meta["nf_url"]
        self._record(UrlState(url, crawl_state.LISTING + "malformed", response.status))
