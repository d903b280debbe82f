"""Whether the page says it is for subscribers: then the body may be a teaser, not a failure.

``free_access`` is ``False`` when the page marks the article as not free to read, ``True`` when
it marks it as free, and ``None`` when it says neither. Signals, most specific first:

* JSON-LD ``isAccessibleForFree`` on the article, or on a part of it (``hasPart``, the
  paywalled-content markup search engines ask for); then on the page's other objects (the
  ``WebPage`` that holds the article);
* the same property as microdata (``<meta itemprop="isAccessibleForFree">``);
* ``article:content_tier`` (``locked`` is for subscribers, ``free`` is free; ``metered``, a
  quota of free reads, says neither).

Class names such as "paywall" are not read: templates carry an empty paywall box on free
articles too.
"""

from __future__ import annotations

from typing import Any

from extraction.page import Page

CONTENT_TIERS = {"locked": False, "free": True}


def _flag(value: Any) -> bool | None:
    """A schema.org boolean as pages write it: true/false, "True"/"False", "yes"/"no"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"true": True, "false": False, "yes": True, "no": False}.get(value.strip().lower())
    return None


def _stated(node: dict[str, Any]) -> bool | None:
    """The node's own flag, else False when any of its parts is not free."""
    own = _flag(node.get("isAccessibleForFree"))
    if own is not None:
        return own
    parts = node.get("hasPart")
    parts = parts if isinstance(parts, list) else [parts]
    flags = [_flag(p.get("isAccessibleForFree")) for p in parts if isinstance(p, dict)]
    return False if False in flags else None


def free_access(page: Page) -> bool | None:
    """See the module docstring."""
    if page.article:
        stated = _stated(page.article)
        if stated is not None:
            return stated
    for node in page.nodes:
        stated = _stated(node)
        if stated is not None:
            return stated
    for value in page.meta.get("isaccessibleforfree", []):
        if _flag(value) is not None:
            return _flag(value)
    for value in page.meta.get("article:content_tier", []):
        if value.strip().lower() in CONTENT_TIERS:
            return CONTENT_TIERS[value.strip().lower()]
    return None
