"""Arabic-script names as a matching key: one spelling for the many a name is written in.

Arabic (and Kurdish Sorani, Persian) writers vary where a reader does not: alef with or without
hamza (الأنبار / الانبار), ta marbuta or heh (عانة / عانه), alef maqsura or yeh (ديالى / ديالي),
hamza on a seat or not (القائم / القايم), optional vowel marks and tatweel, Persian/Kurdish kaf
and yeh (ک / ك, ی / ي). :func:`letters` maps all of these to one form, keeping every other
letter, so the Kurdish-only letters (ڵ ڕ ێ ۆ پ چ ژ گ) still tell words apart.

Words also take one-letter prefixes: و (and), ف (so), ب (in, by), ك (like), ل (for, to), up to
two of them, before the definite article or the bare word: والأنبار, بالأنبار, وبغداد. Stripping
them blindly would ruin the many words that merely begin with those letters (بغداد, واسط, بابل),
so :func:`resolve` strips them only when what is left is a name the gazetteer knows, and tries
the word as it stands first. After ل the article loses its alef (ل + الأنبار = للأنبار); that is
read back too. The article itself is part of a name (الأنبار, never أنبار), because some names
differ from a common word by the article alone (المثنى the province, مثنى a first name).

Kurdish Sorani glues endings to names instead: لە هەولێردا (in Erbil), لە هەولێرەوە (from
Erbil), هەولێری (Erbil's). Those are stripped, again only down to a known name, and only for
names written in Kurdish letters (:func:`is_kurdish`): in Arabic a final ي makes another word
(البغدادي, "the Baghdadi", is a person, not Baghdad).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container
from dataclasses import dataclass

# Vowel marks, shadda, sukun, superscript alef, Quranic marks; tatweel (kashida); hamza alone.
_DROPPED = frozenset(
    [chr(c) for c in range(0x064B, 0x0660)]
    + [chr(0x0670), chr(0x0640), chr(0x0621)]
    + [chr(c) for c in range(0x06D6, 0x06EE)]
)
_SAME_LETTER = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ٲ": "ا",
        "ٳ": "ا",
        "ؤ": "و",
        "ئ": "ي",
        "ى": "ي",
        "ی": "ي",  # Persian/Kurdish yeh
        "ة": "ه",
        "ە": "ه",  # Kurdish ae
        "ھ": "ه",  # heh doachashmee
        "ک": "ك",  # keheh
    }
)
# One or two clitics, shortest first: the word as written is tried before any of them.
CLITICS = ("و", "ف", "ب", "ك", "ل", "وب", "وك", "ول", "فب", "فك", "فل")
# Sorani endings, as letters() writes them (ە -> ه, ی -> ي), longest first: -یەوە, -ەوە and
# -وە "from", -دا "in", -یش and -ش "also", -ی of the izafe.
SORANI_ENDINGS = ("يهوه", "هوه", "وه", "دا", "يش", "ش", "ي")
_KURDISH_LETTERS = frozenset("ەێۆڵڕڤگپچژیکھ")


ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f]")


def is_kurdish(name: str) -> bool:
    """Whether ``name`` is written with a letter Arabic does not use (Kurdish and Persian ones)."""
    return any(char in _KURDISH_LETTERS for char in name)


def _kept(text: str) -> list[tuple[int, str]]:
    """(index in ``text``, unified letter) for every character :func:`letters` keeps."""
    return [
        (index, char.translate(_SAME_LETTER))
        for index, char in enumerate(text)
        if char not in _DROPPED and unicodedata.category(char) != "Cf"
    ]


def letters(text: str) -> str:
    """The matching form of ``text``: marks, tatweel, lone hamza and zero-width characters
    dropped, letter variants unified. Not language-specific beyond the Arabic script; Latin
    text comes back as it was."""
    return "".join(char for _, char in _kept(text))


@dataclass(frozen=True)
class Reading:
    """How a written word reads as a known name: the name's key, and where in the word the name
    as written starts and ends (clitic letters before it, Sorani endings after it, left out)."""

    key: str
    name_start: int
    name_end: int


def resolve(
    word: str,
    whole: Container[str],
    first: Container[str],
    last_kurdish: Container[str] = (),
) -> Reading | None:
    """The word read as a gazetteer name, or None.

    ``whole`` holds the keys a word may equal as written (every word of every name); ``first``
    the keys a word may equal once its clitics are stripped (the first word of a name: a prefix
    never sits inside one); ``last_kurdish`` those it may equal once a Sorani ending is
    stripped (the last word of a name written in Kurdish).
    """
    kept = _kept(word)
    form = "".join(char for _, char in kept)
    if form in whole:
        return Reading(form, 0, len(word))
    for ending in SORANI_ENDINGS:
        stem = form[: -len(ending)]
        if form.endswith(ending) and len(stem) >= 2 and stem in last_kurdish:
            return Reading(stem, 0, kept[len(stem) - 1][0] + 1)
    for clitic in CLITICS:
        if not form.startswith(clitic) or len(form) - len(clitic) < 2:
            continue
        rest = form[len(clitic) :]
        if rest in first:
            return Reading(rest, kept[len(clitic)][0], len(word))
        if clitic.endswith("ل") and rest.startswith("ل") and "ا" + rest in first:
            # ل + ال: the article's alef is not written; the name starts at the article's lam,
            # which is shared with the preposition, so the name keeps the whole "لل".
            return Reading("ا" + rest, kept[len(clitic) - 1][0], len(word))
    return None
