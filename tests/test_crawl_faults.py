"""Real Scrapy crawls of a misbehaving local site: every fault URL ends with a named outcome in
crawl state and the report, and the rest of the crawl still completes."""

from __future__ import annotations

import gzip
import ipaddress
import socket
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from sqlalchemy import select

from extraction import extract_article
from newsflow import pipeline
from newsflow.cli.main import main as cli_main
from newsflow.discover import discover_source
from newsflow.settings import CrawlSettings, Settings
from newsflow.sources import Source, load_registry
from spiders.discovery import DiscoveryError, gunzip_capped
from spiders.job import CrawlJob
from spiders.middlewares import retry_after_seconds
from spiders.run import scrapy_settings
from spiders.window import CrawlWindow
from storage import connect
from storage.crawl_state import UrlState, outcomes, save_states
from storage.schema import crawl_state, runs
from storage.warc_reader import read_pages, read_records
from tests.fault_server import (
    ARABIC_PARAGRAPHS,
    ARABIC_TITLE,
    ARTICLE_FAULTS,
    CAP,
    UNDATED_ARTICLE,
    UNDATED_PAGE,
    FaultSite,
    article_url,
    start_fault_site,
)

SINCE = datetime(2024, 1, 1, tzinfo=UTC)
FAST = {
    "download_delay": 0,
    "timeout_seconds": 2,
    "retry_times": 1,
    "concurrent_requests_per_domain": 8,
}


def _settings(
    tmp: Path,
    site: FaultSite,
    feeds: list[str],
    sections: tuple[str, ...] = (),
    sitemaps: tuple[str, ...] = (),
    **crawl: object,
) -> Settings:
    registry = tmp / "sources.yaml"
    entry = {"name": "faults", "url": site.url + "/", "local": True, "feeds": feeds}
    entry.update(sections=list(sections), sitemaps=list(sitemaps))
    registry.write_text(yaml.safe_dump({"sources": [entry]}), encoding="utf-8")
    return Settings(
        data_dir=tmp / "data",
        sources_file=registry,
        crawl=CrawlSettings(**{**FAST, **crawl}),
    )


def _crawl(settings: Settings, run_id: str, until: datetime | None = None) -> pipeline.CrawlReport:
    (report,) = pipeline.crawl(
        settings,
        load_registry(settings.sources_file),
        run_id=run_id,
        window=CrawlWindow(SINCE, until),
    )
    return report


def _outcomes(settings: Settings) -> dict[str, str]:
    engine = connect(settings.database_url)
    try:
        return outcomes(engine, "faults")
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory):
    site = start_fault_site()
    settings = _settings(
        tmp_path_factory.mktemp("faults"),
        site,
        ["/feed.xml", "/broken-feed.xml"],
        ("/section/",),
        host_failure_limit=0,
    )
    report = _crawl(settings, "first")
    yield site, settings, report, _outcomes(settings)
    site.stop()


@pytest.mark.parametrize("name", sorted(ARTICLE_FAULTS))
def test_each_fault_url_has_its_outcome(faults, name):
    site, _, report, states = faults
    assert report.finish_reason == "finished"
    assert states[article_url(site.url, name)] == ARTICLE_FAULTS[name]


def test_robots_window_and_listing_outcomes(faults):
    site, _, _, states = faults
    assert states[article_url(site.url, "secret", "private")] == "robots_disallowed"
    assert site.hits.get("/private/2024/05/01/secret/") is None
    assert states[article_url(site.url, "old-1")] == "outside_window"
    assert site.hits.get("/news/2024/05/01/old-1/") is None
    assert states[site.url + "/broken-feed.xml"] == "listing:malformed"
    # The billion-laughs sitemap comes from robots.txt's Sitemap: line; its entities are not
    # expanded, and the one real entry in it is still crawled.
    assert states[site.url + "/laughs-sitemap.xml"] == "listing:ok"
    assert states[article_url(site.url, "from-sitemap")] == "archived"
    # section links without a date: kept only when the page says og:type=article
    assert states[site.url + UNDATED_ARTICLE] == "archived"
    assert states[site.url + UNDATED_PAGE] == "not_article"


