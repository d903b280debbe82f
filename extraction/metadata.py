"""Page metadata that trafilatura does not give in the form the record needs.

trafilatura reports the publication date as a bare day; the load step wants the exact moment
with its UTC offset and to know which signal it came from. Canonical URL, language, section,
tags and image are read here too, from the unpruned tree, because pruning may remove the
footer links and widgets some of them live in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "Report",
    }
)

ORGANIZATION_TYPES = frozenset({"Organization", "NewsMediaOrganization", "Corporation"})

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

MODIFIED_META = (
    ("article:modified_time", "meta:article:modified_time"),
    ("og:updated_time", "meta:og:updated_time"),
    ("dateModified", "meta:dateModified"),
)


def meta_values(tree: HtmlElement) -> dict[str, list[str]]:
    """All ``<meta>`` contents keyed by property / name / itemprop (keys lower-cased)."""
    values: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        content = (meta.get("content") or "").strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = (meta.get(attr) or "").strip().lower()
            if key:
                values.setdefault(key, []).append(content)
    return values


def _walk_json(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _walk_json(item)
    elif isinstance(node, dict):
        yield node
        yield from _walk_json(node.get("@graph"))


def json_ld_article(tree: HtmlElement) -> dict[str, Any]:
    """The first schema.org Article-like object in the page's JSON-LD, or an empty dict."""
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for node in _walk_json(data):
            types = node.get("@type")
            types = types if isinstance(types, list) else [types]
            if any(t in ARTICLE_TYPES for t in types if isinstance(t, str)):
                return node
    return {}


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
    jsonld: dict[str, Any],
    meta: dict[str, list[str]],
    tree: HtmlElement,
    jsonld_key: str,
    meta_keys: tuple[tuple[str, str], ...],
    time_classes: tuple[str, ...],
) -> Iterator[tuple[str, str]]:
    if isinstance(jsonld.get(jsonld_key), str):
        yield jsonld[jsonld_key], "json-ld"
    for key, source in meta_keys:
        for value in meta.get(key.lower(), []):
            yield value, source
    for element in tree.iter("time"):
        classes = (element.get("class") or "").split()
        itemprop = element.get("itemprop") or ""
        if element.get("datetime") and (
            itemprop == jsonld_key or any(c in time_classes for c in classes)
        ):
            yield element.get("datetime"), "time-element"


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
    tree: HtmlElement,
    jsonld: dict[str, Any],
    meta: dict[str, list[str]],
    url: str,
    feed_date: datetime | None = None,
) -> tuple[datetime | None, str | None]:
    """Publication moment and the signal it came from, most trusted signal first.

    JSON-LD, meta tags and ``<time>`` elements state the moment; then the day in the URL; then
    the date the feed or sitemap listed (``feed``). Implausible values are skipped. When all
    are missing, :func:`guessed_date` is the last resort.
    """
    candidates = _date_candidates(
        jsonld, meta, tree, "datePublished", PUBLISHED_META, ("published", "entry-date")
    )
    moment, source = _first_plausible(candidates)
    if moment is not None:
        return moment, source
    for value, source in ((url_date(url), "url"), (feed_date, "feed")):
        if value is not None and is_plausible(value):
            return value, source
    return None, None


def guessed_date(day: str | None) -> tuple[datetime | None, str | None]:
    """trafilatura's htmldate guess from the page text (``htmldate``), if plausible."""
    return _first_plausible(iter([(day or "", "htmldate")]))


def modified_date(
    tree: HtmlElement,
    jsonld: dict[str, Any],
    meta: dict[str, list[str]],
    published: datetime | None = None,
) -> tuple[datetime | None, str | None]:
    """Last-modified moment and its signal, when the page states one.

    A modification before ``published`` is a template error, not an edit, so it is dropped.
    """
    candidates = _date_candidates(jsonld, meta, tree, "dateModified", MODIFIED_META, ("updated",))
    moment, source = _first_plausible(candidates)
    if moment is not None and published is not None and _utc(moment) < _utc(published):
        return None, None
    return moment, source


def _usable_canonical(candidate: str, url: str) -> bool:
    """An http(s) URL, and not the site root unless the page itself is the root.

    Templates that put the home page in every ``rel=canonical`` would otherwise merge all
    articles into one row at load, which is keyed on the canonical URL.
    """
    parts = urlsplit(candidate)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    return not _is_root(candidate) or _is_root(url)


