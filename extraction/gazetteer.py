"""Gazetteers: spaCy EntityRuler JSONL files of names, each line one spelling of one entity.

``{"label": "GPE", "pattern": "al-Anbar", "id": "iq.anbar"}``: lines sharing an ``id`` are one
entity written in several languages and spellings, and every match carries that id
(``Span.ent_id_``), so "Anbar", "al-Anbar" and "الأنبار" are one place to search and count.
Lines without an id only fix labels. A line labelled ``NOT_ENTITY`` names a phrase in which a
name is a common word (القائم بالأعمال, "the chargé d'affaires", is not Qaim): the ruler
prefers the longer match and its label is never kept.

Latin-script names match as written (``ORTH``). Arabic-script names match on a key
(:mod:`extraction.arabic`): a small component before the ruler, :class:`ArabicNames`, sets a
token's ``NORM`` to the key of the name it reads as, and the name's words become a token
pattern on ``NORM``; so no spelling variant or prefixed form needs a line of its own.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import srsly
from spacy.language import Language
from spacy.tokens import Doc

from extraction.arabic import ARABIC_SCRIPT, letters, resolve

ARABIC_NAMES = "arabic_names"
NOT_ENTITY = "NOT_ENTITY"
_AROUND_JOINERS = re.compile(r"\s*([-'])\s*")


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


@Language.factory(ARABIC_NAMES)
def _make_arabic_names(nlp: Language, name: str) -> ArabicNames:
    return ArabicNames()


class ArabicNames:
    """Pipeline component: an Arabic-script token that reads as a gazetteer name gets the
    name's key as its ``NORM`` (other tokens keep theirs, so a statistical NER sees them as
    before)."""

    def __init__(self) -> None:
        self.whole: frozenset[str] = frozenset()
        self.first: frozenset[str] = frozenset()

    def __call__(self, doc: Doc) -> Doc:
        if not self.whole or not ARABIC_SCRIPT.search(doc.text):
            return doc
        for token in doc:
            if ARABIC_SCRIPT.search(token.text):
                reading = resolve(token.text, self.whole, self.first)
                if reading is not None:
                    token.norm_ = reading.key
        return doc


def arabic_token_patterns(
    patterns: Iterable[dict], make_doc: Callable[[str], Doc]
) -> tuple[list[dict], set[str], set[str]]:
    """Patterns with every Arabic-script phrase turned into a token pattern on the key of each
    word (its Latin or punctuation words stay ``ORTH``); plus the keys of all words and of
    first words, for :class:`ArabicNames`."""
    converted: list[dict] = []
    whole: set[str] = set()
    first: set[str] = set()
    for pattern in patterns:
        phrase = pattern["pattern"]
        if not isinstance(phrase, str) or not ARABIC_SCRIPT.search(phrase):
            converted.append(pattern)
            continue
        words = [token.text for token in make_doc(phrase)]
        tokens = []
        for word in words:
            if ARABIC_SCRIPT.search(word):
                whole.add(letters(word))
                tokens.append({"NORM": letters(word)})
            else:
                tokens.append({"ORTH": word})
        if ARABIC_SCRIPT.search(words[0]):
            first.add(letters(words[0]))
        converted.append({**pattern, "pattern": tokens})
    return converted, whole, first


def add_gazetteer_ruler(nlp: Language, files: Sequence[Path], *, before: str | None) -> None:
    """Add the gazetteer's ruler (and, for Arabic-script names, :class:`ArabicNames` in front
    of it) to ``nlp``, before the component ``before`` (None: at the end)."""
    patterns = [p for path in files for p in read_gazetteer(path)]
    patterns, whole, first = arabic_token_patterns(patterns, nlp.make_doc)
    where = {"before": before} if before else {}
    if whole:
        names = nlp.add_pipe(ARABIC_NAMES, **where)
        names.whole, names.first = frozenset(whole), frozenset(first)
    ruler = nlp.add_pipe(
        "entity_ruler", **where, config={"overwrite_ents": False, "validate": True}
    )
    ruler.add_patterns(patterns)


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
