"""The "News sources" board: its query over the `runs` table, its rows worst first, and the
plugin's endpoints behind Airflow's authentication (a real SQLite database, the real FastAPI app
and Airflow's own JWTs)."""

from __future__ import annotations

import html
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import insert

from newsflow.airflow.params import pipeline_run_id
from storage import open_database
from storage.runs import record_airflow_run
from storage.schema import runs

NIGHT0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def _night(
    source: str,
    n: int,
    crawl: tuple[str, dict],
    check: dict | None,
    new: int = 5,
    hours: float = 0,
    tag: str = "",
):
    """The rows one run of `source` leaves on night `n` (`hours` after 02:00 UTC; `tag` tells a
    second run of the night apart): crawl, extract, load, check (None: no check)."""
    run_id = f"newsflow_{source}__night{n:04d}{tag}"
    at = NIGHT0 + timedelta(days=n, hours=hours)
    status, crawl_stats = crawl
    rows = [dict(stage="crawl", status=status, stats=crawl_stats)]
    if status == "ok":
        rows.append(dict(stage="extract", status="ok", stats={"pages": 10, "failed": 1}))
        load = {"new": new, "articles": new, "duplicates": new // 2}
        rows.append(dict(stage="load", status="ok", stats=load))
    if check is not None:
        rows.append(
            dict(stage="check", status="anomaly" if check["reasons"] else "ok", stats=check)
        )
    return [
        {**r, "run_id": run_id, "source": source, "started_at": at, "finished_at": at} for r in rows
    ]


OK = ("ok", {"discovered": 12, "fetched": 5, "skipped_seen": 7})
BLOCKED = ("blocked", {"discovered": 12, "fetched": 0, "blocked": 12, "status_counts": {"403": 12}})
DOWN = (
    "site_down",
    {"robots_unreachable": 1, "robots_failure": "connection", "listings": 2, "listings_failed": 2},
)


# The down source's last night was started by Airflow (its scheduled run, as `crawl_step`
# records it); the others' by the CLI.
DOWN_RUN = "scheduled__2026-11-03T02:00:00+00:00"


@pytest.fixture
def board_db(tmp_path):
    """Four sources over three nights: one fine, one blocked last night, one down last night
    (the crawl task failed, so no check row), one whose layout drifted (a reason string only)."""
    url = f"sqlite:///{tmp_path / 'board.db'}"
    rows = []
    down_run_id = pipeline_run_id("newsflow_gone", DOWN_RUN)
    for n in range(3):
        rows += _night("fine", n, OK, {"reasons": [], "kinds": []}, new=n + 1)
        last = n == 2
        reason = "blocked: the site refused 12 requests (401/403/451)"
        rows += _night(
            "refusing",
            n,
            BLOCKED if last else OK,
            {"reasons": [reason], "kinds": ["blocked"]} if last else {"reasons": [], "kinds": []},
        )
        gone = _night("gone", n, DOWN if last else OK, None if last else {"reasons": []})
        rows += [{**r, "run_id": down_run_id} for r in gone] if last else gone
        drift = {"reasons": ["layout drift: no article body on 9 of 10 pages"]} if last else None
        rows += _night("drifting", n, OK, drift or {"reasons": [], "kinds": []})
    with open_database(url) as engine:
        with engine.begin() as conn:
            conn.execute(insert(runs), rows)
        record_airflow_run(engine, down_run_id, "newsflow_gone", DOWN_RUN)
    return url


def test_board_rows_say_what_happened_worst_first(board_db):
    from newsflow.airflow.health import source_health

    with open_database(board_db) as engine:
        rows = source_health(engine, nights=14, today=date(2026, 11, 3))
    by_source = {r["source"]: r for r in rows}
    assert [r["source"] for r in rows] == ["gone", "refusing", "drifting", "fine"]
    assert [r["status"] for r in rows] == ["site_down", "blocked", "layout_drift", "ok"]
    assert by_source["gone"]["label"] == "site down"
    assert by_source["gone"]["reasons"] == [
        "site unreachable: connection refused or dropped; nothing fetched"
    ]
    fine = by_source["fine"]
    assert [p["new"] for p in fine["trend"]] == [None] * 11 + [1, 2, 3] and fine["new"] == 3
    assert (fine["listed"], fine["fetched"], fine["stored"]) == (12, 5, 3)
    assert fine["flag_rate"] == pytest.approx(0.1)
    assert fine["dag_url"] == "dags/newsflow_fine"
    assert fine["last_success_at"].startswith("2026-11-03")
    # the down source's last success is the night before it went down
    assert by_source["gone"]["last_success_at"].startswith("2026-11-02")
    # its last run links to that very run in the UI (the run id quoted whole: ':' and '+');
    # a CLI run has no Airflow run to open
    assert by_source["gone"]["dag_run_id"] == DOWN_RUN
    assert by_source["gone"]["run_url"] == (
        "dags/newsflow_gone/runs/scheduled__2026-11-03T02%3A00%3A00%2B00%3A00"
    )
    assert (fine["dag_run_id"], fine["run_url"]) == (None, None)


def test_board_shows_the_last_fourteen_nights_of_many_sources(tmp_path):
    """Many sources with more nights than shown: each row keeps its own 14 latest, today last
    in the trend (its speed with a year of runs is measured in `benchmarks/bench_health.py`)."""
    from newsflow.airflow.health import source_health

    url = f"sqlite:///{tmp_path / 'many.db'}"
    rows = []
    for s in range(20):
        for n in range(30):
            rows += _night(f"s{s:03d}", n, OK, {"reasons": [], "kinds": []}, new=n)
    with open_database(url) as engine:
        with engine.begin() as conn:
            conn.execute(insert(runs), rows)
        board = source_health(engine, nights=14, today=(NIGHT0 + timedelta(days=29)).date())
    assert len(board) == 20
    assert all([p["new"] for p in r["trend"]] == list(range(16, 30)) for r in board)
    assert all(r["run_id"].endswith("night0029") for r in board)


def test_trend_is_one_point_per_night_with_no_run_nights(tmp_path):
    """A re-run on one night (started near each end of the UTC day), none on another: one point
    per calendar night, the night's runs summed (new articles, pages) under the worst status
    they had, "no run" for the night without one (not "0 new": a night that ran and found
    nothing says 0); the row's status, counts and link stay the latest run's."""
    from newsflow.airflow.health import source_health
    from newsflow.airflow.plugin import render_page

    url = f"sqlite:///{tmp_path / 'nights.db'}"
    clean = {"reasons": [], "kinds": []}
    fewer = {"reasons": ["fewer articles: 3 listed, usually 12"], "kinds": ["fewer_articles"]}
    # the first night shown is 2026-10-22 (n=-10): a run at 00:30 is in it, one the evening
    # before is not
    rows = _night("twice", -11, OK, clean, new=9, hours=21.5)
    rows += _night("twice", -10, OK, clean, new=1, hours=-1.5)
    rows += _night("twice", 0, OK, clean, new=2)
    rows += _night("twice", 1, OK, fewer, new=3, hours=-1.5)  # 00:30 UTC
    rows += _night("twice", 1, OK, clean, new=4, hours=21.5, tag="rerun")  # 23:30 UTC
    # night 2: no run; night 3 (today): blocked, then a hand-triggered re-run that found nothing
    rows += _night("twice", 3, BLOCKED, {"reasons": ["blocked"], "kinds": ["blocked"]})
    rows += _night("twice", 3, OK, clean, new=0, hours=8, tag="rerun")
    rows += _night("stopped", -20, BLOCKED, {"reasons": ["blocked"], "kinds": ["blocked"]})
    airflow_run = "manual__2026-11-04T10:00:00+00:00"
    with open_database(url) as engine:
        with engine.begin() as conn:
            conn.execute(insert(runs), rows)
        record_airflow_run(engine, "newsflow_twice__night0003rerun", "newsflow_twice", airflow_run)
        board = source_health(engine, nights=14, today=date(2026, 11, 4))
    by_source = {r["source"]: r for r in board}
    trend = by_source["twice"]["trend"]
    assert [p["day"] for p in trend] == [
        (date(2026, 10, 22) + timedelta(days=d)).isoformat() for d in range(14)
    ]
    no_run = {"runs": 0, "new": None, "flag_rate": None, "status": None, "label": "no run"}
    assert trend[0] == {"day": "2026-10-22", "runs": 1, "new": 1, "flag_rate": 0.1,
                        "status": "ok", "label": "ok"}  # fmt: skip
    assert all(p == {"day": p["day"], **no_run} for p in trend[1:10])
    assert trend[10:] == [
        {"day": "2026-11-01", "runs": 1, "new": 2, "flag_rate": 0.1, "status": "ok", "label": "ok"},
        {
            "day": "2026-11-02",
            "runs": 2,
            "new": 7,
            "flag_rate": 0.1,
            "status": "fewer_articles",
            "label": "fewer articles",
        },
        {"day": "2026-11-03", **no_run},
        {"day": "2026-11-04", "runs": 2, "new": 0, "flag_rate": 0.1, "status": "blocked",
         "label": "blocked"},
    ]  # fmt: skip
    twice = by_source["twice"]
    assert (twice["status"], twice["run_id"]) == ("ok", "newsflow_twice__night0003rerun")
    assert (twice["new"], twice["stored"]) == (0, 0)
    assert twice["run_url"] == f"dags/newsflow_twice/runs/{quote(airflow_run, safe='')}"
    # a source that stopped running weeks ago: its last run's status, fourteen nights of none
    stopped = by_source["stopped"]
    assert stopped["status"] == "blocked" and stopped["run_id"] == "newsflow_stopped__night-020"
    assert [p["label"] for p in stopped["trend"]] == ["no run"] * 14

    page = render_page([twice], None)
    assert page.count('class="no-run"') == 2 * 10  # both trends mark the same nights
    assert "<title>2026-11-03: no run</title>" in page
    assert "<title>2026-11-02: 7 new, fewer articles (2 runs)</title>" in page
    assert "<title>2026-11-04: 0 new, blocked (2 runs)</title>" in page


@pytest.fixture(scope="module")
def airflow_db() -> None:
    """Airflow's metadata database (token checks look up revoked tokens there)."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        capture_output=True,
        timeout=600,
    )


@pytest.fixture
def client(board_db, monkeypatch, airflow_db):
    from airflow.api_fastapi.app import init_auth_manager
    from fastapi.testclient import TestClient

    from newsflow.airflow.plugin import create_app

    monkeypatch.setenv("NEWSFLOW_DATABASE_URL", board_db)
    app = create_app()
    init_auth_manager(app)
    return TestClient(app)


def _token() -> str:
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return get_auth_manager().generate_jwt(SimpleAuthManagerUser(username="admin", role="admin"))


def test_plugin_endpoints_need_a_session_or_token(client):
    for path in ("/", "/api/sources", "/api/report"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer forged"}).status_code == 403
        assert client.get(path, cookies={"_token": "forged"}).status_code == 403


def test_plugin_data_endpoint_and_page(client):
    token = _token()
    rows = client.get("/api/sources", headers={"Authorization": f"Bearer {token}"}).json()
    assert {r["source"]: r["status"] for r in rows} == {
        "gone": "site_down",
        "refusing": "blocked",
        "drifting": "layout_drift",
        "fine": "ok",
    }
    one = client.get("/api/sources?dag=newsflow_gone", cookies={"_token": token}).json()
    assert [r["source"] for r in one] == ["gone"]
    assert one[0]["run_url"] == f"dags/newsflow_gone/runs/{quote(DOWN_RUN, safe='')}"
    assert {r["source"]: r["run_url"] for r in rows if r["source"] != "gone"} == {
        "refusing": None,
        "drifting": None,
        "fine": None,
    }
    page = client.get("/", cookies={"_token": token})
    assert page.status_code == 200
    for source, label in [("gone", "site down"), ("refusing", "blocked"), ("fine", "ok")]:
        assert f'data-source="{source}"' in page.text and label in page.text
    # the last-run cell opens the exact run (from the iframe, one level below the UI's root);
    # a CLI run's id is plain text
    link = f'<a href="../{one[0]["run_url"]}" target="_top">{html.escape(DOWN_RUN)}</a>'
    assert link in page.text
    assert "<td>newsflow_fine__night0002</td></tr>" in page.text


SANDBOX = "allow-scripts allow-same-origin allow-forms allow-downloads"  # Airflow 3.3's iframe


def test_board_links_leave_airflows_sandboxed_iframe(tmp_path):
    """In the UI the board sits in an iframe sandboxed without `allow-top-navigation`, where the
    browser refuses a plain `target="_top"` link: a click on the last-run link must still open
    the run's page in the whole window (headless Chromium, the sandbox flags Airflow sets)."""
    import functools
    import http.server
    import shutil
    import threading

    from newsflow.airflow.plugin import render_page

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium not found: `make system-deps` installs Debian's chromium package")
    row = {
        "source": "demo", "dag_url": "dags/newsflow_demo", "status": "ok", "label": "ok",
        "new": 3, "copies": 1, "listed": 3, "fetched": 3, "stored": 3, "flag_rate": None,
        "reasons": [],
        "trend": [{"day": "2026-11-01", "runs": 1, "new": 3, "flag_rate": None, "status": "ok",
                   "label": "ok"}], "last_success_at": None, "run_id": "r1",
        "run_url": "run-page.html", "dag_run_id": "manual__1",
    }  # fmt: skip
    (tmp_path / "plugin").mkdir()
    (tmp_path / "plugin" / "board.html").write_text(render_page([row], None), encoding="utf-8")
    (tmp_path / "run-page.html").write_text("<p id=reached>the run's page</p>", encoding="utf-8")
    click = "document.querySelector('iframe').contentDocument.querySelector('td a[href*=run]')"
    (tmp_path / "ui.html").write_text(
        f'<iframe sandbox="{SANDBOX}" src="plugin/board.html" onload="{click}.click()"></iframe>',
        encoding="utf-8",
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dom = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}",
             "--virtual-time-budget=5000", "--dump-dom",
             f"http://127.0.0.1:{server.server_address[1]}/ui.html"],
            capture_output=True, text=True, timeout=120,
        ).stdout  # fmt: skip
    finally:
        server.shutdown()
    assert 'id="reached"' in dom, dom[:500]


def test_the_board_tells_copies_apart_and_failing_sources_are_its_own(board_db):
    """ "new" counts every article the latest run stored new, copies of one stored before
    included: the cell says how many were copies, as the daily report does; the failing list
    is the board's (latest runs), not under the report's day."""
    from newsflow.airflow.health import source_health
    from newsflow.airflow.plugin import render_page

    with open_database(board_db) as engine:
        rows = source_health(engine, nights=14, today=date(2026, 11, 3))
    assert {r["source"]: r["copies"] for r in rows}["fine"] == 1  # 3 new, 1 a copy
    daily = {"day": "2026-11-03", "total": {"fine": 9}, "new": {"fine": 1}, "copies": {"fine": 2}}
    page = render_page(rows, daily)
    fine = page[page.index('data-source="fine"') :].split("</tr>")[0]
    assert "<td>3<br><span class='legend'>1 copy</span></td>" in fine
    assert "fine: 1 new originals, 2 copies of an article stored before" in page
    failing = page[page.index("Failing or blocked now") : page.index("Daily report")]
    assert "blocked" in failing and "fine" not in failing
    assert "Failing or blocked now" in render_page(rows, None)
