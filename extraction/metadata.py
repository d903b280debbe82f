"""Page metadata besides dates, titles and bylines: canonical URL, language, site names,
description, section, tags and image.

Read from the unpruned page, because pruning may remove the footer links and widgets some of
them live in.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.etree import XPath
from lxml.html import HtmlElement

from extraction.page import Page, types_of

_REL_LINKS = XPath("//a[contains(@rel, 'tag') or contains(@rel, 'category')]")
_LINKS = XPath("//body//a[@href]")
# A breadcrumb trail: an element whose class, id or itemtype says so, in any case
# ("breadcrumb", "Breadcrumbs", schema.org's "BreadcrumbList").
BREADCRUMB_MARK = "breadcrumb"
_BREADCRUMB_LINKS = XPath(
    "//body//*[contains(translate(concat(@class, ' ', @id, ' ', @itemtype),"
    f" 'ABCDEMRU', 'abcdemru'), '{BREADCRUMB_MARK}')]//a"
)
# A longer breadcrumb label is the headline itself (the trail's last item), not a section.
MAX_BREADCRUMB_WORDS = 3
# A home link's text longer than this is a sentence ("Zur Startseite von ..."), not a name.
MAX_HOME_LINK_CHARS = 40
MAX_HOME_LINKS = 4


def _usable_canonical(candidate: str, url: str) -> bool:
    """An http(s) URL, and not the site root unless the page itself is the root.

    Templates that put the home page in every ``rel=canonical`` would otherwise merge all
    articles into one row at load, which is keyed on the canonical URL.
    """
    parts = urlsplit(candidate)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    return not _is_root(candidate) or _is_root(url)


def _is_root(url: str) -> bool:
    """The home page: no path and no query ("?p=12" on "/" is an article)."""
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def canonical_url(page: Page) -> str | None:
    """``<link rel=canonical>``, else og:url, resolved against the fetched URL.

    Unusable values (``javascript:``, a site-root canonical on an article) are skipped; with
    none left this is None and the load step keys the record on the page's own URL.
    """
    candidates = [
        link.get("href") or ""
        for link in page.tree.iter("link")
        if "canonical" in (link.get("rel") or "").lower().split()
    ]
    for value in [*candidates, *page.meta.get("og:url", [])]:
        if value.strip():
            resolved = urljoin(page.url, value.strip())
            if _usable_canonical(resolved, page.url):
                return resolved
    return None


def language(page: Page) -> str | None:
    """Primary language subtag ("en", "ar") declared by the page, if any."""
    tree, meta = page.tree, page.meta
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    candidates += meta.get("content-language", []) + meta.get("og:locale", [])
    in_language = page.article.get("inLanguage")
    candidates.append(in_language if isinstance(in_language, str) else None)
    for value in candidates:
        if value and value.strip():
            primary = value.strip().replace("_", "-").split("-")[0].split(",")[0].lower()
            if primary.isalpha() and 2 <= len(primary) <= 3:
                return primary
    return None


def names(value: Any) -> list[str]:
    """Strings out of a JSON-LD value that may be a string, an object with a name, or a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return names(value.get("name") or value.get("url"))
    if isinstance(value, list):
        return [name for item in value for name in names(item)]
    return []


def site_names(page: Page) -> list[str]:
    """Names the site calls itself: og:site_name, application-name, the JSON-LD publisher and
    WebSite objects, the twitter:site handle."""
    found = page.meta.get("og:site_name", []) + page.meta.get("application-name", [])
    found += names(page.resolve(page.article.get("publisher")))
    found += [n for node in page.nodes if "WebSite" in types_of(node) for n in names(node)]
    found += [handle.lstrip("@") for handle in page.meta.get("twitter:site", [])]
    found += home_link_names(page)
    return [name for name in found if isinstance(name, str) and name.strip()]


