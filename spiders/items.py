"""What the spider hands to its pipelines: one fetched response, raw, with its role."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.http import Response

    from spiders.discovery import Listing


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


def page_item(
    response: Response, source: str, role: str, listing: Listing | None, via: str
) -> PageItem:
    """The response as it came (headers as latin-1 text, every repeated one kept), with where
    it was listed: the archive writes it as is and the extract step reads it from there."""
    return PageItem(
        url=response.url,
        status=response.status,
        headers=response_headers(response),
        body=response.body,
        fetched_at=datetime.now(UTC),
        source=source,
        listed_published=listing.published if listing else None,
        discovered_via=via,
        request_url=listing.url if listing else response.url,
        role=role,
    )


def response_headers(response: Response) -> list[tuple[str, str]]:
    """Every header of a response as latin-1 text, each repeated one kept, in order."""
    return [
        (k.decode("latin-1"), v.decode("latin-1"))
        for k, values in response.headers.items()
        for v in values
    ]


def response_header(response: Response, name: str) -> str | None:
    """One header of a response as text (latin-1, as `page_item` keeps them); None if absent."""
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
