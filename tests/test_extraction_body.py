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


FACT_BOX_PAGE = """<html><head><title>Dam repairs begin on the Tigris</title>
<meta property="og:type" content="article"></head><body><article>
<h1>Dam repairs begin on the Tigris</h1>
<div class="article-body">
<p>Engineers began grouting the foundations of the Mosul dam on Monday, the ministry said, after
a season of heavy rain raised the reservoir to its highest level in a decade.</p>
<div class="story-factbox"><h3>Facts about the dam</h3>
<p>The dam was completed in 1986 and holds back about eleven billion cubic metres of water.</p>
<p>Its foundations rest on gypsum, which dissolves and must be grouted without pause.</p></div>
<p>Crews will work in three shifts through the summer, and the ministry expects the first phase
to be finished before the autumn floods reach the upper valley.</p>
<p>Farmers downstream said they welcomed the work but asked for warnings before any release of
water from the spillway, which flooded fields in the spring of last year.</p>
<aside class="info-box"><p>Read our earlier reporting on the reservoir levels and the 2016
warnings from foreign engineers about the dam's safety.</p></aside>
</div></article></body></html>"""


def test_a_fact_box_beside_the_story_stays_out_of_the_body() -> None:
    """A fact box or info box set inside the article's body is background the page sets apart,
    not its running text (it was read as two more paragraphs before)."""
    article = extract_article(FACT_BOX_PAGE.encode(), URL)
    assert article.ok, article.error
    assert "grouting the foundations" in article.text
    assert "before the autumn floods" in article.text
    assert "spring of last year" in article.text
    assert "completed in 1986" not in article.text
    assert "Facts about the dam" not in article.text
    assert "earlier reporting" not in article.text


LABELLED_LINKS_PAGE = """<html><head><title>Ruins found under the marsh</title>
<meta property="og:type" content="article"></head><body><article>
<h1>Ruins found under the marsh</h1>
<div class="article-body">
<p>Archaeologists mapping the southern marshes with radar found the outline of three walled
towns under the reeds, the antiquities board said on Thursday, the largest find in the region
for a generation.</p>
<p>The survey team will return in the dry season, when the water is lowest, and asked fishermen
to keep their boats away from the marked channels until then.</p>
<ul>
<li>The towns lie within a day's walk of each other.</li>
<li>The largest covers forty hectares, the board said in <a href="/r">its report</a>.</li>
<li>No excavation is planned before next year.</li>
</ul>
<ul>
<li><strong>Archaeology: </strong><a href="/a/1">Flood layers explain an old city</a></li>
<li><strong>Interview: </strong><a href="/a/2">A historian on what the marsh people ate</a></li>
<li><strong>Read next? </strong><a href="/a/3">The reed houses that stood for ages</a></li>
</ul>
<p>Local officials said a small museum would open in the nearest village once the first finds
have been catalogued and photographed by the survey team.</p>
</div></article></body></html>"""


def test_a_list_of_labelled_links_is_pruned_and_the_storys_own_list_kept() -> None:
    """Items made of a short label and a link ("Archaeology: <a>headline</a>") are teasers of
    other stories, like a plain link list (they were read into the body before); the story's
    own list, one item of which holds a link, stays."""
    article = extract_article(LABELLED_LINKS_PAGE.encode(), URL)
    assert article.ok, article.error
    assert "a day's walk of each other" in article.text
    assert "said in its report" in article.text
    assert "catalogued and photographed" in article.text
    assert "Flood layers" not in article.text
    assert "marsh people ate" not in article.text
    assert "reed houses" not in article.text


