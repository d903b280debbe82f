"""Scrapy settings shared by every crawl; per-run values are laid over these in `spiders.run`.

Scrapy's own defaults are tuned for scraping, not for polite nightly archiving of news sites,
so the unsafe ones are overridden here.
"""

BOT_NAME = "newsflow"
SPIDER_MODULES = ["spiders.news"]

ROBOTSTXT_OBEY = True
DOWNLOAD_DELAY = 1.0
RANDOMIZE_DOWNLOAD_DELAY = False
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
