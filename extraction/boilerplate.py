"""Remove page furniture from an HTML tree before trafilatura sees it.

trafilatura is good at finding the article block, but on many news templates photo captions,
share bars, "Related" headline lists and comment forms sit inside that block and leak into the
text. The rules here run on the lxml tree (structure and class names, never regex on the text):

* captions are taken out first and returned, because they are content worth keeping apart;
* elements whose tag, class or id marks them as furniture are dropped;
* a heading such as "Related" or "Leave a Reply" is dropped together with what it introduces;
* a short "Read more: <link>" paragraph is dropped;
* a table used for page layout (its cells hold headings and paragraphs) is turned into plain
  blocks, so trafilatura reads the story as paragraphs rather than as one table cell next to
  the sidebar's cell. Data tables are left alone.

An element that holds the main article (or most of the page's text) is never dropped, so a
template that puts "comments" in a wrapper's class cannot wipe out the article.
"""

from __future__ import annotations

import re

from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

CAPTIONS = CSSSelector(
    "figcaption, .wp-caption-text, .wp-element-caption, .caption, .image-caption,"
    " .photo-caption, .media-caption, [itemprop=caption]"
)

FURNITURE_TAGS = CSSSelector("nav, form, button, noscript, [role=navigation], [role=dialog]")

# Not rendered, so never part of what a reader sees (hover cards, off-screen menus).
HIDDEN = CSSSelector("[hidden], [style*='display:none'], [style*='display: none']")


# Words that mark furniture when they occur inside a class or id token ("sharedaddy",
# "jp-relatedposts", "comment-respond", "cookie-notice").
FURNITURE_WORDS = (
    "comment",
    "respond",
    "share",
    "sharing",
    "social",
    "related",
    "newsletter",
    "subscribe",
    "signup",
    "sign-up",
    "cookie",
    "consent",
    "gdpr",
    "breadcrumb",
    "advert",
    "promo",
    "readmore",
    "read-more",
    "recommended",
    "more-stories",
    "latest",
    "tags",
)
_FURNITURE_NAME = re.compile("|".join(re.escape(word) for word in FURNITURE_WORDS))
# WordPress adds taxonomy classes such as "tag-social-media" to the article itself.
_TAXONOMY_PREFIXES = ("tag-", "category-")

# Headings that introduce furniture; compared after lower-casing and dropping a final colon.
FURNITURE_HEADINGS = frozenset(
    {
        "leave a reply",
        "leave a comment",
        "comments",
        "related",
        "related posts",
        "related articles",
        "related news",
        "related stories",
        "read more",
        "read also",
        "more stories",
        "more from",
        "you may also like",
        "recommended",
        "share this",
        "share",
        "subscribe",
    }
)
_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")

# Labels of inline cross-links ("Read more: <a>Other story</a>").
READ_MORE_LABELS = ("read more:", "read also:", "related:", "see also:", "also read:")
_READ_MORE_MAX_CHARS = 300

MAIN_CONTENT = CSSSelector(
    "article, main, [itemprop=articleBody], .entry-content, .post-content, .article-body,"
    " .article-content, .story-body"
)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _text(element: HtmlElement) -> str:
    return _clean(element.text_content())


def _drop(element: HtmlElement) -> None:
    """Remove an element but keep its tail text, which belongs to the parent."""
    if element.getparent() is not None:
        element.drop_tree()


def take_captions(tree: HtmlElement) -> list[str]:
    """Remove photo captions from the tree and return their text, in page order, deduplicated."""
    captions: list[str] = []
    elements = CAPTIONS(tree)
    for element in elements:
        text = _text(element)
        if text and text not in captions:
            captions.append(text)
    for element in elements:
        _drop(element)
    return captions


def _is_furniture_name(element: HtmlElement) -> bool:
    names = f"{element.get('class', '')} {element.get('id', '')}".lower().split()
    return any(
        _FURNITURE_NAME.search(token) for token in names if not token.startswith(_TAXONOMY_PREFIXES)
    )


def _is_protected(element: HtmlElement, page_chars: int) -> bool:
    """True for elements that hold the article, which no rule may remove."""
    if element.tag in ("html", "body") or MAIN_CONTENT(element):
        return True
    return page_chars > 0 and len(_text(element)) > page_chars / 2


def _heading_block(heading: HtmlElement) -> list[HtmlElement]:
    """The heading plus its following siblings up to the next heading of the same or higher rank."""
    block = [heading]
    rank = _HEADING_TAGS.index(heading.tag)
    for sibling in heading.itersiblings():
        if sibling.tag in _HEADING_TAGS and _HEADING_TAGS.index(sibling.tag) <= rank:
            break
        block.append(sibling)
    return block


def _teaser_links(tree: HtmlElement) -> list[HtmlElement]:
    """Links that wrap a heading: cards pointing at other stories."""
    return [a for a in tree.iter("a") if next(a.iter(*_HEADING_TAGS), None) is not None]


def prune_boilerplate(tree: HtmlElement) -> None:
    """Drop furniture (share bars, related lists, comment forms, prompts) from the tree in place."""
    body = tree.find(".//body")
    page_chars = len(_text(body if body is not None else tree))

    doomed: list[HtmlElement] = [*FURNITURE_TAGS(tree), *HIDDEN(tree), *_teaser_links(tree)]
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        if _is_furniture_name(element):
            doomed.append(element)
        elif element.tag in _HEADING_TAGS:
            if _text(element).lower().rstrip(":").strip() in FURNITURE_HEADINGS:
                doomed.extend(_heading_block(element))
        elif element.tag in ("p", "li", "div") and element.find(".//a") is not None:
            text = _text(element).lower()
            if text.startswith(READ_MORE_LABELS) and len(text) <= _READ_MORE_MAX_CHARS:
                doomed.append(element)

    for element in doomed:
        if not _is_protected(element, page_chars):
            _drop(element)


_TABLE_PARTS = ("thead", "tbody", "tfoot")
# In a cell, any one of these marks layout; so do two or more of the paragraph-like blocks
# (data tables often wrap a single value in a <p> or <div>).
_LAYOUT_BLOCKS = ("h1", "h2", "h3", "h4", "h5", "h6", "article", "section", "blockquote", "table")
_PARAGRAPH_BLOCKS = ("p", "div", "ul", "ol")


def _own_cells(table: HtmlElement) -> list[HtmlElement]:
    """Cells of ``table`` itself, not of tables nested in it."""
    return [
        cell for cell in table.iter("td", "th") if next(cell.iterancestors("table"), None) is table
    ]


def _holds_blocks(cell: HtmlElement) -> bool:
    if next(cell.iter(*_LAYOUT_BLOCKS), None) is not None:
        return True
    blocks = cell.iter(*_PARAGRAPH_BLOCKS)
    return next(blocks, None) is not None and next(blocks, None) is not None


def unwrap_layout_tables(tree: HtmlElement) -> None:
    """Turn layout tables (a cell holding headings or paragraphs) into ``<div>``s, in place.

    Each row and cell becomes its own block, so neighbouring cells stay apart and the article
    cell's paragraphs stay paragraphs. Tables nested in a layout cell are judged on their own.
    """
    for table in list(tree.iter("table")):
        cells = _own_cells(table)
        if not any(_holds_blocks(cell) for cell in cells):
            continue
        rows = [row for row in table.iter("tr") if next(row.iterancestors("table"), None) is table]
        for element in [table, *rows, *cells]:
            element.tag = "div"
        for part in [p for p in table if isinstance(p.tag, str) and p.tag in _TABLE_PARTS]:
            part.drop_tag()
