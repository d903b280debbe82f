"""Credited authors, people first, agencies and newsrooms kept, and the wire credit on its own
(fixture pages, one per kind of miss; then bylines as strings)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from extraction import Article, extract_article
from extraction.agencies import agency, dateline_agencies
from extraction.authors import clean_authors, site_name_keys

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"
URL = "https://gulfports.example/news/umm-qasr-strike/"


def extract(name: str) -> Article:
    return extract_article((FIXTURES / name).read_bytes(), URL)


def test_names_are_split_on_the_page_languages_and() -> None:
    """ "Av Kari Nordmann og Ola Hansen" on a Norwegian page (lang="nb")."""
    assert extract("byline_conjunction.html").authors == ["Kari Nordmann", "Ola Hansen"]


def test_label_and_bracketed_initials_are_not_part_of_the_name() -> None:
    """ "<span>Autor</span> <span>Elena Oberholzer (obe)</span>" in the markup."""
    assert extract("byline_author_label.html").authors == ["Elena Oberholzer"]


def test_agency_beside_a_person_is_kept_and_reported_as_the_wire_credit() -> None:
    article = extract("byline_agency.html")
    assert article.authors == ["Lina Haddad", "Agence France-Presse"]
    assert article.agencies == ["AFP"]


def test_the_outlet_counts_when_it_is_the_only_credit() -> None:
    """JSON-LD author: a reference to the site's own Organization object."""
    assert extract("byline_site_only.html").authors == ["Gulf Ports Review"]


def test_a_link_to_an_author_page_beats_a_credit_of_the_site_alone() -> None:
    """JSON-LD credits the outlet (a template default); the header links to the writer's page."""
    assert extract("byline_author_link.html").authors == ["Dr. Samira Haddad"]


def test_an_author_link_in_the_comments_credits_nobody() -> None:
    assert extract("byline_author_link_in_comments.html").authors == []


def test_json_ld_references_and_split_names_are_followed() -> None:
    """author: [{"@id": ...}] naming a Person with givenName and familyName only."""
    assert extract("byline_references.html").authors == ["Layla Hassan"]


def test_a_chinese_editor_line_credits_the_editors() -> None:
    """No byline element; "（责编：王海燕、李明）" set apart after the text."""
    assert extract("byline_chinese_editor_line.html").authors == ["王海燕", "李明"]


def test_a_korean_signed_line_credits_the_reporters_and_leaves_the_body() -> None:
    """ "바그다드=김민준·이서연 특파원 입력 ..." in an unmarked header line, "사진=..." a photo
    credit: the reporters without place and role word, the line not in the body."""
    article = extract("byline_korean_signed_line.html")
    assert article.authors == ["김민준", "이서연"]
    assert article.text.startswith("움카스르 항구의")
    assert "특파원" not in article.text and "사진=" not in article.text


def test_a_line_under_the_headline_that_starts_as_a_byline() -> None:
    """No byline class, no author link: "von Katja Brenner" on a line of its own under the
    <h1>, the date beside it."""
    article = extract("byline_header_line.html")
    assert article.authors == ["Katja Brenner"]
    assert article.published == datetime(2024, 4, 22, 15, 54)


def test_a_header_line_is_read_whole_however_it_is_indented() -> None:
    """ "Von:" and the linked names in one <li>, indented past the line length in the source;
    the date line set twice (a screen reader's copy)."""
    gap = " " * 80
    html = (FIXTURES / "byline_header_line.html").read_text(encoding="utf-8")
    html = html.replace(
        '<span class="m21">von Katja Brenner</span><span class="m22">22.04.2024 | 15:54</span>',
        f'<ul><li>Von:{gap}<span><a href="/p/bc">Bill Carter</a>,{gap}</span>{gap}'
        f'<span><a href="/p/mg">Mia Gold</a></span></li></ul></div>'
        '<div class="d"><span>22.04.2024 | 15:54</span> <span>22.04.2024 | 15:54</span>',
    )
    article = extract_article(html, URL)
    assert article.authors == ["Bill Carter", "Mia Gold"]
    assert article.published == datetime(2024, 4, 22, 15, 54)


def test_a_text_signed_at_its_end_credits_the_signer() -> None:
    """No byline: the right-aligned name after the last paragraph (a right-aligned line
    before the text signs nothing)."""
    article = extract("byline_signature.html")
    assert article.authors == ["Trần Minh Anh"]


def test_credit_lines_read_into_the_body_go() -> None:
    """ "<p>Layla Hassan</p><p>Image: Omar Khalil</p>" above the text: the JSON-LD author's
    byline and a photo credit in plain paragraphs; a sentence naming her stays."""
    article = extract("byline_line_in_body.html")
    assert article.text.startswith("Dock workers at Umm Qasr")
    assert "Omar Khalil" not in article.text
    assert "Layla Hassan spoke to union leaders" in article.text