def test_report_counts_every_kind(faults):
    _, _, report, _ = faults
    assert report.status == "ok"
    assert report.fetched == 6  # ok-1, ok-2, rate-limited, arabic, from-sitemap, undated
    assert report.not_article == 1
    assert report.blocked == 2
    assert report.binary == 1
    assert report.outside_window == 2
    assert report.robots_forbidden == 1
    assert report.discovery_errors == 1
    assert report.errors["too_large"] == 4  # gzip, brotli and deflate bombs, 50 MB page
    for kind in ("timeout", "connection", "redirect_loop", "too_many_redirects", "http_500"):
        assert report.errors[kind] == 1, kind


def test_retry_after_is_waited_and_user_agent_identifies(faults):
    site, _, _, _ = faults
    first, second = site.times("/news/2024/05/01/rate-limited/")
    assert second - first >= 1.0
    agents = {headers.get("User-Agent", "") for _, _, headers in site.requests}
    assert agents and all("newsflow" in agent for agent in agents)


def test_every_response_is_archived_with_its_role(faults):
    site, _, report, _ = faults
    records = list(read_records(Path(report.warc)))
    roles = Counter(r.role for r in records)
    assert {"robots", "feed", "sitemap", "redirect", "error", "binary", "blocked"} <= set(roles)
    assert roles["article"] == 6
    assert roles["page"] == 1
    assert {p.url for p in read_pages(Path(report.warc))} == {
        *(article_url(site.url, n) for n in ("ok-1", "ok-2", "rate-limited", "arabic")),
        article_url(site.url, "from-sitemap"),
        site.url + UNDATED_ARTICLE,
    }


def test_arabic_page_with_wrong_charset_header_extracts_as_arabic(faults):
    site, _, report, _ = faults
    (page,) = [p for p in read_pages(Path(report.warc)) if "arabic" in p.url]
    assert "charset=utf-8" in page.content_type  # the wrong header, kept as served
    article = extract_article(page.body, page.url, source="faults", encoding="utf-8")
    assert article.title == ARABIC_TITLE
    assert ARABIC_PARAGRAPHS[0][:40] in article.text


def test_second_crawl_is_incremental_and_conditional(faults):
    site, settings, _, _ = faults
    before = dict(site.hits)
    report = _crawl(settings, "second")
    feed_requests = [h for _, p, h in site.requests if p == "/feed.xml"]
    assert feed_requests[-1].get("If-None-Match") == '"feed-v1"'
    assert report.not_modified >= 1
    # archived pages are never fetched again; failed ones are retried from crawl state
    assert site.hits["/news/2024/05/01/ok-1/"] == before["/news/2024/05/01/ok-1/"]
    assert site.hits["/news/2024/05/01/server-error/"] > before["/news/2024/05/01/server-error/"]
    assert report.fetched == 0 and report.retried >= 1


def test_5xx_storm_pauses_the_host_and_is_reported(tmp_path):
    site = start_fault_site()
    try:
        settings = _settings(
            tmp_path,
            site,
            ["/storm-feed.xml"],
            host_failure_limit=3,
            concurrent_requests_per_domain=1,
            download_delay=0.1,
        )
        report = _crawl(settings, "storm")
        states = _outcomes(settings)
    finally:
        site.stop()
    storm = [u for u in states if "/storm/" in u]
    assert len(storm) == 12
    assert report.paused_hosts == [f"127.0.0.1:{site.port}"]
    assert Counter(states[u] for u in storm)["host_paused"] >= 8
    assert sum(1 for p in site.hits if p.startswith("/storm/")) <= 4
    assert report.status == "failed"


@pytest.mark.parametrize("robots_status", [429, 503])
def test_unreachable_robots_txt_means_disallow_and_says_so(tmp_path, robots_status):
    """RFC 9309: a robots.txt answering 5xx, or 429 (a 4xx that means "unavailable"), disallows
    the whole host for the run, and the night says robots.txt was unreachable."""
    site = start_fault_site(robots_status=robots_status)
    try:
        settings = _settings(tmp_path, site, ["/feed.xml"])
        report = _crawl(settings, "robots")
        states = _outcomes(settings)
    finally:
        site.stop()
    assert set(site.hits) == {"/robots.txt"}
    assert states[site.url + "/feed.xml"] == "listing:robots_unreachable"
    assert report.robots_unreachable >= 1
    assert report.robots_failure == f"http_{robots_status}"
    assert report.status == "robots_error" and report.robots_forbidden == 0
    assert report.explain().startswith(f"robots.txt unreachable (http_{robots_status})")


