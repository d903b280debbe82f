"""HTML, RSS and sitemap rendering for the demo site.

The markup copies the habits of a WordPress news theme (classes, boilerplate, metadata) so the
crawler and extractor meet the same clutter they would on a real regional news site. Every
function takes ``base`` (e.g. ``http://127.0.0.1:8000``) because WordPress writes absolute links.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from urllib.parse import quote

from .content import SECTIONS, DemoArticle, slugify

SITE_NAME = "Anbar Daily"
TAGLINE = "Iraq and Middle East news, updated around the clock"
RECENT_IN_SIDEBAR = 5


def _e(text: str) -> str:
    return escape(text, quote=True)


def _display_date(moment: datetime) -> str:
    return f"{moment:%B} {moment.day}, {moment:%Y}"


# Languages written right to left, among those the demo site serves.
_RIGHT_TO_LEFT = frozenset({"ar", "ckb", "fa", "ur", "he"})
# og:locale of the languages the demo site serves (en_US otherwise).
_LOCALES = {"ar": "ar_IQ", "ckb": "ckb_IQ"}


def _direction(language: str) -> str:
    return "rtl" if language in _RIGHT_TO_LEFT else "ltr"


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def author_path(name: str) -> str:
    return f"/author/{slugify(name)}/"


def tag_path(tag: str) -> str:
    return f"/tag/{slugify(tag)}/"


def section_path(section: str) -> str:
    return f"/category/{section}/"


# --- page frame -------------------------------------------------------------------------------


def _header(base: str) -> str:
    menu = [("Home", "/")] + [(name, section_path(key)) for key, name in SECTIONS.items()]
    items = "\n".join(
        f'<li class="menu-item menu-item-type-taxonomy"><a href="{base}{path}">{name}</a></li>'
        for name, path in menu
    )
    return f"""<header id="masthead" class="site-header" role="banner">
<div class="site-branding">
<p class="site-title"><a href="{base}/" rel="home">{SITE_NAME}</a></p>
<p class="site-description">{TAGLINE}</p>
</div>
<nav id="site-navigation" class="main-navigation" role="navigation" aria-label="Top Menu">
<button class="menu-toggle" aria-controls="primary-menu" aria-expanded="false">Menu</button>
<ul id="primary-menu" class="menu">
{items}
</ul>
</nav>
</header>"""


def _sidebar(base: str, articles: list[DemoArticle]) -> str:
    recent = "\n".join(
        f'<li><a href="{base}{a.path}">{_e(a.title)}</a></li>' for a in articles[:RECENT_IN_SIDEBAR]
    )
    sections = "\n".join(
        f'<li class="cat-item cat-item-{key}"><a href="{base}{section_path(key)}">{name}</a></li>'
        for key, name in SECTIONS.items()
    )
    return f"""<aside id="secondary" class="widget-area" role="complementary">
<section id="search-2" class="widget widget_search">
<form role="search" method="get" class="search-form" action="{base}/">
<label><span class="screen-reader-text">Search for:</span>
<input type="search" class="search-field" placeholder="Search &hellip;" name="s"></label>
<input type="submit" class="search-submit" value="Search">
</form>
</section>
<section id="recent-posts-2" class="widget widget_recent_entries">
<h2 class="widget-title">Recent Posts</h2>
<ul>
{recent}
</ul>
</section>
<section id="categories-2" class="widget widget_categories">
<h2 class="widget-title">Categories</h2>
<ul>
{sections}
</ul>
</section>
<section id="text-3" class="widget widget_text">
<h2 class="widget-title">Newsletter</h2>
<div class="textwidget"><p>Get the day&#8217;s top stories from Iraq in your inbox.
Subscribe to our daily newsletter.</p></div>
</section>
</aside>"""


def _footer(base: str) -> str:
    return f"""<footer id="colophon" class="site-footer" role="contentinfo">
