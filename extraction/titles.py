"""The headline as the article shows it: no site name, section or date around it.

A page states its headline several times: JSON-LD ``headline``, ``og:title`` and
``twitter:title`` (written for sharing, sometimes rewritten), the ``<h1>`` and the ``<title>``,
which usually carries the site's name ("... | CBC News", "...：朝日新聞デジタル") and sometimes a
section or date. The page's own statements are used to clean each other:

* when one statement is another with something glued on at a separator ("H - National |
  Site", "Kicker: H"), the shorter is the headline, so long as it is the larger part; but a
  kicker goes only when an ``<h1>`` shows the headline without it (a shorter ``og:title`` is
  a rewrite for sharing), and one that the ``<h1>`` shows with the statement is kept; an
  ``<h1>`` in a breadcrumb trail or ``<nav>`` shows no kicker but still cleans the others;
* when two statements put different kickers (no word in common) before the same words
  ("Kicker A: H", "Kicker B - H"), those words are the headline;
* a segment at either end that names the site (``og:site_name``, the publisher, the host and
  the name it registered, "mirror" of mirror.co.uk), one of the page's own sections
  (``article:section``, ``articleSection``), a date or a byline ("by Jane Doe") is cut, and
  so are the short sections that stood between the headline and a site name cut at that end
  ("H - National | Globalnews.ca", "Site | Section | H"; a longer part there must name one of
  the page's sections, "World News" where the section is "News": it may be the headline's own
  clause).

Then the most trusted statement left wins: JSON-LD (the article's own structured headline),
then the social titles, the ``<h1>``, the ``<title>``; in the spelling most statements share
where they differ only in punctuation ("Kicker - H", "Kicker: H"), a tie going to a statement
written as one rather than the ``<h1>``'s text put together from its elements.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable

from lxml.html import HtmlElement

from extraction.metadata import breadcrumb_labels, is_breadcrumb, names, sections
from extraction.page import Page

# Between headline and furniture: a dash, bar, bullet or colon run with spaces around it, or a
# bar or full-width colon (CJK titles) with or without spaces. A kicker may also end in a plain
# colon ("Kicker: H"), which never separates a site name.
_SEPARATOR = re.compile(r"\s+[|\-–—·•*»:]{1,2}\s+|\s*[｜：|]\s*")
_KICKER_SEPARATOR = re.compile(rf"{_SEPARATOR.pattern}|:\s+")
_KICKER_END = re.compile(rf"(?:{_KICKER_SEPARATOR.pattern})$")
_DATE = re.compile(
    r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$|^\d{1,2}\.?\s+\w+\.?\s+\d{4}$|^\w+\.?\s+\d{1,2},?\s+\d{4}$"
)
_HOST = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}$", re.IGNORECASE)
_BYLINE = re.compile(r"^(?:by|von|par|por|av|af|door|di)\s+\S", re.IGNORECASE)
# Markup that sets words or parts of words apart inside a heading's line, not a line of its own.
_PHRASE_TAGS = frozenset(
    {"a", "abbr", "b", "cite", "em", "i", "mark", "q", "s", "small", "strong", "sub", "sup", "u"}
)
# Where an element of its own ends inside a heading, and where that needs no space: beside a
# space already there, before closing punctuation, after an opening bracket.
_LINE_END = "\x00"
# Soft hyphens, zero-width spaces and word joiners: a title's hyphenation and line-break hints,
# not its letters ("Ver\xadfas\xadsungs\xadbe\xadschwerde"; the zero-width (non-)joiners are
# spelling in Persian and Indic scripts and stay).
_INVISIBLE = str.maketrans(dict.fromkeys("\u00ad\u200b\u2060\ufeff"))
_NO_GAP = re.compile(r"^\x00+|\x00+$|\x00+(?=[\s:;,.!?)\]}])|(?<=[\s(\[{])\x00+")
# Where statements() puts the page's single <h1>.
H1 = 3
MAX_SECTION_WORDS = 1
# A longer section segment must name one of the page's own sections.
MAX_NAMED_SECTION_WORDS = 3
MAX_SECTIONS = 2
# A segment holding one of the site's names (of at least MIN_SITE_KEY_CHARS) names the site
# when it is this short: "Mirror Online", "Báo VnExpress Sức khỏe".
MIN_SITE_KEY_CHARS = 4
MAX_SITE_NAME_WORDS = 5
# A short site key (a host's "cbc", "ap") names the site as the first word of a segment this
# long ("CBC News"); inside longer ones it is too likely a word of the headline.
MAX_BRANDED_WORDS = 3
# Longer "site names" are templates stating the headline as the site's name: never matched
# inside a segment.
MAX_SITE_KEY_CHARS = 40


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", _normal(text))


def _compact(text: str) -> str:
    return "".join(ch for ch in _normal(text) if ch.isalnum())


def _clean(value: object) -> str | None:
    """A title string with entities decoded (JSON-LD often holds ``&quot;``) and spaces
    collapsed; anything but text is None."""
    if not isinstance(value, str):
        return None
    text = " ".join(html.unescape(value).translate(_INVISIBLE).split())
    return text or None


def _is_site(segment: str, site_keys: set[str]) -> bool:
    key = _compact(segment)
    if not key:
        return False
    if key in site_keys or _HOST.match(segment.strip()):
        return True
    words = _words(segment)
    if len(words) <= MAX_BRANDED_WORDS and words[0] in site_keys:  # "CBC News", "AP News"
        return True
    long_keys = [k for k in site_keys if MIN_SITE_KEY_CHARS <= len(k) <= MAX_SITE_KEY_CHARS]
    if len(segment.split()) <= MAX_SITE_NAME_WORDS and any(k in key for k in long_keys):
        return True
    return len(key) >= MIN_SITE_KEY_CHARS and any(key in k for k in long_keys)


def _is_furniture(segment: str, site_keys: set[str], section_names: Collection[str]) -> bool:
    stripped = segment.strip()
    return (
        _is_site(stripped, site_keys)
        or _normal(stripped) in section_names
        or bool(_DATE.match(stripped))
        or bool(_BYLINE.match(stripped))
    )


def _is_section(segment: str, section_names: Collection[str]) -> bool:
    """A short segment beside a site name that is one word, or names one of the page's own
    sections ("Politics News" where the page's section is "News")."""
    words = _words(segment)
    if len(words) <= MAX_SECTION_WORDS:
        return True
    stated = {word for section in section_names for word in _words(section)}
    return len(words) <= MAX_NAMED_SECTION_WORDS and bool(stated & set(words))


def strip_site(title: str, site_keys: set[str], section_names: Collection[str] = ()) -> str:
    """Cut the site's name, the page's own sections (``section_names``), dates and bylines
    from both ends, and the short sections that stood between the headline and a site name cut
    there ("H - National | Globalnews.ca" -> "H", "Site | Section | H" -> "H")."""
    matches = list(_SEPARATOR.finditer(title))
    if not matches:
        return title
    section_names = {_normal(name) for name in section_names}
    bounds = [0, *[m.start() for m in matches], len(title)]
    starts = [0, *[m.end() for m in matches]]
    parts = [title[starts[i] : bounds[i + 1]] for i in range(len(starts))]
    last = len(parts) - _furniture_at(parts[::-1], len(parts) - 1, site_keys, section_names)
    first = _furniture_at(parts[:last], last - 1, site_keys, section_names)
    return title[starts[first] : bounds[last]].strip()


def _furniture_at(
    ends: list[str], room: int, site_keys: set[str], section_names: Collection[str]
) -> int:
    """How many of ``ends`` (a title's parts from one end inwards) are furniture, at most
    ``room``: the site's name, a section, a date or a byline, then up to MAX_SECTIONS short
    sections that stood between the headline and the furniture cut there."""
    cut = 0
    while cut < room and _is_furniture(ends[cut], site_keys, section_names):
        cut += 1
    sections = 0
    while 0 < cut < room and sections < MAX_SECTIONS and _is_section(ends[cut], section_names):
        cut += 1
        sections += 1
    return cut


def _aligned_part(longer: str, shorter: str, *, kickers: bool = True) -> str | None:
    """``shorter`` when ``longer`` is it plus a separator-joined prefix (when ``kickers``) or
    suffix that is the smaller part; else None. Compared normalised; the shorter one's own
    spelling is kept."""
    a, b = _normal(longer), _normal(shorter)
    if len(b) >= len(a) or not b:
        return None
    if a.startswith(b):
        rest = a[len(b) :]
        match = _SEPARATOR.match(rest)
        if match and len(rest) - len(match.group()) < len(b):
            return shorter
    if kickers and a.endswith(b):
        rest = a[: len(a) - len(b)]
        if _KICKER_END.search(rest) and len(rest.strip()) < len(b):
            return shorter
    return None


def _shared_headline(title: str, other: str) -> str | None:
    """The end ``title`` and ``other`` share when each puts a different kicker before it
    ("Kicker A: H" and "Kicker B - H" state H), so long as it is the larger part of both."""
    a, b = _normal(title), _normal(other)
    if a == b:
        return None
    for match in _KICKER_SEPARATOR.finditer(title):
        tail = title[match.end() :]
        key = _normal(tail)
        if not key or not b.endswith(key):
            continue
        rest = b[: len(b) - len(key)]
        kicker = _normal(title[: match.start()])
        if (
            _KICKER_END.search(rest)
            and _words(rest)
            and not set(_words(rest)) & set(_words(kicker))
            and len(rest.strip()) < len(key)
            and len(kicker) < len(key)
        ):
            return tail
    return None


def _reduced(
    title: str, others: Iterable[str], shown: Collection[str], *, kickers: bool = True
) -> str:
    """The shortest other statement that ``title`` is with furniture glued on, or the headline
    it shares with another statement under a different kicker, or ``title``. A kicker is cut
    only when one of the headings ``shown`` lacks it, and never with ``kickers`` false (the
    <h1> shows it)."""
    found = []
    for other in others:
        part = _aligned_part(title, other, kickers=kickers and other in shown)
        part = part or (_shared_headline(title, other) if kickers else None)
        if part:
            found.append(part)
    return min(found, key=len) if found else title


def _heading_text(element: HtmlElement) -> str:
    """The heading's text with a space where a kicker or line of its own ends
    ("<span>Kicker</span>Headline"), but none before the punctuation a hidden element may hold
    ("<span>Kicker</span><span hidden>:</span>"); phrase markup inside words joins as it
    stands."""
    text = _NO_GAP.sub("", _heading_pieces(element)).replace(_LINE_END, " ")
    return " ".join(text.translate(_INVISIBLE).split())


def _heading_pieces(element: HtmlElement) -> str:
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):
            gap = "" if child.tag in _PHRASE_TAGS else _LINE_END
            parts += [gap, _heading_pieces(child), gap]
        parts.append(child.tail or "")
    return "".join(parts)


