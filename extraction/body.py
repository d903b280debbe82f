"""The article body: trafilatura on the pruned tree (and the later chunks of a story split over
containers of one class, :mod:`extraction.chunks`), the article gate, and a safety net.

Paragraphs in the text are separated by a blank line (:data:`PARAGRAPH_SEPARATOR`); a single
``"\\n"`` only occurs inside a block (line breaks, list items, table rows). The text ends at its
last sentence (:func:`ends_at_last_sentence`).

The gate: an article holds running text, one line of :data:`MIN_PROSE_LINE_CHARS`, or
:data:`MIN_PROSE_CHARS` in lines of at least :data:`MIN_SENTENCE_CHARS` (a story told in short
paragraphs, a body split by ``<br>``); a page that declares itself an article needs only the
long line's worth in total. Headline lists and menus do not. A page that does not declare itself
an article and whose ``<article>`` teasers hold most of its words is a listing.

The safety net: pruning and the gate must never do much worse than the library underneath. When
the gate rejects a page, or our body is under :data:`SUSPECT_SHARE` of the page's paragraph
text, trafilatura's default extraction of the unpruned page is tried; it replaces ours when it
passes the gate and ours is under :data:`FALLBACK_SHARE` of it (or there was none), and, on a
page taken for a listing, when it is not mostly the teasers' text. ``Body.fallback`` says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import lxml.etree
import trafilatura
from lxml.html import HtmlElement
from trafilatura.xml import xmltotxt

from extraction.chunks import later_chunks
from extraction.errors import LISTING_ERROR
from extraction.page import Page
from extraction.quality import drop_boilerplate_paragraphs

PARAGRAPH_SEPARATOR = "\n\n"
NO_TEXT_ERROR = "no article text found"
MIN_PROSE_LINE_CHARS = 100
MIN_PROSE_CHARS = 300
MIN_SENTENCE_CHARS = 40
# Lengths are weighted: a CJK character carries about a word.
CJK_CHAR_WEIGHT = 3
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# A page whose <article> teasers (a heading with a link, and no more words than a summary),
# at least this many, hold more than this share of its words is a listing, not a story; an
# <article> of more words is a story.
LISTING_MIN_TEASERS = 3
LISTING_TEXT_SHARE = 0.5
TEASER_MAX_WORDS = 200
_TEASER_HEADINGS = ("h1", "h2", "h3", "h4")
# A sentence ends in one of these, or in a closing quote after one.
_SENTENCE_END = re.compile(r"[.!?。！？…\"'»”’“]$")
# Safety net thresholds (see the module docstring); measured on both benchmark sets, where our
# body is under a quarter of trafilatura's only on pages where pruning lost the article.
SUSPECT_SHARE = 0.25
FALLBACK_SHARE = 0.25


@dataclass
class Body:
    text: str = ""
    error: str | None = None
    # True when the safety net replaced our extraction by trafilatura's default one.
    fallback: bool = False


def weighted_len(line: str) -> int:
    """Characters, a CJK one counting as several: it carries about a word."""
    return len(line) + (CJK_CHAR_WEIGHT - 1) * len(_CJK.findall(line))


def has_prose(body: lxml.etree._Element | None, declared_article: bool = False) -> bool:
    """True when the paragraphs hold running text (not just links, labels or headings)."""
    if body is None:
        return False
    needed = MIN_PROSE_LINE_CHARS if declared_article else MIN_PROSE_CHARS
    total = 0
    for block in body.iter("p", "quote"):
        for line in xmltotxt(block, False).splitlines():
            length = weighted_len(line.strip())
            if length >= MIN_PROSE_LINE_CHARS:
                return True
            if length >= MIN_SENTENCE_CHARS:
                total += length
                if total >= needed:
                    return True
    return False


def listing_teasers(page: Page) -> list[str]:
    """The teasers' texts when the page is a listing (see the module docstring), else [].

    Pages that declare themselves an article (JSON-LD, ``og:type``) are never listings, and a
    story with a rail of related ``<article>`` cards keeps most of its text outside the cards.
    An ``<article>`` longer than a summary (and not a wrapper of other ones) is a story, even
    when its heading links somewhere: a page holding one is not a listing either.
    """
    if page.declares_article:
        return []
    teasers = []
    for element in page.tree.iter("article"):
        words = element.text_content().split()
        if len(words) > TEASER_MAX_WORDS:
            if element.find(".//article") is None:
                return []
        elif any(h.find(".//a[@href]") is not None for h in element.iter(*_TEASER_HEADINGS)):
            teasers.append(" ".join(words))
    if len(teasers) < LISTING_MIN_TEASERS:
        return []
    body = page.tree.find(".//body")
    page_words = len((body if body is not None else page.tree).text_content().split())
    teaser_words = sum(len(t.split()) for t in teasers)
    return teasers if teaser_words > LISTING_TEXT_SHARE * page_words else []


def paragraph_chars(tree: HtmlElement) -> int:
    """Weighted length of the page's ``<p>`` text: what a reader would call its text."""
    return sum(weighted_len(" ".join(p.text_content().split())) for p in tree.iter("p"))