<div class="site-info">
<p>&copy; 2018 {SITE_NAME}. All rights reserved.
<a href="{base}/feed/">RSS Feed</a> | <a href="{base}/sitemap.xml">Sitemap</a></p>
<p>Proudly powered by WordPress</p>
</div>
</footer>"""


def _page(
    base: str,
    articles: list[DemoArticle],
    *,
    title: str,
    main: str,
    body_class: str,
    head: str = "",
    language: str = "en",
    charset: str = "UTF-8",
) -> str:
    lang = 'lang="en-US"' if language == "en" else f'lang="{language}" dir="{_direction(language)}"'
    return f"""<!DOCTYPE html>
<html {lang}>
<head>
<meta charset="{charset}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} &raquo; Feed" \
href="{base}/feed/">
<link rel="stylesheet" id="theme-style-css" href="{base}/wp-content/themes/newsline/style.css" \
type="text/css" media="all">
{head}
<meta name="generator" content="WordPress 4.9.8">
</head>
<body class="{body_class}">
<div id="page" class="site">
<a class="skip-link screen-reader-text" href="#content">Skip to content</a>
{_header(base)}
<div id="content" class="site-content">
<div id="primary" class="content-area">
<main id="main" class="site-main" role="main">
{main}
</main>
</div>
{_sidebar(base, articles)}
</div>
{_footer(base)}
</div>
<script type="text/javascript" src="{base}/wp-includes/js/wp-embed.min.js"></script>
</body>
</html>
"""


# --- listings ---------------------------------------------------------------------------------


def _summary(base: str, article: DemoArticle, heading: str = "h2") -> str:
    return f"""<article id="post-{article.post_id}" class="post-{article.post_id} post \
type-post status-publish format-standard has-post-thumbnail category-{article.section}">
<header class="entry-header">
<{heading} class="entry-title"><a href="{base}{article.path}" rel="bookmark">\
{_e(article.title)}</a></{heading}>
<div class="entry-meta"><span class="posted-on"><time class="entry-date published" \
datetime="{article.published.isoformat()}">{_display_date(article.published)}</time></span>
<span class="byline"> by <span class="author vcard">{_e(article.author)}</span></span></div>
</header>
<div class="entry-summary"><p>{_e(article.excerpt)}</p></div>
</article>"""


def home_page(base: str, articles: list[DemoArticle]) -> str:
    """Front page: every headline, newest first, so a crawler can reach the whole site."""
    lead, rest = articles[0], articles[1:]
    lead_html = f"""<section class="featured-post">
<a href="{base}{lead.path}"><img src="{base}{lead.image}" alt="{_e(lead.title)}" \
width="800" height="450"></a>
{_summary(base, lead)}
</section>"""
    items = "\n".join(_summary(base, a, heading="h3") for a in rest)
    main = f"""{lead_html}
<section class="latest-news">
<h2 class="section-title">Latest News</h2>
{items}
</section>"""
    head = f"""<meta name="description" content="{_e(TAGLINE)}">
<link rel="canonical" href="{base}/">
<meta property="og:type" content="website">
<meta property="og:title" content="{SITE_NAME}">
<meta property="og:url" content="{base}/">"""
    return _page(
        base,
        articles,
        title=f"{SITE_NAME} \u2013 {TAGLINE}",
        main=main,
        body_class="home blog",
        head=head,
    )


def archive_page(
    base: str,
    articles: list[DemoArticle],
    *,
    heading: str,
    path: str,
    members: list[DemoArticle],
    body_class: str,
) -> str:
    """Category, tag and author archives (WordPress archive.php), one page, no pagination."""
    items = "\n".join(_summary(base, a) for a in members)
    main = f"""<header class="page-header">
