"""Item pipelines: where fetched responses go once the spider has them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.http import Response

from spiders.items import PageItem, response_headers
from storage.archive import ARTICLE, ArchiveError, WarcArchive

# Stats key holding why the archive could not be written (the crawl then fails, naming it).
ARCHIVE_FAILURE = "newsflow/archive_failure"


class WarcArchivePipeline:
    """Write every response to the run's WARC file (path from `NEWSFLOW_WARC_PATH`).

    Spider callbacks hand over `PageItem`s; middlewares that see responses the spider never gets
    (robots.txt, redirects) and the listing callbacks call `write_response` (`archive_response`).
    """

    def __init__(self, path: Path, crawler: Crawler) -> None:
        self.path = path
        self.crawler = crawler
        self.archive: WarcArchive | None = None
        self.article_urls: list[str] = []
        self.completed: Path | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcArchivePipeline:
        return cls(Path(crawler.settings["NEWSFLOW_WARC_PATH"]), crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        self.archive = WarcArchive(self.path)

    def _failed(self, exc: ArchiveError) -> None:
        """Stop archiving (the file is gone): the pages stay `fetched`, so the next run fetches
        them again, and the child exits with the error."""
        self.archive = None
        self.crawler.stats.set_value(ARCHIVE_FAILURE, str(exc))

    def process_item(self, item: PageItem, spider: Spider | None = None) -> PageItem:
        if self.archive is None:
            return item
        try:
            self._write_item(item)
        except ArchiveError as exc:
            self._failed(exc)
        return item

    def _write_item(self, item: PageItem) -> None:
        assert self.archive is not None
        self.archive.write(
            url=item.url,
            status=item.status,
            reason="",
            headers=item.headers,
            body=item.body,
            fetched_at=item.fetched_at,
            source=item.source,
            listed_published=item.listed_published,
            discovered_via=item.discovered_via,
            role=item.role,
            request_url=item.request_url,
        )
        self.crawler.stats.inc_value("newsflow/archived")
        if item.role == ARTICLE:
            self.article_urls.append(item.request_url or item.url)

    def write_response(self, response: Response, role: str) -> None:
        if self.archive is None:
            return
        spider = self.crawler.spider
        try:
            self.archive.write(
                url=response.url,
                status=response.status,
                reason="",
                headers=response_headers(response),
                body=response.body,
                fetched_at=datetime.now(UTC),
                source=getattr(getattr(spider, "source", None), "name", ""),
                role=role,
            )
        except ArchiveError as exc:
            self._failed(exc)
            return
        self.crawler.stats.inc_value("newsflow/archived")

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.archive is not None:
            try:
                self.completed = self.archive.close()
            except ArchiveError as exc:
                self._failed(exc)
            self.crawler.stats.set_value("newsflow/warc", str(self.completed or ""))


def archive_response(crawler: Crawler, response: Response, role: str) -> None:
    """Write a response that is no item (a listing, robots.txt, a redirect) to the run's archive,
    when the crawl has one."""
    pipeline = crawler.get_item_pipeline(WarcArchivePipeline)
    if pipeline is not None:
        pipeline.write_response(response, role)
