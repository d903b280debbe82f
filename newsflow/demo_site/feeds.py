"""The demo site's machine-readable listings: the RSS feed, the sitemaps and robots.txt, in
WordPress' shape (the spider's feed and sitemap discovery is tested against them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

from .content import DemoArticle
from .theme import SITE_NAME, TAGLINE, escaped


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


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
<title>{escaped(a.title)}</title>
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
<description>{escaped(TAGLINE)}</description>
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
<news:title>{escaped(a.title)}</news:title>
<news:keywords>{escaped(", ".join(a.tags))}</news:keywords>
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
