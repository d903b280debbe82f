"""The article's language: what the page declares, checked against its text.

Templates leave it out, or declare the site's language over stories in another (a site-wide
`lang="en"` on Arabic articles), so a long enough body has the last word where the two are
written in different scripts. Detection is py3langid with its bundled model (no network).
"""

from __future__ import annotations

import functools
import re

# Languages not written in Latin script; a model for any other language is taken to read it.
NON_LATIN_LANGUAGES = frozenset(
    {
        *("ar", "fa", "ur", "ps", "ckb", "he", "yi", "el", "hy", "ka", "am"),
        # py3langid's Arabic dialects, Southern Kurdish (what it calls Sorani), Uyghur
        *("ary", "arz", "sdh", "ug", "hbo", "grc"),
        *("ru", "uk", "bg", "mk", "be", "kk", "ky", "tg", "mn", "tt", "ba"),
        *("zh", "yue", "wuu", "ja", "ko", "th", "lo", "km", "my", "dz"),
        *("hi", "mr", "ne", "bn", "pa", "gu", "ta", "te", "kn", "ml", "si", "or", "as", "sa"),
    }
)
# Shorter bodies are not detected: too little text for a reliable guess.
MIN_DETECT_CHARS = 200
_DETECT_CHARS = 5000
# The script check reads this much; a body is in Latin script when this share of its letters is.
_SCRIPT_SAMPLE_CHARS = 1000
LATIN_SHARE = 0.5
# Letters, and Latin letters: Basic Latin to Latin Extended-B (below U+0250) and Latin Extended
# Additional (Vietnamese, U+1E00-U+1EFF). Counted by the regex engine, not a Python loop.
_LETTER = re.compile(r"[^\W\d_]")
_LATIN_LETTER = re.compile(r"[^\W\d_\u0250-\u1dff\u1f00-\U0010ffff]")


@functools.cache
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the body's language, or None for a body too short to tell."""
    sample = text.strip()[:_DETECT_CHARS]
    if len(sample) < MIN_DETECT_CHARS:
        return None
    return _identifier().classify(sample)[0]


def _script_agrees(declared: str, text: str) -> bool:
    """True when the body is written in the script of the declared language (Latin or not)."""
    sample = text[:_SCRIPT_SAMPLE_CHARS]
    letters = len(_LETTER.findall(sample))
    if not letters:
        return True
    latin = len(_LATIN_LETTER.findall(sample)) >= LATIN_SHARE * letters
    return latin != (declared in NON_LATIN_LANGUAGES)


def article_language(declared: str | None, text: str) -> str | None:
    """The declared language, unless it is missing or names a language written in another
    script than the body's detected one (then the detected one).

    A body in the declared language's script keeps the declaration without running the model:
    between languages of one script the page's word stands anyway.
    """
    if declared is not None and _script_agrees(declared, text):
        return declared
    detected = detect_language(text)
    if detected is None or declared == detected:
        return declared or detected
    if declared is None:
        return detected
    if (declared in NON_LATIN_LANGUAGES) != (detected in NON_LATIN_LANGUAGES):
        return detected
    return declared
