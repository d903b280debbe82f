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
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from newsflow.airflow.anomalies import history
from newsflow.airflow.health import source_health
from newsflow.airflow.notes import crawl_line
from newsflow.demo_site import load_articles as demo_articles
from newsflow.pipeline import safe_run_id
from newsflow.settings import AirflowSettings, load_settings
from storage import connect, open_database
from storage.runs import record_run
from storage.schema import articles
from tests.airflow_processes import Webhook

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
    hook = Webhook(0)
    try:
        yield hook.url, hook.posts
    finally:
        hook.shutdown()
        hook.server_close()


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


def test_parsing_the_dags_folder_is_light(demo_registry):
    """None of the heavy libraries imported: the DAG processor re-parses the folder often. (Its
    time is not asserted: a wall-clock limit fails on a loaded machine and passes on a fast one.)"""
    code = (
        "import sys\n"
        "import airflow.sdk\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(DAGS)!r})\n"
        "heavy = [m for m in ('scrapy', 'spacy', 'trafilatura', 'alembic')\n"
        "         if m in sys.modules]\n"
        "print('RESULT', len(bag.dags), *heavy)\n"
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
    dags, heavy = int(result[0]), result[1:]
    assert dags == 4  # the sources (demo), manual, report, backfill_ccnews
    assert not heavy, f"heavy imports at parse time: {heavy}"


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
    from newsflow.airflow.params import ParamsError, resolve_plan
    from newsflow.sources import load_registry

    registry = load_registry(demo_registry)
    with pytest.raises(ParamsError, match="since .* must be before until"):
        resolve_plan({"since": "2026-05-02", "until": "2026-05-01"}, registry=registry)
    with pytest.raises(ParamsError, match="disabled"):
        resolve_plan({"sources": ["iraqinews"]}, registry=registry)
    with pytest.raises(ParamsError, match="reextract"):
        resolve_plan({"reextract": True, "max_pages": 5}, registry=registry)
    # reextract reads whole archives: a window it would ignore is refused, not dropped silently
    with pytest.raises(ParamsError, match="since/until .* reextract"):
        resolve_plan({"reextract": True, "since": "2026-05-01"}, registry=registry)
    with pytest.raises(ParamsError, match="since/until .* reextract"):
        resolve_plan({"reextract": True, "until": "2026-05-01"}, registry=registry)
    interval = (datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 2, tzinfo=UTC))
    backfill = resolve_plan(
        {"reextract": True}, registry=registry, run_type="backfill", interval=interval
    )
    assert not backfill.window and backfill.window_from is None


def test_data_interval_is_the_crawl_window_for_scheduled_and_backfill_runs(demo_registry):
    from newsflow.airflow.params import resolve_plan
    from newsflow.sources import load_registry

    registry = load_registry(demo_registry)
    start, end = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 2, tzinfo=UTC)
    for run_type in ("scheduled", "backfill"):
        plan = resolve_plan({}, registry=registry, run_type=run_type, interval=(start, end))
        assert (plan.window.since, plan.window.until) == (start, end)
        assert plan.window_from == "data interval"
    # the window opens earlier by the configured lookback (articles listed late)
    day = timedelta(hours=24)
    late = resolve_plan(
        {}, registry=registry, run_type="scheduled", interval=(start, end), lookback=day
    )
    assert (late.window.since, late.window.until) == (start - day, end)
    manual = resolve_plan({}, registry=registry, run_type="manual", interval=(start, end))
    assert manual.window.since is None and manual.window.until is None
    given = resolve_plan(
        {"since": "2026-04-01"}, registry=registry, run_type="scheduled", interval=(start, end)
    )
    assert given.window.since.isoformat().startswith("2026-04-01")
    assert given.window_from == "params"
    # a date from the form is that day where the source is
    from newsflow.sources import Source

    baghdad = [Source(name="b", url="https://b.example/", timezone="Asia/Baghdad")]
    local = resolve_plan({"since": "2026-04-01", "until": "2026-04-02"}, registry=baghdad)
    assert (local.window.since.isoformat(), local.window.until.isoformat()) == (
        "2026-04-01T00:00:00+03:00",
        "2026-04-02T00:00:00+03:00",
    )


