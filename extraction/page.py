"""A page parsed once: the lxml tree, its meta tags and JSON-LD, shared by every reader.

Titles, bylines, dates, the paywall check and the body all read the same page; parsing the HTML
or the JSON-LD again for each of them was a good part of the extraction time (Fundus calls this
bundle "precomputed"). The tree here is the full page; the body is extracted from a pruned copy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement

ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "Report",
    }
)


@dataclass
class Page:
    url: str
    tree: HtmlElement
    # <meta> contents keyed by property / name / itemprop / http-equiv, keys lower-cased.
    meta: dict[str, list[str]]
    # Every JSON-LD object on the page, @graph members included, in page order.
    nodes: list[dict[str, Any]] = field(default_factory=list)
    # The first schema.org Article-like object, or an empty dict.
    article: dict[str, Any] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        """A JSON-LD reference (``{"@id": ...}`` alone) replaced by the object it names."""
        if isinstance(value, dict) and set(value) == {"@id"}:
            return next(
                (n for n in self.nodes if n.get("@id") == value["@id"] and n is not value), value
            )
        return value

    @property
    def declares_article(self) -> bool:
        """JSON-LD of an Article type, or ``og:type`` article."""
        return bool(self.article) or "article" in [v.lower() for v in self.meta.get("og:type", [])]


def types_of(node: Any) -> list[str]:
    """The ``@type`` values of a JSON-LD object (a string or a list of them)."""
    types = node.get("@type") if isinstance(node, dict) else None
    types = types if isinstance(types, list) else [types]
    return [t for t in types if isinstance(t, str)]


def meta_values(tree: HtmlElement) -> dict[str, list[str]]:
    """All ``<meta>`` contents keyed by property / name / itemprop (keys lower-cased)."""
    values: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        content = (meta.get("content") or "").strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = (meta.get(attr) or "").strip().lower()
            if key:
                values.setdefault(key, []).append(content)
    return values


def _walk_json(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _walk_json(item)
    elif isinstance(node, dict):
        yield node
        yield from _walk_json(node.get("@graph"))


def json_ld_nodes(tree: HtmlElement) -> list[dict[str, Any]]:
    """Every object of the page's JSON-LD blocks; blocks that are not valid JSON are skipped."""
    nodes: list[dict[str, Any]] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        nodes.extend(_walk_json(data))
    return nodes


def read_page(tree: HtmlElement, url: str) -> Page:
    nodes = json_ld_nodes(tree)
    article = next((n for n in nodes if any(t in ARTICLE_TYPES for t in types_of(n))), {})
    return Page(url, tree, meta_values(tree), nodes, article)