<h1 class="page-title">{_e(heading)}</h1>
</header>
{items}"""
    head = f'<link rel="canonical" href="{base}{path}">'
    return _page(
        base,
        articles,
        title=f"{heading} | {SITE_NAME}",
        main=main,
        body_class=f"archive {body_class}",
        head=head,
    )


def not_found_page(base: str, articles: list[DemoArticle]) -> str:
    main = """<section class="error-404 not-found">
<header class="page-header"><h1 class="page-title">Oops! That page can&rsquo;t be found.</h1>
</header>
<div class="page-content"><p>It looks like nothing was found at this location.</p></div>
</section>"""
    return _page(
        base,
        articles,
        title=f"Page not found | {SITE_NAME}",
        main=main,
        body_class="error404",
    )


# --- article page -----------------------------------------------------------------------------


def _figure(base: str, src: str, caption: list[str], alt: str, attachment: int) -> str:
    caption_html = "<br>\n".join(_e(line) for line in caption)
    return f"""<figure id="attachment_{attachment}" style="width: 800px" \
class="wp-caption aligncenter">
<img class="size-large wp-image-{attachment}" src="{base}{src}" alt="{_e(alt)}" \
width="800" height="450">
<figcaption class="wp-caption-text">{caption_html}</figcaption>
</figure>"""


def _article_head(base: str, article: DemoArticle) -> str:
    url = base + article.path
    lines = [
        f'<meta name="description" content="{_e(article.excerpt)}">',
        f'<link rel="canonical" href="{url}">',
        f'<meta property="og:locale" content="{_LOCALES.get(article.language, "en_US")}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:title" content="{_e(article.title)}">',
        f'<meta property="og:description" content="{_e(article.excerpt)}">',
        f'<meta property="og:url" content="{url}">',
        f'<meta property="og:site_name" content="{SITE_NAME}">',
        f'<meta property="og:image" content="{base}{article.image}">',
        '<meta property="og:image:width" content="800">',
        '<meta property="og:image:height" content="450">',
        f'<meta property="article:published_time" content="{article.published.isoformat()}">',
    ]
    if article.modified:
        lines.append(
            f'<meta property="article:modified_time" content="{article.modified.isoformat()}">'
        )
    lines.append(f'<meta property="article:section" content="{article.section_name}">')
    lines += [f'<meta property="article:tag" content="{_e(tag)}">' for tag in article.tags]
    lines.append(f'<meta name="author" content="{_e(article.author)}">')
    lines.append('<meta name="twitter:card" content="summary_large_image">')
    if article.jsonld:
        lines.append(_jsonld(base, article))
    return "\n".join(lines)


def _jsonld(base: str, article: DemoArticle) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": base + article.path},
        "headline": article.title,
        "inLanguage": article.language,
        "datePublished": article.published.isoformat(),
        "dateModified": article.updated.isoformat(),
        "author": {
            "@type": "Person",
            "name": article.author,
            "url": base + author_path(article.author),
        },
        "image": [base + article.image],
        "articleSection": article.section_name,
        "keywords": article.tags,
        "publisher": {
            "@type": "Organization",
            "name": SITE_NAME,
            "logo": {"@type": "ImageObject", "url": f"{base}/wp-content/uploads/logo.png"},
        },
    }
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>'


def _entry_content(base: str, article: DemoArticle) -> str:
    blocks = []
    for index, paragraph in enumerate(article.paragraphs):
        blocks.append(f"<p>{_e(paragraph)}</p>")
        for number, figure in enumerate(article.figures, start=1):
            if figure.after == index + 1:
                alt = figure.caption[0]
                blocks.append(
                    _figure(base, figure.image, figure.caption, alt, article.post_id + number)
                )
    return '<div class="entry-content">\n' + "\n".join(blocks) + "\n</div>"


def _share_bar(base: str, article: DemoArticle) -> str:
    url = quote(base + article.path, safe="")
    text = quote(article.title, safe="")
    return f"""<div class="share-bar">
