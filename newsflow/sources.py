"""The sources registry: news sites are data in a YAML file, validated on load."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from extraction.profiles import Profile
from spiders.addresses import is_private_host
from spiders.job import CrawlSettings, Site

SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
# Crawl settings a source cannot override: the floor between requests to real sites is a global
# promise, the parent process enforces the crawl's time limit, and the DNS resolver the address
# guard trusts is the machine's, not a site's.
GLOBAL_ONLY = {"min_delay_real_sources", "subprocess_timeout_seconds", "dns_resolver"}


class RegistryError(ValueError):
    """The registry file is missing, unreadable or has an invalid entry."""


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str = ""
    url: str
    language: str = "en"
    timezone: str = "UTC"
    schedule: str = "0 2 * * *"
    enabled: bool = True
    local: bool = False
    note: str = ""
    feeds: list[str] = Field(default_factory=list)
    sitemaps: list[str] = Field(default_factory=list)
    sections: list[str] = Field(default_factory=list)
    article_url_patterns: list[str] = Field(default_factory=list)
    # other hosts the site publishes under (besides the url's), for reading archives such as
    # CC-NEWS by host: "news.example.org", "example-news.com"
    hosts: list[str] = Field(default_factory=list)
    download_delay: float | None = Field(None, ge=0)
    # Airflow fails a run of this source's DAG that lasts longer (dagrun_timeout); unset: the
    # worst case of its tasks' tries, so a timeout never cuts a run a retry could still save
    run_timeout_minutes: float | None = Field(None, gt=0)
    # politeness and safety settings for this site, laid over the global [crawl] settings
    crawl: dict[str, Any] = Field(default_factory=dict)
    # extraction profiles (selectors for this site's layouts), tried in order; see
    # extraction.profiles. One mapping or a list of them.
    extract: list[Profile] = Field(default_factory=list)

    @field_validator("extract", mode="before")
    @classmethod
    def _one_profile(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @field_validator("extract")
    @classmethod
    def _profile_names(cls, value: list[Profile]) -> list[Profile]:
        names = [p.name for p in value]
        if len(set(names)) != len(names):
            raise ValueError(f"profile names must differ (give each a `name:`): {names}")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not SOURCE_NAME.match(value):
            raise ValueError("must be lower-case letters, digits, '-' or '_' (at most 63)")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        for host in value:
            if not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?", host):
                raise ValueError(f"{host!r} is not a lower-case host name (news.example.org)")
        return value

    @field_validator("article_url_patterns")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad regular expression {pattern!r}: {exc}") from exc
        return value

    @field_validator("crawl")
    @classmethod
    def _crawl(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - set(CrawlSettings.model_fields))
        if unknown:
            known = ", ".join(sorted(set(CrawlSettings.model_fields) - GLOBAL_ONLY))
            raise ValueError(f"unknown setting {', '.join(unknown)} (known: {known})")
        fixed = sorted(set(value) & GLOBAL_ONLY)
        if fixed:
            raise ValueError(f"{', '.join(fixed)} is global, not per source")
        try:
            CrawlSettings.model_validate(value)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise ValueError(problems) from None
        return value

    @model_validator(mode="after")
    def _one_delay(self) -> Source:
        if self.download_delay is not None and "download_delay" in self.crawl:
            raise ValueError("download_delay is set twice (top level and crawl:); keep one")
        return self

    @model_validator(mode="after")
    def _local_only_when_marked(self) -> Source:
        if is_private_host(urlsplit(self.url).hostname or "") and not self.local:
            raise ValueError(
                f"url {self.url} is a loopback/private address: mark the source `local: true`"
            )
        return self

    def crawl_settings(self, base: CrawlSettings) -> CrawlSettings:
        """The global crawl settings with this source's overrides laid over them; a real (not
        local) site never gets less than the global `min_delay_real_sources` between requests."""
        overrides = dict(self.crawl)
        if self.download_delay is not None:
            overrides["download_delay"] = self.download_delay
        crawl = CrawlSettings.model_validate({**base.model_dump(), **overrides})
        if not self.local and crawl.download_delay < base.min_delay_real_sources:
            crawl = crawl.model_copy(update={"download_delay": base.min_delay_real_sources})
        return crawl

    def site(self) -> Site:
        """What the crawl child needs of this entry."""
        return Site(
            name=self.name,
            url=self.url,
            local=self.local,
            feed_urls=tuple(self.feed_urls),
            sitemap_urls=tuple(self.sitemap_urls),
            section_urls=tuple(self.section_urls),
            article_url_patterns=tuple(self.article_url_patterns),
        )

    def absolute(self, path_or_url: str) -> str:
        return urljoin(self.url, path_or_url)

    @property
    def feed_urls(self) -> list[str]:
        return [self.absolute(u) for u in self.feeds]

    @property
    def sitemap_urls(self) -> list[str]:
        return [self.absolute(u) for u in self.sitemaps]

    @property
    def section_urls(self) -> list[str]:
        return [self.absolute(u) for u in self.sections]


def registry_entry(entry: Any, where: str) -> Source:
    """One entry validated as the registry file's are, every problem in one message that starts
    with `where` (the file and the entry, or a proposed entry)."""
    try:
        return Source.model_validate(entry)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'entry'}: {err['msg']}"
            for err in exc.errors()
        )
        raise RegistryError(f"{where}: {problems}") from exc


def load_registry(path: Path | str) -> list[Source]:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RegistryError(f"sources registry {path} does not exist") from exc
    except yaml.YAMLError as exc:
        raise RegistryError(f"sources registry {path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("sources"), list):
        raise RegistryError(f"sources registry {path} must have a top-level 'sources:' list")
    sources: list[Source] = []
    for index, entry in enumerate(raw["sources"]):
        label = entry.get("name", f"#{index + 1}") if isinstance(entry, dict) else f"#{index + 1}"
        sources.append(registry_entry(entry, f"{path}: source {label}"))
    names = [s.name for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RegistryError(f"{path}: duplicate source names: {', '.join(duplicates)}")
    return sources


def named_sources(sources: list[Source], names: list[str]) -> list[Source]:
    """The entries with these names, in that order, disabled ones included.

    The one refusal of a name the registry does not have, so every command says it in the same
    words and lists the names it would take.
    """
    by_name = {s.name: s for s in sources}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        known = ", ".join(sorted(by_name)) or "none (the registry lists no sources)"
        plural = "s" if len(unknown) > 1 else ""
        raise RegistryError(f"unknown source{plural} {', '.join(unknown)}; known: {known}")
    return [by_name[n] for n in names]


def select_sources(
    sources: list[Source], names: list[str] | None = None, *, allow_disabled: bool = False
) -> list[Source]:
    """Pick sources by name (all enabled ones when no names are given).

    Naming a disabled source is an error rather than a silent crawl: sources are disabled when
    they must not be contacted from this machine. `allow_disabled` is for work that never
    contacts the site (a backfill from CC-NEWS).
    """
    if not names:
        return [s for s in sources if s.enabled]
    selected = named_sources(sources, names)
    disabled = [s.name for s in selected if not s.enabled]
    if disabled and not allow_disabled:
        raise RegistryError(
            f"source(s) disabled in the registry: {', '.join(disabled)} "
            "(set `enabled: true` where the site is reachable)"
        )
    return selected
