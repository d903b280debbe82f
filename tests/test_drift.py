"""Layout drift: selector match shares and field shares per run, compared by the Airflow check
step with the source's recent runs; fires on the demo site's redesign, quiet on its usual
layout."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsflow import pipeline
from newsflow.airflow.drift import layout_drift
from newsflow.demo_site import start_demo_site
from newsflow.pipeline import SourceQuality
from newsflow.settings import AirflowSettings, load_settings
from newsflow.sources import load_registry, select_sources
from storage import open_database
from storage.runs import latest_runs, record_run
from tests.conftest import write_registry

CFG = AirflowSettings()


def night(pages: int, body: int, title: int | None = None) -> dict:
    return asdict(
        SourceQuality(
            pages=pages,
            profiled=pages,
            selectors={"body": body, "title": pages if title is None else title},
            fields={"title": pages, "body": pages, "published": pages},
        )
    )


def test_a_selector_that_stops_matching_is_reported_with_its_usual_share() -> None:
    history = [{"extract": night(38, 38)}, {"extract": night(40, 39)}, {"extract": night(38, 38)}]
    assert layout_drift("iraqinews", night(38, 38), history, CFG) == []
    assert layout_drift("iraqinews", night(38, 0), history, CFG) == [
        "layout drift: iraqinews: body selector matched 0 of 38 pages (usually 38/38): "
        "layout changed?"
    ]
    assert layout_drift("iraqinews", night(38, 0, title=1), history, CFG) == [
        "layout drift: iraqinews: body selector matched 0 of 38 pages (usually 38/38); "
        "so did title: layout changed?"
    ]
    # a small wobble is not drift; nor is a drop with too little history or too few pages
    assert layout_drift("iraqinews", night(38, 30), history, CFG) == []
    assert layout_drift("iraqinews", night(38, 0), history[:2], CFG) == []
    assert layout_drift("iraqinews", night(3, 0), history, CFG) == []


def test_fields_coming_out_are_watched_without_a_profile_too() -> None:
    usual = asdict(SourceQuality(pages=20, fields={"title": 20, "body": 20, "published": 20}))
    history = [{"extract": usual}] * 3
    dateless = asdict(SourceQuality(pages=20, fields={"title": 20, "body": 20, "published": 2}))
    assert layout_drift("rudaw", dateless, history, CFG) == [
        "layout drift: rudaw: published came out on 2 of 20 pages (usually 20/20): layout changed?"
    ]
    # runs recorded before these counts existed are no history for them
    assert layout_drift("rudaw", dateless, [{"extract": {"pages": 20}}] * 3, CFG) == []


def _summary(run_id: str, crawled: list, extracted: pipeline.ExtractReport) -> dict:
    """What the load task hands the check task (see newsflow.airflow.tasks)."""
    return {
        "run_id": run_id,
        "sources": ["demo"],
        "crawl": [r.to_dict() for r in crawled],
        "extract": {},
        "quality": {k: asdict(v) for k, v in extracted.by_source.items()},
        "load": None,
    }


def test_check_step_alarms_on_the_redesigned_demo_site_and_not_on_the_usual_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsflow.airflow.tasks import check_step

    site = start_demo_site()
    monkeypatch.setenv("NEWSFLOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NEWSFLOW_CRAWL__DOWNLOAD_DELAY", "0")
    monkeypatch.setenv("NEWSFLOW_AIRFLOW__ANOMALY_ACTION", "mark")
    monkeypatch.setenv("NEWSFLOW_SOURCES_FILE", str(write_registry(tmp_path / "s.yaml", site.url)))

    def crawl_night(run_id: str) -> dict:
        settings = load_settings()
        sources = select_sources(load_registry(settings.sources_file), ["demo"])
        summary = pipeline.run(settings, sources, run_id=run_id, max_pages=8)
        return _summary(run_id, summary.crawl, summary.extract)

    with site:
        first = crawl_night("night-1")
        assert first["quality"]["demo"]["selectors"]["body"] == 8
        settings = load_settings()
        with open_database(settings.database_url) as engine:
            (row,) = latest_runs(engine, "demo", 5)
            stats = row["extract"].stats
            assert stats["profiled"] == 8 and stats["fields"]["published"] == 8
            for n in (2, 3):  # two more nights like the first
                started = datetime.now(UTC) - timedelta(days=4 - n)
                record_run(
                    engine,
                    run_id=f"night-{n}",
                    source="demo",
                    stage="extract",
                    started_at=started,
                    status="ok",
                    stats=stats,
                )
        # the usual layout, read again from the archive: quiet
        again = pipeline.reextract(settings, load_registry(settings.sources_file), source="demo")
        assert again.extract.by_source["demo"].selectors["body"] == 8  # reextract: profiled
        quiet = check_step(_summary("night-4", [], again.extract))
        assert quiet["anomalies"] == {}

        # the site ships a new theme overnight: the body selector stops matching, the alarm
        # fires, and the articles still come out (the generic extractor reads them)
        site.set_layout("redesign")
        changed = crawl_night("night-5")
    assert changed["quality"]["demo"]["fields"]["body"] == 8
    verdict = check_step(changed)
    assert verdict["anomalies"]["demo"] == [
        "layout drift: demo: body selector matched 0 of 8 pages (usually 8/8); so did title, "
        "authors, published, section, tags: layout changed?"
    ]
    assert "layout drift: demo: body selector matched 0 of 8 pages" in verdict["note"]
