"""The bundled demo news site: a real HTTP server on loopback that the crawler can rely on."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from html import unescape
from pathlib import Path

import pytest

from newsflow.demo_site import DemoArticle, DemoSite, load_articles, start_demo_site
from newsflow.demo_site.content import tag_path

# The seed text the Anbar article was copied from, shipped so the comparison runs in any checkout.
SEED = Path(__file__).resolve().parent / "fixtures" / "seed" / "anbar-article.txt"
ANBAR_TITLE = "UPDATED: Iraqi forces kill 12 IS militants during clashes west of Anbar"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
DC = "{http://purl.org/dc/elements/1.1/}"


@pytest.fixture(scope="module")
def site() -> Iterator[DemoSite]:
    with start_demo_site() as running:
        yield running


@pytest.fixture(scope="module")
def anbar() -> DemoArticle:
    return next(a for a in load_articles() if a.title == ANBAR_TITLE)


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET"):
    """(status, headers, text); HTTP errors are answers too, not exceptions."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode("utf-8")


def test_articles_data() -> None:
    articles = load_articles()
    assert len(articles) >= 20
    assert {a.section for a in articles} == {"security", "politics"}
    assert len({a.path for a in articles}) == len(articles)
    titles = {a.title for a in articles}
    for article in articles:
        assert article.published.tzinfo is not None
        assert article.path == f"/{article.published:%Y/%m/%d}/{article.slug}/"
        assert 4 <= len(article.paragraphs) <= 9
        assert article.captions and article.tags and article.image
        assert set(article.related) <= titles and article.title not in article.related
    assert any(not a.jsonld for a in articles), "some pages must lack JSON-LD"
    assert any(a.modified for a in articles) and any(not a.modified for a in articles)


def test_anbar_article_matches_seed(anbar: DemoArticle) -> None:
    assert anbar.path == (
        "/2017/07/31/updated-iraqi-forces-kill-12-is-militants-during-clashes-west-of-anbar/"
    )
    assert anbar.section == "security"
    assert anbar.published.isoformat() == "2017-07-31T14:12:00+03:00"
    assert anbar.related == [
        "Unidentified airstrike leaves four civilians killed, fifth injured, western Anbar",
        "Iraqi army dismantles 97 IEDs in liberated areas in Anbar",
    ]
    assert anbar.captions[-1] == "The city of Annah, Anbar, Iraq."
    seed = SEED.read_text(encoding="utf-8")
    for text in [anbar.title, *anbar.paragraphs, *anbar.captions]:
        assert text in seed
    blocks = [b for b in seed.split("\n") if b.strip()]
    body = blocks[blocks.index(anbar.paragraphs[0]) : blocks.index("Leave a Reply")]
    assert [b for b in body if b not in anbar.captions] == anbar.paragraphs