CHUNKED_PAGE = """<html><head><title>The long wait at Umm Qasr</title>
<meta property="og:type" content="article"></head><body>
<article><h1>The long wait at Umm Qasr</h1>
<div class="article-text">
<p>The first ships arrived at dawn, their holds full of wheat, and waited in a line that reached
past the breakwater for eleven days while the dockworkers stayed at home.</p>
<p>Captains radioed the harbour office every morning and were told the same thing each time:
there was nobody to unload them until the ministry paid the wages it owed.</p>
<p>On the third day the crews began to fish from the decks, and small boats from the town came
out to sell them bread, cigarettes and cards for their telephones at twice the usual price.</p>
<p>By the fifth day the grain traders in Basra were counting their losses aloud, and the price
of flour in the city markets had risen by a tenth, the chamber of commerce said.</p>
<p>The dockworkers' union met every evening in a tea house near the gate and voted each time to
stay at home until the last dinar of the three months' wages had been paid.</p>
<p>A delegation from the ministry came on the seventh day, promised the money within a week,
and left the same afternoon without meeting the union's leaders at the tea house.</p>
<p>On the ninth day a second line of ships formed behind the first, tankers this time, and the
coast guard asked them to anchor further out so the channel would stay open.</p>
</div>
<aside class="slot"><p>Advertisement</p></aside>
<div class="article-text">
<p>On the twelfth day the money came, three months of it at once, and by nightfall the cranes
were moving again under floodlights that had not been switched on in weeks.</p>
<p>The harbour master said it would take a fortnight to clear the line of waiting ships, and that
the port would work around the clock until the last of them had been unloaded.</p>
</div></article>
<article><h2>Next story: Basra cement prices fall</h2>
<div class="article-text">
<p>Cement prices in Basra fell by a fifth within a week of the strike ending, traders said, as the
first cargoes of the season reached the city's builders after the long delay.</p>
</div></article>
</body></html>"""


def test_a_story_split_over_chunks_of_one_class_is_read_to_its_end() -> None:
    """The template cuts the story into two containers of the same class around an ad slot;
    trafilatura keeps the first, so the body stopped halfway. The next story's chunk, in its
    own <article>, is not taken."""
    article = extract_article(CHUNKED_PAGE.encode(), URL)
    assert article.ok, article.error
    assert "past the breakwater" in article.text
    assert "cranes were moving again" in article.text
    assert "last of them had been unloaded" in article.text
    assert "Cement prices in Basra" not in article.text


STANDFIRST_PAGE = """<html><head><title>Ferry service to the islands resumes</title>
<meta property="og:type" content="article">
<meta name="description" content="{description}"></head><body>
<article><header><h1>Ferry service to the islands resumes</h1>
<p class="intro">{shown}</p></header>
<div class="story-text">
<p>The first ferry left the harbour at six on Monday morning with forty passengers and a lorry
of building supplies, the operator said, ending a stoppage that had lasted since January.</p>
<p>Repairs to the pier on the largest island took longer than planned after a winter storm
washed away part of the new concrete, and the work had to start again in March.</p>
<p>Islanders said the weeks without a boat had emptied the shop shelves, and that the school
had moved its lessons online until the teachers could cross again.</p>
</div></article>
<aside><ul><li><a href="/other">{teaser}</a></li></ul></aside>
</body></html>"""
SUMMARY = "After four months without a boat, the islands are connected to the mainland again."


@pytest.mark.parametrize(
    ("shown", "teaser", "expected"),
    [
        (SUMMARY, "Other news", True),
        ("Photographs by the harbour office.", SUMMARY, False),
        ("Photographs by the harbour office.", "Other news", False),
    ],
    ids=["shown under the headline", "shown only in a teaser link", "not shown"],
)
def test_the_summary_the_page_shows_under_its_headline_leads_the_body(
    shown: str, teaser: str, expected: bool
) -> None:
    """A standfirst outside the body's container is the article's first paragraph when it shows
    the page's description; a description shown nowhere, or only in a link to another story,
    is not added."""
    page = STANDFIRST_PAGE.format(description=SUMMARY, shown=shown, teaser=teaser)
    article = extract_article(page.encode(), URL)
    assert article.ok, article.error
    first = article.text.split(PARAGRAPH_SEPARATOR)[0]
    assert (first == SUMMARY) is expected, first
    assert article.text.count("four months without a boat") == int(expected)
    assert "ending a stoppage" in article.text


