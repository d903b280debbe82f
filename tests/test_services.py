"""A PostgreSQL or Redis that does not answer fails the run by name, unless a person asks to skip
(tests/services.py); run here as a separate pytest on a one-test file, against a closed port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import SKIP_OPTION

ROOT = Path(__file__).resolve().parent.parent
NEEDS_BOTH = """
import pytest

@pytest.mark.postgres
def test_needs_postgres():
    pass

@pytest.mark.redis
def test_needs_redis():
    pass

def test_needs_nothing():
    pass
"""


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_pytest(tmp_path: Path, *args: str, ci: bool) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_needs.py").write_text(NEEDS_BOTH, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nmarkers =\n    postgres: x\n    redis: x\n", encoding="utf-8"
    )
    port = closed_port()
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(
        PYTHONPATH=str(ROOT),
        NEWSFLOW_TEST_POSTGRES=f"postgres@127.0.0.1:{port}",
        NEWSFLOW_TEST_REDIS=f"redis://127.0.0.1:{port}/0",
        **({"CI": "true"} if ci else {}),
    )
    command = [sys.executable, "-m", "pytest", "-p", "tests.services", "-p", "no:cacheprovider"]
    command += ["-c", str(tmp_path / "pytest.ini"), "-rs", str(tmp_path / "test_needs.py"), *args]
    return subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("ci", [True, False])
def test_an_unreachable_server_fails_the_run_and_says_how_to_start_it(tmp_path, ci):
    result = run_pytest(tmp_path, ci=ci)
    output = result.stdout + result.stderr
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, output
    assert "PostgreSQL is not reachable: 127.0.0.1:" in output
    assert "Connection refused" in output and "service postgresql start" in output
    assert "Redis is not reachable: redis://127.0.0.1:" in output
    assert "service redis-server start" in output
    assert "passed" not in output  # nothing ran


def test_skipping_needs_an_explicit_ask_and_names_the_reason(tmp_path):
    result = run_pytest(tmp_path, SKIP_OPTION, ci=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "1 passed, 2 skipped" in output
    assert "PostgreSQL not reachable (--skip-missing-services): 127.0.0.1:" in output


def test_ci_refuses_the_skip_option(tmp_path):
    result = run_pytest(tmp_path, SKIP_OPTION, ci=True)
    output = result.stdout + result.stderr
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, output
    assert f"{SKIP_OPTION} is refused under CI=true" in output


def test_deselecting_the_marker_needs_no_server(tmp_path):
    result = run_pytest(tmp_path, "-m", "not postgres and not redis", ci=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "1 passed, 2 deselected" in output


@pytest.mark.postgres
@pytest.mark.redis
def test_the_test_servers_answer():
    """What .ci/run waits for before `make test`."""
    result = subprocess.run(
        [sys.executable, "tests/services.py", "--wait", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "test servers answer: PostgreSQL, Redis"
