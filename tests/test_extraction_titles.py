"""The headline as the article shows it: the page's statements of it clean each other, and the
site's own name, sections and dates are cut (fixture pages, one per kind of miss)."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from extraction import extract_article, metadata
from extraction.authors import site_name_keys
from extraction.page import read_page
from extraction.titles import headline, strip_site

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"
URL = "https://hafenbote.example/wirtschaft/streik/"


def title_of(name: str) -> str | None:
    return extract_article((FIXTURES / name).read_bytes(), URL).title


def test_site_name_and_section_suffix_is_cut() -> None:
    """ "H - Wirtschaft | Hafenbote.de" in <title> and og:title, og:site_name "Hafenbote"."""
    assert title_of("title_site_suffix.html") == "Hafenarbeiter beenden Streik nach Lohnzahlung"


def test_full_width_separator_before_the_site_name_is_cut() -> None:
    """ "見出し：港湾新聞デジタル" with the site's name in og:site_name (and in a logo <h1>)."""
    assert title_of("title_cjk_suffix.html") == "港湾労働者がストライキを終了"


def test_json_ld_headline_wins_over_a_rewritten_social_title() -> None:
    """og:title and twitter:title are written for sharing; the JSON-LD headline (its entities
    decoded) is the one the <h1> and the <title> show."""
    assert (
        title_of("title_social_rewrite.html")
        == "Umm Qasr dockworkers end strike after wages & bonuses are paid"
    )


def test_kicker_glued_in_front_is_cut_when_the_h1_shows_the_headline_alone() -> None:
    assert title_of("title_kicker.html") == "Hafenarbeiter beenden Streik"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Dockworkers end strike | Gulf Ports Review", "Dockworkers end strike"),
        ("Gulf Ports Review | Dockworkers end strike", "Dockworkers end strike"),
        ("Dockworkers end strike - World - gulfports.example", "Dockworkers end strike"),
        ("Dockworkers end strike – GPR – 13.06.2023", "Dockworkers end strike"),
        ("Dockworkers end strike | Gulf Ports Review | by Jane Doe", "Dockworkers end strike"),
        ("Dockworkers end strike｜GULF PORTS REVIEW", "Dockworkers end strike"),
        # A dash inside the headline is not a separator, nor is a site-less last part.
        ("Strike ends - wages paid", "Strike ends - wages paid"),
        (
            "Kicker: Strike ends - wages paid - Gulf Ports Review",
            "Kicker: Strike ends - wages paid",
        ),
        ("Gulf Ports Review", "Gulf Ports Review"),
        # a short site key as the first word of a short segment brands it ("CBC News")
        ("Strike ends | GPR News", "Strike ends"),
        ("Strike ends | GPR scans find the wreck", "Strike ends | GPR scans find the wreck"),
    ],
)
def test_strip_site(title: str, expected: str) -> None:
    keys = site_name_keys(["Gulf Ports Review", "GPR"], "https://gulfports.example/news/1")
    assert strip_site(title, keys) == expected


def test_a_shorter_statement_is_only_taken_when_it_is_the_larger_part() -> None:
    """An <h1> holding just the kicker does not cut the headline down to it."""
    html = (
        '<html><head><meta property="og:title" content="Strike: Dockworkers at Umm Qasr return'
        ' to work after eleven days"></head><body><h1>Strike</h1></body></html>'
    )
    page = read_page(lxml.html.document_fromstring(html), URL)
    assert (
        headline(page, set()) == "Strike: Dockworkers at Umm Qasr return to work after eleven days"
    )


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        # A section the breadcrumb trail names, after the headline; the trail's last item
        # (the page itself) is its headline, no section
        (
            "<title>Kicker: Streik beendet - Wirtschaft</title>",
            '<nav class="breadcrumb"><a href="/">Startseite</a> <a href="/wirtschaft/">'
            'Wirtschaft</a> <a href="/wirtschaft/streik/">Streik beendet</a></nav>',
            "Kicker: Streik beendet",
        ),
        # No site name in the metadata: the logo linking home names it (alt or text).
        (
            "<title>Hafenarbeiter beenden Streik | Der Hafenkurier</title>",
            '<a href="/"><img src="/logo.png" alt="Der Hafenkurier"></a>'
            '<a href="/wirtschaft/">Wirtschaft</a>',
            "Hafenarbeiter beenden Streik",
        ),
        (
            "<title>Hafenkurier - Hafenarbeiter beenden Streik</title>",
            '<a href="https://hafenbote.example/">Hafenkurier</a>',
            "Hafenarbeiter beenden Streik",
        ),
        # The only <h1> is the logo: the <title>, cut of the site's name, is the headline.
        (
            "<title>Hafenarbeiter beenden Streik | Hafenbote</title>"
            '<meta property="og:site_name" content="Hafenbote">',
            '<h1 class="logo">Hafenbote</h1>',
            "Hafenarbeiter beenden Streik",
        ),
        # A template that states the headline as the site's name still has its headline.
        (
            '<meta property="og:title" content="Hafenarbeiter beenden Streik">'
            '<meta name="application-name" content="Hafenarbeiter beenden Streik">',
            "<h1>Hafenarbeiter beenden Streik</h1>",
            "Hafenarbeiter beenden Streik",
        ),
        # ... and its clauses are not taken for pieces of that "site name".
        (
            '<meta property="og:title" content="Streik beendet - Arbeiter kehren in den Hafen'
            ' zurück"><meta name="application-name" content="Streik beendet - Arbeiter kehren'
            ' in den Hafen zurück">',
            "",
            "Streik beendet - Arbeiter kehren in den Hafen zurück",
        ),
    ],
)
def test_site_name_statements(head: str, body: str, expected: str) -> None:
    html = f"<html><head>{head}</head><body>{body}</body></html>"
    page = read_page(lxml.html.document_fromstring(html), URL)
    keys = site_name_keys(metadata.site_names(page), URL)
    assert headline(page, keys) == expected


