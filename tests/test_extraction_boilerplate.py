"""Each kind of page furniture stays out of the body (fixture pages, real trafilatura), and the
quality gate flags what pruning missed."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from extraction import PARAGRAPH_SEPARATOR, Article, extract_article
from extraction.boilerplate import prune_boilerplate
from extraction.errors import LISTING_ERROR
from extraction.quality import (
    boilerplate_kinds,
    drop_boilerplate_paragraphs,
    flag_counts,
    quality_flags,
)

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"
URL = "https://tigrisdaily.example/news/mosul-budget/"
PARAGRAPH_STARTS = (
    "Mosul ( The provincial",
    "Council member",
    "Residents who",
    "The governor",
    "Reconstruction of",
)

# kind -> text that must not reach the body
LEAKS = {
    "comments": ("Leave a Reply", "email address", "Ahmed", "thoughts on", "Join the discussion"),
    "captions": ("Destroyed houses", "Photo: Tigris Daily", "The Tigris river in western Mosul"),
    "share": ("Facebook", "Twitter", "WhatsApp", "Share this article"),
    "related": (
        "Also read",
        "Basra port",
        "Related Articles",
        "Anbar roads",
        "You may also like",
        "Erbil airport",
        "Most Read",
        "vegetables",
    ),
    "newsletter": ("briefing", "Sign up", "inbox", "subscribe"),
    "cookies": ("cookies", "Accept", "analytics"),
}


def extract(kind: str) -> Article:
    return extract_article((FIXTURES / f"boilerplate_{kind}.html").read_bytes(), URL)


@pytest.mark.parametrize("kind", sorted(LEAKS))
def test_furniture_kind_stays_out_of_the_body(kind: str) -> None:
    article = extract(kind)
    assert article.ok, article.error
    paragraphs = article.text.split(PARAGRAPH_SEPARATOR)
    assert [p[: len(s)] for p, s in zip(paragraphs, PARAGRAPH_STARTS, strict=False)] == list(
        PARAGRAPH_STARTS
    )
    assert len(paragraphs) == len(PARAGRAPH_STARTS)
    for leak in LEAKS[kind]:
        assert leak.lower() not in article.text.lower(), leak
    assert not any(flag.startswith("boilerplate:") for flag in article.quality_flags)
    assert article.title == "Nineveh council approves reconstruction budget for Mosul Old City"


def test_captions_are_their_own_field() -> None:
    article = extract("captions")
    assert article.captions == [
        "Destroyed houses in the Old City of Mosul, seen from the al-Nouri mosque, in March 2020. "
        "Photo: Tigris Daily / Omar Khalil",
        "The Tigris river in western Mosul.",
    ]


def test_other_pages_have_no_captions() -> None:
    assert extract("share").captions == []


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("Leave a Reply. Your email address will not be published.", ["comment_form"]),
        ("Sign up for our newsletter", ["newsletter"]),
        ("We use cookies to improve your experience.", ["cookie_prompt"]),
        ("Share this article on Facebook", ["share_bar"]),
        ("You may also like", ["related_list"]),
        ("Have a tip? Jane Doe may be reached at jane@example.com.", ["contact_line"]),
        ("The council shared the budget with reporters on Tuesday.", []),
    ],
)
def test_boilerplate_kinds(text: str, kinds: list[str]) -> None:
    assert boilerplate_kinds(text) == kinds


def test_short_boilerplate_paragraphs_are_dropped_long_ones_kept() -> None:
    long_quote = (
        "The minister said: 'We use cookies as an example of how websites track people', in a "
        "speech about privacy law that lasted an hour and was broadcast on national television, "
        "and he asked parliament to pass the data protection bill before the summer recess so "
        "that citizens could finally know what companies collect about them, and why."
    )
    text = PARAGRAPH_SEPARATOR.join(["First paragraph.", "You may also like...", long_quote])
    assert drop_boilerplate_paragraphs(text) == PARAGRAPH_SEPARATOR.join(
        ["First paragraph.", long_quote]
    )


def test_quality_gate_flags_and_counts_per_source() -> None:
    body = "A paragraph of the article. " * 20
    clean = Article(url="u1", source="a", title="T", text=body, published=None)
    leaky = Article(
        url="u2",
        source="a",
        title="T",
        text=body + "\n\nSign up for our newsletter, "
        "it arrives every morning and is delivered to your inbox free of charge.",
    )
    short = Article(url="u3", source="b", title=None, text="Short.")
    failed = Article(url="u4", source="b", error="empty document")
    for article in (clean, leaky, short):
        article.quality_flags = quality_flags(article)
    assert clean.quality_flags == ["no_date"]
    assert leaky.quality_flags == ["no_date", "boilerplate:newsletter"]
    assert short.quality_flags == ["short_text", "no_date", "no_title"]
    assert flag_counts([clean, leaky, short, failed]) == {
        "a": {"boilerplate:newsletter": 1, "no_date": 2},
        "b": {"no_date": 1, "no_title": 1, "short_text": 1},
    }


def test_short_text_is_a_body_under_400_characters() -> None:
    for length, flagged in ((399, True), (400, False)):
        article = Article(url="u", source="a", title="T", text="x" * length)
        assert ("short_text" in quality_flags(article)) is flagged, length


def test_section_page_of_teasers_is_not_an_article() -> None:
    """The demo site's category page: a dozen <article> teasers with excerpts, no story."""
    html = (FIXTURES / "listing.html").read_bytes()
    article = extract_article(html, "http://127.0.0.1:8799/category/politics/")
    assert article.error == LISTING_ERROR
    assert article.text == ""
    declared = html.replace(b"<head>", b'<head><meta property="og:type" content="article">', 1)
    assert extract_article(declared, "http://127.0.0.1:8799/category/politics/").ok


