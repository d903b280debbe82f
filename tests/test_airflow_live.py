"""Real Airflow processes on loopback: standalone (REST trigger with a JWT from /auth/token, run
note, grid screenshot in headless Chromium) and the production shapes on PostgreSQL metadata:
LocalExecutor (scheduler + DAG processor + API server) and CeleryExecutor with the local Redis as
broker (the same plus a worker).

Every process is started in its own session and stopped in `finally`: SIGINT first (Airflow's
clean shutdown), then SIGTERM/SIGKILL to the whole process group so nothing outlives the test.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import time
import urllib.error
import urllib.request
import uuid
from contextlib import ExitStack
from pathlib import Path

import pytest

from newsflow.airflow.standalone import airflow_env, ensure_password_file, prepare_airflow
from newsflow.demo_site import load_articles as demo_articles
from tests.airflow_processes import (
    AIRFLOW,
    free_port,
    http,
    process,
    tail,
    token_for,
    trigger_and_wait,
    wait_for,
)
from tests.services import REDIS_URL, postgres_url

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "docs" / "airflow-grid.png"
BOARD_SCREENSHOT = ROOT / "docs" / "airflow-news-sources.png"


@pytest.fixture
def newsflow_env(tmp_path, demo_registry):
    """Settings for the tasks the Airflow processes run: the test's demo site and data dir."""
    return {
        "NEWSFLOW_SOURCES_FILE": str(demo_registry),
        "NEWSFLOW_DATA_DIR": str(tmp_path / "data"),
        "NEWSFLOW_CRAWL__DOWNLOAD_DELAY": "0",
        # only the runs the test triggers: no scheduled run for the latest interval
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        # the log servers bind every interface on fixed ports: keep clear of `make airflow`'s
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
    }


def find_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.xdist_group("live_airflow")  # one standalone per worker: keep its users on one
def test_standalone_rest_trigger_and_grid_screenshot(tmp_path, live_airflow):
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("chromium not found: `make system-deps` installs Debian's chromium package")
    base, token = live_airflow.base, live_airflow.token
    proc, log = live_airflow.proc, live_airflow.log
    # bad params are refused at trigger time with the field and the rule
    status, body = http(
        "POST",
        f"{base}/api/v2/dags/newsflow_demo/dagRuns",
        {"logical_date": None, "conf": {"max_pages": 0}},
        token,
    )
    assert status == 400 and "Invalid input for param max_pages" in body["detail"]
    # started means running: the source DAGs and the report DAG are not paused
    for dag_id in ("newsflow_demo", "newsflow_report"):
        status, dag = http("GET", f"{base}/api/v2/dags/{dag_id}", token=token)
        assert status == 200 and dag["is_paused"] is False, dag
    # the plugin's endpoints are behind Airflow's authentication
    assert http("GET", f"{base}/newsflow/api/sources")[0] == 401

    run = trigger_and_wait(base, token, "newsflow_demo", 300, [proc], [log], unpause=False)
    count = len(demo_articles())
    assert run["note"].startswith(f"demo: {count} fetched, {count} new, 0 blocked")
    status, board = http("GET", f"{base}/newsflow/api/sources", token=token)
    assert status == 200, board
    demo_row = next(r for r in board if r["source"] == "demo")
    assert demo_row["status"] == "ok" and demo_row["new"] == count

    # the board's last-run link is this run's own page: the grid shot opens that link
    run_id = urllib.request.quote(run["dag_run_id"], safe="")
    assert demo_row["run_url"] == f"dags/{run['dag_id']}/runs/{run_id}"
    grid_url = f"{base}/{demo_row['run_url']}"
    png = screenshot(chromium, base, token, grid_url, [run["dag_id"], "fetched"], tmp_path)
    board_png = screenshot(
        chromium,
        base,
        token,
        f"{base}/plugin/news-sources",
        ["News sources", "demo", "ok"],
        tmp_path,
        "board",
    )
    for shot, name, target in ((png, "grid", SCREENSHOT), (board_png, "board", BOARD_SCREENSHOT)):
        assert shot.startswith(b"\x89PNG") and 20_000 < len(shot) < 600_000
        (tmp_path / f"{name}.png").write_bytes(shot)
        if os.environ.get("NEWSFLOW_UPDATE_SCREENSHOT"):
            target.write_bytes(shot)