def home_link_names(page: Page) -> list[str]:
    """What the links to the site's home page say: the logo's text or ``alt`` ("Hafenbote"),
    a site name for templates that state none in their metadata."""
    parts = urlsplit(page.url or "")
    origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else None
    homes = {"/", *((origin, origin + "/") if origin else ())}
    found: list[str] = []
    for link in _LINKS(page.tree):
        if link.get("href", "").strip() not in homes:
            continue
        texts = [link.text_content(), *(img.get("alt", "") for img in link.iter("img"))]
        found += [" ".join(t.split()) for t in texts if 0 < len(t.strip()) <= MAX_HOME_LINK_CHARS]
        if len(found) >= MAX_HOME_LINKS:
            break
    return found[:MAX_HOME_LINKS]


def description(page: Page) -> str | None:
    """The page's summary: meta description, og:description or the JSON-LD description."""
    found = page.meta.get("description", []) + page.meta.get("og:description", [])
    found += names(page.article.get("description"))
    found += page.meta.get("twitter:description", [])
    return next((" ".join(text.split()) for text in found if text.strip()), None)


def _link_labels(page: Page, rel: str) -> list[str]:
    """Texts of links marked ``rel="tag"`` / ``rel="category tag"``, in page order."""
    labels = []
    for link in _REL_LINKS(page.tree):
        if rel in (link.get("rel") or "").lower().split():
            text = " ".join(link.text_content().split())
            if text:
                labels.append(text)
    return labels


def section(page: Page) -> str | None:
    """``article:section``, JSON-LD ``articleSection``, else the first category link."""
    return next(iter(sections(page)), None)


def sections(page: Page) -> list[str]:
    """Every section the page states, in that order (the title's furniture may name any)."""
    found = page.meta.get("article:section", []) + names(page.article.get("articleSection"))
    found += _link_labels(page, "category")
    return [value.strip() for value in found if value.strip()]


def is_breadcrumb(element: HtmlElement) -> bool:
    marks = " ".join(element.get(name, "") for name in ("class", "id", "itemtype"))
    return BREADCRUMB_MARK in marks.lower()


def breadcrumb_labels(page: Page) -> list[str]:
    """The short labels of the page's breadcrumb trail ("Startseite", "Politik"): sections a
    title may name beside the headline, though not the page's own (the first is the home)."""
    labels: list[str] = []
    here = urlsplit(page.url or "").path.rstrip("/")
    for link in _BREADCRUMB_LINKS(page.tree):
        if urlsplit(urljoin(page.url or "", link.get("href", ""))).path.rstrip("/") == here:
            continue  # the trail's last item, the page itself: its headline
        named = link.xpath(".//meta[@itemprop='name']/@content")
        text = " ".join((named[0] if named else link.text_content()).split())
        if text and len(text.split()) <= MAX_BREADCRUMB_WORDS:
            labels.append(text)
    return labels


def tags(page: Page) -> list[str]:
    """``article:tag``, JSON-LD ``keywords`` and ``rel="tag"`` links, each once."""
    keywords = page.article.get("keywords")
    if isinstance(keywords, str):
        keywords = keywords.split(",")
    category = set(_link_labels(page, "category"))
    linked = [label for label in _link_labels(page, "tag") if label not in category]
    found = page.meta.get("article:tag", []) + names(keywords) + linked
    result: list[str] = []
    seen: set[str] = set()
    for tag in found:
        tag = " ".join(tag.split())
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            result.append(tag)
    return result


def _image_urls(value: Any) -> list[str]:
    if isinstance(value, dict):
        return _image_urls(value.get("url") or value.get("contentUrl"))
    if isinstance(value, list):
        return [url for item in value for url in _image_urls(item)]
    return [value] if isinstance(value, str) else []


def image(page: Page) -> str | None:
    found = page.meta.get("og:image", []) + _image_urls(page.article.get("image"))
    found += page.meta.get("twitter:image", [])
    for value in found:
        if value.strip():
            return urljoin(page.url, value.strip())
    return None
