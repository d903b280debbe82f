"""Scrapy settings shared by every crawl; per-run values are laid over these in `spiders.run`.

Scrapy's own defaults are tuned for scraping, not for polite nightly archiving of news sites,
so the unsafe ones are overridden here.
"""

BOT_NAME = "newsflow"
SPIDER_MODULES = ["spiders.news"]

ROBOTSTXT_OBEY = True
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
COOKIES_ENABLED = False

DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30
REDIRECT_MAX_TIMES = 10
RETRY_TIMES = 2

TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_INSTALL_ROOT_HANDLER = False
LOG_LEVEL = "INFO"

ITEM_PIPELINES = {"spiders.pipelines.WarcArchivePipeline": 300}

# Scrapy's robots.txt and retry middlewares are replaced by stricter ones (spiders/middlewares.py).
DOWNLOADER_MIDDLEWARES = {
    "spiders.middlewares.AddressGuard": 40,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "spiders.middlewares.StrictRobotsTxt": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "spiders.middlewares.PoliteRetry": 550,
    "spiders.middlewares.HostHealth": 560,
    "spiders.middlewares.RedirectGuard": 650,
}
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
NEWSFLOW_MAX_RETRY_AFTER = 60.0
NEWSFLOW_MAX_CRAWL_DELAY = 30.0
NEWSFLOW_HOST_FAILURE_LIMIT = 5
NEWSFLOW_MAX_URL_ATTEMPTS = 5
