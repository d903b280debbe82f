"""Downloader middlewares: the politeness and safety rules every request passes through.

Order (see `spiders/settings.py`): `AddressGuard` first, so nothing leaves for a forbidden
scheme or address (redirect targets come back through it too); `StrictRobotsTxt` replaces
Scrapy's robots.txt middleware; `HostHealth` and `PoliteRetry` sit where Scrapy's retry did;
`RedirectGuard` sees 3xx responses before Scrapy's redirect middleware follows them.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections import defaultdict
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import build_from_crawler
from twisted.internet import reactor, task
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

from spiders.addresses import is_private_host
from spiders.classify import Refused, failure_outcome
from spiders.pipelines import archive_response

log = logging.getLogger(__name__)

_DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


async def _sleep(seconds: float) -> None:
    await maybe_deferred_to_future(task.deferLater(reactor, seconds, lambda: None))


def _source_is_local(crawler: Crawler) -> bool:
    spider = crawler.spider
    return bool(getattr(getattr(spider, "source", None), "local", False))


class AddressGuard:
    """Only http(s); no loopback, private or link-local addresses unless the source is local.

    Every host is resolved here, through the crawl's resolver (Scrapy's `TWISTED_DNS_RESOLVER`,
    installed on the reactor, which the download then asks too: its cache gives the download the
    address checked here). A name that does not resolve is refused here with the DNS failure, never
    handed on: a second lookup by the download could answer differently (a rebinding name server
    failing the first query and pointing the second at 10.0.0.1). Redirect targets come back
    through here, so a public name redirecting to one that resolves privately is refused too.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        # host -> the private address it resolves to, or None for a public one
        self._resolved: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuard:
        return cls(crawler)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https"):
            raise Refused("bad_scheme", f"not an http(s) URL: {request.url}")
        if _source_is_local(self.crawler):
            return
        host = parts.hostname or ""
        if host not in self._resolved:
            # DNSLookupError when it does not resolve: the request fails as `dns_error`, like a
            # failed download (robots.txt unreachable, retried); asked again next time
            self._resolved[host] = await self._private_address(host)
        address = self._resolved[host]
        if address is not None:
            where = host if address == host else f"{host} resolves to {address}, which"
            raise Refused("private_address", f"{where} is a loopback/private address")

    async def _private_address(self, host: str) -> str | None:
        """The loopback/private address the host is or resolves to; None for a public one."""
        if is_private_host(host):
            return host
        try:
            ipaddress.ip_address(host)
            return None
        except ValueError:
            pass
        try:
            address = await maybe_deferred_to_future(reactor.resolve(host))
        except DNSLookupError:
            raise
        except Exception as exc:  # noqa: BLE001 - a resolver timeout or error: not resolved
            raise DNSLookupError(f"{host}: {exc}") from exc
        return address if is_private_host(address) else None


