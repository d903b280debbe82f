"""Item pipelines: where fetched pages go once the spider has them."""

from __future__ import annotations

from pathlib import Path

from scrapy import Spider
from scrapy.crawler import Crawler

from newsflow.archive import WarcArchive
from spiders.items import PageItem


class WarcArchivePipeline:
    """Write every article page to the run's WARC file (path from `NEWSFLOW_WARC_PATH`)."""

    def __init__(self, path: Path, crawler: Crawler) -> None:
        self.path = path
        self.crawler = crawler
        self.archive: WarcArchive | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcArchivePipeline:
        return cls(Path(crawler.settings["NEWSFLOW_WARC_PATH"]), crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        self.archive = WarcArchive(self.path)

    def process_item(self, item: PageItem, spider: Spider | None = None) -> PageItem:
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
        )
        self.crawler.stats.inc_value("newsflow/archived")
        return item

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.archive is not None:
            path = self.archive.close()
            self.crawler.stats.set_value("newsflow/warc", str(path) if path else "")
