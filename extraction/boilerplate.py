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

An element that holds the main article (a main-content container, a class naming the
article's text such as "article-text", or most of the page's paragraph text) is never dropped,
so a template that puts "comments" or "advertorial" in a wrapper's class cannot wipe out the
article.
"""

from __future__ import annotations

import re

from lxml.etree import XPath
from lxml.html import HtmlElement

# Captions: <figcaption>, [itemprop=caption], and these class names. XPath's contains() finds
# the candidates cheaply; the class is then checked token by token. The XPaths here walk the
# attribute axis (``//@class[...]/..``): libxml2 then tests only the attributes there are,
# not every element for each attribute, which takes a third of the time.
CAPTION_CLASSES = frozenset(
    {"wp-caption-text", "wp-element-caption", "caption", "image-caption", "photo-caption"}
    | {"media-caption"}
)
_CAPTION_CANDIDATES = XPath(
    "//figcaption | //@itemprop[.='caption']/.. | //@class[contains(., 'caption')]/.."
)
# A paragraph of an image and, under it, a short line in italics is a captioned photo too
# (WordPress posts written without a caption block: ``<p><img><br><em>Caption</em></p>``).
_IMAGE_PARAGRAPHS = XPath("//p[.//img][em or i]")
_CAPTION_LINE_TAGS = frozenset({"em", "i"})
CAPTION_LINE_MAX_CHARS = 250

FURNITURE_TAGS = frozenset({"nav", "form", "button", "noscript"})
FURNITURE_ROLES = frozenset({"navigation", "dialog"})

# Not rendered, so never part of what a reader sees (hover cards, off-screen menus).
HIDDEN_STYLES = ("display:none", "display: none")
_ATTRIBUTE_MARKED = XPath(
    "//@role/.. | //@hidden/.. | //@style/.. | //@itemprop[.='articleBody']/.."
)


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
    # Boxes the page sets beside the story (fact boxes, info boxes): background, not its text.
    "factbox",
    "fact-box",
    "infobox",
    "info-box",
)
_FURNITURE_NAME = re.compile("|".join(re.escape(word) for word in FURNITURE_WORDS))
# WordPress adds taxonomy classes such as "tag-social-media" to the article itself.
_TAXONOMY_PREFIXES = ("tag-", "category-")
# A class or id naming the article's own text ("bo-article-text", "story-body") wins over a
# furniture word next to it ("js-dynamic-advertorial").
_CONTENT_NAME = re.compile(r"(?:article|story|entry|post)[-_]?(?:body|text|content)")

# Headings that introduce furniture, in the languages of the sources; compared after
# lower-casing and dropping a final colon. A heading may also start with one of the prefixes
# ("More from The Nation").
FURNITURE_HEADINGS = frozenset(
    {
        *("leave a reply", "leave a comment", "comments", "related", "related posts"),
        *("related articles", "related news", "related stories", "read more", "read also"),
        *("more stories", "more from", "you may also like", "recommended", "share this"),
        *("share", "subscribe", "most read", "most popular", "popular", "trending"),
        *("auch interessant", "mehr zum thema", "das könnte sie auch interessieren"),
        *("meistgelesen", "weitere artikel", "kommentare", "lesen sie auch"),
        *("les også", "mest lest", "læs også", "mest læste", "läs också", "mest läst"),
        *("lees ook", "meest gelezen", "lire aussi", "à lire aussi", "sur le même sujet"),
        *("les plus lus", "commentaires", "lee también", "noticias relacionadas"),
        *("más leídas", "lo más leído", "comentarios", "leggi anche", "articoli correlati"),
        *("i più letti", "commenti", "leia também", "mais lidas", "czytaj też"),
        *("czytaj także", "najczęściej czytane", "komentarze", "читайте также"),
    }
)
FURNITURE_HEADING_PREFIXES = ("more from ", "more on ", "mehr aus ", "mehr von ", "mehr zu ")
_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCK_TAGS = frozenset({"p", "li", "div"})
_LIST_TAGS = frozenset({"ul", "ol"})
LINK_LIST_MIN_ITEMS = 3
LINK_LIST_SHARE = 0.9
# An item may lead with a short unlinked label, a kicker ("Archäologie: <a>headline</a>").
LINK_LABEL_MAX_CHARS = 30
# Links that wrap a heading: cards pointing at other stories.
_TEASER_LINKS = XPath("//a[.//h1 or .//h2 or .//h3 or .//h4 or .//h5 or .//h6]")

# Labels of inline cross-links ("Read more: <a>Other story</a>"), in the sources' languages;
# compared with the block's text after lower-casing and closing up " :" (French spacing).
READ_MORE_LABELS = (
    *("read more:", "read also:", "related:", "see also:", "also read:", "more:"),
    *("lesen sie auch:", "mehr zum thema:", "auch interessant:", "siehe auch:"),
    *("weiterlesen:", "les også:", "les mer:", "læs også:", "læs mere:", "läs också:"),
    *("läs mer:", "lees ook:", "lees meer:", "lire aussi:", "à lire aussi:", "lire la suite:"),
    *("lee también:", "lea también:", "leer más:", "leggi anche:", "leia também:"),
    *("leia mais:", "czytaj też:", "czytaj także:", "čtěte také:", "читайте также:"),
)
_READ_MORE_MAX_CHARS = 300
_READ_MORE_FIRST_WORDS = frozenset(label.split()[0].rstrip(":") for label in READ_MORE_LABELS)

# Containers of the main article: never dropped, nor anything around them.
MAIN_CONTENT_TAGS = frozenset({"article", "main"})
_MAIN_CONTENT_NAME = re.compile(
    r"entry-content|post-content|article-body|article-content|story-body"
)
# A furniture box inside a container named as the article's text goes even when it is most of
# the page's text (a long transcript in a fact box), so long as the container keeps this many
# paragraph characters of its own.
MIN_OWN_TEXT = 500
# Any word either rule looks for: most class names hold none, and one search rejects them.
_ANY_NAME = re.compile(f"{_FURNITURE_NAME.pattern}|{_MAIN_CONTENT_NAME.pattern}")


def _clean(text: str) -> str:
    return " ".join(text.split())


def _text(element: HtmlElement) -> str:
    return _clean(element.text_content())


def _drop(element: HtmlElement) -> None:
    """Remove an element but keep its tail text, which belongs to the parent."""
    if element.getparent() is not None:
        element.drop_tree()


def _is_caption(element: HtmlElement) -> bool:
    if element.tag == "figcaption" or element.get("itemprop") == "caption":
        return True
    return not CAPTION_CLASSES.isdisjoint((element.get("class") or "").split())


def _is_captioned_image(paragraph: HtmlElement) -> bool:
    """An image first, then only line breaks and italic text, short: a photo and its caption."""
    if (paragraph.text or "").strip():
        return False
    image = False
    for child in paragraph:
        if (child.tail or "").strip():
            return False
        if child.tag == "img" or child.find(".//img") is not None:
            if child.text_content().strip():
                return False
            image = True
        elif child.tag in _CAPTION_LINE_TAGS:
            if not image:
                return False
        elif child.tag != "br":
            return False
    return image and 0 < len(_text(paragraph)) <= CAPTION_LINE_MAX_CHARS


def take_captions(tree: HtmlElement) -> list[str]:
    """Remove photo captions from the tree and return their text, in page order, deduplicated."""
    captions: list[str] = []
    elements = [e for e in _CAPTION_CANDIDATES(tree) if _is_caption(e)]
    elements += [p for p in _IMAGE_PARAGRAPHS(tree) if _is_captioned_image(p)]
    for element in elements:
        text = _text(element)
        if text and text not in captions:
            captions.append(text)
    for element in elements:
        _drop(element)
    return captions


def _is_furniture_name(names: str) -> bool:
    """``names``: the element's class and id, lower-cased."""
    if not _FURNITURE_NAME.search(names) or _CONTENT_NAME.search(names):
        return False
    return any(
        _FURNITURE_NAME.search(token)
        for token in names.split()
        if not token.startswith(_TAXONOMY_PREFIXES)
    )


