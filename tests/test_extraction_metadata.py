"""Dates with their signal, clean author lists, language: fixture pages per pattern."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import lxml.html
import pytest

from extraction import Article, extract_article
from extraction.authors import clean_authors, site_name_keys
from extraction.dates import is_plausible, url_date
from extraction.metadata import canonical_url
from extraction.page import read_page
from extraction.shown_dates import date_on_line

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"
URL = "https://gulfports.example/news/umm-qasr-strike/"
FIRST_PARAGRAPH_START = "Basra ( Dockworkers at Umm Qasr port returned to work on Sunday"


def extract(name: str, url: str = URL, **kwargs: object) -> Article:
    return extract_article((FIXTURES / name).read_bytes(), url, **kwargs)


def test_json_ld_graph_dates_and_authors() -> None:
    article = extract("dates_jsonld_graph.html")
    assert article.published.isoformat() == "2021-03-14T08:05:00+03:00"
    assert article.published_source == "json-ld"
    assert article.modified.isoformat() == "2021-03-15T17:40:00+03:00"
    assert article.modified_source == "json-ld"
    # "By " prefix and job title removed; the publisher (the site itself) is not an author.
    assert article.authors == ["Layla Hassan", "Omar Khalil"]
    assert article.text.startswith(FIRST_PARAGRAPH_START)


def test_meta_tag_dates_and_byline() -> None:
    article = extract("dates_meta_byline.html")
    assert article.published == datetime(2021, 3, 14, 5, 5, tzinfo=UTC)
    assert article.published_source == "meta:article:published_time"
    assert article.modified == datetime(2021, 3, 14, 9, 0, tzinfo=UTC)
    assert article.modified_source == "meta:article:modified_time"
    assert article.authors == ["Karim Nouri"]


def test_time_elements_and_a_byline_with_a_date_glued_on() -> None:
    article = extract("dates_time_element.html")
    assert article.published.isoformat() == "2021-03-15T07:45:00+03:00"
    assert article.published_source == "time-element"
    assert article.modified.isoformat() == "2021-03-16T12:00:00+03:00"
    assert article.modified_source == "time-element"
    assert article.authors == ["Omar Khalil", "Layla Hassan"]
    assert "Monday" not in article.text and "Updated" not in article.text


def test_no_date_on_the_page_uses_the_url_then_the_feed() -> None:
    feed_date = datetime(2021, 3, 14, 6, 0, tzinfo=UTC)
    dated_url = "https://gulfports.example/2021/03/14/umm-qasr-strike/"
    from_url = extract("dates_none.html", dated_url, fallback_published=feed_date)
    assert from_url.published == datetime(2021, 3, 14)
    assert from_url.published_source == "url"

    from_feed = extract("dates_none.html", fallback_published=feed_date)
    assert from_feed.published == feed_date
    assert from_feed.published_source == "feed"

    # The footer's "© 2023" is not a publication date (htmldate's extensive search said 1 Jan).
    undated = extract("dates_none.html")
    assert undated.published is None and undated.published_source is None
    assert undated.modified is None
    assert "no_date" in undated.quality_flags


def test_the_date_shown_under_the_headline_when_the_markup_states_none() -> None:
    """No JSON-LD, meta tag or <time>: the date on the byline's line, not the masthead's
    (before the <h1>), a caption's, an "Aktualisiert" line's, the text's or a related link's."""
    article = extract("dates_shown_line.html")
    assert article.published == datetime(2025, 9, 9, 15, 15)
    assert article.published_source == "shown"


def test_the_date_shown_under_a_headline_that_is_no_h1() -> None:
    """The same page with its headline in a <div>: the element showing the title leads."""
    html = (FIXTURES / "dates_shown_line.html").read_text(encoding="utf-8")
    html = html.replace("<h1>", '<div class="headline">').replace("</h1>", "</div>")
    article = extract_article(html, URL)
    assert article.title == "Hafenarbeiter beenden Streik"  # "| Hafenbote" cut: the home link
    assert article.published == datetime(2025, 9, 9, 15, 15)


def test_the_date_shown_under_the_h1_that_shows_the_headline() -> None:
    """The logo is an <h1> too, with a dated ticker line under it: the headline's <h1> leads."""
    html = (FIXTURES / "dates_shown_line.html").read_text(encoding="utf-8")
    html = html.replace(
        "<header>", '<header><h1 class="logo">Hafenbote</h1><span>Eilmeldung 01.08.2025</span>'
    )
    article = extract_article(html, URL)
    assert article.published == datetime(2025, 9, 9, 15, 15)