def test_a_description_cut_short_still_finds_the_standfirst_it_stands_for() -> None:
    """Descriptions are often cut ("...") and pages hyphenate softly (``&shy;``): the element
    that starts with the description and is up to twice as long is still the standfirst."""
    shown = (
        "After four months without a boat, the is&shy;lands are connected to the mainland "
        "again, and the operator promises two crossings a day from the first of May, with a "
        "third in the summer weeks when the visitors come back to the beaches."
    )
    page = STANDFIRST_PAGE.format(
        description=(
            "After four months without a boat, the islands are connected to the mainland "
            "again, and the operator promises two ..."
        ),
        shown=shown,
        teaser="Other news",
    )
    article = extract_article(page.encode(), URL)
    assert article.ok, article.error
    first = article.text.split(PARAGRAPH_SEPARATOR)[0]
    assert first.startswith("After four months without a boat"), first
    assert first.endswith("back to the beaches."), first


HEADER_IN_BODY_PAGE = """<html><head><title>Ferry service to the islands resumes</title>
<meta property="og:type" content="article">
<meta name="description" content="{summary}"></head><body>
<article><div class="story-text">
<p>Explainer</p>
<p>{header}</p>
<p>{summary}</p>
<p>The first ferry left the harbour at six on Monday morning with forty passengers and a lorry
of building supplies, the operator said, ending a stoppage that had lasted since January.</p>
<p>Repairs to the pier on the largest island took longer than planned after a winter storm
washed away part of the new concrete, and the work had to start again in March.</p>
</div></article></body></html>"""


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        ("By Mara Lind, islands correspondent", False),
        (
            "The islands lost their only ferry in January when a storm broke the pier, and the"
            " operator had no second boat to send while the repairs went on.",
            True,
        ),
    ],
    ids=["short header lines", "running text"],
)
def test_the_header_read_before_the_standfirst_is_cut(header: str, kept: bool) -> None:
    """When the body holds the standfirst, the short lines before it are the article's header
    (kicker, byline); running text before it is kept."""
    page = HEADER_IN_BODY_PAGE.format(summary=SUMMARY, header=header)
    article = extract_article(page.encode(), URL)
    assert article.ok, article.error
    assert ("Explainer" in article.text) is kept
    assert (header in article.text) is kept
    assert SUMMARY in article.text
    assert "ending a stoppage" in article.text


ENDING_PAGE = """<html><head><title>Ferry service to the islands resumes</title>
<meta property="og:type" content="article"></head><body>
<article><h1>Ferry service to the islands resumes</h1><div class="story-text">
<p>The first ferry left the harbour at six on Monday morning with forty passengers and a lorry
of building supplies, the operator said, ending a stoppage that had lasted since January.</p>
<p>Repairs to the pier on the largest island took longer than planned after a winter storm
washed away part of the new concrete, and the work had to start again in March.</p>
<p>{last}</p>
<p>With reporting by Mara Lind</p>
<p>Read more:</p>
</div></article></body></html>"""


@pytest.mark.parametrize(
    ("last", "ends_with"),
    [
        ("Two crossings a day are planned from May", "to start again in March."),
        ("The operator plans two crossings a day from May.", "two crossings a day from May."),
    ],
    ids=["short lines after the last sentence", "a last short sentence"],
)
def test_the_body_ends_at_its_last_sentence(last: str, ends_with: str) -> None:
    """Short lines that end no sentence after the story's last one (a credit line, "Read
    more:") are furniture, not body; a short sentence that closes the story stays."""
    article = extract_article(ENDING_PAGE.format(last=last).encode(), URL)
    assert article.ok, article.error
    assert article.text.endswith(ends_with), article.text[-120:]
    assert "Read more" not in article.text
    assert "With reporting by" not in article.text


def test_a_lightly_edited_description_still_finds_the_standfirst() -> None:
    """Descriptions are often the shown standfirst with a word or two changed: the element that
    starts like it and holds most of its words is the standfirst, as the page shows it."""
    shown = "After four months without a ferry, the islands are linked to the mainland again."
    page = STANDFIRST_PAGE.format(description=SUMMARY, shown=shown, teaser="Other news")
    article = extract_article(page.encode(), URL)
    assert article.ok, article.error
    assert article.text.split(PARAGRAPH_SEPARATOR)[0] == shown
