"""Child-process entry point for one source's crawl: `python -m spiders.run --source-json ...`.

Writes a JSON report the parent reads back; the parent never imports Twisted.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from newsflow.settings import CrawlSettings
from newsflow.sources import Source
from spiders import settings as project_settings
from spiders.news import NewsSpider

# set by newsflow.pipeline.crawl (CRAWL_STATE_URL_ENV): a URL on the command line is visible to `ps`
CRAWL_STATE_URL_ENV = "NEWSFLOW_CRAWL_STATE_URL"


def scrapy_settings(base: CrawlSettings, source: Source, warc_path: Path) -> Settings:
    """Project settings with the run's politeness values (the source's `crawl:` over the global
    ones); real (non-local) sources never go below the global `min_delay_real_sources` between
    requests to one host, and robots.txt is obeyed whatever the source says."""
    crawl = source.crawl_settings(base)
    delay = crawl.download_delay
    if not source.local:
        delay = max(delay, base.min_delay_real_sources)
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.setdict(
        {
            "USER_AGENT": crawl.user_agent,
            "DOWNLOAD_DELAY": delay,
            "CONCURRENT_REQUESTS": crawl.concurrent_requests,
            "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrent_requests_per_domain,
            "DOWNLOAD_MAXSIZE": crawl.max_response_bytes,
            "DOWNLOAD_TIMEOUT": crawl.timeout_seconds,
            "REDIRECT_MAX_TIMES": crawl.max_redirects,
            "RETRY_TIMES": crawl.retry_times,
            "NEWSFLOW_WARC_PATH": str(warc_path),
            "NEWSFLOW_MAX_RETRY_AFTER": crawl.max_retry_after_seconds,
            "NEWSFLOW_MAX_CRAWL_DELAY": crawl.max_crawl_delay_seconds,
            "NEWSFLOW_HOST_FAILURE_LIMIT": crawl.host_failure_limit,
            "NEWSFLOW_MAX_URL_ATTEMPTS": crawl.max_url_attempts,
        },
        priority="cmdline",
    )
    return settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spiders.run")
    parser.add_argument("--source-json", required=True)
    parser.add_argument("--crawl-json", required=True)
    parser.add_argument("--warc", required=True, type=Path)
    parser.add_argument("--report", required=True, type=Path)
    parser.add_argument("--known-urls")
    parser.add_argument("--since")
    parser.add_argument("--until")
    parser.add_argument("--max-pages", type=int)
    args = parser.parse_args(argv)

    crawl = CrawlSettings.model_validate_json(args.crawl_json)
    source = Source.model_validate_json(args.source_json)
    settings = scrapy_settings(crawl, source, args.warc)
    logging.basicConfig(
        level=settings.get("LOG_LEVEL"),
        format="%(asctime)s [%(name)s] %(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(NewsSpider)
    process.crawl(
        crawler,
        source=args.source_json,
        known_urls=args.known_urls,
        since=args.since,
        until=args.until,
        max_pages=args.max_pages or source.crawl_settings(crawl).max_pages,
        # the project database holding the crawl state; none (a dry run): state untouched
        db_url=os.environ.get(CRAWL_STATE_URL_ENV),
    )
    process.start()
    stats = crawler.stats.get_stats()
    report = {
        key.removeprefix("newsflow/"): value
        for key, value in stats.items()
        if key.startswith("newsflow/")
    }
    report["finish_reason"] = stats.get("finish_reason")
    report["elapsed_seconds"] = stats.get("elapsed_time_seconds")
    report["status_counts"] = {
        key.rsplit("/", 1)[-1]: value
        for key, value in stats.items()
        if key.startswith("downloader/response_status_count/")
    }
    report["errors"] = {
        key.removeprefix("newsflow/errors/"): value
        for key, value in stats.items()
        if key.startswith("newsflow/errors/")
    }
    report = {k: v for k, v in report.items() if not k.startswith("errors/")}
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
