"""Turn raw HTTP bodies into text.

The crawler hands over bytes plus, sometimes, the charset from the Content-Type header. The order
follows the HTML spec's sniffing: a byte-order mark wins, then the transport hint, then a
``<meta charset>`` / ``http-equiv`` declaration in the first bytes, then statistical detection.
Two exceptions: a Latin-1/windows-1252 header yields to a different meta declaration that
decodes, and bytes labelled Latin-1/windows-1252 that are valid UTF-8 with non-ASCII sequences
are UTF-8 (a template's stale label; real Latin-1 text almost never forms valid UTF-8).
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_SCAN_BYTES = 4096
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9._:-]+)""", re.IGNORECASE
)


def _codec_name(label: str | None) -> str | None:
    """Python codec name for a charset label, or None when Python does not know it."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    # Browsers treat latin-1 labels as windows-1252; pages labelled so use its extra characters.
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name


def _try_decode(data: bytes, encoding: str | None) -> str | None:
    if encoding is None:
        return None
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def sniff_meta_charset(data: bytes) -> str | None:
    """Charset declared by ``<meta charset>`` or ``http-equiv`` near the top of the document."""
    match = _META_CHARSET.search(data[:_META_SCAN_BYTES])
    return match.group(1).decode("ascii", "replace") if match else None


def decode_html(data: bytes, encoding: str | None = None) -> str:
    """Decode an HTML body; ``encoding`` is the transport hint (e.g. the HTTP header charset).

    Never raises: when every declared or detected charset fails, UTF-8 with replacement
    characters is used so that a page is never dropped for a handful of bad bytes.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(name, errors="replace")

    meta = _codec_name(sniff_meta_charset(data))
    if meta and meta.startswith(("utf-16", "utf-32")):
        # A meta tag readable as ASCII cannot be UTF-16/32; browsers read such pages as UTF-8.
        meta = "utf-8"
    header = _codec_name(encoding)
    order = (header, meta)
    if header == "cp1252" and meta and meta != header:
        # ISO-8859-1 is what misconfigured servers send by default, and a single-byte Latin
        # charset "decodes" any bytes: the page's own, different declaration is the better guess.
        order = (meta, header)
    for name in order:
        if name == "cp1252" and not data.isascii():
            text = _try_decode(data, "utf-8")
            if text is not None:
                return text
        text = _try_decode(data, name)
        if text is not None:
            return text

    text = _try_decode(data, "utf-8")
    if text is not None:
        return text

    best = charset_normalizer.from_bytes(data).best()
    if best is not None:
        return str(best)
    return data.decode("utf-8", errors="replace")
