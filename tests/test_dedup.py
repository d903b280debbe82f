"""Duplicates: URL normalisation, exact content hash, SimHash near-duplicates (real extraction)."""

from __future__ import annotations

from pathlib import Path

import pytest

from extraction import Article, extract_article
from extraction.dedup import MAX_DISTANCE, hamming_distance, near_duplicate, simhash, to_signed
from storage.urls import normalize_url

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"
INT64 = (-(2**63), 2**63 - 1)


@pytest.fixture(scope="module")
def anbar() -> Article:
    html = (FIXTURES / "anbar_wordpress.html").read_bytes()
    return extract_article(html, "https://www.iraqinews.com/?p=178920")


@pytest.fixture(scope="module")
def syndicated(anbar: Article) -> Article:
    """The same agency story on another site: other template, credit line, last paragraph cut."""
    paragraphs = anbar.text.split("\n\n")[:-1]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    html = (
        "<html><head><title>Twelve IS militants killed in western Anbar</title></head><body>"
        '<div class="story"><h1>Twelve IS militants killed in western Anbar</h1>'
        f"<p>This story was first published by Iraqi News.</p>{body}</div></body></html>"
    )
    return extract_article(html, "https://other.example/2017/07/31/anbar-clashes/")


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        (
            "HTTPS://WWW.Example.com:443/news/a?utm_source=rss&utm_medium=feed&id=7#comments",
            "https://www.example.com/news/a?id=7",
        ),
        ("http://example.com:80/a?fbclid=x&gclid=y&msclkid=z", "http://example.com/a"),
        (
            "https://example.com/a?pk_campaign=x&mtm_source=y&b=2&a=1",
            "https://example.com/a?a=1&b=2",
        ),
        ("https://example.com:8443/a?ocid=x&smid=y&cmpid=z", "https://example.com:8443/a"),
    ],
)
def test_tracking_parameters_are_dropped(url: str, normalised: str) -> None:
    assert normalize_url(url) == normalised


def test_exact_copies_share_a_content_hash(anbar: Article) -> None:
    copy = Article(url="https://mirror.example/x", title=anbar.title, text=anbar.text)
    assert copy.content_hash == anbar.content_hash
    edited = Article(url="https://mirror.example/x", title=anbar.title, text=anbar.text + " More.")
    assert edited.content_hash != anbar.content_hash


def test_simhash_is_set_on_extraction_and_fits_a_bigint(anbar: Article) -> None:
    assert anbar.simhash == simhash(anbar.text)
    assert INT64[0] <= anbar.simhash <= INT64[1]
    assert Article.from_dict(anbar.to_dict()).simhash == anbar.simhash
    failed = extract_article(b"", "https://example.com/empty")
    assert failed.simhash is None


def test_simhash_ignores_case_punctuation_and_spacing() -> None:
    text = "Twelve Islamic State militants were killed Monday west of Anbar, officials said."
    same = "  twelve islamic state MILITANTS -- were killed monday\n\nwest of anbar; officials said"
    assert simhash(text) == simhash(same)
    assert simhash(text) != simhash("Twelve Islamic State militants were killed Monday in Mosul.")
    assert simhash("") is None and simhash(" ,. ") is None


def test_syndicated_copy_is_near_unrelated_article_is_far(
    anbar: Article, syndicated: Article
) -> None:
    assert syndicated.ok
    assert syndicated.content_hash != anbar.content_hash
    assert hamming_distance(anbar.simhash, syndicated.simhash) <= MAX_DISTANCE
    other = extract_article(
        (FIXTURES / "boilerplate_share.html").read_bytes(), "https://tigrisdaily.example/a"
    )
    assert hamming_distance(anbar.simhash, other.simhash) > 2 * MAX_DISTANCE


def test_near_duplicate_points_to_the_first_seen_copy(anbar: Article, syndicated: Article) -> None:
    unrelated = simhash("The council approved the budget for schools and roads on Tuesday.")
    stored = [(1, unrelated), (2, None), (3, anbar.simhash), (4, syndicated.simhash)]
    assert near_duplicate(syndicated.simhash, stored) == 3
    assert near_duplicate(unrelated, stored[1:]) is None
    assert near_duplicate(None, stored) is None
    assert near_duplicate(syndicated.simhash, stored, max_distance=-1) is None


def test_hamming_distance_and_signed_form() -> None:
    assert to_signed(2**64 - 1) == -1
    assert to_signed(2**63) == -(2**63)
    assert to_signed(5) == 5
    assert hamming_distance(-1, 0) == 64
    assert hamming_distance(to_signed(0b1011), 0b0001) == 2
    assert hamming_distance(-1, 2**64 - 1) == 0
