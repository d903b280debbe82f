"""The demo site's article page: the text an extractor should keep (headline, byline, dates,
body, captions, tags, metadata and JSON-LD), wrapped in the boilerplate it should not.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from .content import DemoArticle, author_path, section_path, tag_path
from .theme import SITE_NAME, display_date, escaped, framed_page

# og:locale of the languages the demo site serves (en_US otherwise).
_LOCALES = {"ar": "ar_IQ", "ckb": "ckb_IQ"}


def _figure(base: str, src: str, caption: list[str], alt: str, attachment: int) -> str:
    caption_html = "<br>\n".join(escaped(line) for line in caption)
    return f"""<figure id="attachment_{attachment}" style="width: 800px" \
class="wp-caption aligncenter">
<img class="size-large wp-image-{attachment}" src="{base}{src}" alt="{escaped(alt)}" \
width="800" height="450">
<figcaption class="wp-caption-text">{caption_html}</figcaption>
</figure>"""


def _article_head(base: str, article: DemoArticle) -> str:
    url = base + article.path
    lines = [
        f'<meta name="description" content="{escaped(article.excerpt)}">',
        f'<link rel="canonical" href="{url}">',
        f'<meta property="og:locale" content="{_LOCALES.get(article.language, "en_US")}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:title" content="{escaped(article.title)}">',
        f'<meta property="og:description" content="{escaped(article.excerpt)}">',
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
    lines += [f'<meta property="article:tag" content="{escaped(tag)}">' for tag in article.tags]
    lines.append(f'<meta name="author" content="{escaped(article.author)}">')
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
        blocks.append(f"<p>{escaped(paragraph)}</p>")
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
        f'<li><a href="{base}{path}" rel="bookmark">{escaped(title)}</a></li>'
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
            f"{display_date(article.modified)}</time>"
        )
    tags = ", ".join(
        f'<a href="{base}{tag_path(tag)}" rel="tag">{escaped(tag)}</a>' for tag in article.tags
    )
    section_link = f'<a href="{base}{section_path(article.section)}">{article.section_name}</a>'
    main = f"""<nav class="breadcrumbs" aria-label="Breadcrumb">
<span><a href="{base}/">Home</a></span> &raquo; <span>{section_link}</span> &raquo; \
<span class="breadcrumb_last" aria-current="page">{escaped(article.title)}</span>
</nav>
<article id="post-{article.post_id}" class="post-{article.post_id} post type-post \
status-publish format-standard has-post-thumbnail hentry category-{article.section}">
<header class="entry-header">
<h1 class="entry-title">{escaped(article.title)}</h1>
<div class="entry-meta">
<span class="byline">By <span class="author vcard"><a class="url fn n" rel="author" \
href="{base}{author_path(article.author)}">{escaped(article.author)}</a></span></span>
<span class="posted-on"><time class="entry-date published" \
datetime="{published.isoformat()}">{display_date(published)}</time>{updated}</span>
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
    return framed_page(
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
