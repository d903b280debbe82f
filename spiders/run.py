"""Child-process entry point for one source's crawl: `python -m spiders.run --job JOB.json`.

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

from spiders import settings as project_settings
from spiders.job import DATABASE_URL_ENV, CrawlJob
from spiders.news import NewsSpider
from spiders.pipelines import ARCHIVE_FAILURE


def scrapy_settings(job: CrawlJob) -> Settings:
    """Project settings with the job's politeness values (robots.txt is always obeyed)."""
    crawl = job.crawl
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.setdict(
        {
            "USER_AGENT": crawl.user_agent,
            "DOWNLOAD_DELAY": crawl.download_delay,
            "CONCURRENT_REQUESTS": crawl.concurrent_requests,
            "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrent_requests_per_domain,
            "DOWNLOAD_MAXSIZE": crawl.max_response_bytes,
            "DOWNLOAD_TIMEOUT": crawl.timeout_seconds,
            "REDIRECT_MAX_TIMES": crawl.max_redirects,
            "RETRY_TIMES": crawl.retry_times,
            "NEWSFLOW_WARC_PATH": job.warc,
            "NEWSFLOW_MAX_RETRY_AFTER": crawl.max_retry_after_seconds,
            "NEWSFLOW_MAX_CRAWL_DELAY": crawl.max_crawl_delay_seconds,
            "NEWSFLOW_HOST_FAILURE_LIMIT": crawl.host_failure_limit,
            "NEWSFLOW_MAX_URL_ATTEMPTS": crawl.max_url_attempts,
        },
        priority="cmdline",
    )
    if crawl.dns_resolver:
        settings.set("TWISTED_DNS_RESOLVER", crawl.dns_resolver, priority="cmdline")
    return settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spiders.run")
    parser.add_argument("--job", required=True, type=Path, help="the CrawlJob as JSON")
    args = parser.parse_args(argv)

    job = CrawlJob.from_json(args.job.read_text(encoding="utf-8"))
    settings = scrapy_settings(job)
    logging.basicConfig(
        level=settings.get("LOG_LEVEL"),
        format="%(asctime)s [%(name)s] %(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(NewsSpider)
    process.crawl(crawler, job=job, database_url=os.environ.get(DATABASE_URL_ENV))
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
    report_file = Path(job.report)
    report_file.parent.mkdir(parents=True, exist_ok=True)
    report_file.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    failure = stats.get(ARCHIVE_FAILURE)
    if failure:  # the last line of the log, which the parent's error quotes
        print(f"crawl failed: {failure}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
