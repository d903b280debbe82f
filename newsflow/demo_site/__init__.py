"""Bundled demo news site: a WordPress-style regional news outlet served on 127.0.0.1.

Tests, demos and ``make run`` crawl it instead of the internet; ``load_articles`` is the ground
truth the pipeline's output is compared with.
"""

from .content import DemoArticle, Figure, load_articles
from .server import DemoSite, RequestRecord, check_loopback, serve, start_demo_site

__all__ = [
    "DemoArticle",
    "DemoSite",
    "Figure",
    "RequestRecord",
    "check_loopback",
    "load_articles",
    "serve",
    "start_demo_site",
]