def test_cli_run_summary_ends_in_blocked(tmp_path, capsys, monkeypatch):
    """`newsflow run` says BLOCKED on the source's line, so 0 new is not read as a quiet night;
    here the only listed article answers 403."""
    site = start_fault_site(robots_sitemap=False)
    try:
        settings = _settings(tmp_path, site, ["/refused-feed.xml"])
        monkeypatch.setenv("NEWSFLOW_CRAWL__DOWNLOAD_DELAY", "0")
        argv = ["run", "--sources", str(settings.sources_file)]
        assert cli_main(argv + ["--data-dir", str(settings.data_dir)]) == 0
        states = _outcomes(settings)
    finally:
        site.stop()
    assert states[article_url(site.url, "forbidden")] == "blocked"
    lines = capsys.readouterr().out.splitlines()
    (line,) = [line for line in lines if line.startswith("  faults:")]
    assert line.startswith("  faults: ") and ", 0 fetched, " in line
    assert line.endswith(" -- BLOCKED")
    assert lines[-1] == "  stored 0 articles: 0 new, 0 updated, 0 unchanged; 0 entity rows written"


def test_robots_txt_answering_404_means_no_rules(tmp_path):
    """A robots.txt that is not there allows everything, even the path ours would disallow."""
    site = start_fault_site(robots_status=404)
    try:
        settings = _settings(tmp_path, site, ["/private-feed.xml"])
        report = _crawl(settings, "robots-4xx")
        states = _outcomes(settings)
    finally:
        site.stop()
    secret = article_url(site.url, "secret", "private")
    assert states[secret] == states[article_url(site.url, "ok-1")] == "archived"
    assert site.hits.get(urlsplit(secret).path) == 1
    assert (report.robots_unreachable, report.robots_forbidden) == (0, 0)
    assert (report.fetched, report.status) == (2, "ok")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_robots_txt_unreachable_at_the_network_level_means_disallow(tmp_path):
    """No TCP connection, or no address, for robots.txt: the host is disallowed, so its feed is
    refused as robots_unreachable rather than fetched and failed (`connection`, `dns_error`)."""
    refused = f"http://127.0.0.1:{_closed_port()}"
    # A name that does not resolve. A label may not start with "-", so the C library refuses it
    # without asking a name server: no query leaves this machine, and the crawl takes the
    # DNS-failure path (DNSLookupError) a vanished domain takes.
    unresolvable = "http://-newsflow-no-such-host.invalid"
    feeds = [f"{refused}/feed.xml", f"{unresolvable}/feed.xml"]
    registry = tmp_path / "sources.yaml"
    entry = {"name": "faults", "url": refused + "/", "local": True, "feeds": feeds}
    registry.write_text(yaml.safe_dump({"sources": [entry]}), encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path / "data", sources_file=registry, crawl=CrawlSettings(**FAST)
    )
    report = _crawl(settings, "no-robots")
    assert _outcomes(settings) == dict.fromkeys(feeds, "listing:robots_unreachable")
    assert report.robots_unreachable == 2
    assert report.status == "site_down"
    # robots.txt did not answer, so no rule disallowed anything (the summary said "2 disallowed")
    assert report.robots_forbidden == 0


def test_the_size_cap_counts_decompressed_bytes_and_stops_at_32_mib(tmp_path):
    """Just under the 32 MiB cap is archived whole; 33 MiB (after gunzip, from a body of a few
    KiB on the wire) is refused, so a raised or compressed-bytes cap fails here."""
    site = start_fault_site(robots_sitemap=False)
    try:
        settings = _settings(tmp_path, site, ["/cap-feed.xml"], timeout_seconds=30)
        report = _crawl(settings, "cap")
        states = _outcomes(settings)
    finally:
        site.stop()
    assert states[article_url(site.url, "over-cap")] == "too_large"
    assert states[article_url(site.url, "under-cap")] == "archived"
    assert report.errors == {"too_large": 1}
    (page,) = [p for p in read_pages(Path(report.warc)) if p.url.endswith("/under-cap/")]
    assert len(page.body) == CAP - (64 << 10)
    assert CrawlSettings().max_response_bytes == CAP  # the fault server's pages follow the cap


