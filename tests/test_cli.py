"""The `newsflow` command line as a new user meets it: a mistyped source name, run id, limit or
database path is refused with a message that says what was wrong and what would be right,
before any work is done or any file is written."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from extraction.record import Article
from newsflow import cli
from newsflow.demo_site import DemoSite
from newsflow.discover import proposed_name
from newsflow.settings import Settings
from newsflow.sources import Source, load_registry

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


def test_a_failed_load_shows_the_command_that_loads_into_the_same_database(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hint repeats the options given (the password hidden), so copying it does not load
    into the default SQLite file instead."""
    article = Article(url="https://news.example/a", source="demo", title="A", text="Words.")
    extracted = workdir / "night" / "extracted" / "R1.jsonl"
    extracted.parent.mkdir(parents=True)
    extracted.write_text(json.dumps(article.to_dict()) + "\n", encoding="utf-8")
    monkeypatch.setenv("NEWSFLOW_DATABASE_RETRIES", "0")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    url = f"postgresql+psycopg2://newsflow:s3cret@127.0.0.1:{port}/news"
    assert cli.main(["load", "--run-id", "R1", "--database-url", url, "--data-dir", "night"]) == 2
    err = capsys.readouterr().err
    assert "s3cret" not in err
    hidden = f"postgresql+psycopg2://newsflow:***@127.0.0.1:{port}/news"
    command = f"newsflow load --run-id R1 --database-url '{hidden}' --data-dir night"
    assert f"load them when the database is back with `{command}`" in err
    assert err.endswith("` (the password is hidden: put it in place of ***)\n")
    assert shlex.split(command)[4:] == ["--database-url", hidden, "--data-dir", "night"]

    # without options the command is the bare one, and says nothing of a password
    (workdir / "data" / "extracted").mkdir(parents=True)
    shutil.copy(extracted, workdir / "data" / "extracted" / "R1.jsonl")
    monkeypatch.setenv("NEWSFLOW_DATABASE_URL", f"postgresql+psycopg2://127.0.0.1:{port}/news")
    assert cli.main(["load", "--run-id", "R1"]) == 2
    assert capsys.readouterr().err.endswith("with `newsflow load --run-id R1`\n")


@pytest.mark.parametrize(
    "command",
    [["stats"], ["stats", "--entities"], ["search", "x"], ["export"], ["crawl-state", "demo"]],
    ids=" ".join,
)
def test_reading_commands_refuse_a_sqlite_file_that_is_not_there(
    command: list[str], workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = workdir / "nonexistent" / "dir" / "x.db"
    assert cli.main([*command, "--database-url", f"sqlite:///{missing}"]) == 2
    err = capsys.readouterr().err
    assert f"newsflow: error: no database at {missing}: the SQLite file does not exist" in err
    assert "`newsflow run`" in err and "`newsflow db upgrade`" in err
    assert not (workdir / "nonexistent").exists()
    assert not (workdir / "data").exists()  # nor the default database, nor an export


def test_writing_commands_still_create_the_sqlite_file(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = workdir / "new" / "x.db"
    url = f"sqlite:///{database}"
    assert cli.main(["db", "upgrade", "--database-url", url]) == 0
    assert database.is_file()
    assert cli.main(["stats", "--database-url", url]) == 0
    assert capsys.readouterr().out.endswith("no loads recorded yet\n")


def test_a_closed_stdout_ends_the_command_quietly(tmp_path: Path) -> None:
    """`newsflow extract-page URL | head`: the reader gone, the command stops with 141 (as a
    shell reports SIGPIPE), no traceback."""
    page = FIXTURES / "anbar_wordpress.html"
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    with open(write_end, "wb") as stdout:
        done = subprocess.run(
            [sys.executable, "-m", "newsflow.cli", "extract-page", str(page), "--no-entities"],
            stdout=stdout,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
    assert done.stderr.decode() == ""
    assert done.returncode == 141


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (["search", "x", "--limit", "-1"], "--limit"),
        (["search", "x", "--limit", "0"], "--limit"),
        (["stats", "--runs", "0"], "--runs"),
        (["stats", "--entities", "-3"], "--entities"),
        (["run", "--max-pages", "0"], "--max-pages"),
        (["crawl", "--max-pages", "-5"], "--max-pages"),
        (
            ["backfill", "--ccnews", "--only", "demo", "--since", "2023-01", "--max-files", "0"],
            "--max-files",
        ),
        (["demo-site", "--port", "-1"], "--port"),
    ],
    ids=lambda value: value if isinstance(value, str) else " ".join(value[:1] + value[-2:]),
)
def test_counts_below_1_are_refused_where_they_are_parsed(
    command: list[str], option: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as refused:
        cli.main(command)
    assert refused.value.code == 2
    number = command[-1]
    assert f"error: argument {option}: must be 1 or more, not {number}" in capsys.readouterr().err
    assert not (workdir / "data").exists()


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("http://127.0.0.1:28766/", "127-0-0-1-28766"),
        ("http://10.0.0.5/", "10-0-0-5"),
        ("http://[::1]:8080/", "ipv6-1-8080"),
        ("http://localhost:8765/", "localhost-8765"),
        ("https://www.iraqinews.com/", "iraqinews"),
        ("https://news.example.org:8443/", "news-8443"),
        ("https://news.example.org:443/", "news"),
        (f"https://{'a' * 80}.example/", "a" * 63),
    ],
)
def test_a_discovered_name_is_a_usable_source_name_for_any_host(url: str, name: str) -> None:
    assert proposed_name(url) == name
    entry = {"name": name, "url": url, "local": True}
    assert Source.model_validate(entry).name == name  # the registry's own validation


