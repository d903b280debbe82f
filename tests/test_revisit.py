"""An article edited after it was stored: the sitemap's <lastmod> says so, the next run fetches it
again and the load keeps the earlier text in `article_versions`; an unchanged one is not fetched."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from sqlalchemy import create_engine, select

from newsflow import pipeline
from newsflow.demo_site import DemoSite, load_articles
from newsflow.demo_site.server import DemoHTTPServer
from newsflow.settings import CrawlSettings, Settings
from newsflow.sources import load_registry, select_sources
from storage.schema import article_versions, articles
from tests.airflow_processes import free_port
from tests.conftest import write_registry


def serve(articles, port: int) -> DemoSite:
    return DemoSite(DemoHTTPServer(("127.0.0.1", port), articles), "127.0.0.1")


def test_an_article_edited_after_it_was_stored_is_fetched_again_and_versioned(tmp_path):
    port = free_port()
    site_articles = load_articles()
    registry = write_registry(tmp_path / "sources.yaml", f"http://127.0.0.1:{port}")
    settings = Settings(
        data_dir=tmp_path / "data", sources_file=registry, crawl=CrawlSettings(download_delay=0)
    )
    sources = select_sources(load_registry(registry), ["demo"])
    with serve(site_articles, port):
        pipeline.run(settings, sources)
    edited = dataclasses.replace(
        site_articles[3],
        title=site_articles[3].title + " (updated)",
        paragraphs=[*site_articles[3].paragraphs, "Officials later confirmed the figures."],
        modified=datetime.now(UTC),
    )
    site_articles[3] = edited
    with serve(site_articles, port):
        second = pipeline.run(settings, sources)
        third = pipeline.run(settings, sources)
    crawl = second.crawl[0]
    assert (crawl.revisited, crawl.fetched, crawl.skipped_seen) == (1, 1, len(site_articles) - 1)
    assert (second.load.updated, second.load.inserted) == (1, 0)
    # fetched again once: the next run has it as it is now
    assert (third.crawl[0].fetched, third.crawl[0].revisited) == (0, 0)
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        stored = conn.execute(
            select(articles.c.id, articles.c.title).where(
                articles.c.url == f"http://127.0.0.1:{port}{edited.path}"
            )
        ).all()
        kept = (
            conn.execute(
                select(article_versions.c.title).where(
                    article_versions.c.article_id == stored[0].id
                )
            )
            .scalars()
            .all()
        )
        total = conn.execute(select(articles.c.id)).all()
    engine.dispose()
    assert [row.title for row in stored] == [edited.title]
    assert kept == [edited.title.removesuffix(" (updated)")]
    assert len(total) == len(site_articles)
