"""Per-site extraction profiles: selectors a person writes for one site, tried before the generic
extractor, field by field.

A profile is data (a source's ``extract:`` list in the registry), so fixing a site that comes
out wrong is an edit to ``sources.yaml``, not to this package. Selectors are CSS, or XPath when
written ``xpath:...`` (what CSS cannot say: text nodes, attributes, ``following-sibling``).
Several profiles per site are tried in order: one whose ``valid_until`` is before the page's
date is skipped (an old layout kept for old archives), and the first whose ``body`` selector
finds text is used; a profile without a ``body`` selector always applies. What the chosen
profile does not name, or names but finds nothing for, comes from the generic extractor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Protocol

import lxml.etree
from cssselect import SelectorError
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement
from pydantic import BaseModel, ConfigDict, Field, field_validator

from extraction.dates import is_plausible, parse_datetime

XPATH_PREFIX = "xpath:"
# The fields a profile can name, in the order they are reported.
SELECTOR_FIELDS = ("title", "body", "authors", "published", "modified", "section", "tags")
# Blocks a selected body is read as paragraphs from (the innermost ones, so <li><p> is one).
_BLOCKS = ("p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=512)
def compile_selector(selector: str) -> lxml.etree.XPath:
    """CSS (default) or ``xpath:`` selector as a compiled XPath; ValueError when it does not
    compile. Cached by text, so profiles stay plain picklable strings."""
    try:
        if selector.startswith(XPATH_PREFIX):
            return lxml.etree.XPath(selector[len(XPATH_PREFIX) :].strip())
        return CSSSelector(selector, translator="html")
    except (SelectorError, lxml.etree.XPathSyntaxError) as exc:
        raise ValueError(f"selector {selector!r} does not compile: {exc}") from None


class Profile(BaseModel):
    """One layout of one site. Every field is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "default"
    # Pages published after this day were made by another layout: skip this profile for them.
    valid_until: date | None = None
    title: str | None = None
    body: str | None = None
    authors: str | None = None
    published: str | None = None
    modified: str | None = None
    section: str | None = None
    tags: str | None = None
    # Pruned from the page before anything else reads it.
    remove: list[str] = Field(default_factory=list)
    # How to read `published`/`modified`: strptime format, and the attribute holding the value.
    date_format: str | None = None
    date_attr: str | None = None

    @field_validator(*SELECTOR_FIELDS)
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            compile_selector(value)
        return value

    @field_validator("remove")
    @classmethod
    def _remove_compiles(cls, value: list[str]) -> list[str]:
        for selector in value:
            compile_selector(selector)
        return value

    @field_validator("date_format")
    @classmethod
    def _format(cls, value: str | None) -> str | None:
        if value is not None and "%" not in value:
            raise ValueError(f"date_format {value!r} has no strptime directive (%Y, %d, ...)")
        return value

    def selectors(self) -> dict[str, str]:
        """The fields this profile names, with their selectors."""
        return {f: s for f in SELECTOR_FIELDS if (s := getattr(self, f)) is not None}


class ProfiledSource(Protocol):
    """What extraction needs of a registry entry: its name and its profiles."""

    @property
    def name(self) -> str: ...

    @property
    def extract(self) -> list[Profile]: ...


@dataclass(frozen=True)
class SiteProfiles:
    """A source reduced to what extraction needs, plain enough to send to a worker process."""

    name: str
    extract: list[Profile] = field(default_factory=list)

    @classmethod
    def of(cls, source: str | ProfiledSource) -> SiteProfiles:
        if isinstance(source, str):
            return cls(source)
        return cls(source.name, list(source.extract))


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def select(tree: HtmlElement, selector: str) -> list[HtmlElement | str]:
    """Elements (or strings, for an XPath that returns text or attributes) the selector finds."""
    found = compile_selector(selector)(tree)
    if isinstance(found, list):
        return [f for f in found if isinstance(f, HtmlElement | str)]
    return [str(found)] if isinstance(found, str) and found.strip() else []


def _texts(found: list[HtmlElement | str]) -> list[str]:
    texts = [_clean(f if isinstance(f, str) else f.text_content()) for f in found]
    return [t for t in texts if t]


def body_text(tree: HtmlElement, selector: str) -> str:
    """The selected elements' paragraphs (innermost blocks), separated by a blank line; an
    element without blocks counts as one paragraph."""
    paragraphs: list[str] = []
    for found in select(tree, selector):
        if isinstance(found, str):
            paragraphs.append(_clean(found))
            continue
        blocks = [b for b in found.iter(*_BLOCKS) if sum(1 for _ in b.iter(*_BLOCKS)) == 1]
        paragraphs.extend(_texts(blocks) if blocks else _texts([found]))
    return "\n\n".join(p for p in paragraphs if p)


def choose(
    profiles: list[Profile], tree: HtmlElement, page_day: date | None
) -> tuple[Profile | None, Profile | None]:
    """``(chosen, first tried)``: the first profile in date whose body finds text (or that names
    no body), and the first profile in date, whose selectors are reported when none matched."""
    candidates = [
        p for p in profiles if not (p.valid_until and page_day) or page_day <= p.valid_until
    ]
    for profile in candidates:
        if profile.body is None or body_text(tree, profile.body):
            return profile, candidates[0]
    return None, candidates[0] if candidates else None


def prune(tree: HtmlElement, profile: Profile) -> None:
    """Drop what the profile's ``remove:`` selectors find (their tails stay)."""
    for selector in profile.remove:
        for element in select(tree, selector):
            if isinstance(element, HtmlElement) and element.getparent() is not None:
                element.drop_tree()


def _date_value(found: HtmlElement | str, profile: Profile) -> str:
    if isinstance(found, str):
        return found
    for attr in (profile.date_attr, "datetime", "content"):
        if attr and found.get(attr):
            return str(found.get(attr))
    return found.text_content()


def read_date(tree: HtmlElement, selector: str, profile: Profile) -> datetime | None:
    """The first plausible moment the selector finds, read with the profile's format."""
    for found in select(tree, selector):
        value = _clean(_date_value(found, profile))
        try:
            if profile.date_format:
                moment: datetime | None = datetime.strptime(value, profile.date_format)
            else:
                moment = parse_datetime(value)
        except ValueError:
            moment = None
        if moment is not None and is_plausible(moment):
            return moment
    return None


def read_texts(tree: HtmlElement, selector: str) -> list[str]:
    """The selected elements' texts, in page order, each once."""
    return list(dict.fromkeys(_texts(select(tree, selector))))
