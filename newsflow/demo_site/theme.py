"""The WordPress theme every HTML page of the demo site wears: the site's name, escaping and
dates as the theme writes them, and the frame (header, menu, sidebar, footer) around a page's main
column, so the crawler and extractor meet the clutter of a real regional news site. Every function
takes ``base`` (e.g. ``http://127.0.0.1:8000``) because WordPress writes absolute links.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from .content import SECTIONS, DemoArticle, section_path

SITE_NAME = "Anbar Daily"
TAGLINE = "Iraq and Middle East news, updated around the clock"
RECENT_IN_SIDEBAR = 5


def escaped(text: str) -> str:
    return escape(text, quote=True)


def display_date(moment: datetime) -> str:
    return f"{moment:%B} {moment.day}, {moment:%Y}"


# Languages written right to left, among those the demo site serves.
_RIGHT_TO_LEFT = frozenset({"ar", "ckb", "fa", "ur", "he"})


def _direction(language: str) -> str:
    return "rtl" if language in _RIGHT_TO_LEFT else "ltr"


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
        f'<li><a href="{base}{a.path}">{escaped(a.title)}</a></li>'
        for a in articles[:RECENT_IN_SIDEBAR]
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


def framed_page(
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
<title>{escaped(title)}</title>
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
