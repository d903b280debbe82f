"""Layout drift: a site changed its markup overnight, so its profile's selectors stopped matching
or the title, body or date stopped coming out, while the crawl itself looks fine.

Compared with the source's recent healthy runs (`anomalies.history`): per selector, the share
of profiled pages it matched; per output field, the share of pages it came out on (also for
sources without a profile, whose generic extraction can lose a date the same way). A share that
falls by more than `max_selector_drop` below its usual (the median of the recent runs) is
reported.
"""

from __future__ import annotations

import statistics

from newsflow.pipeline import SourceQuality
from newsflow.settings import AirflowSettings

PREFIX = "layout drift:"


def _shares(quality: SourceQuality, kind: str) -> dict[str, tuple[int, int]]:
    """(matched, out of) per selector (`selectors`) or per output field (`fields`)."""
    if kind == "selectors":
        return {name: (n, quality.profiled) for name, n in quality.selectors.items()}
    return {name: (n, quality.pages) for name, n in quality.fields.items()}


def _drops(
    now: SourceQuality, past: list[SourceQuality], kind: str, cfg: AirflowSettings
) -> list[tuple[str, int, int, tuple[int, int]]]:
    """(name, hits, out of, a usual run's (hits, out of)) for each share that fell too far."""
    drops = []
    for name, (hits, total) in _shares(now, kind).items():
        if total < cfg.drift_min_pages:
            continue
        usual = [s for q in past if (s := _shares(q, kind).get(name)) and s[1] > 0]
        if len(usual) < cfg.min_history:
            continue
        usual.sort(key=lambda s: s[0] / s[1])
        median = statistics.median(s[0] / s[1] for s in usual)
        if median - hits / total > cfg.max_selector_drop:
            drops.append((name, hits, total, usual[(len(usual) - 1) // 2]))
    return drops


def layout_drift(
    source: str, quality: dict | None, history: list[dict], cfg: AirflowSettings
) -> list[str]:
    """Reasons beginning with 'layout drift:', e.g. "iraqinews: body selector matched 0 of 38
    pages (usually 38/38): layout changed?" (the body's selector first, the other selectors that
    stopped matching named after it); none without enough history or pages."""
    if not quality:
        return []
    now = SourceQuality.from_dict(quality)
    past = [SourceQuality.from_dict(h["extract"]) for h in history if h.get("extract")]
    reasons = []
    selectors = sorted(_drops(now, past, "selectors", cfg), key=lambda d: d[0] != "body")
    if selectors:
        name, hits, total, usual = selectors[0]
        also = ", ".join(d[0] for d in selectors[1:])
        reasons.append(
            f"{PREFIX} {source}: {name} selector matched {hits} of {total} pages "
            f"(usually {usual[0]}/{usual[1]})"
            + (f"; so did {also}" if also else "")
            + ": layout changed?"
        )
    for name, hits, total, usual in _drops(now, past, "fields", cfg):
        reasons.append(
            f"{PREFIX} {source}: {name} came out on {hits} of {total} pages "
            f"(usually {usual[0]}/{usual[1]}): layout changed?"
        )
    return reasons