def test_real_source_never_reaches_private_addresses(tmp_path):
    site = start_fault_site()
    try:
        registry = tmp_path / "sources.yaml"
        entry = {
            "name": "faults",
            "url": "https://news.example/",
            "feeds": [site.url + "/feed.xml"],
        }
        registry.write_text(yaml.safe_dump({"sources": [entry]}), encoding="utf-8")
        settings = Settings(
            data_dir=tmp_path / "data", sources_file=registry, crawl=CrawlSettings(**FAST)
        )
        report = _crawl(settings, "private")
        states = _outcomes(settings)
    finally:
        site.stop()
    assert site.requests == []
    assert states[site.url + "/feed.xml"] == "listing:private_address"
    assert report.errors == {"feed_private_address": 1}


def _names_resolving_to_loopback(port: int) -> list[str]:
    """Host names that are not address literals but resolve to this machine: the guard must
    resolve them before it lets a request through."""
    names = ["127.1"]  # inet_aton shorthand for 127.0.0.1; ipaddress does not parse it
    hostname = socket.gethostname()
    try:
        if ipaddress.ip_address(socket.gethostbyname(hostname)).is_loopback:
            names.append(hostname)
    except (OSError, ValueError):
        pass
    return [f"http://{name}:{port}/feed.xml" for name in names]


def test_real_source_resolves_host_names_before_connecting(tmp_path):
    site = start_fault_site()
    try:
        feeds = _names_resolving_to_loopback(urlsplit(site.url).port)
        registry = tmp_path / "sources.yaml"
        entry = {"name": "faults", "url": "https://news.example/", "feeds": feeds}
        registry.write_text(yaml.safe_dump({"sources": [entry]}), encoding="utf-8")
        settings = Settings(
            data_dir=tmp_path / "data", sources_file=registry, crawl=CrawlSettings(**FAST)
        )
        report = _crawl(settings, "resolved")
        states = _outcomes(settings)
    finally:
        site.stop()
    assert site.requests == []
    assert {url: states.get(url) for url in feeds} == dict.fromkeys(
        feeds, "listing:private_address"
    )
    assert report.errors == {"feed_private_address": len(feeds)}


def test_real_sources_keep_at_least_one_second_between_requests(tmp_path):
    real = Source(name="real", url="https://news.example/", download_delay=0)
    local = Source(name="demo", url="http://127.0.0.1:8765/", local=True, download_delay=0)
    crawl = CrawlSettings(download_delay=0)
    assert _scrapy_settings(crawl, real, tmp_path).getfloat("DOWNLOAD_DELAY") == 1.0
    assert _scrapy_settings(crawl, local, tmp_path).getfloat("DOWNLOAD_DELAY") == 0


def _scrapy_settings(base: CrawlSettings, source: Source, tmp_path: Path):
    """The Scrapy settings of a crawl child of `source`, built as the pipeline builds them."""
    job = CrawlJob(source.site(), source.crawl_settings(base), str(tmp_path / "x.warc.gz"), "")
    return scrapy_settings(job)


def test_source_that_only_gets_refused_reports_blocked_not_zero_new(tmp_path):
    site = start_fault_site(robots_sitemap=False)
    try:
        settings = _settings(tmp_path, site, ["/blocked-feed.xml"])
        report = _crawl(settings, "refused")
        engine = connect(settings.database_url)
        with engine.connect() as conn:
            stored = conn.execute(select(runs).where(runs.c.run_id == "refused")).one()
        engine.dispose()
    finally:
        site.stop()
    assert (report.fetched, report.blocked, report.status) == (0, 2, "blocked")
    assert (stored.source, stored.stage, stored.status) == ("faults", "crawl", "blocked")
    assert stored.stats["blocked"] == 2


