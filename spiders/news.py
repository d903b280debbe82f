"""The one spider every source uses: a source is data (the registry), not a spider class.

Every response the spider gets, good or bad, is archived (with its role) and recorded in crawl
state with a named outcome; nothing fails silently. Articles already stored or archived are not
requested; articles listed before but never archived (a killed run, an error) are retried. The
listings the article URLs come from (feeds, sitemaps, sections) are read by `spiders.listings`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from spiders.classify import failure_outcome, looks_binary, looks_like_challenge
from spiders.discovery import Listing, has_article_markup, looks_like_article
from spiders.items import PageItem, page_item, response_header
from spiders.job import CrawlJob
from spiders.listings import ListingCallbacks
from spiders.pipelines import WarcArchivePipeline
from spiders.state_writer import StateWriter
from storage import crawl_state
from storage.crawl_state import UrlState
from storage.urls import normalize_url

RETRY = "retry"
RETRY_CANDIDATE = "retry-candidate"
# Refusals decided before any request left: not an attempt at the page.
NOT_SENT = {"robots_disallowed", "robots_unreachable", "private_address", "host_paused"}


class NewsSpider(ListingCallbacks, scrapy.Spider):
    name = "news"

    def __init__(self, job: CrawlJob, database_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = job.site
        self.known: dict[str, datetime | None] = job.known()
        # stored URLs a listing named unchanged; a later listing may still say they changed
        self.passed: set[str] = set()
        self.window = job.window
        self.max_pages = job.max_pages
        # The site's host plus any host a configured feed, sitemap or section lives on; links
        # elsewhere are counted as offsite here rather than dropped silently by Scrapy.
        listed = [*self.source.feed_urls, *self.source.sitemap_urls, *self.source.section_urls]
        self.fallback = not listed
        self.allowed_domains = sorted(
            {urlsplit(u).hostname or "" for u in [self.source.url, *listed]}
        )
        self.scheduled: set[str] = set()
        # retries from crawl state not yet named by tonight's listings (see _article_request)
        self.unlisted_retries: set[str] = set()
        self.listings: set[str] = set()
        self.database_url = database_url
        self.writer: StateWriter | None = None
        self.state = crawl_state.SourceState(done=set(), pending=[], validators={})

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.database_url:
            from storage import connect

            engine = connect(self.database_url)
            self.writer = StateWriter(engine, self.source.name)
            self.state = crawl_state.load_source_state(
                engine,
                self.source.name,
                self.settings.getint("NEWSFLOW_MAX_URL_ATTEMPTS"),
                in_window=self.window.contains,
            )
            for url in self.state.done:
                self.known.setdefault(normalize_url(url), None)
        for url in self.source.feed_urls:
            yield self._listing_request(url, "feed", self.parse_feed, 30)
        for url in self.source.sitemap_urls:
            yield self._listing_request(url, "sitemap", self.parse_sitemap, 20)
        for url in self.source.section_urls:
            yield self._listing_request(url, "section", self.parse_section, 10)
        if self.fallback:
            # Nothing configured: the home page is the section, its <link rel=alternate> the
            # feeds, and robots.txt's Sitemap: lines (fetched before it) the sitemaps.
            self._count("home_page_fallback")
            yield self._listing_request(self.source.url, "section", self.parse_home, 10)
        for url, published in self.state.pending:
            self._count("retried")
            # a section candidate is retried as a candidate, so its page is still checked for
            # article markup; a feed or sitemap item is not (rows from before crawl state kept
            # this: judged by the URL)
            candidate = self.state.candidates.get(url)
            if candidate is None:
                candidate = not looks_like_article(url, self.source.article_url_patterns)
            via = RETRY_CANDIDATE if candidate else RETRY
            for request in self._article_request(Listing(url, published), via):
                yield request

    def _article_request(self, listing: Listing, via: str) -> Iterator[scrapy.Request]:
        url = listing.url
        candidate = via in ("candidate", RETRY_CANDIDATE)
        retry = via in (RETRY, RETRY_CANDIDATE)
        # one request per article: a feed's `?utm_source=rss` link and the sitemap's plain one
        # are the same page
        key = normalize_url(url)
        if key in self.scheduled:
            if not retry and key in self.unlisted_retries:
                # scheduled as a retry before the listings were read, and listed again tonight:
                # it counts as listed, or a night of retries looks like a site listing less
                self.unlisted_retries.discard(key)
                self._count("discovered")
            return
        known = key in self.known
        # a stored article is fetched again only when a listing says it changed since
        revisit = known and _changed_since(listing.modified, self.known[key])
        again = key in self.passed  # counted as listed (and stored) by an earlier listing
        if known and not revisit:
            if again:
                return
            self.passed.add(key)
        else:
            self.scheduled.add(key)
        patterns = self.source.article_url_patterns
        if not candidate and patterns and not looks_like_article(url, patterns):
            # feed and sitemap items are declared articles, unless the registry says what an
            # article URL looks like (section links are filtered before they get here)
            self._count("not_article_url")
            return
        if not self._on_site(url):
            self._count("offsite")
            return
        if not retry and not again:
            self._count("discovered")
        elif retry:
            self.unlisted_retries.add(key)
        if known and not revisit:
            self._count("skipped_seen")
            return
        if revisit:
            self._count("revisited")
            if again:  # an earlier listing counted it as already stored: it is not
                self.crawler.stats.inc_value("newsflow/skipped_seen", -1)
        # a retry was in the window of the run that listed it (or is now): a failure must not
        # turn into outside_window the next night and be dropped
        listed = listing.modified if revisit else listing.published
        if not retry and not self.window.contains(listed):
            self._count("outside_window")
            self._record(
                UrlState(
                    url,
                    crawl_state.OUTSIDE_WINDOW,
                    listed_published=listing.published,
                    candidate=candidate,
                )
            )
            return
        if self.max_pages and self._stat("in_window") >= self.max_pages:
            self._count("over_max_pages")
            self._record(
                UrlState(
                    url,
                    crawl_state.DISCOVERED,
                    listed_published=listing.published,
                    candidate=candidate,
                )
            )
            return
        self._count("in_window")
        self._record(
            UrlState(
                url, crawl_state.DISCOVERED, listed_published=listing.published, candidate=candidate
            )
        )
        yield scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.on_error,
            cb_kwargs={"listing": listing, "via": via},
            meta={"nf_role": "article", "nf_url": url},
        )

    def _on_site(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)

    def parse_article(self, response: Response, listing: Listing, via: str) -> Iterator[PageItem]:
        content_type = response_header(response, "Content-Type") or ""
        if looks_binary(response.body, content_type):
            role = outcome = "binary"
        elif looks_like_challenge(response.body):
            role = outcome = "blocked"
            self._count("challenges")
        elif via in ("candidate", RETRY_CANDIDATE) and not has_article_markup(response.body):
            role, outcome = "page", "not_article"
        else:
            role, outcome = "article", crawl_state.FETCHED
        self._count("fetched" if role == "article" else outcome)
        self._record(
            UrlState(
                listing.url,
                outcome,
                response.status,
                etag=response_header(response, "ETag"),
                last_modified=response_header(response, "Last-Modified"),
                content_hash=crawl_state.content_hash(response.body),
                listed_published=listing.published,
                fetched=True,
            )
        )
        yield self._item(response, role, listing, via)

    def on_error(self, failure: Failure) -> Iterator[PageItem]:
        request = failure.request
        role = request.meta.get("nf_role", "article")
        url = request.meta.get("nf_url", request.url)
        outcome = failure_outcome(failure)
        response = getattr(failure.value, "response", None)
        if outcome == "robots_disallowed":  # not robots_unreachable: no rule said no
            self._count("robots_forbidden")
        if (
            outcome == "blocked"
            and response
            and looks_like_challenge(response.body, response.status)
        ):
            self._count("challenges")
        if role == "article":
            if outcome == "blocked":
                self._count("blocked")
            elif not outcome.startswith("robots_"):
                self._count(f"errors/{outcome}")
            status = response.status if response else None
            self._record(UrlState(url, outcome, status, fetched=outcome not in NOT_SENT))
        else:
            self._listing_failed(role, url, outcome, response.status if response else None)
        # the reason with the outcome: which name did not resolve, where a redirect pointed
        self.logger.warning("%s %s: %s (%s)", role, url, outcome, failure.getErrorMessage())
        if response is not None:
            yield self._item(response, "blocked" if outcome == "blocked" else "error", None, role)

    def _item(self, response: Response, role: str, listing: Listing | None, via: str) -> PageItem:
        return page_item(response, self.source.name, role, listing, via)

    def _record(self, state: UrlState) -> None:
        if self.writer is not None:
            self.writer.record(state)

    def closed(self, reason: str) -> None:
        if self.writer is None:
            return
        pipeline = self.crawler.get_item_pipeline(WarcArchivePipeline)
        completed = pipeline is not None and pipeline.completed
        self.writer.close(pipeline.article_urls if completed else None)

    def _count(self, key: str) -> None:
        self.crawler.stats.inc_value(f"newsflow/{key}")

    def _stat(self, key: str) -> int:
        return self.crawler.stats.get_value(f"newsflow/{key}", 0)


def _changed_since(modified: datetime | None, fetched: datetime | None) -> bool:
    """True when a listing's last-changed date is after the stored copy was fetched."""
    return modified is not None and fetched is not None and modified > fetched
