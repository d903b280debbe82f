"""The DAGs under real Airflow: they import cleanly and the nightly DAG runs with dag.test()."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from newsflow.demo_site import load_articles as demo_articles
from storage import connect
from storage.schema import articles

DAGS = Path(__file__).resolve().parent.parent / "dags"


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """A migrated Airflow metadata database (SQLite) in the tests' own AIRFLOW_HOME."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        capture_output=True,
        timeout=600,
    )


def test_dagbag_imports_without_errors():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    assert "newsflow_nightly" in bag.dags
    for dag in bag.dags.values():
        assert dag.owner == "newsflow"
        assert dag.tags and dag.doc_md
        assert all(t.retries >= 1 for t in dag.tasks)


def test_nightly_dag_runs_end_to_end(airflow_db, tmp_path, demo_registry, monkeypatch):
    data_dir = tmp_path / "data"
    monkeypatch.setenv("NEWSFLOW_SOURCES_FILE", str(demo_registry))
    monkeypatch.setenv("NEWSFLOW_DATA_DIR", str(data_dir))
    monkeypatch.setenv("NEWSFLOW_CRAWL__DOWNLOAD_DELAY", "0")
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(DAGS)).dags["newsflow_nightly"]
    run = dag.test()
    assert run.state == "success"
    engine = connect(f"sqlite:///{data_dir / 'newsflow.db'}")
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(articles)).scalar_one()
    assert stored == len(demo_articles())
