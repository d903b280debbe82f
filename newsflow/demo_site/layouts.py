"""The demo site's article layouts: `classic` (what the demo source's profile was written for)
and `redesign`, the same stories in renamed markup, as a site's new theme ships overnight.

`newsflow demo-site --layout redesign` (or ``start_demo_site(layout="redesign")``) serves it, so
the layout-drift alarm of the Airflow check can be seen firing on a real crawl.
"""

from __future__ import annotations

LAYOUTS = ("classic", "redesign")
# The article markup a redesign renames: body, headline, byline and date block, tags.
_REDESIGN = {
    'class="entry-content"': 'class="story__text"',
    'class="entry-title"': 'class="story__headline"',
    'class="entry-meta"': 'class="story__meta"',
    'class="entry-header"': 'class="story__header"',
    'class="tags-links"': 'class="story__topics"',
    'class="entry-date published"': 'class="story__date"',
}


def check_layout(layout: str) -> str:
    if layout not in LAYOUTS:
        raise ValueError(f"unknown demo layout {layout!r} (known: {', '.join(LAYOUTS)})")
    return layout


def article_markup(page: str, layout: str) -> str:
    """An article page as the given layout serves it."""
    if layout == "classic":
        return page
    for old, new in _REDESIGN.items():
        page = page.replace(old, new)
    return page
