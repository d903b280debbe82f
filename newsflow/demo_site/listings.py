"""The demo site's listing pages: the front page and the category, tag and author archives a
crawler finds articles through (and the 404 page, the same frame around nothing).
"""

from __future__ import annotations

from .content import DemoArticle
from .theme import SITE_NAME, TAGLINE, display_date, escaped, framed_page


def _summary(base: str, article: DemoArticle, heading: str = "h2") -> str:
    return f"""<article id="post-{article.post_id}" class="post-{article.post_id} post \
type-post status-publish format-standard has-post-thumbnail category-{article.section}">
<header class="entry-header">
<{heading} class="entry-title"><a href="{base}{article.path}" rel="bookmark">\
{escaped(article.title)}</a></{heading}>
<div class="entry-meta"><span class="posted-on"><time class="entry-date published" \
datetime="{article.published.isoformat()}">{display_date(article.published)}</time></span>
<span class="byline"> by <span class="author vcard">{escaped(article.author)}</span></span></div>
</header>
<div class="entry-summary"><p>{escaped(article.excerpt)}</p></div>
</article>"""


def home_page(base: str, articles: list[DemoArticle]) -> str:
    """Front page: every headline, newest first, so a crawler can reach the whole site."""
    lead, rest = articles[0], articles[1:]
    lead_html = f"""<section class="featured-post">
<a href="{base}{lead.path}"><img src="{base}{lead.image}" alt="{escaped(lead.title)}" \
width="800" height="450"></a>
{_summary(base, lead)}
</section>"""
    items = "\n".join(_summary(base, a, heading="h3") for a in rest)
    main = f"""{lead_html}
<section class="latest-news">
<h2 class="section-title">Latest News</h2>
{items}
</section>"""
    head = f"""<meta name="description" content="{escaped(TAGLINE)}">
<link rel="canonical" href="{base}/">
<meta property="og:type" content="website">
<meta property="og:title" content="{SITE_NAME}">
<meta property="og:url" content="{base}/">"""
    return framed_page(
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
<h1 class="page-title">{escaped(heading)}</h1>
</header>
{items}"""
    head = f'<link rel="canonical" href="{base}{path}">'
    return framed_page(
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
    return framed_page(
        base,
        articles,
        title=f"Page not found | {SITE_NAME}",
        main=main,
        body_class="error404",
    )
