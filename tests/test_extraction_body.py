"""The body's safety net, the listing gate's story check, and the paywall signal (fixture
pages, one per kind of miss)."""

from __future__ import annotations

from pathlib import Path

import lxml.etree
import lxml.html
import pytest

from extraction import PARAGRAPH_SEPARATOR, extract_article
from extraction.body import has_prose
from extraction.page import read_page
from extraction.paywall import free_access

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"
URL = "https://gulfports.example/news/umm-qasr-strike/"


def _body(*lengths: int) -> lxml.etree._Element:
    """A body of paragraphs of these lengths, in the XML trafilatura hands the gate."""
    lines = "".join(f"<p>{'x' * (n - 1)}.</p>" for n in lengths)
    return lxml.etree.fromstring(f"<doc>{lines}</doc>")


@pytest.mark.parametrize(
    ("lengths", "declared", "expected"),
    [
        ((100,), False, True),  # one line of 100 characters
        ((99,), False, False),
        ((60, 60, 60, 60, 60), False, True),  # 300 in sentence-length lines
        ((60, 60, 60, 60, 59), False, False),
        ((40,) * 7 + (20,), False, False),  # 280 in sentences; a 20-character line does not count
        ((39,) * 10, False, False),  # lines under 40 characters are not sentences
        ((50, 50), True, True),  # declared an article: 100 in total
        ((50, 49), True, False),
    ],
)
def test_the_article_gate_boundaries(lengths: tuple[int, ...], declared: bool, expected: bool):
    """README: one line of 100 characters, or 300 in lines of 40 or more (100 when the page
    declares itself an article)."""
    assert has_prose(_body(*lengths), declared_article=declared) is expected


def test_pruning_that_loses_the_article_falls_back_to_trafilaturas_default() -> None:
    """A live page whose entries carry a "latest" class: pruning leaves only the intro ("no
    article text found" before); trafilatura's default extraction of the page reads them all,
    and the record says the safety net fired."""
    article = extract_article((FIXTURES / "body_safety_net.html").read_bytes(), URL)
    assert article.ok, article.error
    assert "body_fallback" in article.quality_flags
    assert "returned to work on Sunday" in article.text
    assert "passed on to importers" in article.text
    assert len(article.text.split(PARAGRAPH_SEPARATOR)) >= 6


def test_the_net_does_not_fire_on_a_good_body() -> None:
    article = extract_article((FIXTURES / "dates_jsonld_graph.html").read_bytes(), URL)
    assert article.ok
    assert "body_fallback" not in article.quality_flags


def test_a_story_beside_a_rail_of_teaser_cards_is_not_a_listing() -> None:
    """The story's own <article> has a linked heading (its section) like the eight cards, and
    the cards hold most of the page's words: a story longer than a summary still makes it an
    article page ("listing page, not an article" before)."""
    article = extract_article((FIXTURES / "body_listing_story.html").read_bytes(), URL)
    assert article.ok, article.error
    assert article.text.startswith("Dockworkers at Umm Qasr port returned to work")


def test_a_subscribers_only_page_is_marked_and_flagged() -> None:
    article = extract_article((FIXTURES / "paywall_teaser.html").read_bytes(), URL)
    assert article.ok
    assert article.free_access is False
    assert "paywall" in article.quality_flags
    assert "short_text" in article.quality_flags


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('{"@type": "NewsArticle", "isAccessibleForFree": false}', False),
        ('{"@type": "NewsArticle", "isAccessibleForFree": "True"}', True),
        (
            '{"@type": "NewsArticle", "hasPart": [{"@type": "WebPageElement",'
            ' "isAccessibleForFree": "False", "cssSelector": ".paywall"}]}',
            False,
        ),
        ('{"@graph": [{"@type": "WebPage", "isAccessibleForFree": "false"}]}', False),
        ('{"@type": "NewsArticle"}', None),
    ],
)
def test_free_access_from_json_ld(head: str, expected: bool | None) -> None:
    html = f'<html><head><script type="application/ld+json">{head}</script></head></html>'
    assert free_access(read_page(lxml.html.document_fromstring(html), URL)) is expected


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ('<meta property="article:content_tier" content="locked">', False),
        ('<meta property="article:content_tier" content="free">', True),
        ('<meta property="article:content_tier" content="metered">', None),
        ('<meta itemprop="isAccessibleForFree" content="false">', False),
        ('<div class="paywall"></div>', None),
    ],
)
def test_free_access_from_meta_tags(meta: str, expected: bool | None) -> None:
    """Class names are not read: templates carry empty paywall boxes on free articles."""
    html = f"<html><head>{meta}</head><body><p>x</p></body></html>"
    assert free_access(read_page(lxml.html.document_fromstring(html), URL)) is expected