def test_layout_table_is_read_as_paragraphs_and_data_table_kept() -> None:
    """The story sits in a layout <td> next to a sidebar cell; a data table sits inside it."""
    html = (FIXTURES / "table_layout.html").read_bytes()
    article = extract_article(html, "https://gulfports.example/news/strike/")
    assert article.ok
    paragraphs = article.text.split(PARAGRAPH_SEPARATOR)
    assert paragraphs[0].startswith("Basra ( Dockworkers at Umm Qasr")
    assert paragraphs[0].endswith("strike that had lasted eleven days.")
    assert paragraphs[1].startswith("Ships carrying wheat")
    assert paragraphs[2] == "| Berth | Ships waiting |\n|---|---|\n| North | 23 |\n| South | 19 |"
    assert paragraphs[3].startswith("The general company for ports")
    assert "Weather in Basra" not in article.text
    assert "Exchange rate" not in article.text


def test_data_table_with_a_paragraph_per_cell_stays_a_table() -> None:
    rows = "".join(
        f"<tr><td><p>{berth}</p></td><td><p>{ships}</p></td></tr>"
        for berth, ships in (("North", 23), ("South", 19))
    )
    prose = (
        "<p>The general company for ports said that unloading would run around the clock "
        "until the backlog of more than forty vessels was cleared, officials said.</p>"
    )
    html = f"<html><body><article>{prose}<table>{rows}</table>{prose}</article></body></html>"
    article = extract_article(html, "https://gulfports.example/news/berths/")
    assert "| North | 23 |\n| South | 19 |" in article.text


def test_a_furniture_word_beside_the_articles_own_class_does_not_prune_it() -> None:
    """The story's <div class="bo-article-text js-dynamic-advertorial"> holds under half the
    page's text (long menus around it): "article-text" names it, so "advert" does not drop it,
    while the real ad slot next to it goes."""
    tree = lxml.html.document_fromstring((FIXTURES / "body_content_class.html").read_bytes())
    prune_boilerplate(tree)
    text = tree.text_content()
    assert "Die Hafenarbeiter von Umm Qasr" in text
    assert "vierzig Schiffen" in text
    assert "Anzeige" not in text