<span class="share-label">Share this:</span>
<a class="share-facebook" href="https://www.facebook.com/sharer/sharer.php?u={url}" \
target="_blank" rel="nofollow noopener">Share on Facebook</a>
<a class="share-twitter" href="https://twitter.com/intent/tweet?text={text}&amp;url={url}" \
target="_blank" rel="nofollow noopener">Share on Twitter</a>
<a class="share-whatsapp" href="https://api.whatsapp.com/send?text={text}%20{url}" \
target="_blank" rel="nofollow noopener">Share on WhatsApp</a>
</div>"""


def _comment_form(base: str, article: DemoArticle) -> str:
    return f"""<div id="comments" class="comments-area">
<div id="respond" class="comment-respond">
<h3 id="reply-title" class="comment-reply-title">Leave a Reply</h3>
<p class="comment-notes"><span id="email-notes">Your email address will not be published.\
</span> Required fields are marked <span class="required">*</span></p>
<form action="{base}/wp-comments-post.php" method="post" id="commentform" \
class="comment-form" novalidate>
<p class="comment-form-comment"><label for="comment">Comment</label>
<textarea id="comment" name="comment" cols="45" rows="8" maxlength="65525" \
required="required"></textarea></p>
<p class="comment-form-author"><label for="author">Name <span class="required">*</span></label>
<input id="author" name="author" type="text" value="" size="30" maxlength="245" \
required="required"></p>
<p class="comment-form-email"><label for="email">Email <span class="required">*</span></label>
<input id="email" name="email" type="email" value="" size="30" maxlength="100" \
required="required"></p>
<p class="comment-form-url"><label for="url">Website</label>
<input id="url" name="url" type="url" value="" size="30" maxlength="200"></p>
<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" \
value="Post Comment">
<input type="hidden" name="comment_post_ID" value="{article.post_id}" id="comment_post_ID">
<input type="hidden" name="comment_parent" id="comment_parent" value="0"></p>
</form>
</div>
</div>"""


def _related(base: str, article: DemoArticle) -> str:
    items = "\n".join(
        f'<li><a href="{base}{path}" rel="bookmark">{_e(title)}</a></li>'
        for title, path in zip(article.related, article.related_paths, strict=True)
    )
    return f"""<div class="related-posts">
<h3>Related</h3>
<ul>
{items}
</ul>
</div>"""


def article_page(base: str, articles: list[DemoArticle], article: DemoArticle) -> str:
    """A single post: text an extractor should keep, wrapped in boilerplate it should not."""
    published = article.published
    updated = ""
    if article.modified:
        updated = (
            f'<time class="updated" datetime="{article.modified.isoformat()}">'
            f"{_display_date(article.modified)}</time>"
        )
    tags = ", ".join(
        f'<a href="{base}{tag_path(tag)}" rel="tag">{_e(tag)}</a>' for tag in article.tags
    )
    section_link = f'<a href="{base}{section_path(article.section)}">{article.section_name}</a>'
    main = f"""<nav class="breadcrumbs" aria-label="Breadcrumb">