def test_anomaly_checks():
    from newsflow.airflow.anomalies import find_anomalies

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
    # listings that answered 304 Not Modified were not read again: not "fewer articles"; one
    # unchanged listing beside a read one that lists few is still judged
    assert find_anomalies({**ok, "discovered": 0, "not_modified": 2}, None, history, cfg) == []
    assert find_anomalies({**ok, "discovered": 5, "not_modified": 1}, None, history, cfg)
    flags = find_anomalies(ok, {"pages": 10, "failed": 3, "flagged": 4}, history, cfg)
    assert flags and "quality flags jumped: 70%" in flags[0]
    # too little history: no judgement on counts or flags yet
    assert find_anomalies({**ok, "discovered": 1}, None, history[:2], cfg) == []
    # a crawl that failed completely (any status but ok) is an anomaly, with or without history
    failed = {**ok, "fetched": 0, "in_window": 30, "status": "failed", "errors": {"dns": 30}}
    assert find_anomalies(failed, None, [], cfg) == [
        "crawl failed: 0 fetched, 30 errors (30 articles in the window)"
    ]
    assert find_anomalies({**ok, "status": "partial"}, None, [], cfg)[0].startswith("crawl partial")
    # one feed refused while the sitemap works, on a night with nothing new: in the note only
    quiet = {**ok, "fetched": 0, "blocked": 1, "listings": 2, "listings_blocked": 1}
    assert find_anomalies(quiet, None, history, cfg) == []
    assert "refused 3" in find_anomalies({**quiet, "blocked": 3}, None, history, cfg)[0]


