"""Article extraction: HTML -> :class:`Article` records, then named entities.

Only the record is imported eagerly. The rest loads on first use, so stages that merely pass
records around (``from extraction.record import Article``) never import trafilatura or spaCy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from extraction.record import Article, Entity

if TYPE_CHECKING:
    from extraction.charset import decode_html
    from extraction.entities import DEFAULT_GAZETTEERS, add_entities, load_nlp
    from extraction.extract import EXTRACTOR, PARAGRAPH_SEPARATOR, extract_article

_LAZY = {
    "decode_html": "extraction.charset",
    "DEFAULT_GAZETTEERS": "extraction.entities",
    "add_entities": "extraction.entities",
    "load_nlp": "extraction.entities",
    "EXTRACTOR": "extraction.extract",
    "PARAGRAPH_SEPARATOR": "extraction.extract",
    "extract_article": "extraction.extract",
}

__all__ = [
    "DEFAULT_GAZETTEERS",
    "EXTRACTOR",
    "PARAGRAPH_SEPARATOR",
    "Article",
    "Entity",
    "add_entities",
    "decode_html",
    "extract_article",
    "load_nlp",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'extraction' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