<span><a href="{base}/">Home</a></span> &raquo; <span>{section_link}</span> &raquo; \
<span class="breadcrumb_last" aria-current="page">{_e(article.title)}</span>
</nav>
<article id="post-{article.post_id}" class="post-{article.post_id} post type-post \
status-publish format-standard has-post-thumbnail hentry category-{article.section}">
<header class="entry-header">
<h1 class="entry-title">{_e(article.title)}</h1>
<div class="entry-meta">
<span class="byline">By <span class="author vcard"><a class="url fn n" rel="author" \
href="{base}{author_path(article.author)}">{_e(article.author)}</a></span></span>
<span class="posted-on"><time class="entry-date published" \
datetime="{published.isoformat()}">{_display_date(published)}</time>{updated}</span>
<span class="cat-links">in <a href="{base}{section_path(article.section)}" \
rel="category tag">{article.section_name}</a></span>
</div>
</header>
{_figure(base, article.image, article.image_caption, article.title, article.post_id)}
{_entry_content(base, article)}
{_share_bar(base, article)}
<footer class="entry-footer">
<span class="tags-links">Tags: {tags}</span>
</footer>
</article>
{_comment_form(base, article)}
{_related(base, article)}"""
    return _page(
        base,
        articles,
        title=f"{article.title} | {SITE_NAME}",
        main=main,
        body_class=f"post-template-default single single-post postid-{article.post_id} "
        f"single-format-standard category-{article.section}",
        head=_article_head(base, article),
        language=article.language,
        charset=article.encoding.upper() if article.encoding == "utf-8" else article.encoding,
    )


# --- feeds and sitemaps -----------------------------------------------------------------------


def _rfc822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC))


def rss_feed(base: str, articles: list[DemoArticle]) -> str:
    """RSS 2.0 in WordPress' shape (summary feed: excerpts, not full text)."""
    items = []
    for a in articles:
        categories = "".join(
            f"\n<category>{_cdata(c)}</category>" for c in [a.section_name, *a.tags]
        )
        items.append(f"""<item>
<title>{_e(a.title)}</title>
<link>{base}{a.path}</link>
<comments>{base}{a.path}#respond</comments>
<pubDate>{_rfc822(a.published)}</pubDate>
<dc:creator>{_cdata(a.author)}</dc:creator>{categories}
<guid isPermaLink="false">{base}/?p={a.post_id}</guid>
<description>{_cdata(a.excerpt)}</description>
<slash:comments>0</slash:comments>
</item>""")
    newest = max(a.updated for a in articles)
    body = "\n".join(items)
    return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
xmlns:content="http://purl.org/rss/1.0/modules/content/"
xmlns:wfw="http://wellformedweb.org/CommentAPI/"
xmlns:dc="http://purl.org/dc/elements/1.1/"
xmlns:atom="http://www.w3.org/2005/Atom"
xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
xmlns:slash="http://purl.org/rss/1.0/modules/slash/">
<channel>
<title>{SITE_NAME}</title>
<atom:link href="{base}/feed/" rel="self" type="application/rss+xml" />
<link>{base}/</link>
<description>{_e(TAGLINE)}</description>
<lastBuildDate>{_rfc822(newest)}</lastBuildDate>
<language>en-US</language>
<sy:updatePeriod>hourly</sy:updatePeriod>
<sy:updateFrequency>1</sy:updateFrequency>
<generator>https://wordpress.org/?v=4.9.8</generator>
{body}
</channel>
</rss>
"""


def news_sitemap(base: str, articles: list[DemoArticle]) -> str:
    """Google News sitemap listing every article (a real one keeps only two days)."""
    urls = []
    for a in articles:
        urls.append(f"""<url>
<loc>{base}{a.path}</loc>
<lastmod>{a.updated.isoformat()}</lastmod>
<news:news>
<news:publication><news:name>{SITE_NAME}</news:name>\
<news:language>{a.language}</news:language></news:publication>
<news:publication_date>{a.published.isoformat()}</news:publication_date>
<news:title>{_e(a.title)}</news:title>
<news:keywords>{_e(", ".join(a.tags))}</news:keywords>
</news:news>
<image:image><image:loc>{base}{a.image}</image:loc></image:image>
</url>""")
    body = "\n".join(urls)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
{body}
</urlset>
"""


def sitemap_index(base: str, articles: list[DemoArticle]) -> str:
    newest = max(a.updated for a in articles)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap>
<loc>{base}/news-sitemap.xml</loc>
<lastmod>{newest.isoformat()}</lastmod>
</sitemap>
</sitemapindex>
"""


def robots_txt(base: str) -> str:
    return f"""User-agent: *
Disallow: /wp-admin/
Allow: /wp-admin/admin-ajax.php

Sitemap: {base}/sitemap.xml
"""
