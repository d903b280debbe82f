"""Gazetteers: spaCy EntityRuler JSONL files of names, each line one spelling of one entity.

This module reads them and looks names up (without importing spaCy, so a search can resolve
``GPE:Anbar`` quickly); :mod:`extraction.ruler` turns them into the pipeline's ruler.

``{"label": "GPE", "pattern": "al-Anbar", "id": "iq.anbar"}``: lines sharing an ``id`` are one
entity written in several languages and spellings, and every match carries that id
(``Span.ent_id_``), so "Anbar", "al-Anbar" and "الأنبار" are one place to search and count.
Lines without an id only fix labels. A line labelled ``NOT_ENTITY`` names a phrase in which a
name is a common word (القائم بالأعمال, "the chargé d'affaires", is not Qaim): the ruler
prefers the longer match and its label is never kept.

Latin-script names match as written; Arabic-script names on a key (:mod:`extraction.arabic`),
so no spelling variant or prefixed form needs a line of its own.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import srsly

from extraction.arabic import letters

GAZETTEER_DIR = Path(__file__).resolve().parent / "gazetteers"
NOT_ENTITY = "NOT_ENTITY"
_AROUND_JOINERS = re.compile(r"\s*([-'])\s*")


def gazetteer_files(folder: Path) -> tuple[Path, ...]:
    """Every ``*.jsonl`` in ``folder``, sorted: dropping a file in is enough to ship it."""
    return tuple(sorted(folder.glob("*.jsonl")))


DEFAULT_GAZETTEERS: tuple[Path, ...] = gazetteer_files(GAZETTEER_DIR)


def read_gazetteer(path: Path) -> list[dict]:
    """EntityRuler patterns from a JSONL file; a line without label and pattern, or an id
    given two labels, is an error naming the file and line."""
    patterns = list(srsly.read_jsonl(path))
    labels: dict[str, str] = {}
    for number, pattern in enumerate(patterns, start=1):
        if not isinstance(pattern, dict) or "label" not in pattern or "pattern" not in pattern:
            raise ValueError(f"{path}:{number}: expected an object with 'label' and 'pattern'")
        entity_id = pattern.get("id")
        if entity_id is None:
            continue
        if not isinstance(entity_id, str) or not entity_id.strip():
            raise ValueError(f"{path}:{number}: 'id' must be a non-empty string")
        if labels.setdefault(entity_id, pattern["label"]) != pattern["label"]:
            raise ValueError(
                f"{path}:{number}: id {entity_id!r} is labelled {pattern['label']} here and "
                f"{labels[entity_id]} before"
            )
    return patterns


def name_key(name: str) -> str:
    """How a name is looked up: case, spacing, apostrophes and Arabic spelling variants aside
    ("Al-Qa'im", "al - qa’im" and "القايم" / "القائم" each one key)."""
    text = " ".join(letters(name.replace("’", "'")).casefold().split())
    return _AROUND_JOINERS.sub(r"\1", text)


def _pattern_name(pattern: str | list) -> str | None:
    if isinstance(pattern, str):
        return pattern
    words = []
    for token in pattern:
        values = [v for k, v in token.items() if k.upper() in ("ORTH", "TEXT", "LOWER", "NORM")]
        if len(values) != 1 or not isinstance(values[0], str) or "OP" in token:
            return None
        words.append(values[0])
    return " ".join(words)


def gazetteer_ids(files: Sequence[Path]) -> dict[tuple[str, str], set[str]]:
    """(label, name key) -> the ids of the entities that name has, for every line with an id;
    each id is also a name of itself."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path in files:
        for pattern in read_gazetteer(path):
            entity_id = pattern.get("id")
            name = _pattern_name(pattern["pattern"])
            if entity_id is None:
                continue
            found[(pattern["label"], name_key(entity_id))].add(entity_id)
            if name:
                found[(pattern["label"], name_key(name))].add(entity_id)
    return dict(found)
