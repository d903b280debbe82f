"""What the spider hands to its pipelines: one fetched response, raw, with its role."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class PageItem:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    fetched_at: datetime
    source: str
    listed_published: datetime | None = None
    discovered_via: str = ""
    request_url: str = ""
    role: str = "article"
    extra: dict[str, str] = field(default_factory=dict)