@pytest.mark.parametrize(
    ("bylines", "language", "expected"),
    [
        (["홍길동 기자"], "ko", ["홍길동"]),
        (["홍길동·김철수 기자 hong@hangman.example"], "ko", ["홍길동", "김철수"]),
        (["워싱턴=홍길동 특파원"], "ko", ["홍길동"]),
        (["글·사진=홍길동 기자"], "ko", ["홍길동"]),
        (["홍길동 기자, 사진=김철수 기자"], "ko", ["홍길동"]),
        (["山田太郎記者"], "ja", ["山田太郎"]),
        (["編集委員・山田太郎"], "ja", ["山田太郎"]),
        (["ワシントン＝望月洋嗣"], "ja", ["望月洋嗣"]),
        # a Japanese name keeps its space, a foreign one its middle dot
        (["大渡 美咲"], "ja", ["大渡 美咲"]),
        (["ドナルド・トランプ"], "ja", ["ドナルド・トランプ"]),
        (["责任编辑：王小明"], "zh", ["王小明"]),
        (["本报记者 王小明 李华"], "zh", ["王小明", "李华"]),
        (["記者王小明／台北報導"], "zh", ["王小明"]),
        (["文/王小明"], "zh", ["王小明"]),
    ],
)
def test_bylines_in_chinese_japanese_and_korean(
    bylines: list[str], language: str, expected: list[str]
) -> None:
    assert clean_authors(bylines, set(), language) == expected


@pytest.mark.parametrize(
    ("bylines", "language", "expected"),
    [
        (["Von Anna Berger und Jonas Klein"], "de", ["Anna Berger", "Jonas Klein"]),
        (["Par Marie Dubois et Luc Martin"], "fr", ["Marie Dubois", "Luc Martin"]),
        (["Oleh Budi Santoso dan Siti Rahma"], "id", ["Budi Santoso", "Siti Rahma"]),
        (["Szerző: Kovács Anna"], "hu", ["Kovács Anna"]),
        (["Piše: Ivana Horvat"], "hr", ["Ivana Horvat"]),
        (["Tác giả: Nguyễn Văn An"], "vi", ["Nguyễn Văn An"]),
        (["Por Ana García y Pedro Ruiz"], "es", ["Ana García", "Pedro Ruiz"]),
        (["Av Kari Nordmann och Ola Hansen"], "sv", ["Kari Nordmann", "Ola Hansen"]),
        (["di Mario Rossi e Luca Bianchi"], "it", ["Mario Rossi", "Luca Bianchi"]),
        # Without the page's language only "and" and "&" split: "y" may be part of a name.
        (["José Ortega y Gasset"], None, ["José Ortega y Gasset"]),
        (["Di Maio"], "it", ["Di Maio"]),
        (["Autor: Elena Oberholzer (obe)"], "de", ["Elena Oberholzer"]),
        (["dpa"], "de", ["dpa"]),
        (["Jane Doe (AP)"], "en", ["Jane Doe", "AP"]),
        (["The Associated Press"], "en", ["The Associated Press"]),
        (["Redaktion hafenbote.de"], "de", ["Redaktion hafenbote.de"]),
        (["Scott Gilbertson", "Gear Team"], "en", ["Scott Gilbertson", "Gear Team"]),
        (["Editorial Team", "Staff"], "en", []),
        (["amw"], "de", []),
        (["emma-mackenzie", "Emma Mackenzie"], "en", ["Emma Mackenzie"]),
        (["Von BR24 Redaktion"], "de", ["BR24 Redaktion"]),
        # a label before "von", or standing where the byline would be
        (["Kommentar von Jan Sellner"], "de", ["Jan Sellner"]),
        (["Gastkommentar", "von Anne-Marie Slaughter"], "de", ["Anne-Marie Slaughter"]),
        # a photo credit is not the article's
        (["Foto: REUTERS/Nadja Wohlleben", "Piotr Jendroszczyk"], "pl", ["Piotr Jendroszczyk"]),
        # a German compound job title on its own line
        (["Von\nHolger Zschäpitz\nLeitender Wirtschaftsredakteur"], "de", ["Holger Zschäpitz"]),
        # a visible and a screen reader's copy of the same name
        (["Sidney Wiltgen Sidney Wiltgen"], "de", ["Sidney Wiltgen"]),
        # an agency's name glued after a person's, and a "with the agency" line
        (
            ["By Samya Kullab and Vasilisa Stepanenko The Associated Press"],
            "en",
            ["Samya Kullab", "Vasilisa Stepanenko", "The Associated Press"],
        ),
        (["Von\nDiana Resnik\nmit AP"], "de", ["Diana Resnik", "AP"]),
        # a login is nobody's name; a newsroom's "desk/initials" credit is
        (["Nikita Mazurov", "aligharib"], "en", ["Nikita Mazurov"]),
        (["srf/hosb"], "de", ["srf/hosb"]),
        # a line of the byline may start with "and"
        (
            ["By\nSTEVE PEOPLES ,\nTHOMAS BEAUMONT\nand AMELIA THOMSON-DEVEAUX"],
            "en",
            ["Steve Peoples", "Thomas Beaumont", "Amelia Thomson-Deveaux"],
        ),
        (
            ["Povilas Kairys, Vilniaus universiteto istorijos fakulteto profesorius"],
            "lt",
            ["Povilas Kairys"],
        ),
        # a date stamp with its "on", degrees, share links and stamp words name nobody
        (
            ["By Matthew Digby , Minh Do on Monday, November 18th, 2019 at 11:08 a.m."],
            "en",
            ["Matthew Digby", "Minh Do"],
        ),
        (["Written by Rachael Link, MS, RD on November 14, 2019"], "en", ["Rachael Link"]),
        (["Sarah Lazare", "Twitter", "Today"], "en", ["Sarah Lazare"]),
        (["Veröffentlicht am 27.04.24 um 07:39 Uhr", "Anna Berger"], "de", ["Anna Berger"]),
        (["Takeo Maeda / Yomiuri Shimbun Staff Writers"], "en", ["Takeo Maeda"]),
        (["News", "Sky News"], "en", ["Sky News"]),
        (["Nachrichten"], "de", []),
        # "according to the agency" credits the agency; a name that starts so is a name
        (["Như Tâm (Theo AFP)"], "vi", ["Như Tâm", "AFP"]),
        (["Anna Berger, laut dpa"], "de", ["Anna Berger", "dpa"]),
        (["Marie Dubois, selon l'AFP"], "fr", ["Marie Dubois", "AFP"]),
        (["Theo Walcott"], "en", ["Theo Walcott"]),
    ],
)
def test_bylines_per_language(
    bylines: list[str], language: str | None, expected: list[str]
) -> None:
    keys = site_name_keys(["Hafenbote"], "https://www.hafenbote.example/news/1")
    assert clean_authors(bylines, keys, language) == expected