def test_robots_crawl_delay_spaces_requests(tmp_path):
    site = start_fault_site(crawl_delay=0.5)
    try:
        settings = _settings(tmp_path, site, ["/ok-feed.xml"], concurrent_requests_per_domain=1)
        report = _crawl(settings, "delay")
    finally:
        site.stop()
    assert report.fetched >= 4
    times = sorted(t for t, path, _ in site.requests if path.startswith("/news/"))
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(gaps) >= 3 and min(gaps) >= 0.45


def test_retry_after_beyond_the_cap_is_not_retried_this_run(tmp_path, plain_site):
    """A 429 asking for an hour: not asked again this run (no waiting an hour, no early retry);
    the URL stays rate_limited for a later run, and the rest of the crawl completes."""
    site = plain_site
    report, states = _crawl_entry(tmp_path, site, "long-wait", feeds=["/long-wait-feed.xml"])
    assert site.hits["/news/2024/05/01/rate-limited-long/"] == 1
    assert states[article_url(site.url, "rate-limited-long")] == "rate_limited"
    assert states[article_url(site.url, "ok-1")] == "archived"
    assert report.fetched == 1


def test_a_retry_the_listings_still_name_counts_as_listed(tmp_path, plain_site):
    """Night 2 retries the rate-limited URL from crawl state (scheduled before any listing is
    read) and the feed names it again: both of the feed's items are listed that night."""
    site = plain_site
    settings = _entry_settings(tmp_path, site, feeds=["/long-wait-feed.xml"])
    first = _crawl(settings, "night-1")
    second = _crawl(settings, "night-2")
    assert first.discovered == 2
    assert (second.retried, second.skipped_seen) == (1, 1)
    assert second.discovered == 2


def test_retry_after_accepts_seconds_and_http_dates():
    now = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert retry_after_seconds("7", now) == 7.0
    assert retry_after_seconds("Wed, 01 May 2024 08:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Wed, 01 May 2024 07:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon", now) is None


def test_sitemap_index_children_and_entries_are_picked_by_the_window(tmp_path):
    site = start_fault_site(robots_sitemap=False)
    try:
        settings = _settings(tmp_path, site, [], sitemaps=("/sitemap-index.xml",))
        report = _crawl(settings, "window", until=datetime(2024, 6, 1, tzinfo=UTC))
        states = _outcomes(settings)
    finally:
        site.stop()
    assert "/sitemap-old.xml" not in site.hits  # last changed before the window
    assert states[article_url(site.url, "ok-new")] == "archived"
    assert states[article_url(site.url, "ok-late")] == "outside_window"
    assert "/news/2024/05/01/ok-late/" not in site.hits
    assert (report.fetched, report.outside_window) == (1, 1)


def _window_crawl(
    settings: Settings, run_id: str, since: datetime, until: datetime | None = None
) -> pipeline.CrawlReport:
    (report,) = pipeline.crawl(
        settings,
        load_registry(settings.sources_file),
        run_id=run_id,
        window=CrawlWindow(since, until),
    )
    return report


def _attempts(settings: Settings) -> dict[str, int]:
    engine = connect(settings.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(crawl_state.c.url, crawl_state.c.attempts)).all()
        return {row.url: row.attempts for row in rows}
    finally:
        engine.dispose()


FAILING = ("server-error", "forbidden", "reset", "slow", "gzip-bomb", "huge", "loop")


def test_failed_articles_are_retried_outside_the_window_and_capped(tmp_path):
    """Night 2's window no longer covers the failures of night 1: they are still retried (not
    dropped as outside_window); every request sent counts as an attempt, so after
    `max_url_attempts` they stop; robots-disallowed URLs are not retried on their own, and a
    quiet night is "ok", not "blocked"."""
    site = start_fault_site()
    try:
        settings = _settings(tmp_path, site, ["/feed.xml"], max_url_attempts=2, retry_times=0)
        _window_crawl(settings, "night-1", SINCE)
        later = datetime(2024, 6, 1, tzinfo=UTC)
        second = _window_crawl(settings, "night-2", later)
        states, attempts = _outcomes(settings), _attempts(settings)
        hits = dict(site.hits)
        third = _window_crawl(settings, "night-3", later)
    finally:
        site.stop()
    secret = article_url(site.url, "secret", "private")
    for name in FAILING:
        url = article_url(site.url, name)
        assert states[url] == ARTICLE_FAULTS[name], name
        assert attempts[url] == 2, name
    assert second.outside_window == 0 and second.retried >= len(FAILING)
    assert (states[secret], attempts[secret]) == ("robots_disallowed", 0)
    assert second.robots_forbidden == 0
    assert third.retried == 0 and third.robots_forbidden == 0
    articles = {p: n for p, n in site.hits.items() if p.startswith(("/news/", "/private/"))}
    assert articles == {p: n for p, n in hits.items() if p.startswith(("/news/", "/private/"))}
    assert third.status == "ok"


