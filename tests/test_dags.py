"""The DAGs under real Airflow: they import cleanly and fast, carry owner/retries/tags/docs, reject
bad params, and the demo source's DAG runs end to end with dag.test() (crawl, re-extract, an
anomaly that fails the run and reaches the webhook, and the asset-triggered report)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from newsflow.demo_site import load_articles as demo_articles
from storage import connect
from storage.schema import articles

ROOT = Path(__file__).resolve().parent.parent
DAGS = ROOT / "dags"


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """A migrated Airflow metadata database (SQLite) in the tests' own AIRFLOW_HOME."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        capture_output=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def dagbag(demo_registry):
    """The dags folder parsed against the test registry (env restored afterwards)."""
    from airflow.dag_processing.dagbag import DagBag

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEWSFLOW_SOURCES_FILE", str(demo_registry))
        yield DagBag(dag_folder=str(DAGS))


@pytest.fixture
def webhook():
    """A loopback HTTP server that records the JSON bodies posted to it."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def test_dagbag_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert {"newsflow_demo", "newsflow_manual", "newsflow_report"} <= set(dagbag.dags)
    # disabled sources get no DAG: they must not be contacted from this machine
    assert "newsflow_iraqinews" not in dagbag.dags
    for dag in dagbag.dags.values():
        assert dag.owner == "newsflow"
        assert dag.tags and dag.doc_md
        assert dag.catchup is False
        for t in dag.tasks:
            assert t.retries >= 1 and t.retry_exponential_backoff
            assert t.execution_timeout is not None
            assert t.on_failure_callback
    demo = dagbag.dags["newsflow_demo"]
    assert demo.timetable.expression == "0 2 * * *"
    assert str(demo.timetable.timezone) == "Asia/Baghdad"
    assert demo.get_task("crawl").pool == "newsflow_crawl"
    assert [a.name for a in demo.get_task("load").outlets] == ["articles"]
    assert "sources" in dagbag.dags["newsflow_manual"].params
    assert set(demo.params) == {"since", "until", "max_pages", "reextract", "dry_run"}


def test_parsing_the_dags_folder_is_fast_and_light(demo_registry):
    """Under 2 s, and none of the heavy libraries imported (the processor re-parses often)."""
    code = (
        "import sys, time\n"
        "import airflow.sdk\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        "t = time.perf_counter()\n"
        f"bag = DagBag(dag_folder={str(DAGS)!r})\n"
        "elapsed = time.perf_counter() - t\n"
        "heavy = [m for m in ('scrapy', 'spacy', 'trafilatura') if m in sys.modules]\n"
        "print('RESULT', elapsed, len(bag.dags), *heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "NEWSFLOW_SOURCES_FILE": str(demo_registry)},
    ).stdout
    result = [line for line in out.splitlines() if line.startswith("RESULT ")][-1].split()[1:]
    elapsed, dags, heavy = float(result[0]), int(result[1]), result[2:]
    assert dags == 3
    assert not heavy, f"heavy imports at parse time: {heavy}"
    assert elapsed < 2.0


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ({"max_pages": 0}, "max_pages"),
        ({"since": "yesterday"}, "since"),
        ({"dry_run": "yes"}, "dry_run"),
        ({"sources": ["nosuchsite"]}, "sources"),
    ],
)
def test_form_rejects_bad_params(dagbag, conf, message):
    from airflow.sdk.exceptions import ParamValidationError

    dag = dagbag.dags["newsflow_manual"]
    params = copy.deepcopy(dag.params)
    with pytest.raises(ParamValidationError, match=f"Invalid input for param {message}"):
        params.update(conf)
        params.validate()


def test_plan_rejects_what_the_schema_cannot(demo_registry):
    from newsflow.airflow_steps import ParamsError, resolve_plan
    from newsflow.sources import load_registry

    registry = load_registry(demo_registry)
    with pytest.raises(ParamsError, match="since .* must be before until"):
        resolve_plan({"since": "2026-05-02", "until": "2026-05-01"}, registry=registry)
    with pytest.raises(ParamsError, match="disabled"):
        resolve_plan({"sources": ["iraqinews"]}, registry=registry)
    with pytest.raises(ParamsError, match="reextract"):
        resolve_plan({"reextract": True, "max_pages": 5}, registry=registry)


def test_data_interval_is_the_crawl_window_for_scheduled_and_backfill_runs(demo_registry):
    from newsflow.airflow_steps import resolve_plan
    from newsflow.sources import load_registry

    registry = load_registry(demo_registry)
    start, end = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 2, tzinfo=UTC)
    for run_type in ("scheduled", "backfill"):
        plan = resolve_plan({}, registry=registry, run_type=run_type, interval=(start, end))
        assert (plan["since"], plan["until"]) == (start.isoformat(), end.isoformat())
        assert plan["window_from"] == "data interval"
    manual = resolve_plan({}, registry=registry, run_type="manual", interval=(start, end))
    assert manual["since"] is None and manual["until"] is None
    given = resolve_plan(
        {"since": "2026-04-01"}, registry=registry, run_type="scheduled", interval=(start, end)
    )
    assert given["since"].startswith("2026-04-01") and given["window_from"] == "params"


def test_anomaly_checks():
    from newsflow.airflow_steps import find_anomalies
    from newsflow.settings import AirflowSettings

    cfg = AirflowSettings()
    history = [{"discovered": 40, "flag_rate": 0.05}] * 5
    ok = {"source": "x", "discovered": 38, "fetched": 10}
    assert find_anomalies(ok, {"pages": 10, "failed": 0, "flagged": 1}, history, cfg) == []
    # blocked, as the crawl report says or as HTTP 403/429 answers show
    assert "blocked" in find_anomalies({**ok, "status": "blocked"}, None, history, cfg)[0]
    refused = {**ok, "fetched": 0, "status_counts": {"403": 12}}
    assert "refused 12" in find_anomalies(refused, None, history, cfg)[0]
    few = find_anomalies({**ok, "discovered": 5}, None, history, cfg)
    assert few and "far fewer articles: 5 listed, usually 40" in few[0]
    flags = find_anomalies(ok, {"pages": 10, "failed": 3, "flagged": 4}, history, cfg)
    assert flags and "quality flags jumped: 70%" in flags[0]
    # too little history: no judgement on counts or flags yet
    assert find_anomalies({**ok, "discovered": 1}, None, history[:2], cfg) == []


def test_run_note_reads_like_a_sentence():
    from newsflow.airflow_steps import run_note

    summary = {
        "sources": ["demo"],
        "crawl": [{"source": "demo", "fetched": 21, "discovered": 24, "blocked": 0}],
        "extract": {"articles": 20, "pages": 21, "failed": 1},
        "load": {"stored": 20, "inserted": 20, "updated": 0, "unchanged": 0},
    }
    note = run_note(summary, {}, "fail")
    assert note.splitlines()[0] == "demo: 21 fetched, 20 new, 0 blocked"
    marked = run_note(summary, {"demo": ["blocked: the site refused 3 requests"]}, "mark")
    assert marked.startswith("anomaly marked, run kept green: demo")
    assert "- demo: blocked" in marked
    blocked = {"source": "demo", "fetched": 0, "blocked": 12, "status": "blocked"}
    assert run_note({**summary, "crawl": [blocked]}, {}, "fail").startswith(
        "demo: 0 fetched, 20 new, 12 blocked -- BLOCKED"
    )


def test_failure_callback_logs_and_posts_to_webhook(webhook, monkeypatch, caplog):
    from types import SimpleNamespace

    from newsflow.airflow_steps import on_task_failure

    url, received = webhook
    monkeypatch.setenv("NEWSFLOW_AIRFLOW__WEBHOOK_URL", url)
    context = {
        "dag": SimpleNamespace(dag_id="newsflow_demo", tags=["newsflow", "source:demo"]),
        "task_instance": SimpleNamespace(task_id="crawl", try_number=3),
        "run_id": "scheduled__x",
        "exception": RuntimeError("crawl of demo failed (exit 1)"),
    }
    with caplog.at_level("ERROR"):
        on_task_failure(context)
    assert "source(s) demo, task crawl" in caplog.text
    assert received == [
        {
            "event": "newsflow task failed",
            "dag_id": "newsflow_demo",
            "run_id": "scheduled__x",
            "task_id": "crawl",
            "try_number": 3,
            "sources": ["demo"],
            "reason": "crawl of demo failed (exit 1)",
        }
    ]
    # an unreachable webhook is logged, never raised
    monkeypatch.setenv("NEWSFLOW_AIRFLOW__WEBHOOK_URL", "http://127.0.0.1:9/none")
    on_task_failure(context)


def _xcom(run, task_id):
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.scalars(
            select(XComModel).where(
                XComModel.dag_id == run.dag_id,
                XComModel.run_id == run.run_id,
                XComModel.task_id == task_id,
                XComModel.key == "return_value",
            )
        ).first()
        return None if row is None else XComModel.deserialize_value(row)


def test_demo_dag_runs_end_to_end(
    airflow_db, dagbag, tmp_path, demo_registry, monkeypatch, webhook
):
    data_dir = tmp_path / "data"
    monkeypatch.setenv("NEWSFLOW_SOURCES_FILE", str(demo_registry))
    monkeypatch.setenv("NEWSFLOW_DATA_DIR", str(data_dir))
    monkeypatch.setenv("NEWSFLOW_CRAWL__DOWNLOAD_DELAY", "0")
    dag = dagbag.dags["newsflow_demo"]

    run = dag.test()
    assert run.state == "success"
    engine = connect(f"sqlite:///{data_dir / 'newsflow.db'}")
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(articles)).scalar_one()
    assert stored == len(demo_articles())
    check = _xcom(run, "check")
    first_line = check["note"].splitlines()[0]
    assert first_line.startswith(f"demo: {stored} fetched, {stored} new, 0 blocked")
    assert _xcom(run, "load")["load"]["inserted"] == stored

    # re-extract from the archive only: nothing fetched, everything unchanged
    again = dag.test(run_conf={"reextract": True})
    assert again.state == "success"
    load = _xcom(again, "load")
    assert load["crawl"] == [] and load["load"]["inserted"] == 0
    assert load["load"]["unchanged"] == stored

    # a dry run stores nothing and says so
    dry = dag.test(run_conf={"reextract": True, "dry_run": True})
    assert dry.state == "success" and _xcom(dry, "load")["load"] is None
    assert "dry run: nothing stored" in _xcom(dry, "check")["note"]

    # the asset-triggered report summarises the day per source
    report_run = dagbag.dags["newsflow_report"].test()
    assert report_run.state == "success"
    report = json.loads(Path(_xcom(report_run, "report")["file"]).read_text())
    assert report["total"] == {"demo": stored} and report["new_today"] == {"demo": stored}

    # a source listing far fewer articles than its recent runs fails loudly, webhook told
    url, received = webhook
    monkeypatch.setenv("NEWSFLOW_AIRFLOW__WEBHOOK_URL", url)
    history = data_dir / "airflow" / "history" / "demo.jsonl"
    history.write_text(
        "".join(json.dumps({"discovered": 100 * stored, "flag_rate": 0}) + "\n" for _ in range(3))
    )
    failed = dag.test(run_conf={"reextract": False, "dry_run": False})
    assert failed.state == "failed"
    states = {ti.task_id: ti.state for ti in failed.get_task_instances()}
    assert states == dict(crawl="success", extract="success", load="success", check="failed")
    assert [(p["task_id"], p["sources"]) for p in received] == [("check", ["demo"])]
    assert "far fewer articles" in received[0]["reason"]
