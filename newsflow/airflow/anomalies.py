"""When a night is not fine: the source was blocked, its crawl failed, it listed far fewer
articles than it usually does, or far more of its pages failed or were flagged.

"Usually" is the source's recent healthy runs in the `runs` table (crawl status ok, not marked
anomalous by an earlier check), so a bad week does not become the new normal.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from sqlalchemy import Engine

from newsflow.pipeline import CrawlReport, SourceQuality
from newsflow.settings import AirflowSettings
from storage.runs import CHECK_STAGE, CRAWL_STAGE, EXTRACT_STAGE, StageRecord, latest_runs

ANOMALY = "anomaly"
# The kind of a crawl status, as the `check` rows and the health board name it.
CRAWL_KINDS = {
    "blocked": "blocked",
    "challenge": "blocked",
    "rate_limited": "blocked",
    "site_down": "site_down",
    "robots_error": "robots_unreachable",
    "robots_denied": "robots_disallowed",
}
# Reasons other checks return (issue 11's drift rule) are strings; their prefix names the kind.
REASON_PREFIXES = {"layout drift:": "layout_drift"}


@dataclass(frozen=True)
class Anomaly:
    """One reason a night is not fine: `kind` for machines and the board, `reason` for people."""

    kind: str
    reason: str


def kind_of(reason: str) -> str:
    """The kind of a reason string written without one (older rows, other rules)."""
    for prefix, kind in REASON_PREFIXES.items():
        if reason.startswith(prefix):
            return kind
    return "anomaly"


def flag_rate(quality: dict | None) -> float | None:
    """Share of a source's pages that failed or came out flagged."""
    return SourceQuality.from_dict(quality).flag_rate if quality else None


def healthy(run: dict[str, StageRecord]) -> bool:
    crawl, check = run.get(CRAWL_STAGE), run.get(CHECK_STAGE)
    return (crawl is None or crawl.status == "ok") and (check is None or check.status != ANOMALY)


def _listed(stats: dict) -> int | None:
    """What the night's listings named; unknown (None) when they named nothing because they
    answered 304 Not Modified: an unchanged feed or sitemap is not read again, and its items are
    not "fewer articles". (With one listing unchanged and another read, the read one counts.)"""
    if stats.get("not_modified") and not stats.get("discovered"):
        return None
    return stats.get("discovered")


def history(engine: Engine, source: str, cfg: AirflowSettings, run_id: str) -> list[dict]:
    """The source's recent healthy runs before `run_id`, oldest first: what it listed, its
    flag rate and its extract stats (None where a stage did not run)."""
    runs = latest_runs(engine, source, 3 * cfg.recent_runs, exclude_run_id=run_id)
    return [
        {
            "discovered": _listed(run[CRAWL_STAGE].stats) if CRAWL_STAGE in run else None,
            "flag_rate": flag_rate(run[EXTRACT_STAGE].stats) if EXTRACT_STAGE in run else None,
            "extract": run[EXTRACT_STAGE].stats if EXTRACT_STAGE in run else None,
        }
        for run in runs
        if healthy(run)
    ][-cfg.recent_runs :]


def find_anomalies(
    crawl: dict | None, quality: dict | None, history: list[dict], cfg: AirflowSettings
) -> list[str]:
    """Why this source's run should not stay green, as sentences (see `find_anomaly_kinds`)."""
    return [a.reason for a in find_anomaly_kinds(crawl, quality, history, cfg)]


def find_anomaly_kinds(
    crawl: dict | None, quality: dict | None, history: list[dict], cfg: AirflowSettings
) -> list[Anomaly]:
    """Why this source's run should not stay green: blocked, site down, robots.txt, crawl failed
    (any status but ok), far fewer articles, flags jump."""
    reasons: list[Anomaly] = []
    recent = history[-cfg.recent_runs :]
    if crawl is not None:
        report = CrawlReport.from_dict(crawl)
        if report.status in CRAWL_KINDS:
            reasons.append(Anomaly(CRAWL_KINDS[report.status], report.explain()))
        elif report.is_blocked():
            reasons.append(
                Anomaly("blocked", f"blocked: the site refused {report.blocked} requests")
            )
        elif report.status != "ok":
            reasons.append(Anomaly("crawl_failed", report.explain()))
        listed = [h["discovered"] for h in recent if h.get("discovered") is not None]
        tonight = _listed(crawl)
        if tonight is not None and len(listed) >= cfg.min_history:
            usual = statistics.median(listed)
            if usual > 0 and tonight < cfg.min_article_ratio * usual:
                reasons.append(
                    Anomaly(
                        "fewer_articles",
                        f"far fewer articles: {report.discovered} listed, usually {usual:g} "
                        f"(median of the last {len(listed)} runs)",
                    )
                )
    rate = flag_rate(quality)
    rates = [h["flag_rate"] for h in recent if h.get("flag_rate") is not None]
    if rate is not None and len(rates) >= cfg.min_history:
        usual = statistics.median(rates)
        if rate - usual > cfg.max_flag_rate_jump:
            reasons.append(
                Anomaly(
                    "quality_jump",
                    f"quality flags jumped: {rate:.0%} of pages failed or flagged, "
                    f"usually {usual:.0%}",
                )
            )
    return reasons
