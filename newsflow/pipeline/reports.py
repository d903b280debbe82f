"""What each step reports, under which run id, and the rules that judge a crawl: written once,
read by the CLI summary, the Airflow checks and notes, and the `runs` table."""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

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


@dataclass
class CrawlReport:
    source: str
    warc: str | None = None
    discovered: int = 0
    in_window: int = 0
    fetched: int = 0
    skipped_seen: int = 0
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

    def judge(self) -> str:
        """Say "blocked" when nothing came back because the site refused us, not "0 new".

        A few article paths disallowed by robots.txt are the site's rule, not a refusal: only an
        unreachable robots.txt or a listing it disallows counts as blocked.
        """
        robots_refused_listing = any(k.endswith("_robots_disallowed") for k in self.errors)
        # every feed, sitemap and section gave nothing: blocked if the site refused any of them
        listings_dead = 0 < self.listings <= self.listings_blocked + self.listings_failed
        if listings_dead and self.listings_blocked:
            return "blocked"
        if self.fetched == 0 and (
            self.refused_pages or self.robots_unreachable or robots_refused_listing
        ):
            return "blocked"
        if listings_dead or (self.fetched == 0 and self.in_window and self.error_count):
            return "failed"
        return "ok"

    def is_blocked(self) -> bool:
        """Blocked as a person watching the site means it: the crawl said so, or its articles
        were refused at least as often as fetched. A feed refused night after night while the
        others work is not."""
        return self.status == "blocked" or (
            self.refused_pages > 0 and self.refused_pages >= max(1, self.fetched)
        )

    def status_suffix(self) -> str:
        """How a summary line ends: nothing when ok, else ` -- BLOCKED`, ` -- FAILED`, ..."""
        return "" if self.status == "ok" else f" -- {self.status.upper()}"


@dataclass
class SourceQuality:
    """One source's extract results: pages read, pages without an article, articles flagged."""

    pages: int = 0
    failed: int = 0
    flagged: int = 0
    flags: dict[str, int] = field(default_factory=dict)

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