def _heading_block(heading: HtmlElement) -> list[HtmlElement]:
    """The heading plus its following siblings up to the next heading of the same or higher rank."""
    block = [heading]
    rank = _HEADING_TAGS.index(heading.tag)
    for sibling in heading.itersiblings():
        if sibling.tag in _HEADING_TAGS and _HEADING_TAGS.index(sibling.tag) <= rank:
            break
        block.append(sibling)
    return block


def _first_word(element: HtmlElement) -> str:
    """The block's first word, read from its own text or its first child's (cheap: no walk)."""
    text = element.text
    if (text is None or not text.strip()) and len(element):
        text = element[0].text
    words = (text or "").split(maxsplit=1)
    return words[0].lower().rstrip(":") if words else ""


def _is_read_more(element: HtmlElement) -> bool:
    """A short "Read more: <link>" block; its first word is looked at before anything else."""
    if _first_word(element) not in _READ_MORE_FIRST_WORDS or element.find(".//a") is None:
        return False
    text = _text(element).lower().replace(" :", ":")
    return text.startswith(READ_MORE_LABELS) and len(text) <= _READ_MORE_MAX_CHARS


def _paragraph_chars(element: HtmlElement) -> int:
    return sum(len(p.text_content()) for p in element.iter("p"))


def _is_furniture_heading(heading: HtmlElement) -> bool:
    text = _text(heading).lower().rstrip(":").strip()
    return text in FURNITURE_HEADINGS or text.startswith(FURNITURE_HEADING_PREFIXES)