def test_people_come_first_and_the_site_only_alone() -> None:
    keys = site_name_keys(["Hafenbote"], "https://www.hafenbote.example/news/1")
    assert clean_authors(["dpa", "Anna Berger"], keys, "de") == ["Anna Berger", "dpa"]
    assert clean_authors(["Hafenbote", "Anna Berger"], keys, "de") == ["Anna Berger"]
    assert clean_authors(["Hafenbote"], keys, "de") == ["Hafenbote"]


@pytest.mark.parametrize(
    ("credit", "name"),
    [
        ("The Associated Press", "AP"),
        ("AFP Deutschland", "AFP"),
        ("Deutsche Presse-Agentur", "dpa"),
        ("Reuters staff", "Reuters"),
        ("Ani Sharma", None),
        ("Jane Doe", None),
    ],
)
def test_agency(credit: str, name: str | None) -> None:
    assert agency(credit) == name


def test_dateline_agencies() -> None:
    assert dateline_agencies("BERLIN (dpa/AFP) - Die Regierung hat ...") == ["dpa", "AFP"]
    assert dateline_agencies("The minister (right) said on Monday ...") == []


def test_arabic_names_with_a_joined_particle_are_names() -> None:
    """ "Omar al-Janabi" (five of the demo site's bylines) was read as a phrase and dropped."""
    assert clean_authors(["By Omar al-Janabi"]) == ["Omar al-Janabi"]
    assert clean_authors(["Ahmed el-Sayed and Mona al-Tahtawy"]) == [
        "Ahmed el-Sayed",
        "Mona al-Tahtawy",
    ]
    assert clean_authors(["posted in al-world news"]) == []


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        # each link a name of its own, though no comma or "and" stands between them
        (
            '<p class="byline">Von <a href="/autor/jr">Jasper Riemann</a>'
            '<a href="/autor/bs">Barbara Schneider</a></p>',
            ["Jasper Riemann", "Barbara Schneider"],
        ),
        # the source's own line breaks are only spacing: the label and the date stay one line
        (
            '<div class="authors">\n<span>Artikel</span>\n<span> veröffentlicht am </span>\n'
            "<time>28. April 2024, 14:26 Uhr</time><span>, </span>\n"
            '<span><a href="/autor-tk/" rel="author">Tobias Költzsch</a></span></div>',
            ["Tobias Költzsch"],
        ),
    ],
)
def test_markup_byline_lines(byline: str, expected: list[str]) -> None:
    html = (
        f'<html lang="de"><head></head><body><article>{byline}<p>Text.</p></article></body></html>'
    )
    assert extract_article(html, URL).authors == expected
