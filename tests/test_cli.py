"""The `newsflow` command line as a new user meets it: a mistyped source name, run id, limit or
database path is refused with a message that says what was wrong and what would be right,
before any work is done or any file is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsflow import cli
from newsflow.settings import Settings
from newsflow.sources import load_registry

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "extraction"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working folder: the default data/ (and its database) would land here."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSFLOW_CONFIG", raising=False)
    return tmp_path


@pytest.mark.parametrize(
    "command",
    [
        ["run", "--only", "nope"],
        ["crawl", "--only", "nope"],
        ["backfill", "--ccnews", "--only", "nope", "--since", "2023-01"],
        ["crawl-state", "nope"],
        ["reextract", "--source", "nope"],
        ["extract-page", str(FIXTURES / "empty.html"), "--source", "nope"],
        ["check", "nope"],
        ["search", "x", "--source", "nope"],
        ["export", "--source", "nope"],
        ["stats", "--source", "nope", "--entities"],
        ["stats", "--source", "nope"],
    ],
    ids=lambda command: "-".join(a for a in command[:2] if not a.startswith("/")),
)
def test_every_command_refuses_an_unknown_source_alike(
    command: list[str], workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    known = ", ".join(sorted(s.name for s in load_registry(Settings().sources_file)))
    assert cli.main(command) == 2
    out, err = capsys.readouterr()
    assert err == f"newsflow: error: unknown source nope; known: {known}\n"
    assert out == ""
    assert not (workdir / "data").exists()  # refused before a database or a file was made


@pytest.mark.parametrize("folders", [[], ["demo"]], ids=["no-archives", "other-runs-only"])
def test_extract_of_a_run_without_archives_is_refused(
    folders: list[str], workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in folders:
        (workdir / "data" / "warc" / name).mkdir(parents=True)
    assert cli.main(["extract", "--run-id", "nope"]) == 2
    out, err = capsys.readouterr()
    warc_dir = workdir / "data" / "warc"
    assert "newsflow: error: no archive of run nope: looked for nope.warc.gz" in err
    assert f"in {warc_dir} ({', '.join(f'{n}/' for n in folders) or 'no source folders'})" in err
    assert out == ""
    assert not (workdir / "data" / "extracted" / "nope.jsonl").exists()
