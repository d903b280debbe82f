"""The address guard's DNS paths (issue 16, point 5), with a name service the test controls
(`tests/dns_table.py`): a name that does not resolve, and the DNS-rebinding shape, a public name
redirecting to one that resolves to a private address. Both are refused before anything is sent
and recorded. "The internet" is an HTTP proxy on 127.0.0.1 that the crawl child is pointed at
(`http_proxy`), so a public name is fetched from it and no traffic leaves the machine; it records
every request, so a refused one would show there. Real crawl child, real crawl state; the
database is then checked row by row."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml
from sqlalchemy import func, select

from newsflow import pipeline
from newsflow.settings import CrawlSettings, Settings
from newsflow.sources import load_registry
from storage import connect
from storage.crawl_state import outcomes
from storage.schema import articles, runs
from tests.dns_table import TABLE_ENV

PUBLIC = "http://news.example"  # resolves to a public-looking address, served by the proxy
INTERNAL = "http://internal.news.example"  # on the site, resolves to 10.1.2.3
INTRANET = "http://intranet.example"  # another domain, resolves to 10.1.2.4
GONE = "http://gone.example"  # does not resolve
FEEDS = ("feed.xml", "moved.xml")
DNS = {
    "news.example": "93.184.216.34",
    "internal.news.example": "10.1.2.3",
    "intranet.example": "10.1.2.4",
}


@dataclass
class Internet:
    """The proxy's view: every absolute URL asked for, in order."""

    asked: list[str] = field(default_factory=list)
    routes: dict[str, tuple[int, dict[str, str]]] = field(default_factory=dict)


def _start_internet(internet: Internet) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            internet.asked.append(self.path)  # a proxy is sent the absolute URL
            status, headers = internet.routes.get(self.path, (404, {}))
            self.send_response(status)
            for name, value in {**headers, "Content-Length": "0"}.items():
                self.send_header(name, value)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@dataclass
class Night:
    settings: Settings
    internet: Internet
    reports: dict[str, pipeline.CrawlReport]
    log: dict[str, str]


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Night]:
    tmp = tmp_path_factory.mktemp("guard")
    internet = Internet(
        routes={
            f"{PUBLIC}/feed.xml": (302, {"Location": f"{INTERNAL}/feed.xml"}),
            f"{PUBLIC}/moved.xml": (301, {"Location": f"{INTRANET}/feed.xml"}),
        },
    )
    server = _start_internet(internet)
    table = tmp / "dns.json"
    table.write_text(json.dumps(DNS), encoding="utf-8")
    registry = tmp / "sources.yaml"
    entries = [
        {"name": "rebind", "url": f"{PUBLIC}/", "feeds": [f"{PUBLIC}/{p}" for p in FEEDS]},
        {"name": "gone", "url": f"{GONE}/", "feeds": [f"{GONE}/feed.xml"]},
    ]
    registry.write_text(yaml.safe_dump({"sources": entries}), encoding="utf-8")
    settings = Settings(
        data_dir=tmp / "data",
        sources_file=registry,
        crawl=CrawlSettings(
            download_delay=0,
            min_delay_real_sources=0,
            timeout_seconds=2,
            retry_times=1,
            dns_resolver="tests.dns_table.TableResolver",
        ),
    )
    proxy = f"http://127.0.0.1:{server.server_address[1]}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv(TABLE_ENV, str(table))
        env.setenv("http_proxy", proxy)
        env.setenv("https_proxy", proxy)
        env.delenv("no_proxy", raising=False)
        env.delenv("NO_PROXY", raising=False)
        try:
            crawled = pipeline.crawl(settings, load_registry(registry), run_id="guard")
        finally:
            server.shutdown()
            server.server_close()
    logs = {
        name: (settings.data_dir / "runs" / "guard" / name / "crawl.log").read_text("utf-8")
        for name in ("rebind", "gone")
    }
    yield Night(settings, internet, {r.source: r for r in crawled}, logs)


def _rows(settings: Settings, source: str) -> tuple[dict[str, str], dict, int]:
    engine = connect(settings.database_url)
    try:
        with engine.connect() as conn:
            run = conn.execute(
                select(runs.c.status, runs.c.stats).where(
                    runs.c.run_id == "guard", runs.c.source == source, runs.c.stage == "crawl"
                )
            ).one()
            stored = conn.execute(select(func.count()).select_from(articles)).scalar_one()
        return outcomes(engine, source), {"status": run.status, **run.stats}, stored
    finally:
        engine.dispose()


def test_a_name_that_does_not_resolve_is_refused_unsent_and_said_so(night: Night) -> None:
    report = night.reports["gone"]
    assert not [url for url in night.internet.asked if url.startswith(GONE)]
    assert report.status == "site_down"
    assert report.explain() == "site unreachable: DNS lookup failed; nothing fetched"
    state, run, stored = _rows(night.settings, "gone")
    assert state == {f"{GONE}/feed.xml": "listing:dns_error"}
    assert run["status"] == "site_down" and stored == 0
    assert "gone.example" in night.log["gone"] and "no such name" in night.log["gone"]


def test_a_public_name_redirecting_to_a_private_one_is_refused_and_recorded(
    night: Night,
) -> None:
    """On the site (a subdomain whose name server says 10.1.2.3) the guard refuses it; off the
    site (Scrapy would drop it silently) it is refused as an offsite redirect. Either way the
    target is never asked for, and the feed's crawl state and the log say why."""
    report = night.reports["rebind"]
    assert sorted(u for u in night.internet.asked if not u.startswith(GONE)) == [
        f"{PUBLIC}/feed.xml",
        f"{PUBLIC}/moved.xml",
        f"{PUBLIC}/robots.txt",
    ]
    assert report.errors == {"feed_private_address": 1, "feed_offsite_redirect": 1}
    state, run, stored = _rows(night.settings, "rebind")
    assert state == {
        f"{PUBLIC}/feed.xml": "listing:private_address",
        f"{PUBLIC}/moved.xml": "listing:offsite_redirect",
    }
    assert run["status"] == report.status and stored == 0
    log = night.log["rebind"]
    assert "internal.news.example resolves to 10.1.2.3, which is a loopback/private" in log
    assert f"redirect off the site: {PUBLIC}/moved.xml -> {INTRANET}/feed.xml" in log