def test_paywall_and_safety_net_flags_are_counted_per_source() -> None:
    """A subscribers-only page's short body is a teaser, not a failure: ``paywall`` says so
    per source, and ``body_fallback`` counts the pages the body safety net rescued."""
    teaser = Article(url="u1", source="a", title="T", text="Short teaser.", free_access=False)
    rescued = Article(url="u2", source="a", title="T", text="A paragraph. " * 40)
    teaser.quality_flags = quality_flags(teaser)
    rescued.quality_flags = quality_flags(rescued, body_fallback=True)
    assert teaser.quality_flags == ["short_text", "no_date", "paywall"]
    assert rescued.quality_flags == ["no_date", "body_fallback"]
    assert flag_counts([teaser, rescued])["a"] == {
        "body_fallback": 1,
        "no_date": 2,
        "paywall": 1,
        "short_text": 1,
    }
    free = Article(url="u3", title="T", text="A paragraph. " * 40, free_access=True)
    assert "paywall" not in quality_flags(free)
    record = Article(url="u4", authors=["Jane Doe", "AP"], agencies=["AP"], free_access=False)
    assert Article.from_dict(record.to_dict()) == record


def test_cross_links_in_the_pages_language_and_link_lists_are_pruned() -> None:
    """ "Lesen Sie auch: <a>", a list whose every item is a link to another story, and an
    "Auch interessant" heading with what it introduces, inside a German story."""
    html = (FIXTURES / "boilerplate_multilingual.html").read_bytes()
    article = extract_article(html, "https://hafenbote.example/news/streik/")
    assert article.ok
    paragraphs = article.text.split(PARAGRAPH_SEPARATOR)
    assert [p[:20] for p in paragraphs] == [
        "Die Hafenarbeiter vo",
        "Schiffe mit Weizen u",
        "Die Hafengesellschaf",
    ]


def test_a_long_fact_box_inside_the_article_text_is_pruned() -> None:
    """A fact box set inside the story's text container goes even when it holds most of the
    page's paragraph text (a long document reprinted beside the story), because the container
    keeps a story of its own without it."""
    story = "".join(
        f"<p>The harbour council voted on item {i} of the budget after a long debate about "
        f"dredging the northern channel and the cost of the new cranes.</p>"
        for i in range(5)
    )
    box = "".join(
        f"<p>Clause {i}: the port authority shall publish its accounts every quarter and "
        f"answer the council's questions in writing within thirty days of receiving them.</p>"
        for i in range(12)
    )
    html = (
        "<html><body><div class='article-body'>"
        f"{story}<div class='factbox'><h2>The budget in full</h2>{box}</div>"
        "</div></body></html>"
    )
    article = extract_article(html, "https://harbourpost.example/news/budget/")
    assert article.ok, article.error
    assert "item 4 of the budget" in article.text
    assert "Clause" not in article.text


def test_an_image_paragraph_with_an_italic_line_is_a_caption() -> None:
    """``<p><img><br><em>...</em></p>``: a photo captioned without a caption element. The
    italic line is a caption; an italic sentence in a paragraph of its own stays body."""
    prose = "".join(
        f"<p>The ferry from the old quay ran {i} times a day last summer, and the town wants "
        f"the service back before the tourist season starts in June.</p>"
        for i in range(4)
    )
    html = (
        "<html><body><div class='entry-content'>"
        f"{prose}<p><img src='/quay.jpg' alt=''><br><em>Passengers queue at the old quay</em></p>"
        f"<p><em>This story was updated with the council's reply to our questions.</em></p>"
        "</div></body></html>"
    )
    article = extract_article(html, "https://harbourpost.example/news/ferry/")
    assert article.ok, article.error
    assert "Passengers queue" not in article.text
    assert article.captions == ["Passengers queue at the old quay"]
    assert "This story was updated" in article.text
