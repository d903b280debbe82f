"""Where a page credits its authors: JSON-LD, meta tags, the byline in the markup, links to an
author's page.

Sources are read in order of trust and the first that credits anyone but the site itself wins
(a credit of the outlet alone is often a template's default); within it people
come first, then agencies and newsrooms, and the site's own name only when it is the one credit
(see :func:`extraction.authors.ordered`). JSON-LD objects typed Organization are credits too
(an agency, a newsroom or the outlet itself), and references (``{"@id": ...}``) are followed
to the object they name.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml.etree import XPath
from lxml.html import HtmlElement

from extraction.agencies import agency
from extraction.authors import Credit, credits, has_byline_prefix, is_photo_credit, ordered
from extraction.cjk_bylines import LINE_MARKERS, is_labelled_credit
from extraction.header_lines import header_lines, heading_element
from extraction.metadata import names
from extraction.page import Page, types_of

ORGANIZATION_TYPES = frozenset(
    {"Organization", "NewsMediaOrganization", "Corporation", "NewsAgency", "WebSite"}
)
# Meta tags that hold a byline; article:author often holds a profile URL instead.
BYLINE_META = (
    "author",
    "article:author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "dcterms.creator",
    "byl",
    "citation_author",
    "dable:author",
)
# Markup that marks a byline: rel/itemprop author, or a class or id naming an author or byline
# ("yline", "uthor" and "utor" match both "Byline" and "byline", "Author", "Autor", ...).
# Read on the attribute axis, so libxml2 tests the attributes there are (half the time of
# testing every element for each of them); the union keeps page order.
_BYLINE_ELEMENTS = XPath(
    "//body//*/@rel[.='author']/.. | //body//*/@itemprop[contains(., 'author')]/.."
    " | //body//*/@class[contains(., 'yline') or contains(., 'uthor') or contains(., 'utor')]/.."
    " | //body//*/@id[contains(., 'uthor')]/.."
)
MAX_BYLINE_CHARS = 120
# The body's first paragraphs, where an unmarked byline or photo credit may have been read in.
HEADER_PARAGRAPHS = 3
# Links to an author's page ("/author/jane-doe", "/autoren/name/max-kolter"): the byline of a
# template that marks it with no class of its own. Only a fallback (see page_credits).
_AUTHOR_LINKS = XPath(
    "//body//a/@href[contains(., '/author/') or contains(., '/authors/')"
    " or contains(., '/autor/') or contains(., '/autoren/') or contains(., '/auteur/')"
    " or contains(., '/autore/') or contains(., '/forfatter/') or contains(., '/journalist/')]/.."
)
# Text holding a word of a labelled credit line ("(责编：王小明)", "홍길동 기자").
_MARKED_TEXT = XPath(
    "//body//text()[" + " or ".join(f"contains(., '{word}')" for word in LINE_MARKERS) + "]/.."
)
MAX_LABELLED_LINE_CHARS = 60
# A right-aligned paragraph: where a text is signed at its end ("<p style="text-align:right">
# <strong>Lê Phương</strong></p>", the Vietnamese convention and a letter's).
_RIGHT_ALIGNED = XPath(
    "//body//p[contains(translate(@style, ' ', ''), 'text-align:right') or @align='right']"
)
_LINE = "\x00"
# A byline inside the comments names a commenter.
_COMMENT_MARKERS = ("comment", "respond", "reply")


def _person_name(item: dict) -> object:
    """``name``, else ``givenName`` and ``familyName`` together."""
    if item.get("name"):
        return item["name"]
    parts = [item.get(key) for key in ("givenName", "familyName")]
    return " ".join(p for p in parts if isinstance(p, str)) or None


def _jsonld_authors(page: Page) -> Iterator[tuple[str, bool]]:
    """(name, typed as an organization) for each JSON-LD author of the article."""
    value = page.article.get("author")
    for item in value if isinstance(value, list) else [value]:
        item = page.resolve(item)
        is_org = any(t in ORGANIZATION_TYPES for t in types_of(item))
        for name in names(_person_name(item) if isinstance(item, dict) else item):
            yield name, is_org


def _in_comments(element: HtmlElement) -> bool:
    for ancestor in element.iterancestors():
        marks = f"{ancestor.get('class', '')} {ancestor.get('id', '')}".lower()
        if any(marker in marks for marker in _COMMENT_MARKERS):
            return True
    return False


def _short_and_outside_comments(text: str, element: HtmlElement) -> bool:
    return 0 < len(text) <= MAX_BYLINE_CHARS and not _in_comments(element)


def markup_bylines(page: Page) -> Iterator[str]:
    """Texts of the elements marked as a byline, short enough to be one, outside comments.

    Each link and each ``<br>`` is a line of its own, which the byline splitter cuts at:
    "Von <a>Jasper Riemann</a><a>Barbara Schneider</a>" is two names, not one of four words;
    other markup joins with a space ("<span>Jane</span> <span>Doe</span>").
    """
    for element in _BYLINE_ELEMENTS(page.tree):
        lines = (" ".join(line.split()) for line in _byline_text(element).split(_LINE))
        text = "\n".join(line for line in lines if line)
        if _short_and_outside_comments(text, element):
            yield text


def _byline_text(element: HtmlElement) -> str:
    """The element's text with `_LINE` around each link and at each <br> (the source's own
    line breaks are only spacing)."""
    parts = [element.text or ""]
    for child in element:
        if not isinstance(child.tag, str):
            pass
        elif child.tag == "br":
            parts.append(_LINE)
        elif child.tag == "a":
            parts += [_LINE, child.text_content(), _LINE]
        else:
            parts += [" ", _byline_text(child), " "]
        parts.append(child.tail or "")
    return "".join(parts)


def _author_links(page: Page) -> Iterator[str]:
    """Texts of links to an author's page, outside comments: one name each, read whole."""
    for link in _AUTHOR_LINKS(page.tree):
        text = " ".join(link.text_content().split())
        if _short_and_outside_comments(text, link):
            yield text


