"""Per-source extraction profiles: validated with the registry, tried in order, field by field
over the generic extractor, and the record names the profile used."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from extraction import EXTRACTOR, extract_article
from extraction.bounds import BoundedExtractor
from extraction.profiles import Profile, SiteProfiles
from newsflow.sources import RegistryError, load_registry

BODY = " ".join(
    f"Sentence {i} of the story says what happened in the town and who said it." for i in range(12)
)
PAGE = f"""<!DOCTYPE html><html lang="en"><head>
<title>Flood closes the old bridge | Town Post</title>
<meta property="og:type" content="article">
<meta property="article:published_time" content="2024-05-02T08:00:00+03:00">
</head><body>
<div class="story" data-ts="02/05/2024 09:30">
<h1 class="headline">Flood closes the old bridge</h1>
<div class="credit"><span>Written by</span> <b class="who">Layla Hassan</b></div>
<div class="copy"><p>{BODY}</p>
<div class="promo"><p>Read more: our earlier coverage of the floods in the region.</p></div>
<p>The mayor said the bridge would reopen once engineers had inspected it next week.</p></div>
<ul class="kw"><li>Floods</li><li>Bridges</li></ul>
</div></body></html>"""
URL = "https://town.example/2024/05/02/flood/"


def site(*profiles: dict) -> SiteProfiles:
    return SiteProfiles("town", [Profile.model_validate(p) for p in profiles])


def test_profile_fields_override_the_generic_ones_and_the_rest_falls_back() -> None:
    profile = {
        "name": "v1",
        "body": ".story .copy",
        "authors": "xpath://b[@class='who']",
        "published": ".story",
        "date_attr": "data-ts",
        "date_format": "%d/%m/%Y %H:%M",
        "tags": ".kw li",
        "remove": [".promo"],
    }
    generic = extract_article(PAGE, URL, source="town")
    article = extract_article(PAGE, URL, source=site(profile))
    assert generic.extractor == EXTRACTOR
    assert article.extractor == f"{EXTRACTOR} profile=town:v1"
    assert article.source == "town"
    assert article.authors == ["Layla Hassan"]
    assert article.published == datetime(2024, 5, 2, 9, 30)
    assert article.published_source == "profile"
    assert article.tags == ["Floods", "Bridges"]
    assert "Read more" not in article.text
    assert article.text.endswith("engineers had inspected it next week.")
    assert article.text.count("\n\n") == 1
    # not named by the profile: the generic reading
    assert article.title == generic.title == "Flood closes the old bridge"
    assert article.selectors == {
        "body": True,
        "authors": True,
        "published": True,
        "tags": True,
    }


def test_a_selector_that_finds_nothing_leaves_the_generic_value() -> None:
    article = extract_article(
        PAGE, URL, source=site({"body": ".copy", "title": "h2.nothing", "published": ".none"})
    )
    assert article.title == "Flood closes the old bridge"
    assert article.published_source == "meta:article:published_time"
    assert article.selectors == {"title": False, "body": True, "published": False}


def test_profiles_are_tried_in_order_first_whose_body_matches() -> None:
    old = {"name": "2019", "body": ".article-body"}
    new = {"name": "2024", "body": ".copy"}
    assert extract_article(PAGE, URL, source=site(old, new)).extractor.endswith("town:2024")
    # none matches: generic, and the first profile tried says what failed
    article = extract_article(PAGE, URL, source=site(old))
    assert article.extractor == EXTRACTOR
    assert article.selectors == {"body": False}
    assert "Sentence 3" in article.text


def test_valid_until_skips_a_layout_retired_before_the_page() -> None:
    retired = {"name": "old", "valid_until": "2023-12-31", "body": ".story"}
    current = {"name": "new", "body": ".copy"}
    article = extract_article(PAGE, URL, source=site(retired, current))
    assert article.extractor.endswith("town:new")
    still = {"name": "old", "valid_until": date(2024, 6, 1), "body": ".story"}
    assert extract_article(PAGE, URL, source=site(still, current)).extractor.endswith("town:old")


def test_the_bounded_worker_gets_the_profiles() -> None:
    with BoundedExtractor() as extractor:
        article = extractor.extract(PAGE, URL, source=site({"name": "w", "body": ".copy"}))
    assert article.extractor.endswith("town:w")
    assert article.source == "town"


def _registry(tmp_path: Path, extract: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(
        f"sources:\n  - name: town\n    url: https://town.example/\n    extract: {extract}\n",
        encoding="utf-8",
    )
    return path


def test_registry_loads_one_profile_or_a_list(tmp_path: Path) -> None:
    (one,) = load_registry(_registry(tmp_path, "{body: .copy, remove: [.promo]}"))
    assert [p.body for p in one.extract] == [".copy"]
    (two,) = load_registry(_registry(tmp_path, "[{name: a, body: .x}, {name: b, body: .y}]"))
    assert [p.name for p in two.extract] == ["a", "b"]
    assert extract_article(PAGE, URL, source=two).extractor == EXTRACTOR


@pytest.mark.parametrize(
    ("extract", "field"),
    [
        ("{body: 'div[class='}", "extract.0.body"),
        ("{title: 'xpath://h1[@'}", "extract.0.title"),
        ("{remove: ['p::nonsense(']}", "extract.0.remove"),
        ("{bdy: .copy}", "extract.0.bdy"),
        ("{published: time, date_format: dd.mm.yyyy}", "extract.0.date_format"),
        ("[{body: .a}, {body: .b}]", "extract"),
    ],
)
def test_a_bad_profile_is_an_error_naming_file_source_and_field(
    tmp_path: Path, extract: str, field: str
) -> None:
    path = _registry(tmp_path, extract)
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    message = str(error.value)
    assert str(path) in message
    assert "source town" in message
    assert field in message
