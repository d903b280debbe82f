"""`newsflow extract-page FILE_OR_URL [--url URL]`: one page to one JSON record on stdout.

`newsflow.cli.main` registers it. The page is read from a
file, from stdin (``-``) or fetched over http(s), then extracted with the same bounds and NER as
the extract step. The record is printed even when extraction failed (its ``error`` says why);
only an unreadable input is a command error.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from newsflow.cli.arguments import registry_source
from newsflow.settings import Settings

COMMANDS = ("extract-page",)


class PageError(Exception):
    """The page could not be read (missing file, refused scheme, failed fetch)."""


def add_parsers(
    commands: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None]
) -> None:
    """Register ``extract-page`` on the `newsflow` parser."""
    page = commands.add_parser("extract-page", help="extract one page and print its record (JSON)")
    page.add_argument("page", metavar="FILE_OR_URL", help="an HTML file, an http(s) URL, or -")
    page.add_argument("--url", help="the page's address (default: the URL given, or the file's)")
    page.add_argument("--no-entities", action="store_true", help="skip spaCy NER")
    page.add_argument(
        "--source", metavar="S", help="read the page with source S's extraction profiles"
    )
    common(page)


def read_page(page: str, settings: Settings) -> tuple[bytes, str | None, str]:
    """``(body, charset from the HTTP header, address)`` of a file, ``-`` (stdin) or http(s) URL."""
    if page == "-":
        return sys.stdin.buffer.read(), None, "stdin:"
    scheme = urlsplit(page).scheme.lower()
    if scheme in ("http", "https"):
        return _fetch(page, settings)
    if "://" in page:
        raise PageError(f"{page}: only http and https URLs can be fetched")
    path = Path(page)
    try:
        return path.read_bytes(), None, path.resolve().as_uri()
    except OSError as exc:
        raise PageError(f"{page}: {exc.strerror or exc}") from exc


def _fetch(url: str, settings: Settings) -> tuple[bytes, str | None, str]:
    request = urllib.request.Request(url, headers={"User-Agent": settings.crawl.user_agent})
    limit = int(settings.extract_max_page_mb * 1024 * 1024)
    try:
        with urllib.request.urlopen(request, timeout=settings.crawl.timeout_seconds) as response:
            body = response.read(limit + 1)
            return body, response.headers.get_content_charset(), response.geturl()
    except (OSError, ValueError) as exc:
        raise PageError(f"cannot fetch {url}: {exc}") from exc


def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from extraction.bounds import BoundedExtractor
    from extraction.entities import add_entities_by_language
    from newsflow.pipeline import extraction_bounds

    source = registry_source(settings, args.source) if args.source else ""
    try:
        body, charset, address = read_page(args.page, settings)
    except PageError as exc:
        print(f"newsflow: error: {exc}", file=sys.stderr)
        return 2
    with BoundedExtractor(extraction_bounds(settings)) as extractor:
        article = extractor.extract(body, args.url or address, source=source, encoding=charset)
    if article.ok and not args.no_entities:
        add_entities_by_language(
            [article], settings.spacy_model, settings.ner_models, settings.gazetteers
        )
    record = {**article.to_dict(), "content_hash": article.content_hash}
    print(json.dumps(record, ensure_ascii=False, indent=2))
    return 0
