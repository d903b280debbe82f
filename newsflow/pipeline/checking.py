"""Saved pages and `newsflow check`: real pages of each source kept beside the record they must
give, so a profile or an extraction change that breaks a site fails the tests (like Fundus'
test pages, or `scrapy check`).

Layout: `<saved_pages_dir>/<source>/<slug>.html.gz` (the response body as served, gzipped) and
`<slug>.json` (`url`, the transport `charset`, and the expected `record`). The expected record is
today's extraction written by `newsflow sources add ... --page`; a person reviews and corrects
it. Only the fields a reader cares about are compared (not the extractor's version string,
entities or fingerprints), and a field missing from the expected record is not checked, so an
expected record can be trimmed to what matters.
"""

from __future__ import annotations

import difflib
import gzip
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from extraction.record import Article
from newsflow.pipeline.extracting import extraction_bounds
from newsflow.settings import Settings
from newsflow.sources import Source

# Compared fields, in the order differences are printed.
CHECKED_FIELDS = (
    "profile",
    "error",
    "title",
    "authors",
    "published",
    "modified",
    "section",
    "tags",
    "language",
    "canonical_url",
    "captions",
    "quality_flags",
    "text",
)
PAGE_SUFFIX = ".html.gz"


class SavedPageError(ValueError):
    """A saved page or its expected record cannot be read."""


@dataclass
class PageCheck:
    """One saved page: the fields whose value differs, as (expected, got)."""

    source: str
    slug: str
    differences: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.differences


def profile_used(article: Article) -> str:
    """`<source>:<profile>` from the record's extractor, or `generic`."""
    match = re.search(r" profile=(\S+)$", article.extractor)
    return match.group(1) if match else "generic"


def expected_record(article: Article) -> dict[str, Any]:
    """The compared fields of a record, JSON-ready (dates as ISO strings)."""
    data = article.to_dict()
    return {"profile": profile_used(article), **{k: data[k] for k in CHECKED_FIELDS[1:]}}


def saved_pages(settings: Settings, source: str) -> list[Path]:
    """The source's saved pages (`.html.gz`), by name."""
    return sorted((settings.saved_pages_dir / source).glob(f"*{PAGE_SUFFIX}"))


def saved_page_folders(settings: Settings) -> list[str]:
    """The names of the folders under `saved_pages_dir` that hold saved pages."""
    folder = settings.saved_pages_dir
    if not folder.is_dir():
        return []
    return sorted(d.name for d in folder.iterdir() if d.is_dir() and saved_pages(settings, d.name))


def _expected(page: Path) -> dict[str, Any]:
    path = page.with_name(page.name.removesuffix(PAGE_SUFFIX) + ".json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SavedPageError(f"{page}: no expected record {path.name} beside it") from None
    except ValueError as exc:
        raise SavedPageError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("record"), dict) or "url" not in data:
        raise SavedPageError(f"{path}: needs `url` and a `record` mapping")
    return data


def _read_gzip(page: Path) -> bytes:
    try:
        return gzip.decompress(page.read_bytes())
    except (OSError, EOFError) as exc:
        raise SavedPageError(f"{page}: not a readable gzip file: {exc}") from None


def check_source(settings: Settings, source: Source) -> list[PageCheck]:
    """Extract every saved page of the source (same bounds as the extract step, no NER) and
    compare it with its expected record."""
    from extraction.bounds import BoundedExtractor

    results = []
    pages = saved_pages(settings, source.name)
    if not pages:
        return results
    with BoundedExtractor(extraction_bounds(settings)) as extractor:
        for page in pages:
            expected = _expected(page)
            article = extractor.extract(
                _read_gzip(page), expected["url"], source=source, encoding=expected.get("charset")
            )
            got = expected_record(article)
            check = PageCheck(source.name, page.name.removesuffix(PAGE_SUFFIX))
            for name, want in expected["record"].items():
                if name in got and got[name] != want:
                    check.differences[name] = (want, got[name])
            results.append(check)
    return results


def _text_diff(want: str, got: str) -> list[str]:
    lines = difflib.unified_diff(
        str(want).split("\n\n"), str(got).split("\n\n"), "expected", "got", lineterm="", n=0
    )
    return [line for line in lines if not line.startswith(("---", "+++"))][:12]


def describe(check: PageCheck) -> list[str]:
    """The lines `newsflow check` prints for one page: a verdict, then a diff per field."""
    if check.ok:
        return [f"{check.source}/{check.slug}: ok"]
    lines = [f"{check.source}/{check.slug}: {len(check.differences)} field(s) differ"]
    for name in sorted(check.differences, key=CHECKED_FIELDS.index):
        want, got = check.differences[name]
        if name == "text":
            lines.append("  text:")
            lines += [f"    {line}" for line in _text_diff(want or "", got or "")]
        else:
            lines.append(f"  {name}: expected {want!r}, got {got!r}")
    return lines


def page_slug(url: str) -> str:
    """A file name for a page: its last path segment, lower-case letters, digits and '-'."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    slug = re.sub(r"[^a-z0-9]+", "-", (parts[-1] if parts else "home").lower()).strip("-")
    return slug[:80] or "page"


def save_page(
    settings: Settings,
    source: Source,
    url: str,
    body: bytes,
    charset: str | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Keep a page and today's record of it as the expected one (for a person to review).

    Refuses to overwrite an existing saved page: its expected record may hold corrections.
    """
    from extraction.bounds import BoundedExtractor

    folder = settings.saved_pages_dir / source.name
    page = folder / f"{page_slug(url)}{PAGE_SUFFIX}"
    if page.exists():
        raise SavedPageError(f"{page} exists already: delete it first to save this page again")
    with BoundedExtractor(extraction_bounds(settings)) as extractor:
        article = extractor.extract(body, url, source=source, encoding=charset)
    folder.mkdir(parents=True, exist_ok=True)
    page.write_bytes(gzip.compress(body, mtime=0))
    fields = expected_record(article)
    if not fields["title"]:
        # Every article has a headline: none found is the extractor's miss, not the page's truth,
        # so it is left out (unchecked) rather than expected; a person adds the headline.
        del fields["title"]
    record = {"url": url, "charset": charset, "record": fields}
    expected = page.with_name(page.name.removesuffix(PAGE_SUFFIX) + ".json")
    expected.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return page, record