def test_the_web_page_node_dates_a_post_without_an_article_node() -> None:
    """Yoast's @graph: a WebPage with datePublished, the NewsArticle object unparseable."""
    article = extract("dates_webpage_node.html")
    assert article.published.isoformat() == "2021-03-14T09:30:00+03:00"
    assert article.published_source == "json-ld:WebPage"
    assert article.modified.isoformat() == "2021-03-15T10:00:00+03:00"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("09.09.2025, 15:15 Uhr", datetime(2025, 9, 9, 15, 15)),
        ("von Katja Brenner22.04.2024 | 15:54", datetime(2024, 4, 22, 15, 54)),
        ("April 28, 2023", datetime(2023, 4, 28)),
        ("17:41 JST, October 13, 2024", datetime(2024, 10, 13)),
        ("28 de abril de 2023", datetime(2023, 4, 28)),
        ("27. August 2024", datetime(2024, 8, 27)),
        ("2024年04月24日23:52", datetime(2024, 4, 24, 23, 52)),
        (
            "２０２５年１月１４日 ０１時２８分 （１月１４日 ０１時４０分更新）",
            datetime(2025, 1, 14, 1, 28),
        ),
        ("입력 2024.05.12 09:30", datetime(2024, 5, 12, 9, 30)),
        ("الأحد 12 مايو 2024 - 10:30", datetime(2024, 5, 12, 10, 30)),
        ("١٢ أيار ٢٠٢٤", datetime(2024, 5, 12)),
        ("12 كانون الثاني 2025", datetime(2025, 1, 12)),
        ("آخر تحديث: 5 يونيو 2024", None),
        ("Updated May 3, 2024", None),
        ("Stand: 10:49 Uhr", None),
        # a sentence or a caption with a date in it is not a date line
        ("Über dieses Thema berichtet: das Radio am 14.04.2026 um 17:50 Uhr.", None),
    ],
)
def test_date_lines(line: str, expected: datetime | None) -> None:
    assert date_on_line(line) == expected


def test_impossible_dates_are_skipped_for_the_next_signal() -> None:
    """JSON-LD says 2999, the meta tag 1985, dateModified 1970: all rejected; the URL is used."""
    article = extract("dates_impossible.html", "https://gulfports.example/2021/03/12/strike/")
    assert article.published == datetime(2021, 3, 12)
    assert article.published_source == "url"
    assert article.modified is None
    article = extract("dates_impossible.html", fallback_published=datetime(2999, 1, 1, tzinfo=UTC))
    assert article.published is None


def test_json_ld_traps() -> None:
    """Headline as a list, an Organization author, a modification before publication,
    ``javascript:`` canonical and a site-root og:url on an article page."""
    article = extract("metadata_traps.html")
    assert article.ok
    assert article.title == "Umm Qasr dockworkers end strike after wages are paid"
    # The organization is a credit too (a newsroom), after the person.
    assert article.authors == ["Layla Hassan", "Basra Wire Service"]
    assert article.published.isoformat() == "2021-03-14T08:05:00+03:00"
    assert article.modified is None and article.modified_source is None
    assert article.canonical_url is None


@pytest.mark.parametrize(
    ("links", "url", "expected"),
    [
        ('<link rel="canonical" href="/news/a/">', URL, "https://gulfports.example/news/a/"),
        ('<link rel="canonical" href="javascript:void(0)">', URL, None),
        ('<link rel="canonical" href="https://gulfports.example/">', URL, None),
        ('<meta property="og:url" content="https://gulfports.example">', URL, None),
        (
            '<link rel="canonical" href="mailto:desk@gulfports.example">'
            '<meta property="og:url" content="https://gulfports.example/news/a/">',
            URL,
            "https://gulfports.example/news/a/",
        ),
        (
            '<link rel="canonical" href="https://gulfports.example/">',
            "https://www.gulfports.example/",
            "https://gulfports.example/",
        ),
        ('<link rel="canonical" href="/?p=12">', URL, "https://gulfports.example/?p=12"),
        ('<link rel="canonical" href="/">', "https://gulfports.example/?p=12", None),
    ],
)
def test_canonical_url(links: str, url: str, expected: str | None) -> None:
    tree = lxml.html.document_fromstring(f"<html><head>{links}</head><body><p>x</p></body></html>")
    assert canonical_url(read_page(tree, url)) == expected


