"""Backfill from Common Crawl News on a local CC-NEWS-shaped mirror (tests/ccnews_mirror.py):
listing, streaming with warcio, host matching, the extract and load steps, per-file state and
resuming, the CLI on a local folder and the DAG (dag.test()) over HTTP on 127.0.0.1."""

from __future__ import annotations

import gzip
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from ccnews import HostMatcher, LocationError, Month, host_key, list_month, month_range
from ccnews.locations import _resolve
from extraction.record import Article
from newsflow.cli import main
from storage import connect, load_articles, open_database
from storage.archive import ArchiveError
from storage.ccnews_state import file_states
from storage.schema import article_versions, articles
from storage.warc_reader import ScanCounts, read_stream
from tests.ccnews_mirror import DEMO, DEMO_ALIAS, FILES, serve_mirror, write_mirror
from tests.conftest import write_registry


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    return write_mirror(tmp_path_factory.mktemp("ccnews"))


@pytest.fixture
def registry(tmp_path):
    return write_registry(tmp_path / "sources.yaml", DEMO, hosts=["anbar-daily.example"])


def test_hosts_and_months():
    assert host_key("https://www.Example.org/news/") == "example.org"
    assert host_key("http://127.0.0.1:8765/2018/") == "127.0.0.1:8765"
    assert host_key("https://example.org:443/") == host_key("example.org")
    match = HostMatcher({DEMO + "/": "demo", "anbar-daily.example": "demo"})
    assert match(f"{DEMO}/2018/x/", 200, "text/html; charset=utf-8") == "demo"
    assert match(f"{DEMO_ALIAS}/2018/x/", 200, "application/xhtml+xml") == "demo"
    assert match(f"{DEMO}/logo.png", 200, "image/png") is None
    assert match(f"{DEMO}/old/", 301, "text/html") is None
    assert match("http://127.0.0.1:9999/2018/x/", 200, "text/html") is None
    assert [str(m) for m in month_range(Month.parse("2023-11"), Month.parse("2024-02"))] == [
        "2023-11",
        "2023-12",
        "2024-01",
        "2024-02",
    ]
    with pytest.raises(ValueError, match="not a month"):
        Month.parse("2023-13")
    with pytest.raises(ValueError, match="before"):
        month_range(Month.parse("2023-02"), Month.parse("2023-01"))
    # Common Crawl's bucket is read over its public HTTPS endpoint
    assert _resolve("s3://commoncrawl/") == "https://data.commoncrawl.org/"


def test_listing_and_streaming_one_pass(mirror):
    assert list_month(str(mirror.root), Month(2023, 1)) == FILES
    with pytest.raises(LocationError, match="paths index"):
        list_month(str(mirror.root), Month(2023, 2))
    match = HostMatcher({DEMO: "demo", "anbar-daily.example": "demo"})
    counts = ScanCounts()
    with open(mirror.root / FILES[0], "rb") as stream:
        pages = list(read_stream(stream, FILES[0], assign=match, counts=counts))
    assert {p.url for p in pages} <= mirror.expected and len(pages) == 6
    assert {p.source for p in pages} == {"demo"}
    assert counts.responses == 13 and counts.records == 1 + 2 * 13 and counts.kept == 6
    offsets = [p.offset for p in pages]
    assert offsets == sorted(offsets) and offsets[0] > 0 and pages[0].warc_file == FILES[0]
    # the record at that offset is the page's own response
    from warcio.archiveiterator import ArchiveIterator

    with open(mirror.root / FILES[0], "rb") as stream:
        stream.seek(pages[2].offset)
        record = next(iter(ArchiveIterator(stream)))
        assert record.rec_headers.get_header("WARC-Target-URI") == pages[2].url
    # the cut file yields what precedes the damage, then says it is truncated
    got = []
    with pytest.raises(ArchiveError, match="truncated"), open(mirror.root / FILES[1], "rb") as s:
        for page in read_stream(s, FILES[1], assign=match):
            got.append(page.url)
    assert len(got) == 3 and mirror.lost not in got


def test_a_paths_index_cannot_point_outside_the_layout(tmp_path):
    folder = tmp_path / "crawl-data/CC-NEWS/2023/03"
    folder.mkdir(parents=True)
    with gzip.open(folder / "warc.paths.gz", "wt") as index:
        index.write("crawl-data/CC-NEWS/2023/03/a.warc.gz\ncrawl-data/../../etc/passwd\n")
    with pytest.raises(LocationError, match="bad path 'crawl-data/../../etc/passwd'"):
        list_month(str(tmp_path), Month(2023, 3))


def _stored(url: str) -> dict:
    engine = connect(url)
    with engine.connect() as conn:
        rows = conn.execute(select(articles)).mappings().all()
    engine.dispose()
    return {row["url"]: dict(row) for row in rows}