class StrictRobotsTxt(RobotsTxtMiddleware):
    """robots.txt per RFC 9309: unreachable (5xx, 429, network error) means disallow all.

    Also honours `Crawl-delay` (capped) by raising the host's download delay, and archives the
    robots.txt response.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._unreachable: set[str] = set()
        self._max_crawl_delay = crawler.settings.getfloat("NEWSFLOW_MAX_CRAWL_DELAY")
        self._crawl_delays: dict[str, float] = {}

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        archive_response(self.crawler, response, "robots")
        if response.status >= 500 or response.status == 429:
            self._stats.inc_value("newsflow/robots_unreachable")
            self._stats.set_value("newsflow/robots_failure", f"http_{response.status}")
            self._unreachable.add(netloc)
            response = response.replace(body=_DISALLOW_ALL)
        elif response.status >= 400:
            response = response.replace(body=b"")
        await super()._parse_robots(response, netloc, request)
        parser = self._parsers.get(netloc)
        protego = getattr(parser, "rp", None)
        if protego is not None and netloc not in self._unreachable:
            delay = protego.crawl_delay(self._default_useragent)
            if delay:
                self._crawl_delays[netloc] = min(float(delay), self._max_crawl_delay)
            sitemaps = list(protego.sitemaps)
            spider = self.crawler.spider
            if sitemaps and hasattr(spider, "robots_sitemaps"):
                spider.robots_sitemaps(sitemaps)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, Refused):
            return super()._robots_error(exc, netloc)
        self._stats.inc_value("newsflow/robots_unreachable")
        # why: the report tells a site that is down (connection, dns_error, timeout) from one
        # whose robots.txt alone fails
        self._stats.set_value("newsflow/robots_failure", failure_outcome(Failure(exc)))
        self._unreachable.add(netloc)
        parser = build_from_crawler(self._parserimpl, self.crawler, _DISALLOW_ALL)
        deferred = self._parsers[netloc]
        self._parsers[netloc] = parser
        deferred.callback(parser)

    def process_request_2(self, rp, request: Request) -> None:
        netloc = urlsplit(request.url).netloc
        if netloc in self._unreachable:
            self._stats.inc_value("robotstxt/forbidden")
            raise Refused("robots_unreachable", "robots.txt unreachable: disallowed (RFC 9309)")
        super().process_request_2(rp, request)
        delay = self._crawl_delays.get(netloc)
        if delay:
            downloader = self.crawler.engine.downloader
            slot = downloader.slots.get(downloader.get_slot_key(request))
            if slot is not None and slot.delay < delay:
                slot.delay = delay


class HostHealth:
    """After repeated failures (5xx, 429, timeouts, resets) a host is paused for the run."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.limit = crawler.settings.getint("NEWSFLOW_HOST_FAILURE_LIMIT")
        self.failures: dict[str, int] = defaultdict(int)
        self.paused: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostHealth:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        host = urlsplit(request.url).netloc
        if host in self.paused:
            raise Refused("host_paused", f"{host} paused after repeated failures")

    def process_exception(
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> None:
        # Refusals and oversized bodies say nothing about the host's health.
        if not isinstance(exception, IgnoreRequest | DownloadCancelledError):
            self._failed(urlsplit(request.url).netloc, request)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        host = urlsplit(request.url).netloc
        if response.status >= 500 or response.status == 429:
            self._failed(host, request)
        else:
            self.failures[host] = 0
        return response

    def _failed(self, host: str, request: Request) -> None:
        self.failures[host] += 1
        if self.limit and self.failures[host] >= self.limit and host not in self.paused:
            self.paused.add(host)
            log.warning("pausing %s for this run after %d failures in a row", host, self.limit)
            self.crawler.stats.set_value("newsflow/paused_hosts", sorted(self.paused))
            self._drop_queued(host, request)

    def _drop_queued(self, host: str, request: Request) -> None:
        """Requests already past this middleware wait in the host's downloader slot: fail them
        now instead of sending them to a host we just paused."""
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is None:
            return
        queued, slot.queue = list(slot.queue), type(slot.queue)()
        for queued_request, deferred in queued:
            deferred.errback(Refused("host_paused", f"{host} paused after repeated failures"))
            log.debug("dropped %s: host paused", queued_request.url)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class PoliteRetry(RetryMiddleware):
    """Scrapy's retry, but 429/503 wait for `Retry-After` and hold back the host.

    A site that asks for a longer wait than `max_retry_after_seconds` is not asked again this
    run: the URL keeps its 429/503 outcome (retried by a later run) and the host is held back for
    the capped wait, so its other requests do not arrive early either.
    """

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("NEWSFLOW_MAX_RETRY_AFTER")

    async def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        wait = retry_after_seconds(response.headers.get("Retry-After", b"").decode("latin-1"))
        if wait and wait > self.max_wait:
            self.crawler.stats.inc_value("newsflow/retry_after_too_long")
            self._hold_host(request, self.max_wait)
            return response
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:
            return response
        if wait:
            self.crawler.stats.inc_value("newsflow/retry_after_waits")
            self._hold_host(request, wait)
            await _sleep(wait)
        return retry

    def _hold_host(self, request: Request, wait: float) -> None:
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None and slot.delay:
            slot.lastseen = max(slot.lastseen, time.monotonic() + wait - slot.delay)


class RedirectGuard:
    """Stop self-redirect loops and redirects off the source's domains (both reported, not
    silently dropped) and unsafe redirect targets."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuard:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        location = response.headers.get("Location")
        if not (300 <= response.status < 400 and location):
            return response
        archive_response(self.crawler, response, "redirect")
        target = urljoin(request.url, location.decode("latin-1"))
        if urlsplit(target).scheme not in ("http", "https"):
            raise Refused("bad_scheme", f"redirect to a non-http(s) URL: {target}")
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if _exact_url(target) in {_exact_url(u) for u in chain}:
            raise Refused("redirect_loop", f"redirect loop: {' -> '.join([*chain, target])}")
        # Scrapy would drop a redirect off the source's domains without a word: say so instead
        domains = getattr(self.crawler.spider, "allowed_domains", None)
        offsite_ok = request.dont_filter or request.meta.get("allow_offsite")
        if domains and not offsite_ok and not _on_domains(target, domains):
            raise Refused("offsite_redirect", f"redirect off the site: {request.url} -> {target}")
        return response


def _on_domains(url: str, domains: list[str]) -> bool:
    """Scrapy's offsite rule (the host, any port): one of the domains or a subdomain of one."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in map(str.lower, domains))


def _exact_url(url: str) -> str:
    """The URL a request really goes to: only scheme and host case and a default port ignored
    (not `normalize_url`, which drops tracking parameters: `/x/?utm_source=rss` -> `/x/` is a
    redirect, not a loop)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    if parts.port and parts.port != {"http": 80, "https": 443}.get(scheme):
        host = f"{host}:{parts.port}"
    return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))