@pytest.mark.parametrize(
    ("candidate", "page_outcome"),
    [(True, "not_article"), (None, "not_article"), (False, "archived")],
    ids=["section-candidate", "unknown-by-url", "feed-item"],
)
def test_retried_section_candidates_are_still_checked_for_article_markup(
    tmp_path, candidate, page_outcome
):
    """Undated URLs that failed once: one found as a section link is checked for article markup
    again; one a feed or sitemap declared is fetched as an article (no markup needed)."""
    site = start_fault_site(robots_sitemap=False)
    try:
        settings = _settings(tmp_path, site, [])
        engine = connect(settings.database_url)
        failed = [site.url + UNDATED_ARTICLE, site.url + UNDATED_PAGE]
        save_states(
            engine,
            "faults",
            [UrlState(u, "timeout", fetched=True, candidate=candidate) for u in failed],
        )
        engine.dispose()
        report = _crawl(settings, "retry-candidates")
        states = _outcomes(settings)
    finally:
        site.stop()
    assert report.retried == 2
    assert states[site.url + UNDATED_ARTICLE] == "archived"
    assert states[site.url + UNDATED_PAGE] == page_outcome


def test_backfill_window_fetches_urls_left_outside_an_earlier_window(tmp_path):
    """The feed answers 304 the second time and never lists the old entries again: the stored
    outside_window rows are scheduled when a later run's window covers their listed date."""
    site = start_fault_site()
    try:
        settings = _settings(tmp_path, site, ["/feed.xml"], retry_times=0)
        _window_crawl(settings, "nightly", SINCE)
        assert _outcomes(settings)[article_url(site.url, "old-1")] == "outside_window"
        backfill = _window_crawl(
            settings, "backfill", datetime(2020, 3, 1, tzinfo=UTC), datetime(2020, 4, 1, tzinfo=UTC)
        )
        states = _outcomes(settings)
    finally:
        site.stop()
    assert backfill.not_modified >= 1
    for name in ("old-1", "old-2"):
        assert site.hits.get(f"/news/2024/05/01/{name}/") == 1, name
        assert states[article_url(site.url, name)] == "http_404"  # the fault site has no page


def _entry_settings(tmp: Path, site: FaultSite, **entry: object) -> Settings:
    """A registry with one local source on the fault site: `entry` is the rest of it."""
    tmp.mkdir(parents=True, exist_ok=True)
    registry = tmp / "sources.yaml"
    source = {"name": "faults", "url": site.url + "/", "local": True, **entry}
    registry.write_text(yaml.safe_dump({"sources": [source]}), encoding="utf-8")
    return Settings(data_dir=tmp / "data", sources_file=registry, crawl=CrawlSettings(**FAST))


@pytest.fixture
def plain_site():
    """A fault site whose robots.txt names no sitemap, stopped after the test."""
    site = start_fault_site(robots_sitemap=False)
    yield site
    site.stop()


def _crawl_entry(
    tmp: Path, site: FaultSite, run_id: str, **entry: object
) -> tuple[pipeline.CrawlReport, dict[str, str]]:
    """Crawl one local source on `site` (`entry`: its listings): the report and URL outcomes."""
    settings = _entry_settings(tmp, site, **entry)
    return _crawl(settings, run_id), _outcomes(settings)