def screenshot(
    chromium: str, base: str, token: str, url: str, words: list[str], tmp_path: Path, name="grid"
) -> bytes:
    """A UI page (its plugin iframe included) once it shows `words`, logged in with the JWT as
    the UI's `_token` cookie (DevTools)."""
    from websockets.sync.client import connect

    profile = tmp_path / f"chromium-profile-{name}"
    log = tmp_path / f"chromium-{name}.log"
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        "--window-size=1440,900",
        "about:blank",
    ]
    with process(command, dict(os.environ), log) as proc:
        port_file = profile / "DevToolsActivePort"
        wait_for("chromium", port_file.exists, 60, [proc], [log], every=0.5)
        devtools = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{devtools}/json/list", timeout=10) as r:
            page = next(t for t in json.load(r) if t["type"] == "page")
        with connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=20) as ws:
            ids = iter(range(1, 10_000))

            def cdp(method: str, **params):
                call_id = next(ids)
                ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
                while True:
                    message = json.loads(ws.recv(timeout=60))
                    if message.get("id") == call_id:
                        assert "error" not in message, message
                        return message["result"]

            cdp("Network.enable")
            cdp("Network.setCookie", name="_token", value=token, url=base, path="/")
            cdp(
                "Emulation.setDeviceMetricsOverride",
                width=1440,
                height=900,
                deviceScaleFactor=1,
                mobile=False,
            )
            cdp("Page.navigate", url=url)
            text = (
                "document.body.innerText + ' ' + Array.from(document.querySelectorAll('iframe'))"
                ".map(f => f.contentDocument ? f.contentDocument.body.innerText : '').join(' ')"
            )

            def rendered():
                body = cdp("Runtime.evaluate", expression=text)["result"].get("value") or ""
                return all(word in body for word in words)

            wait_for(f"{name} page", rendered, 90, [proc], [log], every=1)
            time.sleep(3)  # let the grid's squares and the run note finish rendering
            shot = cdp("Page.captureScreenshot", format="png")
    return base64.b64decode(shot["data"])


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize(
    "executor", ["LocalExecutor", pytest.param("CeleryExecutor", marks=pytest.mark.redis)]
)
def test_postgres_metadata(tmp_path, newsflow_env, monkeypatch, executor):
    """The production shapes of docs/airflow.md on one machine: each component a separate
    process, the same secrets; LocalExecutor runs tasks under the scheduler, Celery on a worker."""
    psycopg2 = pytest.importorskip("psycopg2")
    db = f"newsflow_airflow_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(postgres_url(driver=False))
    admin.autocommit = True
    news_db = f"{db}_news"
    with ExitStack() as stack:
        stack.callback(admin.close)
        for name in (db, news_db):
            admin.cursor().execute(f'CREATE DATABASE "{name}"')
            stack.callback(admin.cursor().execute, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for key, value in newsflow_env.items():
            monkeypatch.setenv(key, value)
        home, port = tmp_path / "airflow", free_port()
        base = f"http://127.0.0.1:{port}"
        password_file = home / "passwords.json"
        password = ensure_password_file(password_file)
        env = airflow_env(home, port, password_file)
        env.update(
            {
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": postgres_url(db),
                # the articles database: an Airflow connection, never a URL in DAG code
                "NEWSFLOW_DATABASE_CONN_ID": "newsflow_db",
                "AIRFLOW_CONN_NEWSFLOW_DB": postgres_url(news_db, driver=False),
                "AIRFLOW__CORE__EXECUTOR": executor,
                # set explicitly and identically for every component
                "AIRFLOW__CORE__FERNET_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
                "AIRFLOW__API_AUTH__JWT_SECRET": base64.urlsafe_b64encode(os.urandom(32)).decode(),
                "AIRFLOW__API__SECRET_KEY": base64.urlsafe_b64encode(os.urandom(16)).decode(),
            }
        )
        components = {
            "api-server": [AIRFLOW, "api-server", "--host", "127.0.0.1", "--port", str(port)],
            "scheduler": [AIRFLOW, "scheduler"],
            "dag-processor": [AIRFLOW, "dag-processor"],
        }
        if executor == "CeleryExecutor":
            # a queue of this test's own, so no other worker on this Redis takes its tasks
            queue = f"newsflow-test-{uuid.uuid4().hex[:8]}"
            env.update(
                {
                    "AIRFLOW__CELERY__BROKER_URL": REDIS_URL,
                    "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + postgres_url(db, driver=False),
                    "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
                    "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
                }
            )
            worker = [AIRFLOW, "celery", "worker", "--queues", queue, "--concurrency", "2"]
            components["worker"] = worker
        prepare_airflow(env)
        procs, logs = [], []
        for name, command in components.items():
            log = tmp_path / f"{name}.log"
            procs.append(stack.enter_context(process(command, env, log)))
            logs.append(log)
        wait_for(
            "API server",
            lambda: http("GET", f"{base}/api/v2/monitor/health")[0] == 200,
            240,
            procs,
            logs,
        )
        token = token_for(base, password)

        def dag_parsed():
            status, body = http("GET", f"{base}/api/v2/dags/newsflow_demo", token=token)
            return status == 200

        wait_for("DAG parsed", dag_parsed, 180, procs, logs)
        run = trigger_and_wait(base, token, "newsflow_demo", 360, procs, logs)
        count = len(demo_articles())
        assert run["note"].startswith(f"demo: {count} fetched, {count} new, 0 blocked")
        assert executor in tail(logs[1], 200_000)
        news = psycopg2.connect(postgres_url(news_db, driver=False))
        with news, news.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM articles WHERE source = 'demo'")
            assert cursor.fetchone()[0] == count
        news.close()