def _in_navigation(element: HtmlElement) -> bool:
    """A heading in a breadcrumb trail or a <nav> names the page in the trail (the headline,
    or a short form of it): not what the article shows above its text."""
    for ancestor in element.iterancestors():
        if ancestor.tag == "nav":
            return True
        if is_breadcrumb(ancestor):
            return True
    return False


def _h1s(page: Page) -> tuple[list[str], list[str]]:
    """The texts of the page's ``<h1>``s: those the article shows, those in navigation."""
    shown: list[str] = []
    trail: list[str] = []
    for heading in page.tree.iter("h1"):
        text = _heading_text(heading)
        if text:
            (trail if _in_navigation(heading) else shown).append(text)
    return shown, trail


def _title_tag(page: Page) -> str | None:
    element = page.tree.find(".//title")
    return _clean(element.text_content()) if element is not None else None


def statements(page: Page, site_keys: set[str], h1s: list[str]) -> list[str | None]:
    """The page's headline statements, most trusted first (None where a source is missing).

    The ``<h1>`` counts as one only when the page shows a single one (``h1s``) and it is not
    the site's name (a logo); with several (a rail of teasers set in ``<h1>``), each still helps
    to clean the others.
    """
    headline = page.article.get("headline")
    if isinstance(headline, list):
        headline = next((item for item in headline if isinstance(item, str)), None)
    h1 = h1s[0] if len(h1s) == 1 and _compact(h1s[0]) not in site_keys else None
    return [
        _clean(headline),
        _clean(next(iter(page.meta.get("og:title", [])), None)),
        _clean(next(iter(page.meta.get("twitter:title", [])), None)),
        h1,
        _title_tag(page),
        _clean(next(iter(names(page.article.get("name"))), None)),
    ]


