"""The crawl window: which listed articles a crawl fetches, by the date their listing gives.

Parsed once where a person or a schedule states it (the CLI's --since/--until, the Airflow form,
a run's data interval), passed as this type, and serialised once for the crawl child.

An article listed without a date is inside every window: nothing says it is old, and one stored
already is never fetched again, so fetching it costs at most one request. So only a dated URL is
ever left `outside_window` in crawl state, and it comes back when a later window covers its date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class CrawlWindow:
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                object.__setattr__(self, name, value.replace(tzinfo=UTC))
        if self.since and self.until and self.since >= self.until:
            raise ValueError(
                f"since ({self.since.isoformat()}) must be before until ({self.until.isoformat()})"
            )

    def __bool__(self) -> bool:
        return bool(self.since or self.until)

    def contains(self, published: datetime | None) -> bool:
        """Whether an article listed with this date is fetched (undated: always)."""
        if published is None:
            return True
        if published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
        if self.since and published < self.since:
            return False
        return not (self.until and published >= self.until)

    def to_dict(self) -> dict[str, str | None]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> CrawlWindow:
        data = data or {}
        return cls(
            *(datetime.fromisoformat(data[k]) if data.get(k) else None for k in ("since", "until"))
        )
