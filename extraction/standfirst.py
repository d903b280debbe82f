"""The standfirst: the summary an article shows under its headline, kept at the top of the body.

Many sites set a summary ("lead", "teaser", "dek") between the headline and the first paragraph,
outside the container trafilatura takes the body from, so it is lost. The page says which
element it is: the one that shows the page's own description (``meta description``,
``og:description``, JSON-LD) and not much more. A description the page does not show (written
for search engines only) adds nothing, and neither does one shown only in a link or a list item
(a teaser of another story that happens to share the wording). When trafilatura did take the
standfirst, the short lines it read before it (the header: kicker, headline, byline) are cut.

Conventions differ here: the metadata-dev truth (Fundus) counts the summary as body, the
extraction-dev truth (ScrapingHub) mostly does not; both measured in README's Benchmarks.
"""

from __future__ import annotations

import re
import unicodedata

from lxml.etree import XPath
from lxml.html import HtmlElement

from extraction.body import MIN_PROSE_LINE_CHARS, weighted_len

# A description shorter than this is a label, not a summary.
MIN_SUMMARY_CHARS = 40
# The element may hold a little more than the description (a dateline, a truncated ending):
# at most this share plus this many characters.
MAX_EXTRA_SHARE = 0.3
MAX_EXTRA_CHARS = 40
# A description cut short ("...") may stand for an element up to twice as long.
MAX_EXTRA_SHARE_CUT = 1.0
# Where the description's first characters are looked for, and how far up from that text node.
KEY_CHARS = 16
MAX_LEVELS = 4
# The element starts like the description and holds this share of its words, and is at least
# this share of its length.
MIN_SHOWN_WORDS = 0.8
MIN_SHOWN_SHARE = 0.7
# Compared with the body on this many normalised characters of the summary.
SEEN_CHARS = 60
_WORD = re.compile(r"\w+")
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*$")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b"))
_SKIPPED = frozenset({"script", "style", "noscript", "template"})
# Text nodes holding the description's first word: libxml2 scans the page, Python reads a few.
_TEXTS_WITH = XPath(".//text()[contains(., $word)]", smart_strings=True)


def _normal(text: str) -> str:
    """NFKC, spaces collapsed, case folded, without soft hyphens and zero-width spaces (the page
    shows ``be&shy;lieb&shy;te`` where its description says ``beliebte``)."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return " ".join(text.split()).casefold()


def _shows(shown: str, summary: str, words: list[str]) -> bool:
    """True when ``shown`` (normalised) is the summary, give or take a few words: descriptions
    are often the shown standfirst lightly edited ("sei wichtigster" / "sei der wichtigste")."""
    if len(shown) < MIN_SHOWN_SHARE * len(summary):
        return False
    have = set(_WORD.findall(shown))
    return sum(word in have for word in words) >= MIN_SHOWN_WORDS * len(words)


def _teaser(element: HtmlElement) -> bool:
    return any(a.tag in ("a", "li") for a in (element, *element.iterancestors()))


def shown_summary(tree: HtmlElement, description: str | None) -> str | None:
    """The text of the element that shows the page's description, or None.

    Found from the text nodes that hold the description's first characters, going up a few
    levels to the first element that shows it (:func:`_shows`); linear in the page's size.
    """
    if not description:
        return None
    cut = _ELLIPSIS.sub("", description)
    summary = _normal(cut)
    key = " ".join(description.split())[:KEY_CHARS]
    if len(summary) < MIN_SUMMARY_CHARS or not key:
        return None
    body = tree.find(".//body")
    if body is None:
        return None
    share = MAX_EXTRA_SHARE_CUT if cut != description else MAX_EXTRA_SHARE
    limit = (1 + share) * len(summary) + MAX_EXTRA_CHARS
    words = _WORD.findall(summary)
    for text in _TEXTS_WITH(body, word=key.split()[0]):
        element = text.getparent()
        if not isinstance(element.tag, str) or element.tag in _SKIPPED:
            continue
        if key not in " ".join(text.split()):
            continue
        node = element.getparent() if text.is_tail else element
        for _ in range(MAX_LEVELS):
            if node is None:
                break
            shown = _normal(node.text_content())
            if len(shown) > limit:
                break
            if _shows(shown, summary, words):
                return None if _teaser(node) else " ".join(node.text_content().split())
            node = node.getparent()
    return None


def with_standfirst(text: str, standfirst: str | None, separator: str) -> str:
    """``text`` with the standfirst as its first paragraph.

    When the body already holds it, what comes before it there is the article's header (a
    kicker, the headline again, a byline, a date line): dropped, so long as none of it is
    running text (a line of :data:`~extraction.body.MIN_PROSE_LINE_CHARS`).
    """
    if not standfirst or not text:
        return text
    key = _normal(standfirst)[:SEEN_CHARS]
    if key not in _normal(text):
        return f"{standfirst}{separator}{text}"
    paragraphs = text.split(separator)
    for i, paragraph in enumerate(paragraphs):
        if key in _normal(paragraph):
            header = paragraphs[:i]
            if header and all(weighted_len(p) < MIN_PROSE_LINE_CHARS for p in header):
                return separator.join(paragraphs[i:])
            break
    return text
