"""Starting Airflow for this project (`make airflow`, the standalone and Celery tests): one
environment for every component, loopback only, the run-note API user, the crawl pool.

`python -m newsflow.airflow.standalone --home DIR --port N` prepares, then execs `airflow
standalone`, so the PID a caller records is Airflow's own and SIGINT stops it cleanly.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from newsflow.settings import PROJECT_ROOT, load_settings

# The API user the run-note connection logs in as: role `user` (may edit DAG runs), never admin.
API_USER = "newsflow_api"


def airflow_env(home: Path, port: int, password_file: Path | None = None) -> dict[str, str]:
    """The environment every Airflow component of this project runs with (loopback only)."""
    import sys

    base_url = f"http://127.0.0.1:{port}"
    unpause = load_settings(connections=False).airflow.unpause_dags
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        # standalone starts its components as `airflow ...` from PATH: this venv's, not another
        "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")]),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # started means running: the source DAGs and newsflow_report run without a click
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False" if unpause else "True",
        "AIRFLOW__CORE__PARALLELISM": os.environ.get("AIRFLOW__CORE__PARALLELISM", "4"),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"admin:admin,{API_USER}:user",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base_url,
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
    }
    if password_file is not None:
        env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] = str(password_file)
        password = json.loads(password_file.read_text(encoding="utf-8"))[API_USER]
        # the check task writes the run note through the REST API with this connection, as a
        # user that may edit DAG runs and nothing more
        env[f"AIRFLOW_CONN_{load_settings(connections=False).airflow.api_conn_id.upper()}"] = (
            json.dumps(
                {
                    "conn_type": "http",
                    "host": "127.0.0.1",
                    "port": port,
                    "login": API_USER,
                    "password": password,
                }
            )
        )
    return env


def ensure_password_file(path: Path) -> str:
    """The admin password (and the run-note API user's), generated once into a file only the owner
    can read; returns the admin's."""

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text("{}", encoding="utf-8")
    passwords = json.loads(path.read_text(encoding="utf-8"))
    missing = [user for user in ("admin", API_USER) if user not in passwords]
    if missing:
        passwords.update({user: secrets.token_urlsafe(16) for user in missing})
        path.write_text(json.dumps(passwords) + "\n", encoding="utf-8")
    return passwords["admin"]


def prepare_airflow(env: dict[str, str]) -> None:
    """Migrate the metadata database and create the pools that bound concurrent crawls and
    CC-NEWS scans."""
    import sys

    airflow = str(Path(sys.executable).with_name("airflow"))
    cfg = load_settings(connections=False).airflow
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    for pool, slots, what in (
        (cfg.crawl_pool, cfg.crawl_pool_slots, "newsflow crawls"),
        (cfg.ccnews_pool, cfg.ccnews_pool_slots, "CC-NEWS WARC files read at once"),
    ):
        subprocess.run(
            [airflow, "pools", "set", pool, str(slots), what],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )


def main(argv: list[str] | None = None) -> None:
    """Prepare the home and the metadata database, then exec `airflow standalone`."""
    parser = argparse.ArgumentParser(prog="python -m newsflow.airflow.standalone")
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    home = args.home.resolve()
    password_file = home / "passwords.json"
    ensure_password_file(password_file)
    env = airflow_env(home, args.port, password_file)
    prepare_airflow(env)
    airflow = str(Path(sys.executable).with_name("airflow"))
    os.execve(airflow, [airflow, "standalone"], env)


if __name__ == "__main__":
    main()
