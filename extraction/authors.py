"""Bylines -> the credited entities: people first, then agencies and newsrooms.

Pages give authors as JSON-LD objects, meta tags or a byline line, and all of them carry noise:
"By", "Von", "Av", "Autor" and "Analysis by" prefixes, the date glued on ("Malcolm Owen Monday,
November 18") or put first ("Posted on Sept 3, 2024 by"), job titles ("AP Sports Writer", "is a
reporter"), the place filed from ("in Baghdad"), e-mail addresses, initials in brackets
("Elena Oberholzer (obe)") and URL slugs ("emma-mackenzie"). Each candidate is split into names
(on ``;``, ``,``, ``|``, "&", "and" and the page language's own "and": "und", "og", "et", "y",
...), each name is cleaned, and what is left is kept once, in page order.

The convention (the metadata benchmark's): people by name when given; agencies ("dpa", "The
Associated Press") and newsrooms ("Redaktion hessenschau.de", "Gear Team") are kept next to
them, after them; the site's own name counts only when nothing else is credited.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from extraction.agencies import agency, compact, is_agency_name
from extraction.cjk_bylines import fold_punctuation, is_photo_line, split_names, without_role

_PREFIX = re.compile(
    r"^(?:(?:analysis|opinion|commentary|story|text|words|photos?|posted|written|reported|"
    r"compiled|edited|(?:ein\s+)?(?:gast)?kommentar|analyse|meinung|commentaire|opinión)\s+)?"
    r"(?:by|von|vom|av|af|par|por|door|przez|от|oleh|piše|מאת|โดย)\s*:?\s+|"
    r"^di\s+|"
    r"^(?:authors?|autor(?:in|en|es)?|auteure?s?|autore|byline|text|texto|testo|tekst|"
    r"written by|posted by|автор|penulis|szerző|autorius|autors|avtor|teksti|tác giả|yazar|"
    r"लेखक)\s*:\s*|"
    r"^(?:autor(?:in)?|auteur|autore|author)\s+(?=[A-ZÀ-ÖØ-Þ])|"
    r"^(?:بقلم|كتب|كتبت)\s*:?\s*",
    re.IGNORECASE,
)
# The Italian "di" is a prefix only in lower case ("di Mario Rossi"; "Di Maio" is a name).
_LOWER_ONLY_PREFIX = re.compile(r"^di\s+")
_SEPARATORS = r";|,|\||\s/\s|&|\n|、|\s·\s|\s•\s"
# "and" in the page's language; English "and" and "&" are always separators.
CONJUNCTIONS: dict[str, tuple[str, ...]] = {
    "de": ("und",),
    "nl": ("en",),
    "no": ("og",),
    "nb": ("og",),
    "nn": ("og",),
    "da": ("og",),
    "is": ("og",),
    "sv": ("och",),
    "fr": ("et",),
    "es": ("y", "e"),
    "ca": ("i",),
    "pt": ("e",),
    "it": ("e",),
    "pl": ("i",),
    "cs": ("a",),
    "sk": ("a",),
    "sl": ("in",),
    "hr": ("i",),
    "sr": ("i",),
    "bs": ("i",),
    "ro": ("și", "şi"),
    "hu": ("és",),
    "fi": ("ja",),
    "et": ("ja",),
    "lt": ("ir",),
    "lv": ("un",),
    "tr": ("ve",),
    "ru": ("и",),
    "uk": ("і", "та"),
    "bg": ("и",),
    "el": ("και",),
    "vi": ("và",),
    "id": ("dan",),
    "ms": ("dan",),
}
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
# Everything from a weekday, a month followed by a day, a number or "updated" (Korean "입력",
# "수정", "승인") on, with the "on" before it, is a date stamp (digits inside a word, "BR24",
# are part of a name).
_DATE_TAIL = re.compile(
    r"\s*(?:\b(?:on|am|le|el|il|den)\s+)?"  # "... on Monday", "... am 3. Mai"
    rf"(?:\b(?:{_WEEKDAYS})\b|\b(?:{_MONTHS})\.?\s+\d|\b\d"
    r"|\b(?:updated|published|posted|입력|수정|승인)\b).*$",
    re.IGNORECASE,
)
_MONTH_ONLY = re.compile(rf"^(?:{_MONTHS}|{_WEEKDAYS})$", re.IGNORECASE)
# "Phil Helsel is a reporter for NBC News", "Amy K for NJ.com": the name is what comes before.
_DESCRIPTION = re.compile(r"\s+(?:(?:is|was)\s+(?:a|an|the)|for)\s+.*$", re.IGNORECASE)
_EMAIL_OR_URL = re.compile(r"\S+@\S+|https?://\S+|www\.\S+|@\w+")
# "Jane Doe in Baghdad": where the author filed from, not part of the name.
_PLACE_TAIL = re.compile(r"\s+in\s+[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*$")
# The last "by" of a byline; what comes before it may be a date stamp ("Posted on ... by").
_BY = re.compile(r"\bby\b\s*:?\s*", re.IGNORECASE)
# "(obe)", "(AP)": a short bracketed part; an agency becomes a credit of its own, the rest
# (initials, roles) goes.
_BRACKETED = re.compile(r"\s*\(([^()]{1,30})\)")
# "mit AP", "with Reuters": a byline's "and the agency" line; "theo AFP", "laut dpa", "selon
# l'AFP": "according to the agency", its credit too.
_WITH = re.compile(
    r"^(?:with|mit|avec|con|com|met|med|z|s"
    r"|theo|laut|según|selon|secondo|segundo|volgens|ifølge|enligt|według)\s+"
    r"(?:l['’]|la\s+|le\s+)?",  # "avec l'AFP"
    re.IGNORECASE,
)
# A URL slug standing in for a name ("emma-mackenzie").
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")
# A credit with one of these words is a job title ("AP Sports Writer"), never a name.
JOB_WORDS = frozenset(
    {
        *("writer", "reporter", "correspondent", "editor", "editor-at-large", "columnist"),
        *("contributor", "admin", "administrator", "journalist", "photographer", "director"),
        *("writers", "reporters", "correspondents", "contributors", "journalists"),
        *("redakteur", "redakteurin", "korrespondent", "korrespondentin", "reporterin"),
    }
)
# A credit with one of these and another word is a newsroom ("BR24 Redaktion", "Gear Team");
# made of these alone ("Staff", "Editorial Team") it names nobody.
NEWSROOM_WORDS = frozenset(
    {
        *("staff", "team", "desk", "newsroom", "bureau", "editorial", "editors"),
        *("redaktion", "rédaction", "redacción", "redazione", "redaksjonen", "redaktionen"),
        *("redactie", "redakcja", "redakce", "newsdesk", "online"),
    }
)
# Labels under a country's top-level domain that name a kind of site, not the site
# (co.uk, com.au, net.au, org.nz, ac.jp, ne.jp, or.kr, gob.mx, ...).
SECOND_LEVEL_LABELS = frozenset(
    {"co", "com", "net", "org", "gov", "gob", "edu", "ac", "or", "ne", "go", "nic", "info"}
)
# What a date stamp's cut leaves of a line that said when, not who ("Veröffentlicht am ...").
STAMP_WORDS = frozenset(
    {"veröffentlicht", "aktualisiert", "publié", "publicado", "actualizado", "pubblicato"}
    | {"aggiornato", "publisert", "oppdatert", "opublikowano", "gepubliceerd", "published"}
)
# Links and words a byline element holds beside the name: its share links, "today", the
# section's "News" ("Nachrichten", "Noticias", ...).
NOT_NAMES = frozenset(
    {"twitter", "facebook", "instagram", "linkedin", "whatsapp", "threads", "bluesky", "email"}
    | {"e-mail", "mastodon", "rss", "today", "yesterday", "heute", "gestern", "hoy", "ayer"}
    | {"news", "nachrichten", "noticias", "actualités", "notizie", "nyheter", "nieuws"}
)
# Degrees and credentials after a name ("Rachael Link, MS, RD"): no name of their own.
CREDENTIALS = frozenset(
    {"ms", "msc", "ma", "md", "phd", "rd", "rn", "mph", "mba", "bsc", "ba", "cpt", "ld", "do"}
)
MAX_NAME_WORDS = 6
MIN_NAME_WORDS_BEFORE_AGENCY = 2
MIN_NAME_CHARS = 2
# Lower-case words a name may hold ("Chus del Pino", "Ludwig van Beethoven"); any other
# lower-case word next to capitalised ones makes a description ("Romerio universiteto").
NAME_PARTICLES = frozenset(
    {
        *("de", "del", "della", "der", "den", "des", "van", "von", "da", "di", "du", "dos"),
        *("das", "la", "le", "y", "e", "bin", "ibn", "al", "el", "zu", "ten", "ter", "af"),
    }
)
MAX_LOWERCASE_NAME_WORDS = 3
# "amw", "kesm": a newsroom's initials for a writer, which credit nobody by name.
_INITIALS = re.compile(r"^[a-zß]{2,4}$")
# "aligharib", "jdoe_2": a login standing in for a name (a newsroom's "srf/hosb" is a credit).
_HANDLE = re.compile(r"^[a-z][a-z0-9_]{4,}$")
# What a prefix leaves when it stood alone ("Von", "By"), and the labels of a kind of piece
# that stand where a byline would ("Gastkommentar", "Opinion").
PREFIX_WORDS = frozenset(
    {
        *("by", "von", "vom", "av", "af", "par", "por", "door", "przez", "di", "oleh"),
        *("opinion", "analysis", "commentary", "kommentar", "gastkommentar", "analyse"),
        *("meinung", "commentaire", "opinión"),
    }
)
# A photo credit ("Foto: REUTERS/Jane Doe") where a byline element or tag should be: it
# credits the picture, not the article.
_PHOTO_CREDIT = re.compile(
    r"^(?:fotos?|photos?|bild(?:er)?|images?|zdjęcie|imagen|crédit photo|photo credit)\s*:",
    re.IGNORECASE,
)
# German job titles are compounds ("Wirtschaftsredakteur", "Auslandskorrespondentin").
JOB_SUFFIXES = ("redakteur", "redakteurin", "korrespondent", "korrespondentin", "reporterin")


@dataclass(frozen=True)
class Credit:
    """A cleaned credit; ``kind`` is "person", "agency", "newsroom" or "site"."""

    name: str
    kind: str


def is_photo_credit(text: str) -> bool:
    """ "Foto: REUTERS/Jane Doe", "사진=홍길동 기자": it credits the picture, not the article."""
    return bool(_PHOTO_CREDIT.match(text) or is_photo_line(text))


def site_name_keys(names: Iterable[str | None], url: str | None = None) -> set[str]:
    """Compact forms of the site's names (og:site_name, publisher, the host without "www.")."""
    keys = {compact(name) for name in names if name}
    if url:
        host = re.sub(r"^[a-z]+://", "", url.lower()).split("/")[0].split(":")[0]
        host = host.removeprefix("www.")
        keys |= {compact(host), compact(host.rsplit(".", 1)[0]), compact(_registered_name(host))}
    return {key for key in keys if key}


