"""Extraction against real trafilatura on fixture pages (no mocks)."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from extraction import EXTRACTOR, PARAGRAPH_SEPARATOR, Article, decode_html, extract_article

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"
ANBAR_URL = "https://www.iraqinews.com/?p=178920"
CANONICAL = "https://www.iraqinews.com/iraq-war/iraqi-forces-kill-12-is-militants-during-clashes-west-of-anbar/"

FIRST_PARAGRAPH = (
    "Annah ( Twelve Islamic State militants were killed Monday as encounters broke out between "
    "them and Iraqi army forces backed by paramilitary troops west of Anbar."
)
LAST_PARAGRAPH = (
    "Last week, Iraqi warplanes reportedly dropped millions of messages telling locals that "
    "liberation offensives for the province were nearing."
)
PHOTO_CAPTION_START = "Iraqi government forces are seen near the Falahat village west of Fallujah"
PHOTO_CAPTION_END = "/ AFP PHOTO / MOADH AL-DULAIMI"
IN_BODY_CAPTION = "The city of Annah, Anbar, Iraq."
LEAKS = (
    "Leave a Reply",
    "Your email address will not be published",
    "Required fields are marked",
    "Unidentified airstrike leaves four civilians killed",
    "Iraqi army dismantles 97 IEDs",
    "Falahat village",
    IN_BODY_CAPTION,
    "AFP PHOTO",
    "Share",
    "Facebook",
    "Subscribe",
    "cookies",
    "Recent Posts",
)

PROSE = (
    "<p>The provincial council met on Tuesday to discuss the reconstruction budget for the "
    "districts that were damaged during the fighting, officials said.</p>"
)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture(scope="module")
def anbar() -> Article:
    return extract_article(fixture("anbar_wordpress.html"), ANBAR_URL, source="iraqinews")


def test_anbar_body_keeps_the_article_paragraphs(anbar: Article) -> None:
    assert anbar.ok
    paragraphs = anbar.text.split(PARAGRAPH_SEPARATOR)
    assert paragraphs[0] == FIRST_PARAGRAPH
    assert paragraphs[-1] == LAST_PARAGRAPH
    assert len(paragraphs) == 9
    assert "\n\n\n" not in anbar.text


@pytest.mark.parametrize("leak", LEAKS)
def test_anbar_body_has_no_furniture(anbar: Article, leak: str) -> None:
    assert leak not in anbar.text


def test_anbar_captions_are_kept_apart(anbar: Article) -> None:
    assert len(anbar.captions) == 2
    assert anbar.captions[0].startswith(PHOTO_CAPTION_START)
    assert anbar.captions[0].endswith(PHOTO_CAPTION_END)
    assert anbar.captions[1] == IN_BODY_CAPTION


def test_anbar_metadata(anbar: Article) -> None:
    assert anbar.title == "UPDATED: Iraqi forces kill 12 IS militants during clashes west of Anbar"
    assert anbar.authors == ["Mohamed Mostafa"]
    assert anbar.published == datetime.fromisoformat("2017-07-31T14:12:00+03:00")
    assert anbar.published.utcoffset() == timedelta(hours=3)
    assert anbar.published.date().isoformat() == "2017-07-31"
    assert anbar.published_source == "json-ld"
    assert anbar.modified == datetime.fromisoformat("2017-07-31T16:40:00+03:00")
    assert anbar.canonical_url == CANONICAL
    assert anbar.language == "en"
    assert anbar.section == "Iraq War"
    assert anbar.tags == ["Anbar", "Islamic State"]
    assert anbar.image and anbar.image.endswith("/fallujah-forces.jpg")
    assert anbar.description and anbar.description.startswith("Twelve Islamic State militants")
    assert anbar.source == "iraqinews"
    assert anbar.url == ANBAR_URL
    assert anbar.extractor == EXTRACTOR
    assert EXTRACTOR.startswith("newsflow-extraction/") and " trafilatura/2." in EXTRACTOR
    assert anbar.error is None
    assert anbar.quality_flags == []


def test_str_and_bytes_input_agree(anbar: Article) -> None:
    from_str = extract_article(fixture("anbar_wordpress.html").decode("utf-8"), ANBAR_URL)
    assert from_str.text == anbar.text
    assert from_str.published == anbar.published


def test_record_survives_json_round_trip(anbar: Article) -> None:
    assert Article.from_dict(anbar.to_dict()) == anbar


def test_furniture_inside_the_content_block_is_pruned() -> None:
    """Share bar, caption, "Read more", newsletter, related list and reply form inside the body."""
    article = extract_article(fixture("anbar_inline_furniture.html"), "https://example.com/a")
    assert article.ok
    paragraphs = article.text.split(PARAGRAPH_SEPARATOR)
    assert paragraphs[0] == FIRST_PARAGRAPH
    assert paragraphs[-1] == LAST_PARAGRAPH
    for leak in (*LEAKS, "Read more", "Tweet", "inbox", "Comment"):
        assert leak not in article.text
    assert article.captions == [
        "Iraqi government forces are seen near the Falahat village west of Fallujah on June 27, "
        "2016.",
        IN_BODY_CAPTION,
    ]
    # windows-1252 page declared by <meta charset>: 0x92 is a right single quotation mark.
    assert "Jordan’s Petra news agency" in article.text
    assert article.title == "Iraqi forces kill 12 IS militants during clashes west of Anbar"
    assert not article.text.startswith(article.title)
    assert article.published == datetime(2017, 7, 31, 11, 12, tzinfo=UTC)
    assert article.published_source == "meta:article:published_time"
    assert article.canonical_url == CANONICAL


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (fixture("empty.html"), "empty document"),
        (fixture("not_article.html"), "no article text found"),
        (fixture("binary.bin"), "not an HTML document (binary content)"),
        (b"", "empty document"),
        ("", "empty document"),
        ("   \n\t ", "empty document"),
        (b"\x00\x01\x02\x03garbage\xff\xfe", "not an HTML document (binary content)"),
        ("Just a sentence of plain text, no markup at all.", "not an HTML document (no markup)"),
        ("<<<>>>", "no article text found"),
        ("<html><body><p>Too short.</p></body></html>", "no article text found"),
    ],
)
def test_bad_input_returns_a_record_with_an_error(payload: str | bytes, reason: str) -> None:
    article = extract_article(payload, "https://example.com/bad", source="test")
    assert article.error == reason
    assert article.text == ""
    assert not article.ok
    assert article.url == "https://example.com/bad"
    assert article.source == "test"
    assert article.extractor == EXTRACTOR


@pytest.mark.parametrize(
    ("name", "paragraphs", "first"),
    [
        ("prose_chinese.html", 8, "巴士拉消息，乌姆盖斯尔港的码头工人周日恢复工作。"),
        ("prose_short_paragraphs.html", 12, "Dockworkers at Umm Qasr port returned to work"),
        ("prose_br.html", 1, "Dockworkers at Umm Qasr port returned to work"),
    ],
)
def test_articles_without_one_long_line_are_kept(name: str, paragraphs: int, first: str) -> None:
    """No line reaches 100 characters, but the body as a whole is plainly running text."""
    article = extract_article(fixture(name), "https://gulfports.example/news/strike/")
    assert article.error is None
    assert article.text.startswith(first)
    assert len(article.text.split(PARAGRAPH_SEPARATOR)) == paragraphs
    assert article.text.count("\n") >= 7


SHORT_STORY = (
    "<p>Dockworkers at Umm Qasr port returned to work on Sunday after eleven days.</p>"
    "<p>The ministry of transport agreed to pay three months of overdue wages.</p>"
)


@pytest.mark.parametrize(
    ("head", "ok"),
    [
        ("", False),
        ('<meta property="og:type" content="website">', False),
        ('<meta property="og:type" content="article">', True),
        ('<script type="application/ld+json">{"@type": "NewsArticle"}</script>', True),
    ],
)
def test_a_declared_article_needs_less_text(head: str, ok: bool) -> None:
    html = f"<html><head>{head}</head><body><div>{SHORT_STORY}</div></body></html>"
    article = extract_article(html, "https://gulfports.example/news/brief/")
    assert article.ok is ok
    assert article.error == (None if ok else "no article text found")


def test_fallback_published_is_used_when_the_page_has_no_date() -> None:
    feed_date = datetime(2024, 3, 5, 8, 30, tzinfo=UTC)
    html = f"<html><head><title>Budget</title></head><body><article>{PROSE}</article></body></html>"
    article = extract_article(html, "https://example.com/b", fallback_published=feed_date)
    assert article.ok
    assert article.published == feed_date
    assert article.published_source == "feed"


def test_page_date_wins_over_fallback() -> None:
    html = (
        '<html><head><meta property="article:published_time" content="2023-01-02T10:00:00Z">'
        f"</head><body><article>{PROSE}</article></body></html>"
    )
    article = extract_article(html, "https://example.com/c", fallback_published=datetime.now(UTC))
    assert article.published == datetime(2023, 1, 2, 10, 0, tzinfo=UTC)
    assert article.published_source == "meta:article:published_time"


@pytest.mark.parametrize("bad_date", ["2999-01-01T00:00:00Z", "1970-01-01T00:00:00Z"])
def test_impossible_dates_are_rejected(bad_date: str) -> None:
    html = (
        f'<html><head><meta property="article:published_time" content="{bad_date}"></head>'
        f"<body><article>{PROSE}</article></body></html>"
    )
    article = extract_article(html, "https://example.com/d")
    assert article.ok
    assert article.published is None
    assert "no_date" in article.quality_flags
    tomorrow_plus = datetime.now(UTC) + timedelta(days=3)
    article = extract_article(html, "https://example.com/d", fallback_published=tomorrow_plus)
    assert article.published is None


def test_non_english_page_keeps_its_language() -> None:
    html = (
        '<html lang="ar"><body><article><p>'
        "قتل اثنا عشر مسلحا من تنظيم داعش يوم الاثنين خلال اشتباكات مع القوات العراقية غرب "
        "محافظة الأنبار، بحسب مصدر عسكري تحدث لوكالة الأنباء اليوم في بيان رسمي."
        "</p></article></body></html>"
    )
    article = extract_article(html.encode("utf-8"), "https://example.com/ar")
    assert article.ok
    assert article.language == "ar"
    assert article.text.startswith("قتل اثنا عشر")


class TestDecodeHtml:
    def test_bom_wins(self) -> None:
        data = codecs.BOM_UTF16_LE + '<meta charset="latin-1"><p>Anbar ’s</p>'.encode("utf-16-le")
        assert decode_html(data, "cp1252") == '<meta charset="latin-1"><p>Anbar ’s</p>'

    def test_transport_hint_before_meta(self) -> None:
        data = '<meta charset="utf-8"><p>Ramadi – Anbar</p>'.encode("cp1252")
        assert decode_html(data, "windows-1252") == '<meta charset="utf-8"><p>Ramadi – Anbar</p>'

    def test_default_latin_header_yields_to_the_pages_declaration(self) -> None:
        """Arabic windows-1256 served as `charset=iso-8859-1` (a server default): latin-1
        decodes any bytes into mojibake, so the page's own meta charset is used."""
        html = '<meta charset="windows-1256"><p>قتل اثنا عشر مسلحا في الأنبار</p>'
        assert decode_html(html.encode("cp1256"), "iso-8859-1") == html

    def test_meta_charset(self) -> None:
        data = '<meta charset="windows-1251"><p>Багдад</p>'.encode("cp1251")
        assert decode_html(data) == '<meta charset="windows-1251"><p>Багдад</p>'

    def test_unknown_hint_falls_back(self) -> None:
        assert decode_html(b"<p>Mosul</p>", "no-such-charset") == "<p>Mosul</p>"

    def test_detection_without_declaration(self) -> None:
        text = "<p>" + "Жители Багдада говорят, что в городе стало спокойнее. " * 20 + "</p>"
        assert decode_html(text.encode("cp1251")) == text


def test_utf8_bytes_under_a_stale_latin1_label_are_read_as_utf8() -> None:
    """A template declares iso-8859-1 but the page is UTF-8: "fÃ¼r" before, "für" now. Real
    windows-1252 bytes (0xfc alone) still decode as declared."""
    html = (
        '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"><p>für 5,99 €</p>'
    )
    assert decode_html(html.encode("utf-8")) == html
    assert decode_html(html.encode("utf-8"), "iso-8859-1") == html
    assert decode_html(html.encode("cp1252")) == html
