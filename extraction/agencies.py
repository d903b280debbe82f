"""Wire agencies: who a credit names when it names a news agency, under one name each.

An agency credited in a byline ("dpa", "Jane Doe, Reuters", "AFP Deutschland") is kept among the
authors (it is who the text is by) and also reported on its own in ``Article.agencies``, so
syndicated copies of one wire story can be found across sites. The list holds agencies, never
the outlets that reprint them; aliases are compared in compact form (letters and digits,
case-folded), so "The Associated Press", "AP" and "ap" are one agency.
"""

from __future__ import annotations

import re

# Display name -> compact aliases.
AGENCIES: dict[str, tuple[str, ...]] = {
    "AP": ("ap", "associatedpress", "theassociatedpress"),
    "AFP": ("afp", "agencefrancepresse"),
    "Reuters": ("reuters", "thomsonreuters"),
    "dpa": ("dpa", "deutschepresseagentur", "dpaafx"),
    "Xinhua": ("xinhua", "xinhuanewsagency"),
    "Anadolu": ("anadolu", "anadoluagency", "anadoluajansı"),
    "UPI": ("upi", "unitedpressinternational"),
    "EFE": ("efe", "agenciaefe"),
    "ANSA": ("ansa",),
    "Europa Press": ("europapress",),
    "APA": ("apa", "austriapresseagentur"),
    "Keystone-SDA": ("sda", "keystonesda", "ats", "keystoneats"),
    "KNA": ("kna",),
    "epd": ("epd",),
    "AAP": ("aap", "australianassociatedpress"),
    "The Canadian Press": ("canadianpress", "thecanadianpress"),
    "PA": ("pa", "pamedia", "pressassociation"),
    "Kyodo": ("kyodo", "kyodonews"),
    "Jiji": ("jiji", "jijipress"),
    "Yonhap": ("yonhap",),
    "PTI": ("pti", "presstrustofindia"),
    "IANS": ("ians",),
    "ANI": ("ani",),
    "TASS": ("tass",),
    "RIA Novosti": ("rianovosti",),
    "Interfax": ("interfax",),
    "Ukrinform": ("ukrinform",),
    "PAP": ("pap",),
    "ČTK": ("čtk", "ctk"),
    "TT": ("tt", "ttnyhetsbyrån"),
    "NTB": ("ntb",),
    "Ritzau": ("ritzau",),
    "STT": ("stt",),
    "Belga": ("belga",),
    "ANP": ("anp",),
    "Lusa": ("lusa",),
    "Agência Brasil": ("agenciabrasil", "agênciabrasil"),
    "AGI": ("agi",),
    "Adnkronos": ("adnkronos",),
    "Bernama": ("bernama",),
    "Antara": ("antara",),
    "Bloomberg": ("bloomberg",),
}
_BY_ALIAS = {alias: name for name, aliases in AGENCIES.items() for alias in aliases}
_WORD = re.compile(r"\w+")
# "AFP Deutschland", "Reuters staff": an agency word with up to this many words around it. A
# short alias written like a name ("Ani", "Pa") is a person's name, not the agency.
MAX_CREDIT_WORDS = 3
MIN_NAMELIKE_ALIAS_CHARS = 6
# "BERLIN (dpa) -", "(AP) —": the wire credit of a dateline at the start of the body.
_DATELINE = re.compile(r"^[^\n()]{0,60}\(([^()\n]{2,40})\)\s*[-–—:]")


def compact(text: str) -> str:
    """Letters and digits only, case-folded: "Cleveland.com" and "Cleveland com" compare equal."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def agency(credit: str) -> str | None:
    """The agency a credit names ("The Associated Press" -> "AP"), or None."""
    key = compact(credit)
    if key in _BY_ALIAS and (len(key) >= MIN_NAMELIKE_ALIAS_CHARS or not credit.strip().istitle()):
        return _BY_ALIAS[key]
    words = _WORD.findall(credit)
    if len(words) > MAX_CREDIT_WORDS:
        return None
    for word in words:
        alias = word.casefold()
        if alias in _BY_ALIAS and (not word.istitle() or len(alias) >= MIN_NAMELIKE_ALIAS_CHARS):
            return _BY_ALIAS[alias]
    return None


def is_agency_name(text: str) -> bool:
    """Whether ``text`` is one of an agency's names as a whole ("The Associated Press",
    "Reuters"), not merely a credit that mentions one."""
    return compact(text) in _BY_ALIAS


def dateline_agencies(text: str) -> list[str]:
    """Agencies a dateline at the start of the body credits ("PARIS (AFP/dpa) -")."""
    match = _DATELINE.match(text.lstrip())
    if match is None:
        return []
    found = [agency(part) for part in re.split(r"[/,;&]", match.group(1))]
    return [name for name in dict.fromkeys(found) if name]