def _registered_name(host: str) -> str:
    """The name a site registered under its country's second level ("mirror" of
    mirror.co.uk, "abc" of abc.net.au), else the label before the top level."""
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in SECOND_LEVEL_LABELS:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else host


@functools.cache
def _splitter(language: str | None) -> re.Pattern[str]:
    words = ("and", *CONJUNCTIONS.get(language or "", ()))
    conjunctions = "|".join(rf"\s{re.escape(word)}\s" for word in words)
    # conjunctions first: a line may start with one ("...\nand Jane Doe")
    return re.compile(rf"\s*(?:{conjunctions}|{_SEPARATORS})\s*", re.IGNORECASE)


def _strip_prefix(text: str) -> str:
    match = _PREFIX.match(text)
    if match is None:
        return text
    if match.group().lower().startswith("di") and not _LOWER_ONLY_PREFIX.match(text):
        return text
    return text[match.end() :]


def has_byline_prefix(text: str) -> bool:
    """ "Von Katja Brenner", "By Jane Doe", "Autor: ...": a line that says it is a byline."""
    return _strip_prefix(" ".join(text.split())) != " ".join(text.split())


def clean_name(raw: str) -> str:
    """One name without prefix, date stamp, description, address or surrounding punctuation."""
    name = " ".join(raw.split())
    name = _strip_prefix(name)
    name = _EMAIL_OR_URL.sub("", name)
    name = _BRACKETED.sub("", name)
    name = _DESCRIPTION.sub("", name)
    name = _DATE_TAIL.sub("", name)
    name = without_role(_PLACE_TAIL.sub("", name))
    name = name.strip(" \t-–—:·•()[]\"'“”")
    if _SLUG.match(name):
        name = name.replace("-", " ").title()
    if name.isupper() and len(name) > 4:
        name = name.title()
    words = name.split()
    half = len(words) // 2
    if half and len(words) % 2 == 0 and words[:half] == words[half:]:
        name = " ".join(words[:half])  # "Jane Doe Jane Doe": a visible and a hidden copy
    return name


