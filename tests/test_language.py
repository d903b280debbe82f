"""The record's language: declared by the page, checked against the body (py3langid)."""

from __future__ import annotations

import pytest

from extraction.language import MIN_DETECT_CHARS, article_language, detect_language

ARABIC = (
    "قتل اثنا عشر مسلحا من تنظيم داعش يوم الاثنين خلال اشتباكات مع القوات العراقية غرب "
    "محافظة الأنبار، بحسب مصدر عسكري تحدث لوكالة الأنباء اليوم في بيان رسمي. "
) * 2
ENGLISH = (
    "Iraqi forces killed twelve Islamic State militants during clashes west of Anbar on "
    "Monday, a military source said in a statement to the agency. "
) * 2
SORANI = (
    "حکوومەتی هەرێمی کوردستان ڕایگەیاند کە لە ماوەی مانگی ڕابردوودا زیاتر لە سێ هەزار خێزانی "
    "ئاوارە لە پارێزگای ئەنبارەوە گەیشتوونەتە هەولێر و لە کەمپەکانی دەوروبەری شار نیشتەجێ کراون. "
) * 2
GERMAN = (
    "Die irakischen Streitkräfte haben am Montag zwölf Kämpfer im Westen der Provinz Anbar "
    "getötet, sagte eine militärische Quelle der Nachrichtenagentur. "
) * 2


@pytest.mark.parametrize(
    ("declared", "text", "expected"),
    [
        (None, ARABIC, "ar"),  # undeclared: detected
        (None, GERMAN, "de"),
        ("en", ARABIC, "ar"),  # a template's lang="en" over Arabic: another script, body wins
        ("ar", ENGLISH, "en"),
        ("en", ENGLISH, "en"),
        ("de", ENGLISH, "de"),  # same script: the page's word stands (close languages)
        ("ckb", SORANI, "ckb"),  # py3langid says "sdh": same script, the page's word stands
        ("ar", SORANI, "ar"),
        ("en", "Short caption.", "en"),  # too short to tell: declared
        (None, "Short caption.", None),
    ],
)
def test_article_language(declared: str | None, text: str, expected: str | None) -> None:
    assert article_language(declared, text) == expected


def test_short_texts_are_not_guessed() -> None:
    assert detect_language("x" * (MIN_DETECT_CHARS - 1)) is None
    assert detect_language(ENGLISH) == "en"


def test_a_body_in_the_declared_languages_script_is_not_run_through_the_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Between languages of one script the declaration stands anyway, so the model (the most
    expensive step per page) only runs for undeclared pages or a script mismatch."""

    def fail(text: str) -> str:
        raise AssertionError("detect_language called")

    monkeypatch.setattr("extraction.language.detect_language", fail)
    assert article_language("de", ENGLISH) == "de"
    assert article_language("ar", ARABIC) == "ar"