def test_failed_crawl_fails_check_or_is_marked(tmp_path, monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    from newsflow.airflow.tasks import check_step

    monkeypatch.setenv("NEWSFLOW_DATA_DIR", str(tmp_path / "data"))
    crawl = {"source": "demo", "fetched": 0, "in_window": 3, "status": "failed", "errors": {"x": 3}}
    summary = {"run_id": "r", "sources": ["demo"], "crawl": [crawl], "extract": {}, "load": None}
    with pytest.raises(AirflowFailException, match="demo: crawl failed"):
        check_step(summary)
    monkeypatch.setenv("NEWSFLOW_AIRFLOW__ANOMALY_ACTION", "mark")
    marked = check_step(summary)
    assert list(marked["anomalies"]) == ["demo"]
    assert marked["anomalies"]["demo"][0].startswith("crawl failed: 0 fetched, 3 errors")
    assert marked["note"].startswith("anomaly marked, run kept green: demo")
    # a failed run is not history the next runs are compared with
    with open_database(load_settings().database_url) as engine:
        assert history(engine, "demo", AirflowSettings(), "later") == []


def test_run_note_reads_like_a_sentence():
    from newsflow.airflow.notes import run_note

    summary = {
        "sources": ["demo"],
        "crawl": [{"source": "demo", "fetched": 21, "discovered": 24, "blocked": 0}],
        "extract": {"articles": 20, "pages": 21, "failed": 1},
        "load": {
            "stored": 20,
            "inserted": 20,
            "updated": 0,
            "unchanged": 0,
            "by_source": {"demo": {"articles": 20, "new": 20}},
        },
    }
    note = run_note(summary, {}, "fail")
    assert (
        note.splitlines()[0] == "demo: 21 fetched, 20 new, 0 blocked, 24 listed, 0 already stored"
    )
    # Markdown: a blank line after the headline, then one list item per line
    assert note.splitlines()[1] == ""
    assert all(line.startswith("- ") for line in note.splitlines()[2:])
    # several sources: each item has its own count of new articles
    two = {
        **summary,
        "crawl": [{"source": "demo", "fetched": 21}, {"source": "other", "fetched": 3}],
        "load": {**summary["load"], "by_source": {"demo": {"new": 18}, "other": {"new": 2}}},
    }
    assert run_note(two, {}, "fail").splitlines()[:4] == [
        "2 sources: 20 new articles",
        "",
        "- demo: 21 fetched, 18 new, 0 blocked, 0 listed, 0 already stored",
        "- other: 3 fetched, 2 new, 0 blocked, 0 listed, 0 already stored",
    ]
    marked = run_note(summary, {"demo": ["blocked: the site refused 3 requests"]}, "mark")
    assert marked.startswith("anomaly marked, run kept green: demo (blocked: the site refused 3")
    assert "- demo: blocked" in marked
    blocked = {"source": "demo", "fetched": 0, "blocked": 12, "status": "blocked"}
    assert run_note({**summary, "crawl": [blocked]}, {}, "fail").startswith(
        "demo: 0 fetched, 20 new, 12 blocked, 0 listed, 0 already stored -- BLOCKED "
        "(blocked: the site refused 12 requests (401/403/451))"
    )


def test_site_down_is_not_called_blocked():
    """The demo site stopped: robots.txt got `connection refused`, nothing was fetched. The
    report, the anomaly and the note say the site is unreachable, never "blocked"."""
    from newsflow.airflow.anomalies import find_anomaly_kinds
    from newsflow.airflow.notes import run_note
    from newsflow.pipeline import CrawlReport
    from newsflow.settings import AirflowSettings

    raw = {
        "source": "demo",
        "robots_unreachable": 1,
        "robots_failure": "connection",
        "listings": 4,
        "listings_failed": 4,
        "errors": {"feed_robots_unreachable": 2, "sitemap_robots_unreachable": 2},
    }
    report = CrawlReport.from_dict({"blocked": 0, **raw})
    assert report.judge() == "site_down"
    report.status = report.judge()
    assert report.is_down() and not report.is_blocked()
    assert report.explain() == "site unreachable: connection refused or dropped; nothing fetched"
    found = find_anomaly_kinds(report.to_dict(), None, [], AirflowSettings())
    assert [a.kind for a in found] == ["site_down"]
    summary = {"sources": ["demo"], "crawl": [report.to_dict()], "extract": {}, "load": None}
    note = run_note(summary, {"demo": [found[0].reason]}, "fail")
    assert note.splitlines()[0] == (
        "ANOMALY, run failed: demo (site unreachable: connection refused or dropped; "
        "nothing fetched)"
    )
    assert "blocked" not in note.replace("0 blocked", "")
    assert "disallowed by robots.txt" not in note  # no rule said no: robots.txt never answered
    # DNS and timeouts of every listing (robots.txt answered) read the same way
    dns = CrawlReport.from_dict(
        {"source": "x", "listings": 2, "listings_failed": 2, "errors": {"feed_dns_error": 2}}
    )
    assert dns.judge() == "site_down"
    # robots.txt answering 503 while the site is up is its own outcome
    robots = CrawlReport.from_dict(
        {"source": "x", "robots_unreachable": 1, "robots_failure": "http_503"}
    )
    assert robots.judge() == "robots_error"
    # a 429 on every listing is rate-limiting, a bot check is a challenge page
    limited = CrawlReport.from_dict(
        {"source": "x", "listings": 1, "listings_failed": 1, "errors": {"feed_rate_limited": 1}}
    )
    assert limited.judge() == "rate_limited"
    challenge = CrawlReport.from_dict(
        {"source": "x", "listings": 1, "listings_blocked": 1, "blocked": 1, "challenges": 1}
    )
    assert challenge.judge() == "challenge"
    quiet = CrawlReport.from_dict({"source": "x", "discovered": 5, "skipped_seen": 5})
    assert quiet.judge() == "ok"
    assert quiet.explain() == "nothing new: 5 listed, 5 already stored"
    # a night whose articles are all older than its window says so: it is not a quiet site
    old = CrawlReport.from_dict({"source": "x", "discovered": 27, "outside_window": 27})
    assert old.judge() == "ok"
    assert old.explain() == "nothing new: 27 listed, 0 already stored, 27 outside the crawl window"
    assert crawl_line(old.to_dict(), 0) == (
        "x: 0 fetched, 0 new, 0 blocked, 27 listed, 0 already stored, 27 outside the crawl window"
    )


@pytest.mark.parametrize(
    ("sources", "reason", "note"),
    [
        # the crawl's own message names its source: not twice
        (["demo"], "demo: site unreachable: connection refused", "FAILED at crawl: demo: site"),
        (["demo"], "crawl of demo failed (exit 1)", "FAILED at crawl (demo): crawl of demo"),
        (["a", "b"], "a: site unreachable", "FAILED at crawl (a, b): a: site unreachable"),
    ],
)
def test_failure_note_names_the_source_once(sources, reason, note):
    from newsflow.airflow.notes import failure_note

    assert failure_note({"task_id": "crawl", "sources": sources, "reason": reason}).startswith(note)


def test_failure_callback_logs_and_posts_to_webhook(webhook, monkeypatch, caplog):
    from types import SimpleNamespace

    from newsflow.airflow.notes import on_task_failure

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


def test_dag_level_failure_callback_reports_a_timed_out_run_once(dagbag, webhook, monkeypatch):
    """The DAGs' own callback (as the DAG processor calls it, with `reason`): a run killed by
    dagrun_timeout reaches the webhook; a task failure is left to that task's callback."""
    from newsflow.airflow.notes import on_task_failure

    url, received = webhook
    monkeypatch.setenv("NEWSFLOW_AIRFLOW__WEBHOOK_URL", url)
    demo = dagbag.dags["newsflow_demo"]
    for dag in dagbag.dags.values():
        assert dag.on_failure_callback is on_task_failure
    on_task_failure({"dag": demo, "run_id": "scheduled__x", "reason": "task_failure"})
    assert received == []
    on_task_failure({"dag": demo, "run_id": "scheduled__x", "reason": "timed_out"})
    assert [(p["event"], p["dag_id"], p["task_id"], p["sources"]) for p in received] == [
        ("newsflow run failed", "newsflow_demo", None, ["demo"])
    ]
    assert received[0]["reason"].startswith("run timed_out (dagrun_timeout ")


def test_dagrun_timeout_leaves_room_for_every_retry(dagbag):
    """A run is never timed out while its tasks' retries could still save it."""
    from datetime import timedelta

    for dag in dagbag.dags.values():
        if dag.dagrun_timeout is None:
            continue
        worst = timedelta()
        for t in dag.tasks:
            worst += (t.retries + 1) * t.execution_timeout + t.retries * t.max_retry_delay
        assert dag.dagrun_timeout >= worst, dag.dag_id
        # and a nightly run is over (or timed out) before the next night's is due
        assert dag.dagrun_timeout < timedelta(days=1), dag.dag_id
    assert dagbag.dags["newsflow_demo"].get_task("crawl").retries == 2


@pytest.fixture
def fake_api():
    """A loopback stand-in for Airflow's REST API: /auth/token, and the PATCH paths it gets."""
    patched: list[tuple[str, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def _body(self):
            return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def do_POST(self):  # noqa: N802 - http.server's naming
            self._body()
            out = json.dumps({"access_token": "t"}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def do_PATCH(self):  # noqa: N802
            patched.append((self.path, self._body()))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, patched
    finally:
        server.shutdown()
        server.server_close()


def test_run_note_url_percent_encodes_the_run_id(fake_api, monkeypatch):
    from types import SimpleNamespace

    from newsflow.airflow.notes import set_run_note
    from newsflow.settings import AirflowSettings

    port, patched = fake_api
    conn = {"conn_type": "http", "host": "127.0.0.1", "port": port, "login": "u", "password": "p"}
    monkeypatch.setenv("AIRFLOW_CONN_NEWSFLOW_AIRFLOW_API", json.dumps(conn))
    run = SimpleNamespace(dag_id="newsflow_demo", run_id="manual__2026-05-01T00:00:00+00:00")
    assert set_run_note({"dag_run": run}, "demo: 1 fetched", AirflowSettings())
    assert patched == [
        (
            "/api/v2/dags/newsflow_demo/dagRuns/manual__2026-05-01T00%3A00%3A00%2B00%3A00"
            "?update_mask=note",
            {"note": "demo: 1 fetched"},
        )
    ]


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
    from types import SimpleNamespace

    from newsflow.airflow.report import report_step

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
    assert _xcom(run, "load")["run_id"] == f"newsflow_demo__{safe_run_id(run.run_id)}"

    # re-extract from the archive only: nothing fetched, everything unchanged
    again = dag.test(run_conf={"reextract": True})
    assert again.state == "success"
    load = _xcom(again, "load")
    assert load["crawl"] == [] and load["load"]["inserted"] == 0
    assert load["load"]["unchanged"] == stored
    # the board links the source's last night to that Airflow run, not to the runs list
    (board,) = source_health(engine)
    assert board["run_url"] == f"dags/newsflow_demo/runs/{quote(again.run_id, safe='')}"

    # a dry run stores nothing and says so
    dry = dag.test(run_conf={"reextract": True, "dry_run": True})
    assert dry.state == "success" and _xcom(dry, "load")["load"] is None
    assert "dry run: nothing stored" in _xcom(dry, "check")["note"]

    # the asset-triggered report summarises the day per source
    report_run = dagbag.dags["newsflow_report"].test()
    assert report_run.state == "success"
    today = datetime.now(UTC).date().isoformat()
    (report_file,) = _xcom(report_run, "report")["files"]
    report = json.loads(Path(report_file).read_text())
    assert report["day"] == today and Path(report_file).name == f"{today}.json"
    with engine.connect() as conn:
        copies = conn.execute(
            select(func.count()).select_from(articles).where(articles.c.duplicate_of.is_not(None))
        ).scalar_one()
    assert report["total"] == {"demo": stored}
    assert report["new"] == {"demo": stored - copies}
    assert report["copies"].get("demo", 0) == copies
    # a backfilled day's load reports on that day: today's report is left alone
    before = Path(report_file).read_text()
    event = SimpleNamespace(extra={"run_id": "b", "day": "2026-05-02", "sources": ["demo"]})
    backfilled = report_step({"triggering_asset_events": {"articles": [event]}})
    assert backfilled["days"] == ["2026-05-02"]
    assert backfilled["reports"][0]["new"] == {} and backfilled["reports"][0]["total"] == {
        "demo": stored
    }
    assert (data_dir / "reports" / "2026-05-02.json").exists()
    assert Path(report_file).read_text() == before

    # a source listing far fewer articles than its recent runs fails loudly, webhook told
    url, received = webhook
    monkeypatch.setenv("NEWSFLOW_AIRFLOW__WEBHOOK_URL", url)
    for night in range(3):
        record_run(
            engine,
            run_id=f"busier-{night}",
            source="demo",
            stage="crawl",
            started_at=datetime.now(UTC) - timedelta(days=3 - night),
            status="ok",
            stats={"discovered": 100 * stored},
        )
    failed = dag.test(run_conf={"reextract": False, "dry_run": False})
    assert failed.state == "failed"
    states = {ti.task_id: ti.state for ti in failed.get_task_instances()}
    assert states == dict(crawl="success", extract="success", load="success", check="failed")
    assert [(p["task_id"], p["sources"]) for p in received] == [("check", ["demo"])]
    assert "far fewer articles" in received[0]["reason"]
    # ... and the Home page counts the DAG among its "Failed Dags"
    assert _home_failed_dags("newsflow_demo") == 1


def _home_failed_dags(dag_id: str) -> int:
    """The Home page's "Failed Dags" for one DAG: the UI's own endpoint, on this metadata DB."""
    from types import SimpleNamespace

    from airflow.api_fastapi.core_api.routes.ui.dashboard import dag_stats
    from airflow.utils.session import create_session

    with create_session() as session:
        return dag_stats(session, SimpleNamespace(value={dag_id})).failed_dag_count


def test_home_counts_a_failed_run_only_with_a_logical_date(
    airflow_db, dagbag, demo_registry, monkeypatch
):
    """Airflow's Home counts a DAG as failed when its latest run *by logical date* failed: a
    run triggered with `"logical_date": null` (REST) is left out, one with a date counts (what
    docs/airflow.md says; the REST example passes one)."""
    import runpy

    monkeypatch.setenv("NEWSFLOW_SOURCES_FILE", str(demo_registry))
    # a DAG object of its own: dag.test() leaves the conf it ran in its tasks' params
    dag = runpy.run_path(str(DAGS / "newsflow_sources.py"))["build_dag"](None)
    bad = {"sources": ["demo"], "since": "2026-12-02", "until": "2026-12-01"}  # fails at crawl
    undated = dag.test(logical_date=None, run_conf=bad)
    assert undated.state == "failed" and undated.logical_date is None
    assert _home_failed_dags("newsflow_manual") == 0
    dated = dag.test(run_conf=bad)
    assert dated.state == "failed" and dated.logical_date is not None
    assert _home_failed_dags("newsflow_manual") == 1


def _rows(engine, table) -> int:
    from sqlalchemy import inspect

    if not inspect(engine).has_table(table.name):
        return 0
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_crawl_mode_dry_run_leaves_crawl_state_and_runs_alone(
    airflow_db, dagbag, tmp_path, demo_registry, monkeypatch
):
    """A dry run fetches and extracts, but the next real run still fetches and stores it all."""
    from storage.schema import crawl_state, runs

    data_dir = tmp_path / "data"
    monkeypatch.setenv("NEWSFLOW_SOURCES_FILE", str(demo_registry))
    monkeypatch.setenv("NEWSFLOW_DATA_DIR", str(data_dir))
    monkeypatch.setenv("NEWSFLOW_CRAWL__DOWNLOAD_DELAY", "0")
    dag = dagbag.dags["newsflow_demo"]
    count = len(demo_articles())

    # dag.test() keeps the last run's conf: an earlier test's reextract must not carry over
    dry = dag.test(run_conf={"dry_run": True, "reextract": False})
    assert dry.state == "success"
    assert _xcom(dry, "crawl")["crawl"][0]["fetched"] == count
    assert _xcom(dry, "extract")["extract"]["articles"] == count
    engine = connect(f"sqlite:///{data_dir / 'newsflow.db'}")
    assert [_rows(engine, t) for t in (crawl_state, runs, articles)] == [0, 0, 0]
    # its WARC stays with the run's files: a later reextract must not load a dry run's pages
    assert not list((data_dir / "warc").glob("*/*.warc.gz"))

    real = dag.test(run_conf={"dry_run": False})  # dag.test() keeps the last run's conf
    assert real.state == "success"
    assert _xcom(real, "crawl")["crawl"][0]["fetched"] == count
    assert _xcom(real, "load")["load"]["inserted"] == count
    assert _rows(engine, articles) == count and _rows(engine, crawl_state) > 0
    engine.dispose()


def test_two_dags_runs_at_the_same_time_write_their_own_files(
    airflow_db, dagbag, tmp_path, demo_registry, monkeypatch
):
    """Every source's DAG shares the same cron, so Airflow run ids repeat across DAGs."""
    monkeypatch.setenv("NEWSFLOW_SOURCES_FILE", str(demo_registry))
    monkeypatch.setenv("NEWSFLOW_DATA_DIR", str(tmp_path / "data"))
    when = datetime(2026, 5, 1, 23, tzinfo=UTC)
    conf = {"reextract": True, "dry_run": True}
    runs = [
        dagbag.dags[d].test(run_after=when, logical_date=when, run_conf=conf)
        for d in ("newsflow_demo", "newsflow_manual")
    ]
    assert [r.state for r in runs] == ["success", "success"]
    assert runs[0].run_id == runs[1].run_id
    outputs = [_xcom(r, "extract")["extract"]["output"] for r in runs]
    assert outputs[0] != outputs[1] and all(Path(o).exists() for o in outputs)
    assert [Path(o).name for o in outputs] == [
        f"newsflow_demo__{safe_run_id(runs[0].run_id)}.jsonl",
        f"newsflow_manual__{safe_run_id(runs[1].run_id)}.jsonl",
    ]
    # the run's day is its own (the report of a backfilled night is that night's)
    assert _xcom(runs[0], "load")["day"] == "2026-05-01"


def _children(marker: str) -> dict[int, tuple[str, str]]:
    """This machine's processes whose command line has `marker`: pid -> (argv, environment)."""
    found = {}
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if marker in argv:
                environ = (proc / "environ").read_bytes().replace(b"\0", b"\n").decode()
                found[int(proc.name)] = (argv, environ)
        except (OSError, ValueError):
            continue
    return found


@pytest.mark.postgres
def test_crawl_child_gets_the_database_password_in_its_environment_not_argv(
    tmp_path, demo_registry
):
    """`ps` shows a child's argv to every user: the URL (with its password) is not on it."""
    import time
    import uuid

    psycopg2 = pytest.importorskip("psycopg2")
    from newsflow import pipeline
    from newsflow.settings import CrawlSettings, Settings
    from newsflow.sources import load_registry, select_sources
    from tests.services import postgres_url

    admin = psycopg2.connect(postgres_url(driver=False))
    admin.autocommit = True
    db, secret = f"newsflow_argv_{uuid.uuid4().hex[:10]}", f"pw-{uuid.uuid4().hex}"
    admin.cursor().execute(f'CREATE DATABASE "{db}"')
    try:
        settings = Settings(
            data_dir=tmp_path / "data",
            sources_file=demo_registry,
            crawl=CrawlSettings(download_delay=0),
            # trust authentication ignores the password; it only has to be in the URL
            database_url=postgres_url(db, password=secret),
        )
        sources = select_sources(load_registry(demo_registry), ["demo"])
        seen: dict[int, tuple[str, str]] = {}
        crawl = threading.Thread(
            target=pipeline.crawl, args=(settings, sources), kwargs={"run_id": "argv"}
        )
        crawl.start()
        while crawl.is_alive():
            seen.update(_children(str(tmp_path / "data" / "runs" / "argv")))
            time.sleep(0.05)
        crawl.join()
        assert seen, "the crawl child was never seen"
        for argv, environ in seen.values():
            assert "spiders.run" in argv and secret not in argv
            assert f"NEWSFLOW_DATABASE_URL={settings.database_url}" in environ.splitlines()
        # and the child did use that database for its crawl state
        from storage.schema import crawl_state

        engine = connect(settings.database_url)
        assert _rows(engine, crawl_state) >= len(demo_articles())
        engine.dispose()
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        admin.close()


def test_run_note_connection_logs_in_as_a_non_admin_user(tmp_path):
    """`make airflow` and the live tests write notes as `newsflow_api` (role user), not admin; a
    passwords file from before that user keeps its admin password."""
    from newsflow.airflow.standalone import API_USER, airflow_env, ensure_password_file

    passwords = tmp_path / "passwords.json"
    passwords.touch(mode=0o600)
    passwords.write_text(json.dumps({"admin": "kept"}))
    assert ensure_password_file(passwords) == "kept"
    stored = json.loads(passwords.read_text())
    assert set(stored) == {"admin", API_USER} and stored[API_USER] != "kept"
    assert passwords.stat().st_mode & 0o777 == 0o600
    env = airflow_env(tmp_path, 8080, passwords)
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == f"admin:admin,{API_USER}:user"
    conn = json.loads(env["AIRFLOW_CONN_NEWSFLOW_AIRFLOW_API"])
    assert (conn["login"], conn["password"]) == (API_USER, stored[API_USER])


def test_crawl_task_fails_when_the_site_is_down(tmp_path, monkeypatch):
    """The demo source pointed at a loopback port nothing listens on (a real crawl child): the
    `crawl` task raises, saying the site is unreachable, and `runs` records `site_down`."""
    import socket

    from newsflow.airflow.params import Plan
    from newsflow.airflow.tasks import SiteUnreachable, crawl_step
    from storage.runs import latest_runs
    from tests.conftest import write_registry

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: connection refused
    registry = write_registry(tmp_path / "sources.yaml", f"http://127.0.0.1:{port}")
    data_dir = tmp_path / "data"
    monkeypatch.setenv("NEWSFLOW_SOURCES_FILE", str(registry))
    monkeypatch.setenv("NEWSFLOW_DATA_DIR", str(data_dir))
    monkeypatch.setenv("NEWSFLOW_CRAWL__DOWNLOAD_DELAY", "0")
    monkeypatch.setenv("NEWSFLOW_CRAWL__RETRY_TIMES", "0")
    airflow_run = "manual__2026-12-03T01:02:03+00:00"
    plan = Plan(sources=["demo"], run_id="down-1", dag_id="newsflow_demo", dag_run_id=airflow_run)
    with pytest.raises(SiteUnreachable, match="demo: site unreachable: connection refused"):
        crawl_step(plan)
    engine = connect(f"sqlite:///{data_dir / 'newsflow.db'}")
    (run,) = latest_runs(engine, "demo", 1)
    (board,) = source_health(engine)
    engine.dispose()
    assert run["crawl"].status == "site_down"
    assert run["crawl"].stats["robots_failure"] == "connection"
    # the board's last-run link opens this very run, although its crawl failed
    assert board["run_url"] == "dags/newsflow_demo/runs/manual__2026-12-03T01%3A02%3A03%2B00%3A00"


def test_a_tasks_progress_lines_go_to_stdout_and_alembic_stays_quiet(
    tmp_path, monkeypatch, capsys, caplog
):
    """Airflow logs what a task writes to stderr as ERROR: the load step's progress line goes to
    stdout in a task (stderr from the CLI), and opening the database again does not log
    Alembic's "Context impl SQLiteImpl." each time."""
    from newsflow import pipeline
    from newsflow.airflow.tasks import task_settings
    from newsflow.sources import load_registry

    monkeypatch.setenv("NEWSFLOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NEWSFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/news.db")
    records = tmp_path / "none.jsonl"
    records.write_text("", encoding="utf-8")
    for settings, stream in ((task_settings(), "out"), (load_settings(), "err")):
        registry = load_registry(settings.sources_file)
        with caplog.at_level("INFO"):
            pipeline.load(settings, str(records), registry)
        out, err = capsys.readouterr()
        written = {"out": out, "err": err}
        assert "load: 0 records" in written[stream], (out, err)
        assert "load:" not in written["err" if stream == "out" else "out"]
    assert "Context impl" not in caplog.text