def _kind(name: str, site_keys: set[str], organization: bool) -> str | None:
    """What a cleaned credit is, or None when it names nobody (a job title, a month, noise)."""
    words = name.split()
    if not words or len(words) > MAX_NAME_WORDS or len(name) < MIN_NAME_CHARS:
        return None
    if not any(ch.isalpha() for ch in name) or _MONTH_ONLY.match(name):
        return None
    lowered = [word.casefold().strip(".,") for word in words]
    if any(word in JOB_WORDS or word in STAMP_WORDS for word in lowered):
        return None
    if name.casefold() in PREFIX_WORDS | NOT_NAMES or compact(name) in CREDENTIALS:
        return None
    if any(word.endswith(JOB_SUFFIXES) for word in lowered):
        return None
    if agency(name):
        return "agency"
    if compact(name) in site_keys:
        return "site"
    if _INITIALS.match(name) or _is_description(words):
        return None
    if _HANDLE.match(name):
        return None
    if any(word in NEWSROOM_WORDS for word in lowered):
        return "newsroom" if not all(word in NEWSROOM_WORDS for word in lowered) else None
    return "newsroom" if organization else "person"


def _is_description(words: list[str]) -> bool:
    """Lower-case words beside capitalised ones, or too many of them: a phrase, not a name.
    Host names ("hessenschau.de") and words with digits are names of their own."""
    plain = [w for w in words if "." not in w and not any(ch.isdigit() for ch in w)]
    # "al-Janabi", "el-Sisi", "bin-Salman": a particle joined to a capitalised name is a name
    lower = [
        w for w in plain if w[:1].islower() and w.casefold().partition("-")[0] not in NAME_PARTICLES
    ]
    if not lower:
        return False
    if len(lower) < len(plain):
        return True
    return len(lower) > MAX_LOWERCASE_NAME_WORDS


