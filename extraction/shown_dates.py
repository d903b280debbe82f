"""The publication date an article shows under its headline, for pages that state none in
their markup.

Many small sites' templates have no JSON-LD, no date meta tag and no ``<time>`` element, but
print the date on a line of its own between the headline and the text: "09.09.2025, 15:15
Uhr", "April 28, 2023", "2024年04月24日23:52", "17:41 JST, October 13, 2024". htmldate, the
last resort otherwise, guesses from the whole page and often takes a related story's or a
footer's date. Only the short lines under the headline that are mostly a date are read (see
:mod:`extraction.header_lines`; not a caption or the text's sentences, whose dates are the
news's), and a date after an "updated" word is not the publication's.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from extraction.header_lines import header_lines, heading_element
from extraction.page import Page

# What a date line may hold besides the date: a byline, "Published", a separator. A caption or
# a sentence ("Über dieses Thema berichtet: das Radio am 14.04.2026 ...") says more.
MAX_OTHER_CHARS = 40

MONTH_NAMES = (
    "january february march april may june july august september october november december",
    "jan feb mar apr may jun jul aug sep oct nov dec",
    "januar februar märz april mai juni juli august september oktober november dezember",
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "januari februari maart april mei juni juli augustus september oktober november december",
    "januar februar mars april mai juni juli august september oktober november desember",
    "januari februari mars april maj juni juli augusti september oktober november december",
    "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października"
    " listopada grudnia",
    # Arabic: the Egyptian and Gulf names (with and without hamza), the Levantine and Iraqi
    # ones ("_" for the space inside a name)
    "يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر",
    "يناير فبراير مارس إبريل مايو يونيه يوليه اغسطس سبتمبر اكتوبر نوفمبر ديسمبر",
    "كانون_الثاني شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين_الأول تشرين_الثاني كانون_الأول",
)
# The languages agree where they share a name ("april", "mars", "mai").
MONTHS = {
    name.replace("_", " "): n
    for names in MONTH_NAMES
    for n, name in enumerate(names.split(), start=1)
}
_MONTH = "|".join(
    re.escape(name).replace(r"\ ", r"\s+") for name in sorted(MONTHS, key=len, reverse=True)
)
# Arabic-Indic and Persian digits read as the ASCII ones.
_DIGITS = str.maketrans(
    {chr(0x0660 + i): str(i) for i in range(10)} | {chr(0x06F0 + i): str(i) for i in range(10)}
)
_YEAR = r"(?P<y>(?:19|20)\d{2})"
_TIME = r"(?:\D{0,6}?(?P<H>[01]?\d|2[0-3])\s*[:.時]\s*(?P<M>[0-5]\d))?"
_SHAPES = [
    # 2024年04月24日 23:52, 2024년 5월 12일, 2024-04-24 23:52, 2024/12/04, 2024.05.12
    rf"{_YEAR}\s*[年년]\s*(?P<m>\d{{1,2}})\s*[月월]\s*(?P<d>\d{{1,2}})\s*[日일]{_TIME}",
    rf"{_YEAR}\s*([-/.])\s*(?P<m>\d{{1,2}})\s*\2\s*(?P<d>\d{{1,2}})\b{_TIME}",
    # 09.09.2025, 15:15 Uhr (day first: German, Nordic, Slavic, ...)
    rf"(?<!\d)(?P<d>\d{{1,2}})\.\s?(?P<m>\d{{1,2}})\.\s?{_YEAR}{_TIME}",
    # April 28, 2023; 28 April 2023; 27. August 2024; 28 de abril de 2023
    rf"\b(?P<mn>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_YEAR}{_TIME}",
    rf"\b(?P<d>\d{{1,2}})(?:\.|st|nd|rd|th|er)?\s+(?:de\s+)?(?P<mn>{_MONTH})\.?,?\s+(?:de\s+)?{_YEAR}{_TIME}",
]
_DATES = [re.compile(shape, re.IGNORECASE) for shape in _SHAPES]
# A date after one of these is when the article changed, not when it came out.
_UPDATED = re.compile(
    r"update|aktualisiert|\bstand\b|更新|수정|actualizado|mis à jour|aggiornato|"
    r"oppdatert|opdateret|uppdaterad|zaktualizowano|atualizado|bijgewerkt|تحديث",
    re.IGNORECASE,
)


def shown_date(page: Page, headline: str | None = None) -> datetime | None:
    """The first date on a short line under the headline's element (see
    :func:`extraction.header_lines.heading_element`), naive (the page shows no offset), or
    None."""
    heading = heading_element(page, headline)
    if heading is None:
        return None
    return next(filter(None, map(date_on_line, header_lines(heading))), None)


def date_on_line(line: str) -> datetime | None:
    """The line's first date (full-width digits read too), unless an "updated" word comes
    before it or the line holds more than a date and a few words."""
    line = unicodedata.normalize("NFKC", line).translate(_DIGITS)
    matches = sorted(
        (match for shape in _DATES for match in shape.finditer(line)), key=lambda m: m.start()
    )
    for match in matches:
        if _UPDATED.search(line[: match.start()]):
            return None
        moment = _moment(match)
        if moment is not None:
            others = len(line) - (match.end() - match.start())
            return moment if others <= MAX_OTHER_CHARS else None
    return None


def _moment(match: re.Match[str]) -> datetime | None:
    groups = {name: value for name, value in match.groupdict().items() if value}
    name = " ".join(groups.get("mn", "").lower().split())
    month = int(groups["m"]) if "m" in groups else MONTHS.get(name)
    try:
        return datetime(
            int(groups["y"]),
            month or 0,
            int(groups["d"]),
            int(groups.get("H", 0)),
            int(groups.get("M", 0)),
        )
    except (KeyError, ValueError):
        return None
