"""Shared fixtures: the bundled demo site on a free loopback port, and settings that keep every
test's archives and database in its own temporary folder; the check that the servers the
selected tests need answer."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import yaml

# Importing airflow without AIRFLOW_HOME creates ~/airflow: give the tests their own, always.
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="newsflow-test-airflow-")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(__file__).resolve().parent.parent / "dags")
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"

from newsflow.demo_site import DemoSite, start_demo_site  # noqa: E402
from newsflow.settings import CrawlSettings, Settings  # noqa: E402

# One Airflow standalone for every live case (tests/airflow_processes.py).
from tests.airflow_processes import live_airflow  # noqa: E402, F401 - a session fixture

# PostgreSQL and Redis must answer when a selected test needs them (tests/services.py).
from tests.services import (  # noqa: E402, F401 - pytest hooks, registered by being here
    pytest_addoption,
    pytest_collection_finish,
    pytest_runtest_setup,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def demo_site() -> DemoSite:
    with start_demo_site() as site:
        yield site


def write_registry(path: Path, site_url: str, **overrides: object) -> Path:
    """The project's registry with the demo source pointed at a test server."""
    registry = yaml.safe_load((ROOT / "sources.yaml").read_text(encoding="utf-8"))
    for entry in registry["sources"]:
        if entry["name"] == "demo":
            entry["url"] = site_url + "/"
            entry.update(overrides)
    path.write_text(yaml.safe_dump(registry), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def demo_registry(tmp_path_factory: pytest.TempPathFactory, demo_site: DemoSite) -> Path:
    return write_registry(tmp_path_factory.mktemp("registry") / "sources.yaml", demo_site.url)


@pytest.fixture
def settings(tmp_path: Path, demo_registry: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        sources_file=demo_registry,
        crawl=CrawlSettings(download_delay=0),
    )