def test_cli_backfill_from_a_local_folder_resumes_and_keeps_stored(
    mirror, registry, tmp_path, capsys
):
    data = tmp_path / "data"
    database = f"sqlite:///{data / 'newsflow.db'}"
    data.mkdir()
    # an article stored by a nightly crawl before the backfill stays as it is
    kept_url = sorted(mirror.expected)[0]
    nightly = Article(
        url=kept_url,
        source="demo",
        title="Nightly title",
        text="The nightly crawl's text of this story, longer than a teaser. " * 5,
        fetched_at=datetime(2024, 1, 1, tzinfo=UTC),
        origin="crawl",
    )
    with open_database(database) as engine:
        load_articles(engine, [nightly], [])
    args = ["backfill", "--ccnews", "--sources", str(registry), "--only", "demo"]
    args += ["--since", "2023-01", "--base", str(mirror.root), "--data-dir", str(data)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "2 WARC files to read" in out and f"{FILES[1]}:" in out and "NOT FINISHED" in out
    # the nightly one, and the second file's copy of a page the first file held
    assert f"stored {len(mirror.expected) - 1} new articles, 2 already stored" in out

    stored = _stored(database)
    assert set(stored) == mirror.expected and mirror.lost not in stored
    assert {row["source"] for row in stored.values()} == {"demo"}
    assert stored[kept_url]["title"] == "Nightly title" and stored[kept_url]["origin"] == "crawl"
    backfilled = [row for url, row in stored.items() if url != kept_url]
    assert {row["origin"] for row in backfilled} == {"ccnews"}
    assert {row["warc_file"] for row in backfilled} == set(FILES)
    assert all(row["warc_offset"] > 0 for row in backfilled)
    with open_database(database) as engine:
        states = {row["path"]: row for row in file_states(engine, "demo")}
    assert states[FILES[0]]["status"] == "done" and states[FILES[1]]["status"] == "failed"
    assert "truncated" in states[FILES[1]]["error"]

    # again: only the unfinished file is read, nothing is stored twice
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "1 WARC files to read" in out and "stored 0 new articles, 3 already stored" in out
    assert set(_stored(database)) == mirror.expected
    with pytest.raises(SystemExit) as refused:
        main([*args, "--max-files", "0"])
    assert refused.value.code == 2
    assert "argument --max-files: must be 1 or more, not 0" in capsys.readouterr().err

    # a later nightly crawl of a backfilled URL updates it normally
    url = next(row["url"] for row in backfilled)
    newer = Article(
        url=url,
        source="demo",
        title="Edited title",
        text="The story as the site shows it tonight, after an edit. " * 5,
        fetched_at=datetime(2026, 12, 1, tzinfo=UTC),
        origin="crawl",
        warc_file="data/warc/demo/r.warc.gz",
        warc_offset=7,
    )
    with open_database(database) as engine:
        assert load_articles(engine, [newer], []).updated == 1
        with engine.connect() as conn:
            assert conn.execute(select(article_versions.c.title)).scalars().all() == [
                stored[url]["title"]
            ]
    row = _stored(database)[url]
    assert (row["title"], row["origin"], row["warc_offset"]) == ("Edited title", "crawl", 7)


def test_cli_refuses_bad_input(mirror, registry, tmp_path, capsys):
    base = ["backfill", "--ccnews", "--sources", str(registry), "--data-dir", str(tmp_path)]
    assert main([*base, "--only", "nope", "--since", "2023-01"]) == 2
    assert "unknown source nope; known: demo" in capsys.readouterr().err
    missing = ["--base", str(tmp_path / "nothing"), "--only", "demo", "--since", "2023-01"]
    assert main([*base, *missing]) == 2
    assert "paths index crawl-data/CC-NEWS/2023/01/warc.paths.gz" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*base, "--only", "demo", "--since", "2023-1x"])


@pytest.fixture(scope="module")
def airflow_db() -> None:
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        capture_output=True,
        timeout=600,
    )


def _xcom(run, task_id, map_index=-1):
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.scalars(
            select(XComModel).where(
                XComModel.dag_id == run.dag_id,
                XComModel.run_id == run.run_id,
                XComModel.task_id == task_id,
                XComModel.key == "return_value",
            )
        ).all()
        return [XComModel.deserialize_value(row) for row in rows]


def test_backfill_dag_maps_one_task_per_file_over_http(
    airflow_db, mirror, registry, tmp_path, monkeypatch
):
    from airflow.dag_processing.dagbag import DagBag

    data = tmp_path / "data"
    monkeypatch.setenv("NEWSFLOW_SOURCES_FILE", str(registry))
    monkeypatch.setenv("NEWSFLOW_DATA_DIR", str(data))
    bag = DagBag(dag_folder=str(__import__("pathlib").Path(__file__).parent.parent / "dags"))
    assert not bag.import_errors
    dag = bag.dags["newsflow_backfill_ccnews"]
    assert dag.get_task("scan").pool == "newsflow_ccnews"
    with serve_mirror(mirror.root) as url:
        run = dag.test(run_conf={"sources": ["demo"], "since": "2023-01", "base": url})
    assert run.state == "success"
    states = {ti.map_index: ti.state for ti in run.get_task_instances() if ti.task_id == "scan"}
    assert states == {0: "success", 1: "success"}
    (report,) = _xcom(run, "load")
    assert list(report["failed_files"]) == [FILES[1]]
    assert report["inserted"] == len(mirror.expected)
    stored = _stored(f"sqlite:///{data / 'newsflow.db'}")
    assert set(stored) == mirror.expected
    assert {(row["source"], row["origin"]) for row in stored.values()} == {("demo", "ccnews")}


def test_nightly_records_say_which_archive_and_offset_too(settings):
    from newsflow import pipeline
    from newsflow.pipeline.loading import read_articles
    from storage.archive import WarcArchive
    from storage.warc_reader import read_pages
    from tests.ccnews_mirror import _page

    archive = WarcArchive(settings.warc_dir / "demo" / "night.warc.gz")
    url, body = _page(DEMO, 3)
    archive.write(
        url=url,
        status=200,
        reason="OK",
        headers=[("Content-Type", "text/html; charset=utf-8")],
        body=body,
        fetched_at=datetime(2026, 12, 1, tzinfo=UTC),
        source="demo",
    )
    path = archive.close()
    (page,) = read_pages(path)
    report = pipeline.extract(settings, [str(path)], run_id="night", sources=None, dry_run=True)
    (record,) = read_articles(report.output)
    assert record.ok and record.origin == "crawl"
    assert (record.warc_file, record.warc_offset) == (str(path), page.offset)
    assert page.offset > 0  # after the warcinfo record
