"""The demo site's articles: loaded from ``articles.yaml`` so tests can compare against the truth.

Everything here is plain data, with the site's permalinks; markup lives in ``theme.py`` and
the page modules (``listings``, ``article_page``, ``feeds``), HTTP in ``server.py``.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import yaml

DATA_FILE = Path(__file__).with_name("articles.yaml")
UPLOADS = "/wp-content/uploads/"
SECTIONS = {"security": "Security", "politics": "Politics"}
RELATED_DEFAULT = 3


@dataclass
class Figure:
    """A captioned photo placed inside the body, after ``after`` paragraphs."""

    after: int
    image: str
    caption: list[str]


@dataclass
class DemoArticle:
    """One article as the site serves it; the ground truth for extraction tests."""

    slug: str
    path: str
    title: str
    section: str
    author: str
    published: datetime
    modified: datetime | None
    paragraphs: list[str]
    captions: list[str]
    related: list[str]
    tags: list[str]
    image: str
    image_caption: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    related_paths: list[str] = field(default_factory=list)
    jsonld: bool = True
    post_id: int = 0
    language: str = "en"
    encoding: str = "utf-8"

    @property
    def section_name(self) -> str:
        return SECTIONS[self.section]

    @property
    def updated(self) -> datetime:
        """Last change; what Last-Modified and sitemaps report."""
        return self.modified or self.published

    @property
    def excerpt(self) -> str:
        """WordPress-style automatic excerpt: the first 55 words of the body."""
        words = " ".join(self.paragraphs).split()
        if len(words) <= 55:
            return " ".join(words)
        return " ".join(words[:55]) + " [\u2026]"


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens, like WordPress' sanitize_title; a text with no
    Latin letters (an Arabic tag) keeps its words, percent-encoded in lower case as WordPress
    writes them."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if slug:
        return slug
    words = re.sub(r"[^\w]+", "-", text.lower()).strip("-")
    return quote(words, safe="-").lower()


def author_path(name: str) -> str:
    return f"/author/{slugify(name)}/"


def tag_path(tag: str) -> str:
    return f"/tag/{slugify(tag)}/"


def section_path(section: str) -> str:
    return f"/category/{section}/"


def _parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError(f"article time without a UTC offset: {value!r}")
    return moment


def _build(raw: dict) -> DemoArticle:
    published = _parse_time(raw["published"])
    slug = raw.get("slug") or slugify(raw["title"])
    image = raw["image"]
    figures = [
        Figure(after=f["after"], image=UPLOADS + f["file"], caption=list(f["caption"]))
        for f in raw.get("figures", [])
    ]
    if any(not 1 <= f.after <= len(raw["paragraphs"]) for f in figures):
        raise ValueError(f"figure placed outside the body of {slug}")
    captions = list(image["caption"]) + [line for f in figures for line in f.caption]
    if raw["section"] not in SECTIONS:
        raise ValueError(f"unknown section {raw['section']!r} for {slug}")
    encoding = str(raw.get("encoding", "utf-8"))
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise ValueError(f"{slug}: unknown encoding {encoding!r}") from exc
    own_text = [raw["title"], raw["author"], *raw["paragraphs"], *captions, *raw.get("tags", [])]
    for text in own_text:
        try:
            text.encode(encoding)
        except UnicodeEncodeError as exc:
            raise ValueError(f"{slug}: {text[:40]!r}... cannot be written in {encoding}") from exc
    return DemoArticle(
        slug=slug,
        path=f"/{published:%Y/%m/%d}/{slug}/",
        title=raw["title"],
        section=raw["section"],
        author=raw["author"],
        published=published,
        modified=_parse_time(raw["modified"]) if raw.get("modified") else None,
        paragraphs=list(raw["paragraphs"]),
        captions=captions,
        related=[],
        tags=list(raw.get("tags", [])),
        image=UPLOADS + image["file"],
        image_caption=list(image["caption"]),
        figures=figures,
        jsonld=bool(raw.get("jsonld", True)),
        language=str(raw.get("language", "en")),
        encoding=encoding,
    )


def _link_related(articles: list[DemoArticle], wanted: dict[str, list[str]]) -> None:
    """Fill ``related``: the slugs given in the data, else the nearest same-section stories."""
    by_slug = {a.slug: a for a in articles}
    for article in articles:
        if wanted.get(article.slug):
            chosen = [by_slug[slug] for slug in wanted[article.slug]]
        else:
            peers = [a for a in articles if a.section == article.section and a is not article]
            peers.sort(key=lambda a: abs((a.published - article.published).total_seconds()))
            chosen = peers[:RELATED_DEFAULT]
        article.related = [a.title for a in chosen]
        article.related_paths = [a.path for a in chosen]


def load_articles() -> list[DemoArticle]:
    """All demo articles, newest first (fresh objects on every call, so callers may mutate)."""
    raw_articles = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    articles = [_build(raw) for raw in raw_articles]
    if len({a.slug for a in articles}) != len(articles):
        raise ValueError("duplicate article slugs in articles.yaml")
    wanted = {a.slug: raw.get("related", []) for a, raw in zip(articles, raw_articles, strict=True)}
    # Stable WordPress-like post ids, in publication order.
    for number, article in enumerate(sorted(articles, key=lambda a: a.published)):
        article.post_id = 1201 + number * 7
    _link_related(articles, wanted)
    articles.sort(key=lambda a: a.published, reverse=True)
    return articles
