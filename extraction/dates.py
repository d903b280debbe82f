"""Publication and modification moments, with the signal each came from.

trafilatura reports the publication date as a bare day; the load step wants the exact moment
with its UTC offset and to know which signal it came from: JSON-LD, a meta tag, a ``<time>``
element, the URL, the feed, or, last, the date shown under the headline or htmldate's guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from extraction.page import Page, types_of
from extraction.shown_dates import shown_date

EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=1)

# (meta attribute value, published_source) in order of trust.
PUBLISHED_META = (
    ("article:published_time", "meta:article:published_time"),
    ("og:article:published_time", "meta:article:published_time"),
    ("datePublished", "meta:datePublished"),
    ("pubdate", "meta:pubdate"),
    ("publishdate", "meta:publishdate"),
    ("parsely-pub-date", "meta:parsely-pub-date"),
    ("sailthru.date", "meta:sailthru.date"),
    ("dc.date.issued", "meta:dc.date.issued"),
    ("date", "meta:date"),
)
_MONTH_ABBREVIATIONS = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)
_URL_DATE = re.compile(
    r"/(?P<year>(?:19|20)\d{2})[/-](?P<month>0?[1-9]|1[0-2]|"
    + "|".join(_MONTH_ABBREVIATIONS)
    + r")[/-](?P<day>0?[1-9]|[12]\d|3[01])(?:[/_.-]|$)",
    re.IGNORECASE,
)

# htmldate without its free-text search (see guessed_date).
DATE_SEARCH = {"extensive_search": False, "original_date": True}

MODIFIED_META = (
    ("article:modified_time", "meta:article:modified_time"),
    ("og:updated_time", "meta:og:updated_time"),
    ("dateModified", "meta:dateModified"),
)


def parse_datetime(value: str) -> datetime | None:
    """ISO 8601 (with or without time/offset) or RFC 2822; naive when the page gives no offset."""
    value = value.strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _utc(moment: datetime) -> datetime:
    """Naive values (no offset on the page) are compared as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def is_plausible(moment: datetime, now: datetime | None = None) -> bool:
    """Reject dates from before 1990 or more than a day in the future (template or typo dates)."""
    now = now or datetime.now(UTC)
    return EARLIEST_PLAUSIBLE <= _utc(moment) <= now + FUTURE_TOLERANCE


def _first_plausible(candidates: Iterator[tuple[str, str]]) -> tuple[datetime | None, str | None]:
    for raw, source in candidates:
        moment = parse_datetime(raw)
        if moment is not None and is_plausible(moment):
            return moment, source
    return None, None


def _date_candidates(
    page: Page,
    jsonld_key: str,
    meta_keys: tuple[tuple[str, str], ...],
    time_classes: tuple[str, ...],
) -> Iterator[tuple[str, str]]:
    if isinstance(page.article.get(jsonld_key), str):
        yield page.article[jsonld_key], "json-ld"
    for key, source in meta_keys:
        for value in page.meta.get(key.lower(), []):
            yield value, source
    for element in page.tree.iter("time"):
        classes = (element.get("class") or "").split()
        itemprop = element.get("itemprop") or ""
        if element.get("datetime") and (
            itemprop == jsonld_key or any(c in time_classes for c in classes)
        ):
            yield element.get("datetime"), "time-element"
    # The page's own node (Yoast's WebPage) dates the post when no Article node does.
    for node in page.nodes:
        if "WebPage" in types_of(node) and isinstance(node.get(jsonld_key), str):
            yield node[jsonld_key], "json-ld:WebPage"


def url_date(url: str) -> datetime | None:
    """The day a URL path states (``/2019/11/18/``, ``/2019-11-18-``, ``/2019/nov/18/``)."""
    match = _URL_DATE.search(url)
    if match is None:
        return None
    year, month, day = match.group("year", "month", "day")
    number = int(month) if month.isdigit() else _MONTH_ABBREVIATIONS.index(month.lower()) + 1
    try:
        return datetime(int(year), number, int(day))
    except ValueError:
        return None


def published_date(
    page: Page, feed_date: datetime | None = None
) -> tuple[datetime | None, str | None]:
    """Publication moment and the signal it came from, most trusted signal first.

    JSON-LD, meta tags and ``<time>`` elements state the moment; then the day in the URL; then
    the date the feed or sitemap listed (``feed``). Implausible values are skipped. When all
    are missing, :func:`guessed_date` is the last resort.
    """
    candidates = _date_candidates(
        page, "datePublished", PUBLISHED_META, ("published", "entry-date")
    )
    moment, source = _first_plausible(candidates)
    if moment is not None:
        return moment, source
    for value, source in ((url_date(page.url), "url"), (feed_date, "feed")):
        if value is not None and is_plausible(value):
            return value, source
    return None, None


def guessed_date(page: Page, headline: str | None = None) -> tuple[datetime | None, str | None]:
    """The last resort: the date shown on a line under the headline (``shown``, see
    :mod:`extraction.shown_dates`; ``headline`` finds it on a page without ``<h1>``), else
    htmldate's guess from the markup (``htmldate``), if plausible.

    htmldate's extensive search reads free text and turns a footer's "© 2023" into 1 January
    2023, so only dates the markup states are looked at.
    """
    from htmldate import find_date

    shown = shown_date(page, headline)
    if shown is not None and is_plausible(shown):
        return shown, "shown"

    max_date = datetime.now(UTC).strftime("%Y-%m-%d")
    day = find_date(page.tree, url=page.url, max_date=max_date, **DATE_SEARCH)
    return _first_plausible(iter([(day or "", "htmldate")]))


def modified_date(
    page: Page, published: datetime | None = None
) -> tuple[datetime | None, str | None]:
    """Last-modified moment and its signal, when the page states one.

    A modification before ``published`` is a template error, not an edit, so it is dropped.
    """
    candidates = _date_candidates(page, "dateModified", MODIFIED_META, ("updated",))
    moment, source = _first_plausible(candidates)
    if moment is not None and published is not None and _utc(moment) < _utc(published):
        return None, None
    return moment, source