def _marked(tree: HtmlElement) -> tuple[list[HtmlElement], list[HtmlElement]]:
    """(furniture, main content) marked by attributes other than class and id: roles, hidden
    state, ``itemprop=articleBody``; few elements carry them, so XPath finds them."""
    furniture, mains = list(_TEASER_LINKS(tree)), []
    for element in _ATTRIBUTE_MARKED(tree):
        if element.get("itemprop") == "articleBody":
            mains.append(element)
        style = element.get("style") or ""
        if (
            element.get("role") in FURNITURE_ROLES
            or element.get("hidden") is not None
            or any(hidden in style for hidden in HIDDEN_STYLES)
        ):
            furniture.append(element)
    return furniture, mains


def _is_link_list(element: HtmlElement) -> bool:
    """A list of at least LINK_LIST_MIN_ITEMS items that are all links, each perhaps led by a
    short label: headlines of other stories, not the article's own list."""
    items = [child for child in element if child.tag == "li"]
    if len(items) < LINK_LIST_MIN_ITEMS:
        return False
    for item in items:
        text = len("".join(item.text_content().split()))
        linked = sum(len("".join(a.text_content().split())) for a in item.iter("a"))
        labelled = linked >= text / 2 and text - linked <= LINK_LABEL_MAX_CHARS
        if not text or (linked < LINK_LIST_SHARE * text and not (linked and labelled)):
            return False
    return True


def prune_boilerplate(tree: HtmlElement) -> None:
    """Drop furniture (share bars, related lists, comment forms, prompts) from the tree in place.

    One pass over the tree reads tags, classes and ids; the rarer marks come from XPath.
    """
    doomed, mains = _marked(tree)
    for element in tree.iter():
        tag = element.tag
        if not isinstance(tag, str):
            continue
        classes, ident = element.get("class"), element.get("id")
        names = f"{classes or ''} {ident or ''}".lower() if classes or ident else ""
        named = bool(names) and _ANY_NAME.search(names) is not None
        if tag in MAIN_CONTENT_TAGS or (named and _MAIN_CONTENT_NAME.search(names)):
            mains.append(element)
        if (
            tag in FURNITURE_TAGS
            or (named and _is_furniture_name(names))
            or (tag in _BLOCK_TAGS and _is_read_more(element))
            or (tag in _LIST_TAGS and _is_link_list(element))
        ):
            doomed.append(element)
        elif tag in _HEADING_TAGS and _is_furniture_heading(element):
            doomed.extend(_heading_block(element))
    if not doomed:
        return

    keep = {tree, *tree.iter("body")}
    texts = [m for m in mains if m.tag not in MAIN_CONTENT_TAGS]
    for element in mains:
        keep.add(element)
        keep.update(element.iterancestors())
    body = tree.find(".//body")
    page_chars = len((body if body is not None else tree).text_content())
    paragraphs = _paragraph_chars(tree)
    for element in doomed:
        if element in keep or element.getparent() is None:
            continue
        large = (page_chars and len(element.text_content()) > page_chars / 2) or (
            paragraphs and _paragraph_chars(element) > paragraphs / 2
        )
        if large and not _box_in_text(element, texts):
            continue
        _drop(element)


def _box_in_text(element: HtmlElement, texts: list[HtmlElement]) -> bool:
    """True when ``element`` sits inside a container named as the article's text, and that
    container keeps running text of its own without it: a box set in the story, not the story."""
    ancestors = set(element.iterancestors())
    return any(
        text in ancestors and _paragraph_chars(text) - _paragraph_chars(element) >= MIN_OWN_TEXT
        for text in texts
    )


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