@pytest.mark.parametrize(
    ("entry", "listing", "outcome", "status"),
    [
        # both serve a bot-check page (with 403, with 200): a challenge, the kind of block it is
        ({"feeds": ["/forbidden-feed.xml"]}, "/forbidden-feed.xml", "listing:blocked", "challenge"),
        ({"feeds": ["/challenge-feed.xml"]}, "/challenge-feed.xml", "listing:blocked", "challenge"),
        (
            {"feeds": ["/error-feed.xml"], "sitemaps": ["/error-sitemap.xml"]},
            "/error-feed.xml",
            "listing:http_500",
            "failed",
        ),
    ],
)
def test_refused_or_failing_listings_are_not_ok(
    tmp_path, plain_site, entry, listing, outcome, status
):
    """A feed answering 403 + challenge, a challenge page served as a feed with 200, every
    listing failing with 500: the report says blocked/failed, not a quiet "ok"."""
    site = plain_site
    report, states = _crawl_entry(tmp_path, site, "listings", **entry)
    assert states[site.url + listing] == outcome
    assert report.status == status
    assert report.listings == len(entry.get("feeds", [])) + len(entry.get("sitemaps", []))
    if status == "challenge":
        assert (report.blocked, report.listings_blocked, report.challenges) == (1, 1, 1)
        assert report.is_blocked()
    else:
        assert report.listings_failed == report.listings


def test_challenge_widgets_in_ordinary_pages_are_not_blocks(tmp_path, plain_site):
    """Cloudflare's injected challenge-platform script and a reCAPTCHA comment form in a real
    article: archived. A small 200 page that is only an hCaptcha wall: blocked."""
    site = plain_site
    report, states = _crawl_entry(tmp_path, site, "widgets", feeds=["/widgets-feed.xml"])
    assert states[article_url(site.url, "cf-injected")] == "archived"
    assert states[article_url(site.url, "captcha-wall")] == "blocked"
    assert (report.fetched, report.blocked) == (1, 1)


def test_redirect_dropping_tracking_parameters_is_followed_not_a_loop(tmp_path, plain_site):
    site = plain_site
    report, states = _crawl_entry(tmp_path, site, "tracked", feeds=["/tracked-feed.xml"])
    listed = article_url(site.url, "tracked") + "?utm_source=rss&utm_medium=feed"
    assert states[listed] == "archived"
    assert site.hits["/news/2024/05/01/tracked/"] == 1
    assert report.fetched == 1 and not report.errors


def test_one_article_listed_with_and_without_tracking_parameters_is_fetched_once(
    tmp_path, plain_site
):
    site = plain_site
    feeds = ["/tracked-feed.xml", "/plain-tracked-feed.xml"]
    report, _ = _crawl_entry(tmp_path, site, "tracked-twice", feeds=feeds)
    assert site.hits["/news/2024/05/01/tracked/"] == 1
    assert (report.discovered, report.fetched) == (1, 1)


def test_gzipped_sitemap_is_read_and_capped(tmp_path, plain_site):
    site = plain_site
    report, states = _crawl_entry(tmp_path, site, "gz", sitemaps=["/sitemap-news.xml.gz"])
    assert states[site.url + "/sitemap-news.xml.gz"] == "listing:ok"
    assert states[article_url(site.url, "ok-gz")] == "archived"
    assert report.fetched == 1
    bomb = gzip.compress(b"\0" * (1 << 20))
    assert len(gunzip_capped(bomb, 1 << 20)) == 1 << 20
    with pytest.raises(DiscoveryError, match="larger than"):
        gunzip_capped(bomb, 1000)


def test_feed_items_are_trusted_without_patterns_and_drops_are_counted(tmp_path):
    """An undated slug URL in a feed is a declared article; registry patterns still filter
    feeds, and what they drop is counted."""
    site = start_fault_site(robots_sitemap=False)
    try:
        trusted = _entry_settings(tmp_path / "a", site, feeds=["/undated-feed.xml"])
        report = _crawl(trusted, "trusted")
        states = _outcomes(trusted)
        hits = site.hits.get(UNDATED_ARTICLE, 0)
        patterned = _entry_settings(
            tmp_path / "b", site, feeds=["/undated-feed.xml"], article_url_patterns=["/news/"]
        )
        filtered = _crawl(patterned, "patterned")
    finally:
        site.stop()
    assert states[site.url + UNDATED_ARTICLE] == "archived"
    assert report.fetched == 1
    assert (filtered.fetched, filtered.not_article_url) == (0, 1)
    assert site.hits.get(UNDATED_ARTICLE, 0) == hits


