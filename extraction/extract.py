"""HTML page -> :class:`Article`: body text, captions and metadata.

The page is parsed once with lxml; metadata is read from the full tree, then captions and page
furniture are pruned (see :mod:`extraction.boilerplate`) and trafilatura extracts the body from
what is left. Paragraphs in ``Article.text`` are separated by a blank line (``"\\n\\n"``); a
single ``"\\n"`` only occurs inside a block (line breaks, list items, table rows).

Bad input never raises: the record comes back with ``error`` set and empty text, so one broken
page cannot stop a batch.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version

import lxml.etree
import lxml.html
import trafilatura
from lxml.html import HtmlElement
from trafilatura.settings import Document
from trafilatura.xml import xmltotxt

from extraction import metadata
from extraction.authors import clean_authors, site_name_keys
from extraction.boilerplate import prune_boilerplate, take_captions, unwrap_layout_tables
from extraction.charset import decode_html
from extraction.dedup import simhash
from extraction.errors import LISTING_ERROR, MEMORY_ERROR, TOO_DEEP_ERROR
from extraction.language import article_language
from extraction.quality import drop_boilerplate_paragraphs, quality_flags
from extraction.record import Article

log = logging.getLogger(__name__)

PARAGRAPH_SEPARATOR = "\n\n"
# An article holds running text: one line this long, or this much in lines of at least
# MIN_SENTENCE_CHARS (a story told in short paragraphs, a body split by <br>). Headline lists
# and menus do not. Lengths are weighted: a CJK character counts CJK_CHAR_WEIGHT.
MIN_PROSE_LINE_CHARS = 100
MIN_PROSE_CHARS = 300
MIN_SENTENCE_CHARS = 40
CJK_CHAR_WEIGHT = 3
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# A page whose <article> teasers (a heading with a link), at least this many, hold more than
# this share of its words is a listing, not a story.
LISTING_MIN_TEASERS = 3
LISTING_TEXT_SHARE = 0.5
_TEASER_HEADINGS = ("h1", "h2", "h3", "h4")
# htmldate's extensive search reads free text and turns a footer's "© 2023" into 1 January
# 2023; only dates the markup states are worth a guess.
DATE_SEARCH = {"extensive_search": False, "original_date": True}
_BINARY_SAMPLE_CHARS = 4096
_BINARY_MAX_CONTROL_RATIO = 0.05


def _package_version() -> str:
    try:
        return version("newsflow")
    except PackageNotFoundError:
        return "0.1.0"


EXTRACTOR = f"newsflow-extraction/{_package_version()} trafilatura/{trafilatura.__version__}"


def _looks_binary(text: str) -> bool:
    """Control characters (other than whitespace) in bulk mean this was never text."""
    sample = text[:_BINARY_SAMPLE_CHARS]
    if "\x00" in sample:
        return True
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    replaced = sample.count("\ufffd")
    return (control + replaced) > _BINARY_MAX_CONTROL_RATIO * max(len(sample), 1)


def _parse(text: str) -> tuple[HtmlElement | None, bool]:
    """Parse decoded HTML (declared encodings are ignored: already decoded).

    Returns the tree and whether libxml2 hit a resource limit: past 256 levels of nesting it
    stops building the tree, so such a page is refused rather than half-read.
    """
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        tree = lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None, False
    limited = any(error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log)
    return (tree if isinstance(tree, HtmlElement) else None), limited


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


def _weighted_len(line: str) -> int:
    """Characters, a CJK one counting as several: it carries about a word."""
    return len(line) + (CJK_CHAR_WEIGHT - 1) * len(_CJK.findall(line))


def _has_prose(body: lxml.etree._Element | None, declared_article: bool = False) -> bool:
    """True when the paragraphs hold running text (not just links, labels or headings).

    Judged on the whole body, not one line: a long line, or enough sentence-length lines in
    total. A page that declares itself an article needs only the long line's worth in total.
    """
    if body is None:
        return False
    needed = MIN_PROSE_LINE_CHARS if declared_article else MIN_PROSE_CHARS
    total = 0
    for block in body.iter("p", "quote"):
        for line in xmltotxt(block, False).splitlines():
            length = _weighted_len(line.strip())
            if length >= MIN_PROSE_LINE_CHARS:
                return True
            if length >= MIN_SENTENCE_CHARS:
                total += length
                if total >= needed:
                    return True
    return False


def _declares_article(meta: dict[str, list[str]], jsonld: dict) -> bool:
    """JSON-LD of an Article type, or ``og:type`` article."""
    return bool(jsonld) or "article" in [v.lower() for v in meta.get("og:type", [])]


def _is_listing(tree: HtmlElement, meta: dict[str, list[str]], jsonld: dict) -> bool:
    """A section or archive page: ``<article>`` teasers (a heading linking away) hold most text.

    Pages that declare themselves an article (JSON-LD, ``og:type``) are never listings, and a
    story with a rail of related ``<article>`` cards keeps most of its text outside the cards.
    """
    if _declares_article(meta, jsonld):
        return False
    teasers = [
        element
        for element in tree.iter("article")
        if any(h.find(".//a[@href]") is not None for h in element.iter(*_TEASER_HEADINGS))
    ]
    if len(teasers) < LISTING_MIN_TEASERS:
        return False
    body = tree.find(".//body")
    page_chars = len((body if body is not None else tree).text_content().split())
    teaser_chars = sum(len(t.text_content().split()) for t in teasers)
    return teaser_chars > LISTING_TEXT_SHARE * page_chars


def _drop_leading_title(text: str, title: str | None) -> str:
    """trafilatura keeps the page's <h1>; the title has its own field, so not again in the body."""
    first, _, rest = text.partition(PARAGRAPH_SEPARATOR)
    if title and " ".join(first.split()).casefold() == " ".join(title.split()).casefold():
        return rest
    return text