def _body_text(body: lxml.etree._Element | None) -> str:
    """trafilatura's body tree as text: one block per paragraph, blank line between blocks."""
    if body is None:
        return ""
    blocks = [body.text or ""] + [xmltotxt(child, False) for child in body]
    paragraphs = []
    for block in blocks:
        lines = [" ".join(line.split()) for line in block.splitlines()]
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            paragraphs.append(paragraph)
    return PARAGRAPH_SEPARATOR.join(paragraphs)


def _drop_leading_title(text: str, title: str | None) -> str:
    """trafilatura keeps the page's <h1>; the title has its own field, so not again in the body."""
    first, _, rest = text.partition(PARAGRAPH_SEPARATOR)
    if title and " ".join(first.split()).casefold() == " ".join(title.split()).casefold():
        return rest
    return text


def _trafilatura(tree: HtmlElement, url: str, *, favor_precision: bool) -> lxml.etree._Element:
    """trafilatura's body tree (it works on a copy of ``tree``); metadata is read elsewhere."""
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        favor_precision=favor_precision,
    )
    return getattr(doc, "body", None)


def _text(body: lxml.etree._Element | None, title: str | None) -> str:
    text = _drop_leading_title(_body_text(body), title)
    return drop_boilerplate_paragraphs(text, PARAGRAPH_SEPARATOR)


def ends_at_last_sentence(text: str) -> str:
    """``text`` without the lines after its last sentence: short lines that end no sentence
    (under :data:`MIN_PROSE_LINE_CHARS`, no closing punctuation) at the very end of a body are
    furniture: "Read more:", "mit dpa", a credit or copyright line, a related-links label."""
    paragraphs = text.split(PARAGRAPH_SEPARATOR)
    while (
        len(paragraphs) > 1
        and weighted_len(paragraphs[-1].strip()) < MIN_PROSE_LINE_CHARS
        and not _SENTENCE_END.search(paragraphs[-1].strip())
    ):
        paragraphs.pop()
    return PARAGRAPH_SEPARATOR.join(paragraphs)


def _mostly_teasers(text: str, teasers: list[str]) -> bool:
    """True when most of ``text`` is found in the listing's teasers."""
    blob = "\n".join(teasers)
    paragraphs = [p for p in text.split(PARAGRAPH_SEPARATOR) if p.strip()]
    inside = sum(len(p) for p in paragraphs if " ".join(p.split()) in blob)
    return inside > LISTING_TEXT_SHARE * sum(len(p) for p in paragraphs)


def _ours(page: Page, title: str | None) -> tuple[str, bool]:
    """Text of the (pruned) page tree, and whether it passes the gate. Precision mode first: on
    the extraction-dev set it removes more leftover furniture than it loses text; when it finds
    no running text (pages made mostly of tables or lists), the default mode gets a chance."""
    declared = page.declares_article
    body = _trafilatura(page.tree, page.url, favor_precision=True)
    if not has_prose(body, declared):
        body = _trafilatura(page.tree, page.url, favor_precision=False)
    text = _text(body, title)
    passed = bool(text) and has_prose(body, declared)
    more = later_chunks(page.tree, text, PARAGRAPH_SEPARATOR) if passed else []
    return ends_at_last_sentence(PARAGRAPH_SEPARATOR.join([text, *more])), passed


def extract_body(
    page: Page,
    title: str | None,
    *,
    teasers: list[str],
    page_chars: int,
    unpruned: Callable[[], HtmlElement | None],
) -> Body:
    """The body of ``page``, whose tree is already pruned.

    ``teasers`` (from :func:`listing_teasers`) and ``page_chars`` (from :func:`paragraph_chars`)
    were read before pruning; ``unpruned`` parses the page again, only for the safety net.
    """
    if teasers:
        text, passed, error = "", False, LISTING_ERROR
    else:
        text, passed = _ours(page, title)
        error = None if passed else NO_TEXT_ERROR
    if passed and weighted_len(text) >= SUSPECT_SHARE * page_chars:
        return Body(text)
    tree = unpruned()
    body = _trafilatura(tree, page.url, favor_precision=False) if tree is not None else None
    theirs = ends_at_last_sentence(_text(body, title))
    better = has_prose(body, page.declares_article) and (
        not passed or weighted_len(text) < FALLBACK_SHARE * weighted_len(theirs)
    )
    if better and not (teasers and _mostly_teasers(theirs, teasers)):
        return Body(theirs, fallback=True)
    return Body(text, None) if passed else Body("", error)
