"""Common Crawl News (CC-NEWS): where its monthly WARC files are listed, how one is opened as a
stream, and which of its responses belong to a source. Knows nothing of newsflow's registry or
settings; the pipeline's backfill step composes it with extract and load."""

from ccnews.hosts import HostMatcher, host_key
from ccnews.locations import (
    DEFAULT_BASE,
    LocationError,
    Month,
    list_month,
    month_range,
    open_location,
)

__all__ = [
    "DEFAULT_BASE",
    "HostMatcher",
    "LocationError",
    "Month",
    "host_key",
    "list_month",
    "month_range",
    "open_location",
]