def _trafilatura(tree: HtmlElement, url: str, *, favor_precision: bool) -> Document | None:
    """trafilatura's document (body tree and metadata); it works on a copy of ``tree``.

    Precision mode is tried first: on the extraction-dev set it removes more leftover furniture
    than it loses text. When it finds no running text at all (pages made mostly of tables or
    lists), the default mode gets a second chance.
    """
    return trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        favor_precision=favor_precision,
        date_extraction_params=DATE_SEARCH,
    )


def _failed(article: Article, reason: str) -> Article:
    article.error = reason
    article.text = ""
    return article


def extract_article(
    html: str | bytes,
    url: str,
    *,
    source: str = "",
    fallback_published: datetime | None = None,
    encoding: str | None = None,
) -> Article:
    """Extract one article; ``encoding`` is the transport charset hint for ``bytes`` input.

    ``fallback_published`` (typically the feed's date) is used only when the page states no
    plausible publication date; ``published_source`` is then ``"feed"``.
    """
    article = Article(url=url, source=source, extractor=EXTRACTOR)
    try:
        return _extract(article, html, url, fallback_published, encoding)
    except MemoryError:
        log.warning("memory limit exceeded extracting %s", url)
        return _failed(article, MEMORY_ERROR)
    except Exception as exc:  # a batch must survive any single page
        log.exception("extraction failed for %s", url)
        return _failed(article, f"extraction failed: {type(exc).__name__}")


def _extract(
    article: Article,
    html: str | bytes,
    url: str,
    fallback_published: datetime | None,
    encoding: str | None,
) -> Article:
    if isinstance(html, bytes | bytearray):
        if not html.strip():
            return _failed(article, "empty document")
        html = decode_html(bytes(html), encoding)
    if not html or not html.strip():
        return _failed(article, "empty document")
    if _looks_binary(html):
        return _failed(article, "not an HTML document (binary content)")
    if "<" not in html[:_BINARY_SAMPLE_CHARS]:
        return _failed(article, "not an HTML document (no markup)")

    tree, limited = _parse(html)
    if limited:
        return _failed(article, TOO_DEEP_ERROR)
    if tree is None:
        return _failed(article, "unparseable HTML")
    if not tree.text_content().strip():
        return _failed(article, "empty document")

    meta = metadata.meta_values(tree)
    jsonld = metadata.json_ld_article(tree)
    article.canonical_url = metadata.canonical_url(tree, meta, url)
    article.language = metadata.language(tree, meta, jsonld)

    if _is_listing(tree, meta, jsonld):
        return _failed(article, LISTING_ERROR)
    article.published, article.published_source = metadata.published_date(
        tree, jsonld, meta, url, fallback_published
    )
    # Only a moment the page states is precise enough to judge a modification by.
    stated = article.published if article.published_source not in ("url", "feed") else None
    article.modified, article.modified_source = metadata.modified_date(tree, jsonld, meta, stated)
    article.captions = take_captions(tree)
    unwrap_layout_tables(tree)
    prune_boilerplate(tree)

    declared = _declares_article(meta, jsonld)
    doc = _trafilatura(tree, url, favor_precision=True)
    if not _has_prose(getattr(doc, "body", None), declared):
        doc = _trafilatura(tree, url, favor_precision=False) or doc
    categories = list(getattr(doc, "categories", None) or [])
    # trafilatura passes a JSON-LD headline through as it is, lists and objects included.
    title = getattr(doc, "title", None)
    article.title = (title if isinstance(title, str) else None) or metadata.headline(jsonld)
    site_keys = site_name_keys(
        [*metadata.site_names(meta, jsonld), getattr(doc, "sitename", None)],
        article.canonical_url or url,
    )
    byline = (getattr(doc, "author", None) or "").split(";")
    article.authors = clean_authors(metadata.jsonld_author_names(jsonld), site_keys)
    article.authors = article.authors or clean_authors(byline, site_keys)
    article.description = getattr(doc, "description", None) or None
    article.section = metadata.section(meta, jsonld, categories)
    article.tags = metadata.tags(meta, jsonld, list(getattr(doc, "tags", None) or []))
    article.image = metadata.image(meta, jsonld, url) or getattr(doc, "image", None) or None

    if article.published is None:
        article.published, article.published_source = metadata.guessed_date(
            getattr(doc, "date", None)
        )

    body = getattr(doc, "body", None)
    text = _drop_leading_title(_body_text(body), article.title)
    article.text = drop_boilerplate_paragraphs(text, PARAGRAPH_SEPARATOR)
    article.language = article_language(article.language, article.text)
    if not article.text or not _has_prose(body, declared):
        return _failed(article, "no article text found")

    article.quality_flags = quality_flags(article)
    article.simhash = simhash(article.text)
    return article