def test_is_plausible() -> None:
    now = datetime(2024, 6, 1, tzinfo=UTC)
    assert is_plausible(datetime(1990, 1, 1), now)
    assert not is_plausible(datetime(1989, 12, 31, tzinfo=UTC), now)
    assert is_plausible(now + timedelta(hours=20), now)
    assert not is_plausible(now + timedelta(days=2), now)


@pytest.mark.parametrize(
    ("url", "day"),
    [
        ("https://a.example/2019/11/18/story/", datetime(2019, 11, 18)),
        ("https://a.example/news/2019-11-18-story", datetime(2019, 11, 18)),
        ("https://a.example/world/2019/nov/18/story", datetime(2019, 11, 18)),
        ("https://a.example/2019/11/31/story/", None),
        ("https://a.example/201911181077343476-story", None),
        ("https://a.example/story?id=2019", None),
    ],
)
def test_url_date(url: str, day: datetime | None) -> None:
    assert url_date(url) == day


@pytest.mark.parametrize(
    ("bylines", "expected"),
    [
        (["By Jane Doe"], ["Jane Doe"]),
        (["BY: JANE DOE"], ["Jane Doe"]),
        (["Jane Doe and John Roe"], ["Jane Doe", "John Roe"]),
        (["Jane Doe; John Roe", "jane doe"], ["Jane Doe", "John Roe"]),
        (["Analysis by Chris Cillizza, CNN Editor-at-large"], ["Chris Cillizza"]),
        (["Greg Beacham, AP Sports Writer"], ["Greg Beacham"]),
        (["Malcolm Owen Monday, November 18, 2019"], ["Malcolm Owen"]),
        (["Jeff Foust", "November"], ["Jeff Foust"]),
        (["Phil Helsel is a reporter for NBC News"], ["Phil Helsel"]),
        (["Amy Kuperinsky for NJ.com"], ["Amy Kuperinsky"]),
        (["Jane Doe jane@example.com @janedoe"], ["Jane Doe"]),
        (["Jane Doe | Basra Herald"], ["Jane Doe"]),
        (["Staff Writer", "Admin"], []),
        (["Theresa May"], ["Theresa May"]),
        (["بقلم ليلى حسن"], ["ليلى حسن"]),
        (["By Jane Doe, Reuters"], ["Jane Doe", "Reuters"]),
        (["Jane Doe / AFP", "The Associated Press"], ["Jane Doe", "AFP", "The Associated Press"]),
        (["Anand Gopal and Jane Doe in Baghdad"], ["Anand Gopal", "Jane Doe"]),
        (["John Roe in New York"], ["John Roe"]),
        (["Posted on Sept 3, 2024 by John Smith"], ["John Smith"]),
        (["Updated Monday by Jane Doe and John Roe"], ["Jane Doe", "John Roe"]),
        (["Lina Ibrahim"], ["Lina Ibrahim"]),
        ([None, ""], []),
    ],
)
def test_clean_authors(bylines: list[str | None], expected: list[str]) -> None:
    keys = site_name_keys(["Basra Herald"], "https://www.basraherald.example/news/1")
    assert clean_authors(bylines, keys) == expected


def test_site_name_from_the_host_is_not_an_author() -> None:
    keys = site_name_keys([], "https://www.cleveland.com/news/1")
    assert clean_authors(["Troy Smith", "Cleveland.com", "cleveland com"], keys) == ["Troy Smith"]


def test_arabic_page() -> None:
    article = extract("arabic.html", "https://gulfports.example/ar/news/1")
    assert article.ok
    assert article.language == "ar"
    assert article.title == "عمال ميناء أم قصر ينهون إضرابهم بعد صرف الرواتب"
    assert article.text.startswith("البصرة ( عاد عمال الموانئ")
    assert len(article.text.split("\n\n")) == 3
    assert article.authors == ["ليلى حسن"]
    assert article.published.isoformat() == "2021-03-14T08:05:00+03:00"
