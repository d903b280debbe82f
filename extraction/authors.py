"""Bylines -> a clean list of author names.

Pages give authors as JSON-LD objects, meta tags or a byline line, and all of them carry noise:
"By" and "Analysis by" prefixes, the date glued on ("Malcolm Owen Monday, November 18") or put
first ("Posted on Sept 3, 2024 by"), job titles ("AP Sports Writer", "is a reporter"), the place
filed from ("in Baghdad"), e-mail addresses, wire agencies ("Jane Doe, Reuters") and the site's
own name standing in for a person. Each candidate is split into names (on ``;``, ``,``, ``|``,
"and", ``&``), each name is cleaned, and what is left is kept once, in page order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_PREFIX = re.compile(
    r"^(?:(?:analysis|opinion|commentary|story|text|words|photos?|posted|written|reported|"
    r"compiled|edited)\s+)?by\s*:?\s+|^(?:authors?|byline|written by|posted by)\s*:\s*|"
    r"^(?:بقلم|كتب|كتبت)\s*:?\s*",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"\s*(?:;|,|\||\s/\s|\band\b|&|\n)\s*", re.IGNORECASE)
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
# Everything from a weekday, a month followed by a day, a digit or "updated" on is a date stamp.
_DATE_TAIL = re.compile(
    rf"\s*(?:\b(?:{_WEEKDAYS})\b|\b(?:{_MONTHS})\.?\s+\d|\d|\b(?:updated|published|posted)\b).*$",
    re.IGNORECASE,
)
_MONTH_ONLY = re.compile(rf"^(?:{_MONTHS}|{_WEEKDAYS})$", re.IGNORECASE)
# "Phil Helsel is a reporter for NBC News", "Amy K for NJ.com": the name is what comes before.
_DESCRIPTION = re.compile(r"\s+(?:(?:is|was)\s+(?:a|an|the)|for)\s+.*$", re.IGNORECASE)
_EMAIL_OR_URL = re.compile(r"\S+@\S+|https?://\S+|www\.\S+|@\w+")
# "Jane Doe in Baghdad": where the author filed from, not part of the name.
_PLACE_TAIL = re.compile(r"\s+in\s+[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*$")
# The last "by" of a byline; what comes before it may be a date stamp ("Posted on ... by").
_BY = re.compile(r"\bby\b\s*:?\s*", re.IGNORECASE)
# Wire agencies credited next to the writer ("Jane Doe, Reuters", "Jane Doe / AFP") are
# sources, not authors; compared in compact form.
WIRE_AGENCIES = frozenset(
    {
        "reuters",
        "afp",
        "agencefrancepresse",
        "ap",
        "associatedpress",
        "theassociatedpress",
        "dpa",
        "xinhua",
        "anadolu",
        "anadoluagency",
        "upi",
        "efe",
    }
)
ROLE_WORDS = frozenset(
    {
        "writer",
        "reporter",
        "correspondent",
        "editor",
        "editor-at-large",
        "columnist",
        "contributor",
        "staff",
        "bureau",
        "desk",
        "newsroom",
        "team",
        "admin",
        "administrator",
        "editorial",
    }
)
MAX_NAME_WORDS = 6


def _compact(text: str) -> str:
    """Letters and digits only, case-folded: "Cleveland.com" and "Cleveland com" compare equal."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def site_name_keys(names: Iterable[str | None], url: str | None = None) -> set[str]:
    """Compact forms of the site's names (og:site_name, publisher, the host without "www.")."""
    keys = {_compact(name) for name in names if name}
    if url:
        host = re.sub(r"^[a-z]+://", "", url.lower()).split("/")[0].split(":")[0]
        host = host.removeprefix("www.")
        keys |= {_compact(host), _compact(host.rsplit(".", 1)[0])}
    return {key for key in keys if key}


def clean_name(raw: str) -> str:
    """One name without prefix, date stamp, description, address or surrounding punctuation."""
    name = " ".join(raw.split())
    name = _PREFIX.sub("", name)
    name = _EMAIL_OR_URL.sub("", name)
    name = _DESCRIPTION.sub("", name)
    name = _DATE_TAIL.sub("", name)
    name = _PLACE_TAIL.sub("", name)
    name = name.strip(" \t-–—:·•()[]\"'“”")
    if name.isupper() and len(name) > 4:
        name = name.title()
    return name


def _is_name(name: str, site_keys: set[str]) -> bool:
    words = name.split()
    if not words or len(words) > MAX_NAME_WORDS or not any(ch.isalpha() for ch in name):
        return False
    if _MONTH_ONLY.match(name) or _compact(name) in site_keys | WIRE_AGENCIES:
        return False
    return not any(word.casefold().strip(".,") in ROLE_WORDS for word in words)


def _after_date_stamp(byline: str) -> str:
    """ "Posted on Sept 3, 2024 by John Smith" -> "John Smith": a stamp before "by" goes first.

    Otherwise splitting on the comma would leave "2024 by John Smith", which the date rule
    then cuts to nothing.
    """
    last = next(reversed(list(_BY.finditer(byline))), None)
    if last is not None and _DATE_TAIL.search(byline[: last.start()]):
        return byline[last.end() :]
    return byline


def clean_authors(candidates: Iterable[str | None], site_keys: set[str] = frozenset()) -> list[str]:
    """Names from byline strings, cleaned and deduplicated (case-insensitively), in order."""
    authors: list[str] = []
    seen: set[str] = set()
    for candidate in candidates:
        if not candidate:
            continue
        byline = _after_date_stamp(" ".join(candidate.split()))
        for part in _SEPARATORS.split(_PREFIX.sub("", byline)):
            name = clean_name(part)
            if _is_name(name, site_keys) and name.casefold() not in seen:
                seen.add(name.casefold())
                authors.append(name)
    return authors