def _is_root(url: str) -> bool:
    """The home page: no path and no query ("?p=12" on "/" is an article)."""
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def canonical_url(tree: HtmlElement, meta: dict[str, list[str]], url: str) -> str | None:
    """``<link rel=canonical>``, else og:url, resolved against the fetched URL.

    Unusable values (``javascript:``, a site-root canonical on an article) are skipped; with
    none left this is None and the load step keys the record on the page's own URL.
    """
    candidates = [
        link.get("href") or ""
        for link in tree.iter("link")
        if "canonical" in (link.get("rel") or "").lower().split()
    ]
    for value in [*candidates, *meta.get("og:url", [])]:
        if value.strip():
            resolved = urljoin(url, value.strip())
            if _usable_canonical(resolved, url):
                return resolved
    return None


def language(tree: HtmlElement, meta: dict[str, list[str]], jsonld: dict[str, Any]) -> str | None:
    """Primary language subtag ("en", "ar") declared by the page, if any."""
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    candidates += meta.get("content-language", []) + meta.get("og:locale", [])
    in_language = jsonld.get("inLanguage")
    candidates.append(in_language if isinstance(in_language, str) else None)
    for value in candidates:
        if value and value.strip():
            primary = value.strip().replace("_", "-").split("-")[0].split(",")[0].lower()
            if primary.isalpha() and 2 <= len(primary) <= 3:
                return primary
    return None


def _names(value: Any) -> list[str]:
    """Strings out of a JSON-LD value that may be a string, an object with a name, or a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _names(value.get("name") or value.get("url"))
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    return []


def _is_organization(value: Any) -> bool:
    types = value.get("@type") if isinstance(value, dict) else None
    types = types if isinstance(types, list) else [types]
    return any(isinstance(t, str) and t in ORGANIZATION_TYPES for t in types)


def jsonld_author_names(jsonld: dict[str, Any]) -> list[str]:
    """Author names as JSON-LD states them (strings, or objects with a name).

    Objects typed Organization (the outlet, a wire agency) are not people, so not authors.
    """
    value = jsonld.get("author")
    items = value if isinstance(value, list) else [value]
    return _names([item for item in items if not _is_organization(item)])


def headline(jsonld: dict[str, Any]) -> str | None:
    """JSON-LD ``headline`` when it is text (the first text of a list); other shapes ignored."""
    value = jsonld.get("headline")
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, str)), None)
    return (value.strip() or None) if isinstance(value, str) else None


def site_names(meta: dict[str, list[str]], jsonld: dict[str, Any]) -> list[str]:
    """Names the site calls itself: og:site_name, application-name, the JSON-LD publisher."""
    names = meta.get("og:site_name", []) + meta.get("application-name", [])
    return names + _names(jsonld.get("publisher"))


def section(
    meta: dict[str, list[str]], jsonld: dict[str, Any], categories: list[str]
) -> str | None:
    for value in meta.get("article:section", []) + _names(jsonld.get("articleSection")):
        if value.strip():
            return value.strip()
    return categories[0] if categories else None


def tags(meta: dict[str, list[str]], jsonld: dict[str, Any], extracted: list[str]) -> list[str]:
    keywords = jsonld.get("keywords")
    if isinstance(keywords, str):
        keywords = keywords.split(",")
    found = meta.get("article:tag", []) + _names(keywords) + list(extracted)
    result: list[str] = []
    for tag in found:
        tag = " ".join(tag.split())
        if tag and tag.lower() not in {t.lower() for t in result}:
            result.append(tag)
    return result


def _image_urls(value: Any) -> list[str]:
    if isinstance(value, dict):
        return _image_urls(value.get("url") or value.get("contentUrl"))
    if isinstance(value, list):
        return [url for item in value for url in _image_urls(item)]
    return [value] if isinstance(value, str) else []


def image(meta: dict[str, list[str]], jsonld: dict[str, Any], url: str) -> str | None:
    for value in meta.get("og:image", []) + _image_urls(jsonld.get("image")):
        if value.strip():
            return urljoin(url, value.strip())
    return None
