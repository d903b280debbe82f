"""The rest of a story whose template splits its text over several containers.

Some templates cut a long article into chunks, sibling containers of the same class between
which ads or a paywall marker sit (``<div class="body__inner-container">`` ... ``<div
class="body__inner-container">``). trafilatura keeps the one block it judges the article, so
the body stops after the first chunk. When the container that holds the extracted paragraphs
has a class, the later elements of that very tag and class (not nested in it, and in the same
``<article>`` if any) are its chunks: their paragraphs are appended, in page order.
"""

from __future__ import annotations

from collections import Counter

from lxml.html import HtmlElement

_BLOCKS = ("p", "h2", "h3", "h4", "blockquote", "li")
# A container holds the body when this many of the extracted paragraphs sit in it.
MIN_HOME_PARAGRAPHS = 2
_START_CHARS = 24


def _line(text: str) -> str:
    return " ".join(text.split())


def _start(text: str) -> str:
    return _line(text[: 2 * _START_CHARS])[:_START_CHARS]


def _home(tree: HtmlElement, paragraphs: set[str]) -> HtmlElement | None:
    """The classed parent holding most of the extracted paragraphs (found by how a paragraph's
    own text starts: cheaper than reading each one whole)."""
    starts = {_start(p) for p in paragraphs if len(p) >= _START_CHARS}
    parents: Counter[HtmlElement] = Counter()
    for block in tree.iter("p"):
        own = block.text
        if own and len(own) >= _START_CHARS and _start(own) in starts:
            parent = block.getparent()
            if parent is not None:
                parents[parent] += 1
    if not parents:
        return None
    home, count = parents.most_common(1)[0]
    return home if count >= MIN_HOME_PARAGRAPHS and home.get("class") else None


def _story(element: HtmlElement) -> HtmlElement | None:
    """The nearest ``<article>`` around ``element``: chunks of one story share it (the next
    story of an endless page has its own)."""
    return next(element.iterancestors("article"), None)


def later_chunks(tree: HtmlElement, text: str, separator: str) -> list[str]:
    """Paragraphs of the chunks after the one ``text`` was extracted from; [] when none."""
    paragraphs = {_line(p) for p in text.split(separator) if p.strip()}
    home = _home(tree, paragraphs)
    if home is None:
        return []
    inside = set(home.iterancestors())
    story = _story(home)
    found: list[str] = []
    after = False
    for element in tree.iter(home.tag):
        if element is home:
            after = True
            continue
        if not after or element.get("class") != home.get("class") or element in inside:
            continue
        if any(a is home for a in element.iterancestors()) or _story(element) is not story:
            continue
        for block in element.iter(*_BLOCKS):
            if block.tag != "p" and block.getparent() is not element:
                continue
            line = _line(block.text_content())
            if line and line not in paragraphs and line not in found:
                found.append(line)
    return found