def _after_date_stamp(byline: str) -> str:
    """ "Posted on Sept 3, 2024 by John Smith" -> "John Smith": a stamp before "by" goes first.

    Otherwise splitting on the comma would leave "2024 by John Smith", which the date rule
    then cuts to nothing.
    """
    last = next(reversed(list(_BY.finditer(byline))), None)
    if last is not None and _DATE_TAIL.search(byline[: last.start()]):
        return byline[last.end() :]
    return byline


def _bracketed_agencies(byline: str) -> str:
    """ "Jane Doe (AP)" -> "Jane Doe, AP": an agency in brackets is a credit of its own."""
    return _BRACKETED.sub(lambda m: f", {m.group(1)}" if agency(m.group(1)) else m.group(), byline)


def credits(
    candidates: Iterable[str | None],
    site_keys: set[str] = frozenset(),
    language: str | None = None,
    organization: bool = False,
) -> list[Credit]:
    """Cleaned, deduplicated credits from byline strings, in page order.

    ``organization`` marks candidates the page types as organizations (JSON-LD), so that a
    name that is neither an agency nor the site is a newsroom rather than a person.
    """
    found: list[Credit] = []
    seen: set[str] = set()
    splitter = _splitter(language)
    for candidate in candidates:
        candidate = fold_punctuation(candidate or "")
        if not candidate or candidate.lstrip().startswith("(") or is_photo_credit(candidate):
            continue
        # lines stay apart (a byline element's names, one link each); spaces collapse
        lines = (" ".join(line.split()) for line in candidate.splitlines())
        byline = _bracketed_agencies(_after_date_stamp("\n".join(line for line in lines if line)))
        pieces = splitter.split(_strip_prefix(byline))
        for piece in (name for part in pieces for name in split_names(part, language)):
            for name in _with_agency_apart(clean_name(piece)):
                kind = _kind(name, site_keys, organization)
                if kind is not None and compact(name) not in seen:
                    seen.add(compact(name))
                    found.append(Credit(name, kind))
    return found


def _with_agency_apart(name: str) -> list[str]:
    """ "Jane Doe The Associated Press" -> "Jane Doe", "The Associated Press": an agency's name
    glued after a person's (two lines of a byline read as one)."""
    with_agency = _WITH.match(name)
    if with_agency and is_agency_name(name[with_agency.end() :]):
        return [name[with_agency.end() :]]  # "mit AP", "with AFP": the agency's credit
    words = name.split()
    for cut in range(MIN_NAME_WORDS_BEFORE_AGENCY, len(words)):
        if is_agency_name(" ".join(words[cut:])):
            return [" ".join(words[:cut]), " ".join(words[cut:])]
    return [name]


def ordered(found: Iterable[Credit]) -> list[str]:
    """People first, then agencies and newsrooms; the site's own name only when it is the one
    credit."""
    found = list(found)
    people = [c.name for c in found if c.kind == "person"]
    others = [c.name for c in found if c.kind in ("agency", "newsroom")]
    return people + others or [c.name for c in found if c.kind == "site"][:1]


def clean_authors(
    candidates: Iterable[str | None],
    site_keys: set[str] = frozenset(),
    language: str | None = None,
) -> list[str]:
    """Credited names from byline strings, people first (see the module docstring)."""
    return ordered(credits(candidates, site_keys, language))