def _headline_of(head: str, body: str) -> str | None:
    html = f"<html><head>{head}</head><body>{body}</body></html>"
    page = read_page(lxml.html.document_fromstring(html), URL)
    return headline(page, site_name_keys(metadata.site_names(page), URL))


def test_breadcrumb_labels_leave_out_the_page_itself() -> None:
    """The trail's last link is the page (its headline, however short): no section."""
    html = (
        '<html><body><ol itemtype="https://schema.org/BreadcrumbList"><li><a href="/">'
        '<meta itemprop="name" content="Startseite"><span class="icon-home"></span></a></li>'
        '<li><a href="/wirtschaft/">Wirtschaft</a></li><li><a href="/wirtschaft/streik/">'
        "Streik beendet</a></li></ol></body></html>"
    )
    page = read_page(lxml.html.document_fromstring(html), URL)
    assert metadata.breadcrumb_labels(page) == ["Startseite", "Wirtschaft"]


def test_soft_hyphens_are_no_part_of_the_headline() -> None:
    """An <h1> with hyphenation hints (&shy;, a zero-width space) as the one statement."""
    body = "<h1>Ver&shy;fas&shy;sungs&shy;be&shy;schwerde gegen Hafen&#8203;gesetz</h1>"
    assert _headline_of("", body) == "Verfassungsbeschwerde gegen Hafengesetz"


def test_two_statements_under_different_kickers_share_the_headline() -> None:
    """og:title and the <h1> put different kickers before the same words: neither kicker is
    part of the headline (the og:title's kicker was kept before)."""
    head = (
        '<meta property="og:title" content="Lohnstreit im Hafen: «Wir wollen nur unser Geld»">'
        "<title>Lohnstreit im Hafen: «Wir wollen nur unser Geld» - Hafenbote</title>"
    )
    body = "<h1>Streik in Umm Qasr - «Wir wollen nur unser Geld»</h1>"
    assert _headline_of(head, body) == "«Wir wollen nur unser Geld»"


def test_kickers_that_share_words_are_one_kicker_reworded_not_two() -> None:
    """ "Hafen-Chef Ali: H" and "Chef Ali: H" are the same kicker, reworded: the trusted
    statement stands."""
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline":'
        ' "Hafen-Chef Ali: \\"Nichts mehr zu verlieren\\""}</script>'
        '<meta property="og:title" content="Chef Ali: &quot;Nichts mehr zu verlieren&quot;">'
    )
    body = '<h1>Hafen-Chef Ali: "Nichts mehr zu verlieren"</h1>'
    assert _headline_of(head, body) == 'Hafen-Chef Ali: "Nichts mehr zu verlieren"'


def test_a_kicker_the_h1_shows_with_the_trusted_headline_is_kept() -> None:
    """The JSON-LD headline and the <h1> both carry the kicker; a shorter og:title without it
    does not cut it off (it did before). The <h1> alone showing a kicker that the JSON-LD
    headline lacks changes nothing (see the kicker fixture above)."""
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline":'
        ' "Nach elf Tagen: Hafenarbeiter beenden Streik"}</script>'
        '<meta property="og:title" content="Hafenarbeiter beenden Streik">'
    )
    body = "<h1>Nach elf Tagen: Hafenarbeiter beenden Streik</h1>"
    assert _headline_of(head, body) == "Nach elf Tagen: Hafenarbeiter beenden Streik"


def test_an_h1_in_the_breadcrumb_trail_is_not_the_headline_shown() -> None:
    """The trail's last item, set in an <h1>, is a short name of the page: it does not cut the
    kicker off the JSON-LD headline as an <h1> showing the headline alone would."""
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline":'
        ' "Nach elf Tagen: Hafenarbeiter beenden Streik"}</script>'
    )
    body = (
        '<ol class="breadcrumb" itemtype="https://schema.org/BreadcrumbList"><li>Wirtschaft</li>'
        "<li><h1>Hafenarbeiter beenden Streik</h1></li></ol><h2>Nach elf Tagen</h2>"
    )
    assert _headline_of(head, body) == "Nach elf Tagen: Hafenarbeiter beenden Streik"