def test_home_lists_articles(site: DemoSite) -> None:
    status, headers, html = fetch(site.url + "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert 'id="site-navigation"' in html and 'id="secondary"' in html
    for article in load_articles():
        assert f'href="{site.url}{article.path}"' in html


@pytest.mark.parametrize("section", ["security", "politics"])
def test_section_pages(site: DemoSite, section: str) -> None:
    status, _, html = fetch(f"{site.url}/category/{section}/")
    assert status == 200
    members = [a for a in load_articles() if a.section == section]
    assert len(members) >= 5
    for article in load_articles():
        linked = f'class="entry-title"><a href="{site.url}{article.path}"' in html
        assert linked == (article.section == section)


def test_feed_is_rss_with_every_article(site: DemoSite) -> None:
    status, headers, text = fetch(site.url + "/feed/")
    assert status == 200
    assert headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    channel = ET.fromstring(text.encode("utf-8")).find("channel")
    items = channel.findall("item")
    assert len(items) == len(load_articles()) >= 20
    first = items[0]
    for name in ["title", "link", "pubDate", f"{DC}creator", "category", "guid", "description"]:
        assert first.find(name) is not None and first.find(name).text, name
    links = {item.findtext("link") for item in items}
    assert site.url + load_articles()[0].path in links
    assert first.findtext("pubDate").endswith("+0000")


def test_news_sitemap_and_index(site: DemoSite) -> None:
    status, headers, text = fetch(site.url + "/news-sitemap.xml")
    assert status == 200 and headers["Content-Type"] == "application/xml; charset=utf-8"
    root = ET.fromstring(text.encode("utf-8"))
    dates = [d.text for d in root.iter(f"{NEWS}publication_date")]
    assert len(dates) >= 20
    assert "2017-07-31T14:12:00+03:00" in dates
    assert len(list(root.iter(f"{NEWS}title"))) == len(dates)

    _, _, index = fetch(site.url + "/sitemap.xml")
    assert f"<loc>{site.url}/news-sitemap.xml</loc>" in index


def test_robots_txt(site: DemoSite) -> None:
    status, headers, text = fetch(site.url + "/robots.txt")
    assert status == 200 and headers["Content-Type"] == "text/plain; charset=utf-8"
    lines = text.splitlines()
    assert "User-agent: *" in lines and "Disallow: /wp-admin/" in lines
    assert f"Sitemap: {site.url}/sitemap.xml" in lines
    # Absolute URLs follow the Host header the request came with.
    _, _, other = fetch(site.url + "/robots.txt", headers={"Host": f"localhost:{site.port}"})
    assert f"Sitemap: http://localhost:{site.port}/sitemap.xml" in other


def test_anbar_page_has_body_and_boilerplate(site: DemoSite, anbar: DemoArticle) -> None:
    status, _, html = fetch(site.url + anbar.path)
    assert status == 200
    text = unescape(html)
    assert f'<h1 class="entry-title">{anbar.title}</h1>' in text
    for paragraph in anbar.paragraphs:
        assert f"<p>{paragraph}</p>" in text
    # Captions are figures, not paragraphs; the in-body one sits inside entry-content.
    for caption in anbar.captions:
        assert caption in text and f"<p>{caption}</p>" not in text
    start, end = text.index('<div class="entry-content">'), text.index('<div class="share-bar">')
    content = text[start:end]
    assert '<figcaption class="wp-caption-text">The city of Annah, Anbar, Iraq.' in content
    assert text.index('class="wp-caption-text">Iraqi government forces') < text.index(
        '<div class="entry-content">'
    )
    # The boilerplate an extractor must strip later.
    assert '<h3 id="reply-title" class="comment-reply-title">Leave a Reply</h3>' in text
    assert "Your email address will not be published." in text and "<textarea" in text
    assert '<div class="related-posts">\n<h3>Related</h3>' in text
    for title in anbar.related:
        assert title in text
    assert "Share on Facebook" in text and "Share on WhatsApp" in text
    # Metadata.
    assert f'<link rel="canonical" href="{site.url}{anbar.path}">' in text
    assert '<meta property="og:type" content="article">' in text
    assert 'content="2017-07-31T14:12:00+03:00"' in text
    assert '<meta name="author" content="Mohamed Mostafa">' in text
    assert '"@type": "NewsArticle"' in text


def fetch_bytes(url: str) -> tuple[str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.headers["Content-Type"], response.read()


@pytest.mark.parametrize(
    ("slug", "language", "charset"),
    [
        ("iraqi-forces-kill-12-daesh-militants-west-of-anbar-ar", "ar", "UTF-8"),
        ("bridge-linking-hit-and-ramadi-reopens-ar", "ar", "windows-1256"),
        ("erbil-receives-families-displaced-from-anbar-ckb", "ckb", "UTF-8"),
    ],
)
def test_arabic_and_kurdish_pages_in_their_encodings(
    site: DemoSite, slug: str, language: str, charset: str
) -> None:
    article = next(a for a in load_articles() if a.slug == slug)
    assert article.language == language
    content_type, body = fetch_bytes(site.url + article.path)
    assert content_type == f"text/html; charset={charset.lower()}"
    if charset != "UTF-8":
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
    html = unescape(body.decode(charset))
    assert f'<html lang="{language}" dir="rtl">' in html
    assert f'<meta charset="{charset}">' in html
    assert f'<h1 class="entry-title">{article.title}</h1>' in html
    for paragraph in article.paragraphs:
        assert f"<p>{paragraph}</p>" in html
    # Arabic tags live under percent-encoded slugs, as WordPress writes them.
    for tag in article.tags:
        path = tag_path(tag)
        assert path.startswith("/tag/%d") and path.isascii()
        assert fetch(site.url + path)[0] == 200


def test_arabic_stories_are_written_for_the_site() -> None:
    arabic = [a for a in load_articles() if a.language == "ar"]
    assert {a.encoding for a in arabic} == {"utf-8", "windows-1256"}
    annah = next(a for a in arabic if "عانة" in " ".join(a.paragraphs))
    assert "الأنبار" in annah.title and annah.published.date() == date(2017, 7, 31)


def test_an_article_its_encoding_cannot_hold_is_refused(tmp_path, monkeypatch) -> None:
    from newsflow.demo_site import content

    raw = [
        {
            "slug": "x",
            "title": "عنوان — Ωmega",
            "section": "security",
            "author": "A",
            "published": "2017-08-01T11:05:00+03:00",
            "encoding": "windows-1256",
            "image": {"file": "x.png", "caption": ["c"]},
            "paragraphs": ["p"],
        }
    ]
    data = tmp_path / "articles.yaml"
    data.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(content, "DATA_FILE", data)
    with pytest.raises(ValueError, match="x: 'عنوان — Ωmega'... cannot be written in windows-1256"):
        load_articles()


def test_pages_without_jsonld_still_have_meta(site: DemoSite) -> None:
    article = next(a for a in load_articles() if not a.jsonld)
    _, _, html = fetch(site.url + article.path)
    assert "application/ld+json" not in html
    assert "article:published_time" in html and 'name="author"' in html


def test_related_links_resolve(site: DemoSite, anbar: DemoArticle) -> None:
    for path in anbar.related_paths:
        assert fetch(site.url + path)[0] == 200


def test_unknown_path_is_404(site: DemoSite) -> None:
    status, headers, html = fetch(site.url + "/2017/07/31/no-such-story/")
    assert status == 404
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "can&rsquo;t be found" in html


def test_missing_trailing_slash_redirects(site: DemoSite, anbar: DemoArticle) -> None:
    status, _, html = fetch(site.url + anbar.path.rstrip("/"))
    assert status == 200 and anbar.title in unescape(html)  # urllib followed the 301


@pytest.mark.parametrize("path", ["/feed/", "/news-sitemap.xml", "/sitemap.xml"])
def test_conditional_get(site: DemoSite, path: str) -> None:
    status, headers, body = fetch(site.url + path)
    assert status == 200 and headers["ETag"] and headers["Last-Modified"]
    assert fetch(site.url + path, {"If-None-Match": headers["ETag"]})[0] == 304
    assert fetch(site.url + path, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    stale = {"If-Modified-Since": "Mon, 01 Jan 2018 00:00:00 GMT"}
    assert fetch(site.url + path, stale)[0] == 200
    assert fetch(site.url + path, {"If-None-Match": '"something-else"'})[0] == 200
    head_status, head_headers, head_body = fetch(site.url + path, method="HEAD")
    assert head_status == 200 and head_body == ""
    assert head_headers["Content-Length"] == str(len(body.encode("utf-8")))


def test_request_log(site: DemoSite) -> None:
    site.clear_requests()
    fetch(site.url + "/robots.txt", {"User-Agent": "newsflow-test"})
    fetch(site.url + "/nope/", method="HEAD")
    assert site.requests == [("GET", "/robots.txt"), ("HEAD", "/nope/")]
    assert [(r.status, r.user_agent) for r in site.request_log] == [
        (200, "newsflow-test"),
        (404, f"Python-urllib/{sys.version_info[0]}.{sys.version_info[1]}"),
    ]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_refuses_non_loopback(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        start_demo_site(host, 0)


def test_start_and_stop_frees_port() -> None:
    site = start_demo_site("127.0.0.2", 0)
    assert site.url == f"http://127.0.0.2:{site.port}"
    assert fetch(site.url + "/")[0] == 200
    site.stop()
    site.stop()  # idempotent
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(site.url + "/", timeout=2)
