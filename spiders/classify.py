"""Naming what happened to a request: the outcome recorded in crawl state and the report.

One vocabulary for every fault, so a report line, a crawl-state row and a test all say the same
thing ("timeout", "too_large", "redirect_loop", ...).
"""

from __future__ import annotations

import re

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as net_error
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

BLOCKED_STATUSES = {401, 403, 451}

# Signatures of bot-challenge and block pages: the page itself says so.
# Matched on the page's first 64 KiB lower-cased, as plain substrings where they can be: a
# case-insensitive regex alternation cost 6 ms a page, the crawl's second cost after gzip.
_CHALLENGE_TITLE = re.compile(
    rb"<title>\s*(just a moment|attention required|access denied|are you a robot)"
)
_CHALLENGE_MARKS = (b"cf-chl-", b"px-captcha")
# Widgets and scripts that ordinary pages carry too (Cloudflare injects
# /cdn-cgi/challenge-platform/... into normal pages, comment forms embed reCAPTCHA): a sign of a
# challenge only on a refusal status or on a small page with no running text of its own.
_CHALLENGE_WIDGETS = (b"challenge-platform", b"g-recaptcha", b"h-captcha", b"_incapsula_resource")
CHALLENGE_STATUSES = {403, 429, 503}
_WIDGET_PAGE_MAX_BYTES = 64 * 1024
_MIN_ARTICLE_WORDS = 80
_NOT_TEXT = re.compile(rb"<(script|style|noscript)\b.*?</\1\s*>|<[^>]*>", re.S | re.I)
_BINARY_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"BZh",
    b"\x7fELF",
    b"MZ",
    b"OggS",
    b"ID3",
    b"RIFF",
    b"\x00\x00\x01\x00",
)


class Refused(IgnoreRequest):
    """A request newsflow declined to send or follow; `kind` is its outcome name."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def looks_binary(body: bytes, content_type: str = "") -> bool:
    """Sniff the bytes, whatever the header claims: images, archives, PDFs, NUL-heavy data."""
    kind = content_type.split(";")[0].strip().lower()
    if kind and not (kind.startswith("text/") or "html" in kind or "xml" in kind):
        return True
    head = body[:1024]
    if head.startswith(_BINARY_MAGIC):
        return True
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text has NUL bytes but a BOM
    return head.count(b"\x00") > 2


def looks_like_challenge(body: bytes, status: int = 200) -> bool:
    """A bot-challenge or block page rather than the content asked for."""
    head = body[:65536].lower()
    if any(mark in head for mark in _CHALLENGE_MARKS) or _challenge_title(head):
        return True
    if not any(widget in head for widget in _CHALLENGE_WIDGETS):
        return False
    if status in CHALLENGE_STATUSES:
        return True
    return len(body) <= _WIDGET_PAGE_MAX_BYTES and _word_count(body) < _MIN_ARTICLE_WORDS


def _challenge_title(head: bytes) -> bool:
    start = head.find(b"<title>")
    while start >= 0:
        if _CHALLENGE_TITLE.match(head, start):
            return True
        start = head.find(b"<title>", start + 7)
    return False


def _word_count(body: bytes) -> int:
    return len(_NOT_TEXT.sub(b" ", body).split())


def status_outcome(status: int) -> str:
    if status in BLOCKED_STATUSES:
        return "blocked"
    if status == 429:
        return "rate_limited"
    return f"http_{status}"


def failure_outcome(failure: Failure) -> str:
    """The outcome name of a failed request (errback)."""
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        if status in (403, 503) and looks_like_challenge(exc.response.body, status):
            return "blocked"
        return status_outcome(status)
    if isinstance(exc, Refused):
        return exc.kind
    if isinstance(exc, IgnoreRequest):
        message = str(exc)
        if "robots.txt" in message:
            return "robots_disallowed"
        if "max redirections" in message:
            return "too_many_redirects"
        if "DOWNLOAD_MAXSIZE" in message or "max size" in message:
            return "too_large"
        return "ignored"
    if isinstance(exc, DownloadCancelledError):
        return "too_large"
    if isinstance(exc, DownloadTimeoutError | net_error.TimeoutError):
        return "timeout"
    if isinstance(exc, net_error.DNSLookupError | CannotResolveHostError):
        return "dns_error"
    if isinstance(
        exc,
        ResponseDataLossError
        | DownloadFailedError
        | DownloadConnectionRefusedError
        | ResponseFailed
        | ResponseNeverReceived
        | net_error.ConnectionLost
        | net_error.ConnectionRefusedError
        | net_error.ConnectError,
    ):
        return "connection"
    return type(exc).__name__.lower()[:32]
