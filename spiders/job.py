"""What one crawl child is asked to do: the site, its politeness settings, the window and where
the results go. The parent (`newsflow.pipeline.crawling`) builds a `CrawlJob` from the registry
and the settings and hands it over as one JSON file; the spider knows neither.

`CrawlSettings` is defined here, by the crawler that obeys it, and is the `[crawl]` section of
newsflow's settings (and of a source's `crawl:` overrides).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

from spiders.window import CrawlWindow

# The project database holding the crawl state, under the name newsflow's settings read it from:
# the child gets it in its environment, since a command line is visible to `ps`. Unset (a dry
# run): crawl state is neither read nor written.
DATABASE_URL_ENV = "NEWSFLOW_DATABASE_URL"


class CrawlSettings(BaseModel):
    """Politeness and safety defaults; a source may override some of them in the registry."""

    user_agent: str = "newsflow/0.1 (+https://github.com/newsflow/newsflow; news archiving bot)"
    download_delay: float = Field(1.0, ge=0)
    concurrent_requests_per_domain: int = Field(1, ge=1)
    concurrent_requests: int = Field(8, ge=1)
    max_response_bytes: int = Field(32 * 1024 * 1024, gt=0)
    timeout_seconds: float = Field(30.0, gt=0)
    max_redirects: int = Field(10, ge=0)
    retry_times: int = Field(2, ge=0)
    max_retry_after_seconds: float = Field(60.0, ge=0)
    max_crawl_delay_seconds: float = Field(30.0, ge=0)
    min_delay_real_sources: float = Field(1.0, ge=0)
    host_failure_limit: int = Field(5, ge=0)
    max_url_attempts: int = Field(5, ge=1)
    max_pages: int | None = Field(None, ge=1)
    subprocess_timeout_seconds: float = Field(3600.0, gt=0)
    # Import path of the crawl's DNS resolver class (Scrapy's TWISTED_DNS_RESOLVER, used by the
    # download and the address guard alike); None: Scrapy's caching resolver over the system's.
    # The tests name one that answers from a table, so no query leaves the machine.
    dns_resolver: str | None = None


@dataclass(frozen=True)
class Site:
    """The part of a registry entry the crawl needs; listing URLs are absolute."""

    name: str
    url: str
    local: bool = False
    feed_urls: tuple[str, ...] = ()
    sitemap_urls: tuple[str, ...] = ()
    section_urls: tuple[str, ...] = ()
    article_url_patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class CrawlJob:
    site: Site
    crawl: CrawlSettings
    warc: str
    report: str
    # a file of the normalised URLs already stored for the site, one per line, each optionally
    # followed by a tab and when it was last fetched (ISO 8601)
    known_urls: str = ""
    window: CrawlWindow = field(default_factory=CrawlWindow)
    max_pages: int | None = None

    def to_json(self) -> str:
        return json.dumps(
            {
                "site": asdict(self.site),
                "crawl": self.crawl.model_dump(),
                "warc": self.warc,
                "report": self.report,
                "known_urls": self.known_urls,
                "window": self.window.to_dict(),
                "max_pages": self.max_pages,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> CrawlJob:
        data = json.loads(text)
        site = {k: tuple(v) if isinstance(v, list) else v for k, v in data["site"].items()}
        return cls(
            site=Site(**site),
            crawl=CrawlSettings.model_validate(data["crawl"]),
            warc=data["warc"],
            report=data["report"],
            known_urls=data.get("known_urls") or "",
            window=CrawlWindow.from_dict(data.get("window")),
            max_pages=data.get("max_pages"),
        )

    def known(self) -> dict[str, datetime | None]:
        """Stored URL -> when it was last fetched (None: not said)."""
        if not self.known_urls:
            return {}
        known: dict[str, datetime | None] = {}
        for line in Path(self.known_urls).read_text(encoding="utf-8").splitlines():
            url, _, when = line.strip().partition("\t")
            if url:
                known[url] = datetime.fromisoformat(when) if when else None
        return known