def test_a_kicker_is_cut_only_when_a_heading_shows_the_headline_without_it() -> None:
    """A shorter og:title alone is a rewrite for sharing, not what the article shows: the
    kicker that the JSON-LD headline and the <title> carry stays."""
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline":'
        ' "Nach elf Tagen: Hafenarbeiter beenden Streik"}</script>'
        '<meta property="og:title" content="Hafenarbeiter beenden Streik">'
        "<title>Nach elf Tagen: Hafenarbeiter beenden Streik | Hafenbote</title>"
    )
    assert _headline_of(head, "<h2>Nach elf Tagen: Hafenarbeiter beenden Streik</h2>") == (
        "Nach elf Tagen: Hafenarbeiter beenden Streik"
    )


def test_the_spelling_most_statements_share_wins() -> None:
    """Statements that differ only in the separator after the kicker: the JSON-LD headline's
    dash is outvoted by og:title and the <title> (cut of its section), which use a colon."""
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline":'
        ' "Nach elf Tagen - Hafenarbeiter beenden Streik"}</script>'
        '<meta property="og:title" content="Nach elf Tagen: Hafenarbeiter beenden Streik">'
        "<title>Nach elf Tagen: Hafenarbeiter beenden Streik - Wirtschaft</title>"
    )
    assert _headline_of(head, "") == "Nach elf Tagen: Hafenarbeiter beenden Streik"


@pytest.mark.parametrize(
    ("h1", "expected"),
    [
        # A kicker in an element of its own is a line of its own: a space, not glued on.
        (
            "<span>Nach elf Tagen</span>Hafenarbeiter beenden Streik",
            "Nach elf Tagen Hafenarbeiter beenden Streik",
        ),
        ("Hafenarbeiter<br>beenden Streik", "Hafenarbeiter beenden Streik"),
        # Phrase markup inside a word or line keeps it whole.
        (
            "Hafen<em>arbeiter</em> beenden <a href='/streik'>Streik</a>",
            "Hafenarbeiter beenden Streik",
        ),
    ],
)
def test_the_h1_text_keeps_its_lines_apart(h1: str, expected: str) -> None:
    assert _headline_of("", f"<h1>{h1}</h1>") == expected


def test_punctuation_hidden_between_the_h1s_lines_is_not_spaced() -> None:
    """A kicker, a visually hidden colon for screen readers, the headline: "Kicker: H"."""
    h1 = (
        '<h1><span class="kicker">Nach elf Tagen</span><span class="visually-hidden">: </span>'
        "<span>Hafenarbeiter beenden Streik</span></h1>"
    )
    assert _headline_of("", h1) == "Nach elf Tagen: Hafenarbeiter beenden Streik"


def test_on_a_tie_the_written_spelling_beats_the_h1_put_together_from_its_lines() -> None:
    """The <h1> reads "Kicker H" from two spans; the <title> spells it "Kicker: H"."""
    head = "<title>Nach elf Tagen: Hafenarbeiter beenden Streik | Hafenbote</title>"
    h1 = "<h1><span>Nach elf Tagen</span> <span>Hafenarbeiter beenden Streik</span></h1>"
    assert _headline_of(head, h1) == "Nach elf Tagen: Hafenarbeiter beenden Streik"


@pytest.mark.parametrize(
    ("title", "section"),
    [
        # the page's own section after the site's name, or beside it
        ("Hafenarbeiter beenden Streik | hafenbote.example | Wirtschaft", "Wirtschaft"),
        ("Hafenarbeiter beenden Streik - Landkreis Basra - Hafenbote", "Landkreis Basra"),
        # a longer section segment that names the page's section
        ("Hafenarbeiter beenden Streik | Wirtschaft News | Hafenbote", "Wirtschaft"),
        # the site's name and a section first
        ("Hafenbote | Wirtschaft | Hafenarbeiter beenden Streik", None),
    ],
)
def test_the_pages_own_sections_are_cut_beside_the_site_name(title: str, section: str) -> None:
    meta = f'<meta property="article:section" content="{section}">' if section else ""
    head = f'<title>{title}</title><meta property="og:site_name" content="Hafenbote">{meta}'
    assert _headline_of(head, "") == "Hafenarbeiter beenden Streik"


def test_a_site_registered_under_a_country_second_level_is_known_by_its_name() -> None:
    """hafenbote.co.uk is "Hafenbote", so "Hafenbote Online" is the site, with no
    og:site_name to say so."""
    html = "<html><head><title>Dockworkers end strike - Hafenbote Online</title></head></html>"
    page = read_page(lxml.html.document_fromstring(html), "https://www.hafenbote.co.uk/a/1")
    keys = site_name_keys(metadata.site_names(page), "https://www.hafenbote.co.uk/a/1")
    assert headline(page, keys) == "Dockworkers end strike"


def test_the_breadcrumbs_h1_still_cleans_the_title() -> None:
    """The trail's <h1> shows no kicker, but "H | Gulf Ports | Wirtschaft" is still H plus
    furniture the <h1> leaves out."""
    head = "<title>Hafenarbeiter beenden Streik | Gulf Ports | Wirtschaft</title>"
    body = '<nav class="breadcrumb"><h1>Hafenarbeiter beenden Streik</h1></nav>'
    assert _headline_of(head, body) == "Hafenarbeiter beenden Streik"
