"""The article record: what extraction produces and the load step stores.

Kept as plain dataclasses so that every stage (CLI, DAG tasks, tests) can pass records around as
JSON lines between steps without importing trafilatura or spaCy.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Entity:
    """A name as written in the article (``text``), with the gazetteer ``id`` of the entity it
    names when the gazetteer knows it: "Anbar", "al-Anbar" and "الأنبار" share one id."""

    text: str
    label: str
    count: int = 1
    first_offset: int = 0
    id: str | None = None


@dataclass
class Article:
    url: str
    source: str = ""
    canonical_url: str | None = None
    title: str | None = None
    # Credited entities, people first, then agencies and newsrooms (extraction.authors).
    authors: list[str] = field(default_factory=list)
    # The wire agencies credited (byline or dateline), one name each: "AP", "dpa", "AFP".
    agencies: list[str] = field(default_factory=list)
    published: datetime | None = None
    published_source: str | None = None
    modified: datetime | None = None
    modified_source: str | None = None
    language: str | None = None
    text: str = ""
    # False when the page marks the article as for subscribers (the body may be a teaser), True
    # when it marks it as free, None when it says neither (extraction.paywall).
    free_access: bool | None = None
    description: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    captions: list[str] = field(default_factory=list)
    extractor: str = ""
    # The extraction profile's selectors (extraction.profiles) and whether each matched.
    selectors: dict[str, bool] = field(default_factory=dict)
    error: str | None = None
    quality_flags: list[str] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    entities_note: str | None = None
    fetched_at: datetime | None = None
    # Signed 64-bit SimHash of the body (extraction.dedup), for near-duplicate lookups.
    simhash: int | None = None
    # Where the page was read: "crawl" or "ccnews", the WARC file and the record's offset in it.
    origin: str | None = None
    warc_file: str | None = None
    warc_offset: int | None = None

    @property
    def content_hash(self) -> str:
        """Hash of title and body: equal for exact copies, changes when an article is edited."""
        payload = f"{self.title or ''}\n{self.text}".encode()
        return hashlib.sha256(payload).hexdigest()

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.text)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for key in ("published", "modified", "fetched_at"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        data = dict(data)
        for key in ("published", "modified", "fetched_at"):
            if data.get(key):
                data[key] = datetime.fromisoformat(data[key])
        data["entities"] = [Entity(**e) for e in data.get("entities") or []]
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
