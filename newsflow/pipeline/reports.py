"""What each step reports, under which run id, and the rules that judge a crawl: written once,
read by the CLI summary, the Airflow checks and notes, and the `runs` table."""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from extraction.record import Article
from storage import LoadReport


def new_run_id(now: datetime | None = None) -> str:
    """The start time to the second plus a random suffix: two runs started in the same second
    (or on machines whose clocks disagree) never share a run id, an archive or an extract file."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def safe_run_id(run_id: str) -> str:
    """Airflow run ids contain ':' and '+'; keep file names portable."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", run_id)


# Statuses a refusal shows as when the crawl report predates the `blocked` count.
_REFUSED_STATUSES = ("403", "429")
# Request outcomes (spiders.classify) that mean the site did not answer at all.
UNREACHABLE = {"connection": "connection refused or dropped", "dns_error": "DNS lookup failed"}
UNREACHABLE["timeout"] = "timed out"
# Crawl statuses a person reads as "the site will not let us in".
BLOCKED_STATUSES = ("blocked", "challenge", "rate_limited")


@dataclass
class CrawlReport:
    source: str
    warc: str | None = None
    discovered: int = 0
    in_window: int = 0
    fetched: int = 0
    skipped_seen: int = 0
    # stored articles fetched again because a listing said they changed since (edits)
    revisited: int = 0
    not_modified: int = 0
    blocked: int = 0
    binary: int = 0
    not_article: int = 0
    retried: int = 0
    outside_window: int = 0
    over_max_pages: int = 0
    offsite: int = 0
    discovery_errors: int = 0
    robots_forbidden: int = 0
    robots_unreachable: int = 0
    # why robots.txt was unreachable: a request outcome (`connection`, `http_503`, ...)
    robots_failure: str = ""
    challenges: int = 0
    archived: int = 0
    # feeds, sitemaps and sections requested; refused by the site (blocked) or failed otherwise
    listings: int = 0
    listings_blocked: int = 0
    listings_failed: int = 0
    not_article_url: int = 0
    home_page_fallback: int = 0
    paused_hosts: list[str] = field(default_factory=list)
    status_counts: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    finish_reason: str | None = None
    elapsed_seconds: float | None = None
    status: str = "ok"
    log_file: str = ""
    error: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CrawlReport:
        """A report read back (the child's JSON, XCom, `runs.stats`); unknown keys are ignored."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        report = cls(**{"source": "?", **known})
        report.status = str(report.status or "ok").lower()
        if "blocked" not in data:
            statuses = data.get("status_counts") or {}
            report.blocked = sum(int(statuses.get(code, 0)) for code in _REFUSED_STATUSES)
        return report

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def refused_pages(self) -> int:
        """Article requests the site refused (listings refused are counted apart)."""
        return self.blocked - self.listings_blocked

    def _unreachable_kinds(self) -> dict[str, int]:
        """Errors that mean no answer (`connection`, `feed_dns_error`, ...) by outcome."""
        found: dict[str, int] = {}
        for key, count in self.errors.items():
            for kind in UNREACHABLE:
                if key == kind or key.endswith("_" + kind):
                    found[kind] = found.get(kind, 0) + count
        return found

    def _unreachable_errors(self) -> int:
        return sum(self._unreachable_kinds().values())

    def _rate_limited(self) -> int:
        return sum(n for k, n in self.errors.items() if k.endswith("rate_limited"))

    def judge(self) -> str:
        """The night's outcome, from the facts the spider recorded (at most 16 characters, the
        `runs.status` column): `site_down` (no answer at all), `robots_error` (robots.txt
        unreachable), `robots_denied` (it disallows the listings), `blocked` (401/403/451),
        `challenge`, `rate_limited`, `failed` or `ok` (which may be "nothing new").

        A few article paths disallowed by robots.txt are the site's rule, not a refusal: only an
        unreachable robots.txt or a listing it disallows stops the night.
        """
        robots_refused_listing = any(k.endswith("_robots_disallowed") for k in self.errors)
        # every feed, sitemap and section gave nothing: blocked if the site refused any of them
        listings_dead = 0 < self.listings <= self.listings_blocked + self.listings_failed
        if self.fetched == 0 and self.robots_unreachable:
            return "site_down" if self.robots_failure in UNREACHABLE else "robots_error"
        refused = listings_dead and self.listings_blocked
        if refused or (self.fetched == 0 and self.refused_pages):
            return (
                "challenge"  # mostly bot-check pages: more of them than plain refusals
                if self.challenges > self.blocked - self.challenges
                else "blocked"
            )
        if self.fetched == 0 and robots_refused_listing:
            return "robots_denied"
        nothing_came = listings_dead or (self.fetched == 0 and self.in_window and self.error_count)
        if (
            nothing_came
            and self._rate_limited()
            and self._rate_limited() >= self._unreachable_errors()
        ):
            return "rate_limited"
        if nothing_came and self._unreachable_errors() >= max(
            1, self.error_count - self._rate_limited()
        ):
            return "site_down"
        if nothing_came:
            return "failed"
        return "ok"

    def explain(self) -> str:
        """What happened, in the words a person watching the site needs (one home for them)."""
        status = self.status
        if status == "site_down":
            kinds = [self.robots_failure] if self.robots_failure in UNREACHABLE else []
            why = ", ".join(UNREACHABLE[k] for k in kinds or sorted(self._unreachable_kinds()))
            return f"site unreachable: {why or 'no answer'}; nothing fetched"
        if status == "robots_error":
            return (
                f"robots.txt unreachable ({self.robots_failure or 'error'}): nothing may be "
                "fetched (RFC 9309)"
            )
        if status == "robots_denied":
            return "robots.txt disallows the feeds, sitemaps or sections: nothing fetched"
        if status == "challenge":
            return f"challenge page: {self.challenges} requests got a bot check instead of content"
        if status == "blocked":
            return f"blocked: the site refused {self.blocked} requests (401/403/451)"
        if status == "rate_limited":
            return f"rate-limited: {self._rate_limited()} requests answered 429"
        if status != "ok":
            return (
                f"crawl {status}: {self.fetched} fetched, {self.error_count} errors "
                f"({self.in_window} articles in the window)"
            )
        if self.fetched == 0:
            return "nothing new: " + ", ".join(self.listed_parts())
        return f"ok: {self.fetched} fetched of {self.discovered} listed"

    def listed_parts(self) -> list[str]:
        """What became of the listed articles besides being fetched: "30 listed", "6 already
        stored", and, when any, those left out by the crawl window or `max_pages` (a night
        whose articles are all older than its window is not a site with nothing new)."""
        parts = [f"{self.discovered} listed", f"{self.skipped_seen} already stored"]
        if self.outside_window:
            parts.append(f"{self.outside_window} outside the crawl window")
        if self.over_max_pages:
            parts.append(f"{self.over_max_pages} over max_pages")
        return parts

    def is_down(self) -> bool:
        """The site did not answer at all: the crawl step itself should fail (and retry)."""
        return self.status == "site_down"

    def is_blocked(self) -> bool:
        """Blocked as a person watching the site means it: the crawl said so, or its articles
        were refused at least as often as fetched. A feed refused night after night while the
        others work is not."""
        return self.status in BLOCKED_STATUSES or (
            self.refused_pages > 0 and self.refused_pages >= max(1, self.fetched)
        )

    def status_suffix(self) -> str:
        """How a summary line ends: nothing when ok, else ` -- BLOCKED`, ` -- FAILED`, ..."""
        return "" if self.status == "ok" else f" -- {self.status.upper()}"


# Fields whose presence per page is counted, so a layout change shows as a drop.
OUTPUT_FIELDS = ("title", "body", "published")


@dataclass
class SourceQuality:
    """One source's extract results: pages read, pages without an article, articles flagged;
    and, for the layout-drift check, on how many pages each profile selector matched
    (`selectors`, out of `profiled` pages) and the title, body and date came out (`fields`)."""

    pages: int = 0
    failed: int = 0
    flagged: int = 0
    flags: dict[str, int] = field(default_factory=dict)
    profiled: int = 0
    selectors: dict[str, int] = field(default_factory=dict)
    fields: dict[str, int] = field(default_factory=dict)

    def count(self, article: Article) -> None:
        """Add one page's record."""
        self.pages += 1
        if article.error:
            self.failed += 1
        elif article.quality_flags:
            self.flagged += 1
        for flag in article.quality_flags:
            self.flags[flag] = self.flags.get(flag, 0) + 1
        if article.selectors:
            self.profiled += 1
        for name, matched in article.selectors.items():
            self.selectors[name] = self.selectors.get(name, 0) + int(matched)
        values = {"title": article.title, "body": article.ok, "published": article.published}
        for name in OUTPUT_FIELDS:
            self.fields[name] = self.fields.get(name, 0) + int(bool(values[name]))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceQuality:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    @property
    def flag_rate(self) -> float | None:
        return (self.failed + self.flagged) / self.pages if self.pages else None


@dataclass
class ExtractReport:
    output: str
    pages: int = 0
    articles: int = 0
    failed: int = 0
    entities: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    # archives that could not be read to their end: path -> reason (skipped, never half-read)
    damaged: dict[str, str] = field(default_factory=dict)
    quality_flags: dict[str, dict[str, int]] = field(default_factory=dict)
    by_source: dict[str, SourceQuality] = field(default_factory=dict)


def unreachable_sources(reports: list[CrawlReport]) -> str:
    """The sources whose site did not answer at all, said the same way by the CLI (exit 3) and
    by Airflow (the `crawl` task fails); empty when every site answered."""
    return "; ".join(f"{r.source}: {r.explain()}" for r in reports if r.is_down())


@dataclass
class RunSummary:
    run_id: str
    crawl: list[CrawlReport]
    extract: ExtractReport
    load: LoadReport

    def to_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "crawl": [asdict(r) for r in self.crawl],
            "extract": asdict(self.extract),
            "load": {**asdict(self.load), "stored": self.load.stored},
        }


@dataclass
class ReextractReport:
    source: str
    archives: list[str]
    damaged: dict[str, str]
    extract: ExtractReport
    load: LoadReport
