"""HTML page -> :class:`Article`: body text, captions and metadata.

The page is parsed once with lxml into a :class:`~extraction.page.Page` (tree, meta tags,
JSON-LD) that every reader shares: title, bylines, dates, paywall and the other metadata are read
from the full tree, then captions and page furniture are pruned (see
:mod:`extraction.boilerplate`) and trafilatura extracts the body from what is left, with a safety
net (see :mod:`extraction.body`); the summary the page shows under its headline leads the body
(see :mod:`extraction.standfirst`). Paragraphs in ``Article.text`` are separated by a blank line
(``"\\n\\n"``).

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

from extraction import dates, metadata, profiles
from extraction.agencies import dateline_agencies
from extraction.authors import clean_authors, site_name_keys
from extraction.body import PARAGRAPH_SEPARATOR, extract_body, listing_teasers, paragraph_chars
from extraction.boilerplate import prune_boilerplate, take_captions, unwrap_layout_tables
from extraction.bylines import credited_agencies, page_credits, without_credit_lines
from extraction.charset import decode_html
from extraction.dedup import simhash
from extraction.errors import MEMORY_ERROR, TOO_DEEP_ERROR
from extraction.language import article_language
from extraction.page import read_page
from extraction.paywall import free_access
from extraction.profiles import Profile, ProfiledSource
from extraction.quality import quality_flags
from extraction.record import Article
from extraction.standfirst import shown_summary, with_standfirst
from extraction.titles import headline

__all__ = ["EXTRACTOR", "PARAGRAPH_SEPARATOR", "extract_article"]

log = logging.getLogger(__name__)

_BINARY_SAMPLE_CHARS = 4096
_BINARY_MAX_CONTROL_RATIO = 0.05
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")
# Every element an HtmlElement, chosen in C. lxml.html's own lookup (form, input and label
# classes) is a Python call for each element proxy, in our passes and trafilatura's alike: 8%
# of extraction time on extraction-dev, for classes nothing here uses.
_ELEMENT_CLASSES = lxml.etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement,
    comment=lxml.html.HtmlComment,
    pi=lxml.html.HtmlProcessingInstruction,
    entity=lxml.html.HtmlEntity,
)


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
    return len(_CONTROL.findall(sample)) > _BINARY_MAX_CONTROL_RATIO * max(len(sample), 1)


def _parse(text: str) -> tuple[HtmlElement | None, bool]:
    """Parse decoded HTML (declared encodings are ignored: already decoded).

    Returns the tree and whether libxml2 hit a resource limit: past 256 levels of nesting it
    stops building the tree, so such a page is refused rather than half-read.
    """
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    parser.set_element_class_lookup(_ELEMENT_CLASSES)
    try:
        tree = lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None, False
    limited = any(error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log)
    return (tree if isinstance(tree, HtmlElement) else None), limited


def _failed(article: Article, reason: str) -> Article:
    article.error = reason
    article.text = ""
    return article


def extract_article(
    html: str | bytes,
    url: str,
    *,
    source: str | ProfiledSource = "",
    fallback_published: datetime | None = None,
    encoding: str | None = None,
) -> Article:
    """Extract one article; ``encoding`` is the transport charset hint for ``bytes`` input.

    ``source`` is the registry entry (its name and ``extract:`` profiles, see
    :mod:`extraction.profiles`) or just a name. ``fallback_published`` (typically the feed's
    date) is used only when the page states no plausible publication date; ``published_source``
    is then ``"feed"``.
    """
    name = source if isinstance(source, str) else source.name
    site_profiles = [] if isinstance(source, str) else list(source.extract)
    article = Article(url=url, source=name, extractor=EXTRACTOR)
    try:
        return _extract(article, html, url, fallback_published, encoding, site_profiles)
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
    site_profiles: list[Profile],
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

    profile = _choose_profile(article, tree, url, site_profiles, fallback_published)
    page = read_page(tree, url)
    article.canonical_url = metadata.canonical_url(page)
    article.language = metadata.language(page)
    site_keys = site_name_keys(metadata.site_names(page), article.canonical_url or url)
    article.title = headline(page, site_keys)
    article.authors = page_credits(page, site_keys, article.language, article.title)
    article.published, article.published_source = dates.published_date(page, fallback_published)
    if article.published is None:
        article.published, article.published_source = dates.guessed_date(page, article.title)
    # Only a moment the page states is precise enough to judge a modification by.
    stated = article.published if article.published_source not in ("url", "feed") else None
    article.modified, article.modified_source = dates.modified_date(page, stated)
    article.description = metadata.description(page)
    article.section = metadata.section(page)
    article.tags = metadata.tags(page)
    article.image = metadata.image(page)
    article.free_access = free_access(page)
    if profile is not None:
        _profile_metadata(article, tree, profile, site_keys)

    teasers = listing_teasers(page)
    page_chars = paragraph_chars(tree)
    article.captions = take_captions(tree)
    unwrap_layout_tables(tree)
    text = profiles.body_text(tree, profile.body) if profile and profile.body else ""
    fallback = False
    if not text:
        standfirst = shown_summary(tree, article.description)
        prune_boilerplate(tree)
        body = extract_body(
            page,
            article.title,
            teasers=teasers,
            page_chars=page_chars,
            unpruned=lambda: _parse(html)[0],
        )
        if body.error:
            return _failed(article, body.error)
        text = without_credit_lines(
            body.text, article.authors, site_keys, article.language, PARAGRAPH_SEPARATOR
        )
        text = with_standfirst(text, standfirst, PARAGRAPH_SEPARATOR)
        fallback = body.fallback
    article.text = text
    article.language = article_language(article.language, article.text)
    article.agencies = list(
        dict.fromkeys([*credited_agencies(article.authors), *dateline_agencies(article.text)])
    )
    article.quality_flags = quality_flags(article, body_fallback=fallback)
    article.simhash = simhash(article.text)
    return article


def _choose_profile(
    article: Article,
    tree: HtmlElement,
    url: str,
    site_profiles: list[Profile],
    fallback_published: datetime | None,
) -> Profile | None:
    """The one place that decides profile or generic: the chosen profile's ``remove:`` is pruned,
    the record's ``extractor`` names it, and ``selectors`` says which of its selectors (or, when
    none applied, the first tried profile's) matched this page."""
    if not site_profiles:
        return None
    day = None
    if any(p.valid_until for p in site_profiles):
        moment = dates.published_date(read_page(tree, url), fallback_published)[0]
        day = moment.date() if moment else None
    chosen, tried = profiles.choose(site_profiles, tree, day)
    if chosen is None:
        if tried is not None:
            article.selectors = {
                f: bool(profiles.select(tree, s)) for f, s in tried.selectors().items()
            }
        return None
    profiles.prune(tree, chosen)
    article.extractor = f"{EXTRACTOR} profile={article.source}:{chosen.name}"
    return chosen


def _profile_metadata(
    article: Article, tree: HtmlElement, profile: Profile, site_keys: set[str]
) -> None:
    """Lay what the profile's selectors find over the generic fields; a selector that finds
    nothing leaves the generic value."""
    found: dict[str, bool] = {}
    for name, selector in profile.selectors().items():
        if name == "body":
            found[name] = True  # the profile was chosen because its body finds text
        elif name in ("published", "modified"):
            moment = profiles.read_date(tree, selector, profile)
            found[name] = moment is not None
            if moment is not None:
                setattr(article, name, moment)
                setattr(article, f"{name}_source", "profile")
        elif name in ("authors", "tags"):
            values = profiles.read_texts(tree, selector)
            if name == "authors":
                values = clean_authors(values, site_keys, article.language)
            found[name] = bool(values)
            if values:
                setattr(article, name, values)
        else:
            values = profiles.read_texts(tree, selector)
            found[name] = bool(values)
            if values:
                setattr(article, name, values[0])
    article.selectors = found