def test_unchanged_sitemap_index_still_reaches_its_children(tmp_path):
    """The index is fetched in full every run (no validators), its children conditionally."""
    site = start_fault_site(robots_sitemap=False)
    try:
        settings = _entry_settings(tmp_path, site, sitemaps=["/etag-index.xml"])
        _crawl(settings, "first")
        second = _crawl(settings, "second")
    finally:
        site.stop()
    index = [h for _, p, h in site.requests if p == "/etag-index.xml"]
    child = [h for _, p, h in site.requests if p == "/etag-child.xml"]
    assert len(index) == len(child) == 2
    assert "If-None-Match" not in index[1]
    assert child[1].get("If-None-Match") == '"/etag-child.xml-v1"'
    assert second.not_modified == 1 and second.status == "ok"


def test_source_with_only_a_url_discovers_from_home_page_and_robots(tmp_path):
    """No feeds, sitemaps or sections: the home page is the section, its <link rel=alternate>
    feed is read, and robots.txt's Sitemap: line is crawled."""
    site = start_fault_site()
    try:
        settings = _entry_settings(tmp_path, site)
        report = _crawl(settings, "home")
        states = _outcomes(settings)
    finally:
        site.stop()
    assert site.hits["/robots.txt"] == 1 and site.hits["/ok-feed.xml"] == 1
    for name in ("ok-home", "ok-1", "ok-4", "from-sitemap"):
        assert states[article_url(site.url, name)] == "archived", name
    assert report.home_page_fallback == 1 and report.status == "ok"


def test_per_source_crawl_settings_override_the_global_ones(tmp_path):
    """A source's `crawl:` mapping reaches the crawl (here: slower than the global settings);
    a real source still keeps the global one-second floor."""
    site = start_fault_site(robots_sitemap=False)
    try:
        polite = {"download_delay": 0.5, "concurrent_requests_per_domain": 1}
        settings = _entry_settings(tmp_path, site, feeds=["/ok-feed.xml"], crawl=polite)
        report = _crawl(settings, "per-source")
    finally:
        site.stop()
    assert report.fetched == 4
    times = sorted(t for t, path, _ in site.requests if path.startswith("/news/"))
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.45
    real = Source(name="real", url="https://news.example/", crawl={"download_delay": 0})
    built = _scrapy_settings(CrawlSettings(timeout_seconds=5), real, tmp_path)
    assert (built.getfloat("DOWNLOAD_DELAY"), built.getbool("ROBOTSTXT_OBEY")) == (1.0, True)
    timed = Source(name="real", url="https://news.example/", crawl={"timeout_seconds": 9})
    assert _scrapy_settings(CrawlSettings(), timed, tmp_path).getfloat("DOWNLOAD_TIMEOUT") == 9


def test_sources_discover_reads_gzipped_sitemaps_from_robots_txt():
    site = start_fault_site(robots_sitemap=False, extra_robots_sitemap="/sitemap-news.xml.gz")
    try:
        found = discover_source(site.url, user_agent="newsflow-test", allow_private=True)
    finally:
        site.stop()
    assert site.url + "/sitemap-news.xml.gz" in found.sitemaps
    assert site.url + "/ok-feed.xml" in found.feeds  # the home page's <link rel=alternate>


def test_section_pages_are_fetched_in_full_every_run(tmp_path):
    """A section page with Last-Modified is still fetched without validators: its links are
    listed again (already stored, not fetched), so "far fewer articles listed" stays meaningful
    on a night when nothing changed."""
    site = start_fault_site(robots_sitemap=False)
    try:
        settings = _entry_settings(tmp_path, site, sections=["/section/"])
        _crawl(settings, "first")
        second = _crawl(settings, "second")
    finally:
        site.stop()
    requests = [h for _, p, h in site.requests if p == "/section/"]
    assert len(requests) == 2 and "If-Modified-Since" not in requests[1]
    assert (second.not_modified, second.fetched, second.discovered) == (0, 0, 2)
