"""Quality gate: flag records whose body still looks wrong, and count flags per source.

Pruning works on page structure; this gate reads the text the reader would get. A body that
still holds a known boilerplate phrase (comment form, newsletter or cookie prompt, share bar,
related list) or is too short is flagged, not dropped: a flag per source over a run shows which
site's template needs a new pruning rule. ``paywall`` tells a teaser from an extraction failure,
``body_fallback`` counts the pages where the body safety net fired.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from extraction.record import Article

SHORT_TEXT_CHARS = 400
BOILERPLATE_PARAGRAPH_CHARS = 300

# Phrases compared case-insensitively with each paragraph of the body; keyed by the flag name.
BOILERPLATE_PHRASES: dict[str, tuple[str, ...]] = {
    "comment_form": (
        "leave a reply",
        "leave a comment",
        "your email address will not be published",
        "required fields are marked",
        "comments are closed",
        "log in to comment",
        "join the discussion",
        "tell us what you think",
    ),
    "newsletter": (
        "sign up for our newsletter",
        "subscribe to our newsletter",
        "sign up to our newsletter",
        "delivered to your inbox",
        "delivered straight to your inbox",
        "right in your inbox",
    ),
    "cookie_prompt": (
        "we use cookies",
        "this website uses cookies",
        "this site uses cookies",
        "accept cookies",
        "accept all cookies",
        "by continuing to use this site",
    ),
    "share_bar": (
        "share this article",
        "share this story",
        "share on facebook",
        "share on twitter",
        "click to share on",
    ),
    "related_list": (
        "related articles",
        "related posts",
        "related stories",
        "you may also like",
        "recommended for you",
        "more from this section",
    ),
    "contact_line": (
        "have a tip?",
        "can be reached at",
        "may be reached at",
    ),
}


def boilerplate_kinds(text: str) -> list[str]:
    """Kinds (keys of :data:`BOILERPLATE_PHRASES`) whose phrases occur in ``text``."""
    lowered = " ".join(text.split()).casefold()
    return [
        kind
        for kind, phrases in BOILERPLATE_PHRASES.items()
        if any(phrase in lowered for phrase in phrases)
    ]


def drop_boilerplate_paragraphs(text: str, separator: str = "\n\n") -> str:
    """Remove short paragraphs that are a boilerplate prompt ("You may also like...").

    Only paragraphs up to :data:`BOILERPLATE_PARAGRAPH_CHARS` go: a long paragraph that quotes
    such a phrase is more likely article text, and is left for the gate to flag.
    """
    kept = [
        paragraph
        for paragraph in text.split(separator)
        if len(paragraph) > BOILERPLATE_PARAGRAPH_CHARS or not boilerplate_kinds(paragraph)
    ]
    return separator.join(kept)


def quality_flags(article: Article, *, body_fallback: bool = False) -> list[str]:
    """``short_text``, ``no_title``, ``no_date``, ``boilerplate:<kind>``, ``paywall`` (the page
    is for subscribers, so a short body is a teaser) and ``body_fallback`` (pruning lost the
    article and trafilatura's default extraction was kept) flags of a record."""
    flags = []
    if len(article.text) < SHORT_TEXT_CHARS:
        flags.append("short_text")
    if article.published is None:
        flags.append("no_date")
    if not article.title:
        flags.append("no_title")
    flags += [f"boilerplate:{kind}" for kind in boilerplate_kinds(article.text)]
    if article.free_access is False:
        flags.append("paywall")
    if body_fallback:
        flags.append("body_fallback")
    return flags


def flag_counts(articles: Iterable[Article]) -> dict[str, dict[str, int]]:
    """``{source: {flag: records flagged}}`` over the records that have text."""
    counts: dict[str, Counter[str]] = {}
    for article in articles:
        if article.ok:
            counts.setdefault(article.source, Counter()).update(article.quality_flags)
    return {source: dict(sorted(c.items())) for source, c in sorted(counts.items()) if c}
