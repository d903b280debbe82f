"""The crawl's name service in tests: answers from a table the test writes, never real DNS.

`CrawlSettings(dns_resolver="tests.dns_table.TableResolver")` installs it in the crawl child
(Scrapy's TWISTED_DNS_RESOLVER); the table is the JSON object {name: IPv4 address} in the file
named by `NEWSFLOW_TEST_DNS_TABLE`, which the child inherits. A name not in it does not resolve.
Only the lookup is replaced: Scrapy's caching resolver around it works as in production.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Sequence

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.base import ThreadedResolver
from twisted.internet.error import DNSLookupError

TABLE_ENV = "NEWSFLOW_TEST_DNS_TABLE"


class _TableLookup(ThreadedResolver):
    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:  # noqa: N802 - Twisted's name
        try:
            return defer.succeed(str(ipaddress.ip_address(name)))  # a literal, like any resolver
        except ValueError:
            pass
        with open(os.environ[TABLE_ENV], encoding="utf-8") as stream:
            address = json.load(stream).get(name.lower())
        if address is None:
            return defer.fail(DNSLookupError(f"address {name!r} not found: no such name"))
        return defer.succeed(address)


class TableResolver(CachingThreadedResolver, _TableLookup):
    """Scrapy's caching resolver whose lookups go to the table (see the MRO: the cache's
    `super().getHostByName` is `_TableLookup`'s)."""
