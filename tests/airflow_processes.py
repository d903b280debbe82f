"""Real Airflow processes for the live tests: a child in its own session always stopped, REST
calls, waiting with the logs at hand, and one `airflow standalone` (LocalExecutor, SQLite metadata)
started once per test session and shared by every case that needs it (`live_airflow`): Airflow's
start-up is the slow part, so no case starts its own.

The shared standalone serves three sources of one registry: `demo` (the session's demo site),
`killed` (a demo site of its own, slowed down so a crawl can be killed midway) and `hang` (a
server that accepts connections and never answers, with a 15 s `run_timeout_minutes`).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from newsflow.demo_site import DemoSite, start_demo_site

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
AIRFLOW = str(Path(PYTHON).with_name("airflow"))
HANG_RUN_TIMEOUT_MINUTES = 0.25


_GIVEN: set[int] = set()


def free_port() -> int:
    """A free loopback port; inside NEWSFLOW_TEST_PORTS (`18300-18399`) when a shared machine
    gives each person a range (each handed out once: the first caller may not bind it yet)."""
    low, _, high = os.environ.get("NEWSFLOW_TEST_PORTS", "0-0").partition("-")
    for candidate in range(int(low), int(high or low) + 1):
        if candidate and candidate in _GIVEN:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            _GIVEN.add(sock.getsockname()[1])
            return sock.getsockname()[1]
    pytest.fail(f"no free port in NEWSFLOW_TEST_PORTS={low}-{high}")


@contextmanager
def process(command: list[str], env: dict, log: Path):
    """A child in its own session, started so SIGINT works, and always stopped."""
    with open(log, "wb") as stream:
        proc = subprocess.Popen(
            ["env", "--default-signal=INT", *command],
            env=env,
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )
        try:
            yield proc
        finally:
            stop(proc)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=45)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)  # the session's leftovers (workers, task processes)
        except ProcessLookupError:
            break
        time.sleep(2)
    proc.wait(timeout=10)


def http(method: str, url: str, body: dict | None = None, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def wait_for(what: str, check, timeout: float, procs: list, logs: list[Path], every=2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc, log in zip(procs, logs, strict=True):
            if proc.poll() is not None:
                pytest.fail(f"{what}: {log.name} exited {proc.returncode}:\n{tail(log)}")
        try:
            result = check()
        except (OSError, urllib.error.URLError):
            result = None
        if result:
            return result
        time.sleep(every)
    pytest.fail(f"{what}: not within {timeout:.0f} s\n" + "\n".join(tail(log) for log in logs))


def tail(log: Path, n: int = 4000) -> str:
    return log.read_text(errors="replace")[-n:] if log.exists() else ""


def token_for(base: str, password: str) -> str:
    status, body = http("POST", f"{base}/auth/token", {"username": "admin", "password": password})
    assert status == 201, body
    return body["access_token"]


def trigger_and_wait(
    base: str, token: str, dag_id: str, timeout: float, procs, logs, unpause: bool = True
) -> dict:
    if unpause:
        status, body = http("PATCH", f"{base}/api/v2/dags/{dag_id}", {"is_paused": False}, token)
        assert status == 200, body
    runs = f"{base}/api/v2/dags/{dag_id}/dagRuns"
    # with a logical date, as docs/airflow.md triggers: Home's "Failed Dags" skips runs without
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    status, run = http("POST", runs, {"logical_date": now, "conf": {}}, token)
    assert status == 200, run
    url = f"{runs}/{urllib.request.quote(run['dag_run_id'], safe='')}"

    def finished():
        _, current = http("GET", url, token=token)
        return current if current["state"] in ("success", "failed") else None

    final = wait_for(f"{dag_id} run", finished, timeout, procs, logs)
    if final["state"] != "success":
        _, tis = http("GET", f"{url}/taskInstances", token=token)
        states = {t["task_id"]: t["state"] for t in tis["task_instances"]}
        pytest.fail(f"{dag_id} run {final['state']}: {states}\n" + "\n".join(map(tail, logs)))
    return final


class Webhook(ThreadingHTTPServer):
    """The failure callback's webhook: keeps every JSON body posted to it."""

    daemon_threads = True

    def __init__(self, port: int) -> None:
        self.posts: list[dict] = []
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                webhook.posts.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", port), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class SilentSite:
    """A site whose server accepts every connection and never sends a byte."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_server(("127.0.0.1", port))
        self.url = f"http://127.0.0.1:{port}"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with suppress(OSError):
            while True:
                self.held.append(self.sock.accept()[0])

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


def live_registry(path: Path, demo_url: str, killed_url: str, hang_url: str) -> Path:
    """The project's registry with `demo` pointed at the test's site, plus `killed` and `hang`:
    copies of the demo entry at their own servers."""
    registry = yaml.safe_load((ROOT / "sources.yaml").read_text(encoding="utf-8"))
    demo = next(e for e in registry["sources"] if e["name"] == "demo")
    demo["url"] = demo_url + "/"
    killed = {**demo, "name": "killed", "url": killed_url + "/", "title": "Killed mid-task"}
    hang = {
        **demo,
        "name": "hang",
        "url": hang_url + "/",
        "title": "A site that never answers",
        "run_timeout_minutes": HANG_RUN_TIMEOUT_MINUTES,
        "crawl": {"timeout_seconds": 600, "retry_times": 0},
    }
    registry["sources"] += [killed, hang]
    path.write_text(yaml.safe_dump(registry), encoding="utf-8")
    return path


@dataclass
class LiveAirflow:
    """The shared standalone: where it answers, its log, and what its tasks write."""

    base: str
    token: str
    proc: subprocess.Popen
    log: Path
    data_dir: Path
    pause_dir: Path
    webhook: Webhook
    sites: dict[str, DemoSite] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'newsflow.db'}"

    def call(self, method: str, path: str, body: dict | None = None):
        return http(method, self.base + path, body, self.token)

    def trigger(self, dag_id: str) -> str:
        status, run = self.call("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None})
        assert status == 200, run
        return run["dag_run_id"]

    def run(self, dag_id: str, run_id: str) -> dict:
        quoted = urllib.request.quote(run_id, safe="")
        status, body = self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{quoted}")
        assert status == 200, body
        return body

    def wait_finished(self, dag_id: str, run_id: str, timeout: float) -> dict:
        def finished():
            run = self.run(dag_id, run_id)
            return run if run["state"] in ("success", "failed") else None

        return wait_for(f"{dag_id} run", finished, timeout, [self.proc], [self.log], every=1)

    def task_instances(self, dag_id: str, run_id: str) -> dict[str, dict]:
        quoted = urllib.request.quote(run_id, safe="")
        status, body = self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{quoted}/taskInstances")
        assert status == 200, body
        return {t["task_id"]: t for t in body["task_instances"]}


@pytest.fixture(scope="session")
def live_airflow(tmp_path_factory: pytest.TempPathFactory, demo_site: DemoSite) -> LiveAirflow:
    """One `airflow standalone` for every live case (see the module docstring)."""

    root = tmp_path_factory.mktemp("live-airflow")
    killed_site = start_demo_site(port=free_port())
    hang_site = SilentSite(free_port())
    webhook = Webhook(free_port())
    registry = live_registry(root / "sources.yaml", demo_site.url, killed_site.url, hang_site.url)
    data_dir, pause_dir = root / "data", root / "pause"
    pause_dir.mkdir()
    settings_env = {
        "NEWSFLOW_SOURCES_FILE": str(registry),
        "NEWSFLOW_DATA_DIR": str(data_dir),
        "NEWSFLOW_PAUSE_DIR": str(pause_dir),
        "NEWSFLOW_CRAWL__DOWNLOAD_DELAY": "0",
        "NEWSFLOW_LOAD_BATCH_SIZE": "5",
        "NEWSFLOW_EXTRACT_CHUNK_SIZE": "5",
        "NEWSFLOW_AIRFLOW__RETRY_DELAY_SECONDS": "1",
        "NEWSFLOW_AIRFLOW__MAX_RETRY_DELAY_SECONDS": "2",
        "NEWSFLOW_AIRFLOW__WEBHOOK_URL": webhook.url,
        "NEWSFLOW_AIRFLOW__WEBHOOK_TIMEOUT_SECONDS": "5",
        # only the runs the tests trigger: no scheduled run for the latest interval
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        # the log servers bind every interface on fixed ports: keep clear of `make airflow`'s
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
    }
    home, port = root / "airflow", free_port()
    base, log = f"http://127.0.0.1:{port}", root / "standalone.log"
    command = [PYTHON, "-m", "newsflow.airflow.standalone", "--home", str(home)]
    try:
        # the settings go to Airflow's processes only: this session's other tests never see them
        env = {**os.environ, **settings_env}
        with process([*command, "--port", str(port)], env, log) as proc:
            wait_for(
                "API server",
                lambda: http("GET", f"{base}/api/v2/monitor/health")[0] == 200,
                240,
                [proc],
                [log],
            )
            password = json.loads((home / "passwords.json").read_text())["admin"]
            yield LiveAirflow(
                base=base,
                token=token_for(base, password),
                proc=proc,
                log=log,
                data_dir=data_dir,
                pause_dir=pause_dir,
                webhook=webhook,
                sites={"demo": demo_site, "killed": killed_site},
            )
    finally:
        killed_site.stop()
        hang_site.close()
        webhook.shutdown()
        webhook.server_close()
