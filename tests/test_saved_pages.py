"""Saved pages: every source's saved pages give their expected records (what `newsflow check`
runs), a difference is printed per field with exit 1, and `newsflow sources add` saves a page
with today's record and proposes the registry entry."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
import yaml

from newsflow import cli
from newsflow.demo_site import DemoSite, load_articles
from newsflow.pipeline.checking import check_source, describe, saved_pages
from newsflow.settings import Settings
from newsflow.sources import load_registry

ROOT = Path(__file__).resolve().parent.parent


def test_every_source_gives_its_saved_records() -> None:
    """`newsflow check` for every source of the shipped registry (the demo source has pages)."""
    settings = Settings()
    registry = load_registry(settings.sources_file)
    checked = {s.name: check_source(settings, s) for s in registry}
    assert len(checked["demo"]) >= 3
    failures = [line for results in checked.values() for r in results for line in describe(r)]
    assert all(line.endswith(": ok") for line in failures), "\n".join(failures)


def test_demo_expected_records_are_the_demo_sites_truth() -> None:
    """The reviewed expected records say what the demo site published (its content file)."""
    truth = {a.slug: a for a in load_articles()}
    pages = saved_pages(Settings(), "demo")
    for page in pages:
        expected = json.loads(page.with_name(page.name.replace(".html.gz", ".json")).read_text())
        article = next(a for a in truth.values() if expected["url"].endswith(a.path))
        record = expected["record"]
        assert record["profile"] == "demo:newsline-2018"
        assert record["title"] == article.title
        assert record["authors"] == [article.author]
        assert record["published"] == article.published.isoformat()
        assert record["section"] == article.section_name
        assert record["tags"] == article.tags
        assert record["text"] == "\n\n".join(article.paragraphs)
        assert len(page.read_bytes()) < 8000  # small: gzipped
    assert any(
        json.loads(p.with_suffix("").with_suffix(".json").read_text())["record"]["language"] == "ar"
        for p in pages
    )


@pytest.fixture
def saved_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "sources"
    shutil.copytree(ROOT / "tests" / "sources", folder)
    monkeypatch.setenv("NEWSFLOW_SAVED_PAGES_DIR", str(folder))
    return folder


def test_check_prints_a_diff_per_field_and_exits_1(saved_copy: Path, capsys) -> None:
    path = saved_copy / "demo" / "police-foil-car-bomb-attack-on-checkpoint-near-ramadi.json"
    expected = json.loads(path.read_text(encoding="utf-8"))
    expected["record"]["title"] = "Police foil an attack"
    expected["record"]["text"] = expected["record"]["text"].replace(
        "early on Saturday", "on Friday"
    )
    del expected["record"]["tags"]  # not in the expected record: not checked
    path.write_text(json.dumps(expected), encoding="utf-8")
    assert cli.main(["check", "demo"]) == 1
    out = capsys.readouterr().out
    assert "demo/police-foil-car-bomb-attack-on-checkpoint-near-ramadi: 2 field(s) differ" in out
    assert (
        "  title: expected 'Police foil an attack', "
        "got 'Police foil car bomb attack on checkpoint near Ramadi'" in out
    )
    assert (
        "    -Police in Anbar foiled an attempted car bomb attack on a checkpoint east of "
        "Ramadi on Friday" in out
    )
    assert (
        "    +Police in Anbar foiled an attempted car bomb attack on a checkpoint east of "
        "Ramadi early on Saturday" in out
    )
    assert "demo/baghdads-green-zone-opens-to-the-public-after-15-years: ok" in out
    assert "3 saved pages checked, 1 differ" in out


def test_a_saved_page_without_its_record_is_a_clear_error(saved_copy: Path, capsys) -> None:
    (saved_copy / "demo" / "broken.html.gz").write_bytes(gzip.compress(b"<html></html>"))
    assert cli.main(["check", "demo"]) == 2
    assert "broken.html.gz: no expected record broken.json beside it" in capsys.readouterr().err
    assert cli.main(["check", "nosuchsite"]) == 2


def test_sources_add_saves_the_page_and_proposes_an_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_site: DemoSite, capsys
) -> None:
    """A site not in the registry: discovered (as `sources discover` does), its page fetched and
    saved with today's record, which `check` then passes once the entry is added."""
    monkeypatch.setenv("NEWSFLOW_SAVED_PAGES_DIR", str(tmp_path / "saved"))
    registry = tmp_path / "sources.yaml"
    registry.write_text("sources: []\n", encoding="utf-8")
    article = load_articles()[0]
    url = demo_site.url_for(article.path)
    args = ["--sources", str(registry)]
    # a loopback address is fetched only when asked for (discovery refuses it the same way)
    assert cli.main(["sources", "add", url, "--source", "anbar", *args]) == 2
    assert "loopback/private address" in capsys.readouterr().err
    assert cli.main(["sources", "add", url, "--local", "--source", "anbar", *args]) == 0
    out = capsys.readouterr().out
    entry = yaml.safe_load(out.split("if needed):\n", 1)[1].split("saved ", 1)[0])[0]
    assert entry["name"] == "anbar"
    assert entry["feeds"] == ["/feed/"]
    assert entry["local"] is True
    saved = tmp_path / "saved" / "anbar" / f"{article.slug}.json"
    record = json.loads(saved.read_text(encoding="utf-8"))["record"]
    assert record["title"] == article.title
    assert record["profile"] == "generic"
    assert "newsflow check anbar" in out
    # the same page is not saved twice (its record may hold a person's corrections)
    assert cli.main(["sources", "add", url, "--local", "--source", "anbar", *args]) == 2
    assert "exists already" in capsys.readouterr().err
    registry.write_text(yaml.safe_dump({"sources": [entry]}), encoding="utf-8")
    assert cli.main(["check", *args]) == 0
    assert "1 saved pages checked, 0 differ" in capsys.readouterr().out


def test_extract_page_reads_a_page_with_the_sources_profile(tmp_path: Path, capsys) -> None:
    saved = (
        ROOT
        / "tests"
        / "sources"
        / "demo"
        / "police-foil-car-bomb-attack-on-checkpoint-near-ramadi"
    )
    page = tmp_path / "page.html"
    page.write_bytes(gzip.decompress(saved.with_suffix(".html.gz").read_bytes()))
    url = json.loads(saved.with_suffix(".json").read_text(encoding="utf-8"))["url"]
    args = ["extract-page", str(page), "--url", url, "--no-entities"]
    assert cli.main([*args, "--source", "demo"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["extractor"].endswith(" profile=demo:newsline-2018")
    assert record["selectors"]["body"] is True
    assert cli.main(args) == 0
    assert "profile=" not in json.loads(capsys.readouterr().out)["extractor"]
    assert cli.main([*args, "--source", "nosuchsite"]) == 2
    assert "unknown source nosuchsite" in capsys.readouterr().err
