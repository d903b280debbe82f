"""End to end on the bundled demo site: real Scrapy crawl, trafilatura, spaCy and SQLite."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy import func, select

from newsflow import cli, pipeline
from newsflow.demo_site import load_articles as demo_articles
from newsflow.sources import load_registry, select_sources
from storage import connect
from storage.schema import articles, entities

ANBAR_TITLE = "UPDATED: Iraqi forces kill 12 IS militants during clashes west of Anbar"
BOILERPLATE = [
    "Leave a Reply",
    "Your email address will not be published",
    "Required fields are marked",
    "Iraqi government forces are seen near the Falahat village",
    "AFP PHOTO / MOADH AL-DULAIMI",
    "The city of Annah, Anbar, Iraq.",
    "Unidentified airstrike leaves four civilians killed",
    "Iraqi army dismantles 97 IEDs in liberated areas in Anbar",
    "Share on Facebook",
]


def _counts(settings) -> tuple[int, int]:
    engine = connect(settings.database_url)
    with engine.connect() as conn:
        n_articles = conn.execute(select(func.count()).select_from(articles)).scalar_one()
        n_entities = conn.execute(select(func.count()).select_from(entities)).scalar_one()
    engine.dispose()
    return n_articles, n_entities


@pytest.fixture
def first_run(settings):
    sources = select_sources(load_registry(settings.sources_file))
    summary = pipeline.run(settings, sources, run_id="first")
    return settings, sources, summary


def test_run_stores_every_demo_article(first_run):
    settings, _, summary = first_run
    expected = demo_articles()
    assert len(expected) >= 20
    assert summary.load.inserted == len(expected)
    engine = connect(settings.database_url)
    with engine.connect() as conn:
        stored = {row.title for row in conn.execute(select(articles.c.title))}
    assert stored == {a.title for a in expected}


def test_anbar_article_is_clean_and_enriched(first_run):
    settings, _, _ = first_run
    truth = next(a for a in demo_articles() if a.title == ANBAR_TITLE)
    engine = connect(settings.database_url)
    with engine.connect() as conn:
        row = conn.execute(select(articles).where(articles.c.title == ANBAR_TITLE)).one()
        found = {
            (e.label, e.text)
            for e in conn.execute(select(entities).where(entities.c.article_id == row.id))
        }
    for paragraph in truth.paragraphs:
        assert paragraph in row.text
    for phrase in BOILERPLATE:
        assert phrase not in row.text, phrase
    assert row.published.date() == date(2017, 7, 31)
    for place in ["Anbar", "Annah", "Ramadi", "Rawa", "Qaim"]:
        assert ("GPE", place) in found, place
    assert ("ORG", "Islamic State") in found
    assert ("NORP", "Islamic") not in found


ARABIC_ANNAH = "مقتل 12 مسلحاً من داعش في اشتباكات غرب الأنبار"
ARABIC_HIT = "إعادة افتتاح جسر يربط هيت بالرمادي بعد ترميمه"  # served in windows-1256
SORANI_ERBIL = "هەولێر پێشوازی لە ئاوارەکانی ئەنبار دەکات"


def test_arabic_and_kurdish_articles_get_gazetteer_entities(first_run):
    settings, _, _ = first_run
    engine = connect(settings.database_url)
    with engine.connect() as conn:
        stored = {
            row.title: row
            for row in conn.execute(
                select(articles).where(
                    articles.c.title.in_([ARABIC_ANNAH, ARABIC_HIT, SORANI_ERBIL])
                )
            )
        }
        found = {
            title: {
                (e.text, e.entity_id)
                for e in conn.execute(select(entities).where(entities.c.article_id == row.id))
            }
            for title, row in stored.items()
        }
    engine.dispose()
    truth = {a.title: a for a in demo_articles()}
    for title, row in stored.items():
        assert all(paragraph in row.text for paragraph in truth[title].paragraphs), title
    assert (stored[ARABIC_ANNAH].language, stored[ARABIC_HIT].language) == ("ar", "ar")
    assert stored[SORANI_ERBIL].language == "ckb"
    assert {
        ("عانة", "iq.anah"),
        ("الأنبار", "iq.anbar"),
        ("للأنبار", "iq.anbar"),
        ("راوة", "iq.rawa"),
        ("القائم", "iq.qaim"),
        ("داعش", "iq.islamic-state"),
        ("بغداد", "iq.baghdad"),
    } <= found[ARABIC_ANNAH]
    assert found[ARABIC_HIT] == {
        ("الأنبار", "iq.anbar"),
        ("هيت", "iq.hit"),
        ("الرمادي", "iq.ramadi"),
        ("داعش", "iq.islamic-state"),
        ("الفلوجة", "iq.fallujah"),
        ("قضاء حديثة", "iq.haditha"),
    }
    assert {("ئەنبار", "iq.anbar"), ("هەولێر", "iq.erbil"), ("عانە", "iq.anah")} <= found[
        SORANI_ERBIL
    ]


def test_search_by_entity_finds_every_language(first_run, capsys):
    settings, _, _ = first_run
    args = ["--database-url", settings.database_url, "--sources", str(settings.sources_file)]
    assert cli.main(["search", "--entity", "GPE:Anbar", "--limit", "100", *args]) == 0
    out = capsys.readouterr().out
    for title in (ANBAR_TITLE, ARABIC_ANNAH, ARABIC_HIT, SORANI_ERBIL):
        assert title in out, title
    assert cli.main(["search", "--entity", "GPE:عانة", "--limit", "100", *args]) == 0
    out = capsys.readouterr().out
    assert ANBAR_TITLE in out and ARABIC_ANNAH in out and SORANI_ERBIL in out
    assert ARABIC_HIT not in out
    assert cli.main(["search", "عانة", *args]) == 0  # full text: as written only
    out = capsys.readouterr().out
    assert ARABIC_ANNAH in out and "1 article(s)" in out
    assert cli.main(["stats", "--entities", "5", *args]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[1:]}
    anbar = rows["iq.anbar"]
    assert anbar[1] == "GPE" and int(anbar[2]) >= 4
    assert "الأنبار" in anbar and "ئەنبار" in anbar


def test_second_run_fetches_nothing_and_adds_no_rows(first_run):
    settings, sources, _ = first_run
    before = _counts(settings)
    again = pipeline.run(settings, sources, run_id="second")
    assert _counts(settings) == before
    assert again.crawl[0].fetched == 0
    assert again.crawl[0].skipped_seen == len(demo_articles())


def test_reloading_the_same_extract_adds_no_rows(first_run):
    settings, sources, summary = first_run
    before = _counts(settings)
    report = pipeline.load(settings, summary.extract.output, sources)
    assert report.inserted == 0 and report.unchanged == summary.load.inserted
    assert _counts(settings) == before


def _newsflow_run(*args: str, cwd=None, **env: str) -> subprocess.CompletedProcess:
    """`newsflow run ARGS` in a process of its own, politeness off (plus `env`)."""
    return subprocess.run(
        [sys.executable, "-m", "newsflow.cli", "run", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={**os.environ, "NEWSFLOW_CRAWL__DOWNLOAD_DELAY": "0", **env},
    )


def test_cli_run_prints_a_summary(tmp_path, demo_registry):
    """Run from another folder with a relative data folder, which means that folder's (the
    crawl child, which runs in the project's folder, is handed the absolute path)."""
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    result = _newsflow_run(
        "--sources", str(demo_registry), "--database-url", database, "--data-dir", "data",
        "--max-pages", "3", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "demo:" in result.stdout
    assert "stored 3 articles: 3 new" in result.stdout
    assert list((tmp_path / "data" / "warc" / "demo").glob("*.warc.gz"))


def test_cli_reports_a_bad_database_url_clearly(tmp_path, demo_registry):
    database = "postgresql://newsflow:secret@127.0.0.1:1/none"
    result = _newsflow_run(
        "--sources", str(demo_registry), "--database-url", database,
        "--data-dir", str(tmp_path / "data"),
    )  # fmt: skip
    assert result.returncode == 2
    assert "127.0.0.1:1" in result.stderr and "secret" not in result.stderr


def test_cli_run_exits_3_when_a_site_does_not_answer(tmp_path):
    """A night that reached nothing of a source's site is not a success for cron: exit 3 with
    the same words the Airflow crawl task fails with, after the summary; nothing is stored."""
    import socket

    from tests.conftest import write_registry

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: connection refused
    registry = write_registry(tmp_path / "sources.yaml", f"http://127.0.0.1:{port}")
    data_dir = tmp_path / "data"
    result = _newsflow_run(
        "--sources", str(registry), "--data-dir", str(data_dir), "--only", "demo",
        NEWSFLOW_CRAWL__RETRY_TIMES="0",
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "newsflow: error: demo: site unreachable: connection refused" in result.stderr
    assert "demo: 0 discovered, 0 fetched" in result.stdout
    engine = connect(f"sqlite:///{data_dir / 'newsflow.db'}")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(articles)).scalar() == 0
    engine.dispose()