def headline(page: Page, site_keys: set[str]) -> str | None:
    """The article's headline, cleaned by the page's other statements of it and its site name."""
    h1s, trail = _h1s(page)
    candidates = statements(page, site_keys, h1s)
    # a trail's heading still cleans the others ("H | Site | Section" is H), shows no kicker
    known = [c for c in candidates if c] + h1s + trail
    shown = _compact(candidates[H1]) if candidates[H1] else None
    stated = sections(page) + breadcrumb_labels(page)
    cleaned: list[tuple[str, bool]] = []  # (title, from the <h1>), most trusted first
    for i, candidate in enumerate(candidates):
        if candidate:
            kickers = _compact(candidate) != shown
            reduced = _reduced(candidate, known, h1s, kickers=kickers)
            title = strip_site(reduced, site_keys, stated)
            if title:
                cleaned.append((title, i == H1))
    return _common_spelling(cleaned) if cleaned else None


def _common_spelling(cleaned: list[tuple[str, bool]]) -> str:
    """The spelling of the most trusted title (its letters and digits) that most statements
    share: they may differ only in a separator or quotation marks ("Kicker - H", "Kicker: H");
    ties go to the most trusted statement written as one, before the ``<h1>``'s text put
    together from its elements ("<span>Kicker</span><span>H</span>" reads "Kicker H")."""
    key = _compact(cleaned[0][0])
    same = [(text, h1) for text, h1 in cleaned if _compact(text) == key]
    spellings = [text for text, h1 in same if not h1] + [text for text, h1 in same if h1]
    votes = Counter(_normal(text) for text in spellings)
    most = max(votes.values())
    return next(text for text in spellings if votes[_normal(text)] == most)