def test_sources_discover_names_a_local_site_by_its_whole_address(
    demo_site: DemoSite, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["sources", "discover", demo_site.url, "--local"]) == 0
    (entry,) = yaml.safe_load(capsys.readouterr().out)
    port = urlsplit(demo_site.url).port
    assert entry["name"] == f"127-0-0-1-{port}"
    assert Source.model_validate(entry).local


UNTITLED = b"<html><body><article>%s</article></body></html>" % (
    b"<p>The council of Ramadi met on Sunday to discuss the bridge over the river, closed for "
    b"three months since the floods damaged its pillars. Residents said the detour adds an hour "
    b"to every trip.</p>"
)


def test_sources_add_leaves_a_title_it_did_not_find_out_and_says_so(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No headline found is the extractor's miss, not the page's truth: the expected record
    leaves it out (not checked) instead of expecting none, and the command says so. The site
    gave no title either (nothing answers there): the proposed entry says that too."""
    monkeypatch.setenv("NEWSFLOW_SAVED_PAGES_DIR", str(workdir / "saved"))
    (workdir / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    (workdir / "page.html").write_bytes(UNTITLED)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/2024/flood/"  # closed: no home page
    args = ["sources", "add", url, "--page", "page.html", "--source", "town", "--local"]
    assert cli.main([*args, "--sources", "sources.yaml"]) == 0
    out = capsys.readouterr().out
    entry = yaml.safe_load(out.split("if needed):\n", 1)[1].split("saved ", 1)[0])[0]
    assert "title" not in entry
    assert "  # no title: the home page has none (or could not be read); add `title:`\n" in out
    assert "  title: none found, so left out of the expected record (not checked)" in out
    saved = json.loads((workdir / "saved" / "town" / "flood.json").read_text(encoding="utf-8"))
    assert "title" not in saved["record"]
    assert saved["record"]["error"] is None and saved["record"]["text"]

    # a name the registry would refuse is refused as the registry does, not with a traceback
    assert cli.main([*args[:-3], "--source", "Town!", "--local", "--sources", "sources.yaml"]) == 2
    assert "newsflow: error: the proposed entry (--source): name: " in capsys.readouterr().err


def test_check_of_every_source_names_the_folders_it_skips(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = workdir / "saved"
    shutil.copytree(ROOT / "tests" / "sources", saved)
    (saved / "gone").mkdir()
    shutil.copy(next((saved / "demo").glob("*.html.gz")), saved / "gone" / "page.html.gz")
    monkeypatch.setenv("NEWSFLOW_SAVED_PAGES_DIR", str(saved))
    assert cli.main(["check"]) == 0
    out = capsys.readouterr().out
    registry = Settings().sources_file
    assert out.startswith(f"gone: skipped {saved / 'gone'}/: no source gone in {registry}\n")
    assert "saved pages checked, 0 differ" in out


def test_a_source_taken_out_of_the_registry_can_still_be_read_by_name(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its articles stay stored: search and export by its name find them; a name neither the
    registry nor the database knows is still refused."""
    from storage import load_articles, open_database

    retired = Source(name="retired", title="Retired Post", url="https://retired.example/")
    article = Article(
        url="https://retired.example/a", source="retired", title="Dockworkers end strike",
        text="The dockworkers of Umm Qasr ended their strike on Sunday.",
    )  # fmt: skip
    database = workdir / "data" / "newsflow.db"
    database.parent.mkdir(parents=True)
    with open_database(f"sqlite:///{database}") as engine:
        load_articles(engine, [article], [retired])
    assert cli.main(["search", "dockworkers", "--source", "retired"]) == 0
    assert "Dockworkers end strike" in capsys.readouterr().out
    assert cli.main(["export", "--source", "retired", "--format", "jsonl"]) == 0
    assert "wrote 1 articles" in capsys.readouterr().out
    assert cli.main(["search", "dockworkers", "--source", "nope"]) == 2
    assert "unknown source nope; known:" in capsys.readouterr().err
