"""The short lines under an article's headline, where templates without byline or date markup
print the byline and the date ("von Katja Brenner", "09.09.2025, 15:15 Uhr").

A line is an element read whole when its text is short (its pieces spaced apart), else each of
its children in turn; captions, scripts and forms are skipped, and reading stops after
MAX_HEADER_CHARS of text, well before most of the article's paragraphs.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml.html import HtmlElement

from extraction.page import Page

MAX_HEADER_CHARS = 1500
MAX_LINE_CHARS = 100
# Captions date and credit the picture; forms and scripts show no line of the article's.
SKIPPED_TAGS = frozenset(
    {"script", "style", "noscript", "template", "button", "select", "figure", "figcaption"}
)


def heading_element(page: Page, headline: str | None = None) -> HtmlElement | None:
    """The ``<h1>`` that shows ``headline`` (a page may set its logo or teasers in ``<h1>``s
    too), else the first ``<h1>``, else the first element of the body whose text is
    ``headline`` (a template's ``<h2>`` or ``<div>``)."""
    headings = list(page.tree.iter("h1"))
    wanted = _letters(headline or "")
    if wanted:
        showing = (h for h in headings if wanted in _letters(h.text_content()))
        heading = next(showing, None)
        if heading is not None:
            return heading
    if headings or not headline:
        return headings[0] if headings else None
    body = page.tree.find("body")
    for element in body.iter() if body is not None else ():
        if not isinstance(element.tag, str) or element.tag in SKIPPED_TAGS:
            continue
        text = element.text_content()
        if len(text) < 2 * len(headline) and _letters(text) == wanted:
            return element
    return None


def _letters(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def header_lines(heading: HtmlElement) -> Iterator[str]:
    """The short lines after ``heading`` in page order, up to MAX_HEADER_CHARS of text."""
    read = 0
    for element in _following(heading):
        text = _once(" ".join(" ".join(element.itertext()).split()))
        read += len(text)
        if read > MAX_HEADER_CHARS:
            return
        if text and len(text) <= MAX_LINE_CHARS:
            yield text


def _is_short(element: HtmlElement) -> bool:
    """Its text, the source's indentation collapsed, is at most MAX_LINE_CHARS (read only as
    far as needed: the article's container is a sibling of the headline on many pages)."""
    length = 0
    for piece in element.itertext():
        length += len(" ".join(piece.split())) + 1
        if length > MAX_LINE_CHARS + 1:
            return False
    return True


def _once(text: str) -> str:
    """A line set twice (a visible and a screen reader's copy) read once."""
    words = text.split()
    half = len(words) // 2
    return " ".join(words[:half]) if half and words[:half] == words[half:] else text


def _following(heading: HtmlElement) -> Iterator[HtmlElement]:
    """The lines after ``heading``: each following sibling of it and of its ancestors."""
    node: HtmlElement | None = heading
    while node is not None:
        for sibling in node.itersiblings():
            yield from _lines(sibling)
        node = node.getparent()


def _lines(element: HtmlElement) -> Iterator[HtmlElement]:
    if not isinstance(element.tag, str) or element.tag in SKIPPED_TAGS:
        return
    children = [child for child in element if isinstance(child.tag, str)]
    if not children or element.tag == "p" or _is_short(element):
        yield element
        return
    for child in children:
        yield from _lines(child)