def _labelled_lines(page: Page) -> Iterator[str]:
    """Short lines that credit by their label or role word, in Chinese, Japanese and Korean
    (see :mod:`extraction.cjk_bylines`): pages there often mark no byline element."""
    for element in _MARKED_TEXT(page.tree):
        text = " ".join(element.text_content().split())
        if len(text) <= MAX_LABELLED_LINE_CHARS and is_labelled_credit(text):
            yield text.strip("()（）")


def _prefixed_lines(page: Page, headline: str | None) -> Iterator[str]:
    """Short lines under the headline that start as a byline does ("von Katja Brenner"): a
    template whose byline element has no telling class."""
    heading = heading_element(page, headline)
    for line in header_lines(heading) if heading is not None else ():
        if has_byline_prefix(line):
            yield line


def _signatures(page: Page) -> Iterator[str]:
    """The text of a right-aligned short paragraph that ends the text (no paragraph after it)."""
    for paragraph in _RIGHT_ALIGNED(page.tree):
        text = " ".join(paragraph.text_content().split())
        later = (p for p in paragraph.itersiblings("p") if p.text_content().strip())
        if 0 < len(text) <= MAX_LABELLED_LINE_CHARS and next(later, None) is None:
            yield text


def _first_credits(texts: Iterator[str], site_keys: set[str], language: str | None) -> list[Credit]:
    """Credits of the first text that names anyone (later ones are often the bylines of
    related stories)."""
    for text in texts:
        found = credits([text], site_keys, language)
        if found:
            return found
    return []


def _sources(
    page: Page, site_keys: set[str], language: str | None, headline: str | None
) -> Iterator[list[Credit]]:
    people = [(n, org) for n, org in _jsonld_authors(page)]
    yield credits([n for n, org in people if not org], site_keys, language) + credits(
        [n for n, org in people if org], site_keys, language, organization=True
    )
    meta = [value for key in BYLINE_META for value in page.meta.get(key, [])]
    yield credits(meta, site_keys, language)
    yield _first_credits(markup_bylines(page), site_keys, language)
    yield _first_credits(_author_links(page), site_keys, language)
    yield _first_credits(_prefixed_lines(page, headline), site_keys, language)
    yield _first_credits(_labelled_lines(page), site_keys, language)
    yield _first_credits(_signatures(page), site_keys, language)


def page_credits(
    page: Page, site_keys: set[str], language: str | None, headline: str | None = None
) -> list[str]:
    """The credited names (see :mod:`extraction.authors`) of the most trusted source that
    credits anyone: JSON-LD, then meta tags, then the byline in the markup, then links to an
    author page, then a line under the headline (``headline`` finds it without an ``<h1>``)
    that starts as a byline does, then a labelled credit line, then a signature. A source that
    credits only the site itself (a template's default author) is kept only when no later
    source credits someone else."""
    site_only: list[Credit] = []
    for found in _sources(page, site_keys, language, headline):
        if any(credit.kind != "site" for credit in found):
            return ordered(found)
        site_only = site_only or found
    return ordered(site_only)


def without_credit_lines(
    text: str, authors: list[str], site_keys: set[str], language: str | None, separator: str
) -> str:
    """The body without the credit lines among its first paragraphs: a byline set in no
    element of its own ("By Jane Doe Updated May 12", "Daniel Aragón", "바그다드=김민준 특파원")
    that names only the article's credited authors, or a photo credit ("Image: ...")."""
    credited = {name.casefold() for name in authors}
    paragraphs = text.split(separator)
    head = paragraphs[:HEADER_PARAGRAPHS]

    def is_credit_line(line: str) -> bool:
        if len(line) > MAX_BYLINE_CHARS:
            return False
        if is_photo_credit(line):
            return True
        found = credits([line], site_keys, language)
        return bool(found) and all(c.name.casefold() in credited for c in found)

    kept = [line for line in head if not is_credit_line(line)] + paragraphs[HEADER_PARAGRAPHS:]
    return separator.join(kept) if kept else text


def credited_agencies(authors: list[str]) -> list[str]:
    """The agencies among the credits, under their one name each ("The Associated Press" ->
    "AP"), in order."""
    return list(dict.fromkeys(name for a in authors if (name := agency(a))))
