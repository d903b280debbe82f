"""Hostile pages are recorded as failed with a reason and the batch goes on; the CLI."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from extraction import extract_article
from extraction.bounds import BoundedExtractor, Bounds
from extraction.errors import (
    MEMORY_ERROR,
    TIMEOUT_ERROR,
    TOO_DEEP_ERROR,
    TOO_LARGE_ERROR,
    WORKER_DIED_ERROR,
)
from newsflow.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"
PROSE = (
    "<p>The provincial council met on Tuesday to discuss the reconstruction budget for the "
    "districts that were damaged during the fighting, officials said.</p>"
)
GOOD_PAGE = f"<html><body><article>{PROSE * 3}</article></body></html>".encode()
HUGE_PAGE = b"<html><body><article>" + PROSE.encode() * 160_000 + b"</article></body></html>"
DEEP_PAGE = (
    b"<html><body>" + b"<div>" * 5000 + PROSE.encode() + b"</div>" * 5000 + b"</body></html>"
)
# 1.7 MB of table cells: seconds of work and hundreds of MB for lxml and trafilatura.
SLOW_PAGE = (
    b"<html><body><table>"
    + b"<tr><td>x</td><td>y</td></tr>" * 60_000
    + b"</table>"
    + PROSE.encode()
    + b"</body></html>"
)


def test_huge_page_is_refused_unparsed_and_the_batch_goes_on() -> None:
    assert len(HUGE_PAGE) > 24_000_000
    with BoundedExtractor(Bounds(max_html_bytes=10 * 1024 * 1024)) as extractor:
        results = [
            extractor.extract(page, f"https://example.com/{i}", source="s")
            for i, page in enumerate([GOOD_PAGE, HUGE_PAGE, GOOD_PAGE])
        ]
    assert [r.error for r in results] == [None, TOO_LARGE_ERROR, None]
    assert results[1].url == "https://example.com/1" and results[1].source == "s"
    assert results[1].extractor.startswith("newsflow-extraction/")


def test_deep_nesting_is_refused_with_its_reason() -> None:
    article = extract_article(DEEP_PAGE, "https://example.com/deep")
    assert article.error == TOO_DEEP_ERROR
    assert article.text == ""
    shallow = b"<html><body>" + b"<div>" * 200 + PROSE.encode() * 2 + b"</div>" * 200 + b"</body>"
    assert extract_article(shallow, "https://example.com/shallow").ok


def test_slow_page_times_out_and_a_fresh_worker_takes_the_next_one() -> None:
    with BoundedExtractor(Bounds(timeout_seconds=0.3)) as extractor:
        slow = extractor.extract(SLOW_PAGE, "https://example.com/slow")
        after = extractor.extract(GOOD_PAGE, "https://example.com/after")
        assert extractor.restarts == 1
    assert slow.error == TIMEOUT_ERROR
    assert after.ok


def test_memory_bound_stops_a_greedy_page_and_the_batch_goes_on() -> None:
    with BoundedExtractor(Bounds(timeout_seconds=60, memory_bytes=260 * 1024 * 1024)) as extractor:
        greedy = extractor.extract(SLOW_PAGE, "https://example.com/greedy")
        after = extractor.extract(GOOD_PAGE, "https://example.com/after")
    assert not greedy.ok
    # Where libxml2 runs out decides how it surfaces: MemoryError, a failed C call, or death.
    assert greedy.error in (MEMORY_ERROR, WORKER_DIED_ERROR) or greedy.error.startswith(
        "extraction failed: "
    )
    assert after.ok


def test_bounded_result_equals_in_process_result() -> None:
    html = (FIXTURES / "anbar_wordpress.html").read_bytes()
    url = "https://www.iraqinews.com/?p=178920"
    with BoundedExtractor() as extractor:
        assert extractor.extract(html, url) == extract_article(html, url)


def run_cli(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    stdin: bytes = b"",
) -> tuple[int, str, str]:
    """``newsflow extract-page ARGS`` in process: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = main(["extract-page", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_prints_the_record_of_a_file_with_entities(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    page = str(FIXTURES / "anbar_wordpress.html")
    code, out, err = run_cli(capsys, monkeypatch, page, "--url", "https://www.iraqinews.com/?p=1")
    assert code == 0, err
    record = json.loads(out)
    assert record["url"] == "https://www.iraqinews.com/?p=1"
    assert record["title"].startswith("UPDATED: Iraqi forces kill 12 IS militants")
    assert record["authors"] == ["Mohamed Mostafa"]
    assert record["published"] == "2017-07-31T14:12:00+03:00"
    assert record["error"] is None
    assert {"text": "Anbar", "label": "GPE", "count": 4} in [
        {k: e[k] for k in ("text", "label", "count")} for e in record["entities"]
    ]
    assert isinstance(record["simhash"], int)
    assert len(record["content_hash"]) == 64


def test_cli_reads_stdin_and_reports_an_empty_page(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = (FIXTURES / "empty.html").read_bytes()
    code, out, _ = run_cli(capsys, monkeypatch, "-", "--no-entities", stdin=empty)
    assert code == 0
    record = json.loads(out)
    assert record["url"] == "stdin:"
    assert record["error"] == "empty document"
    assert record["text"] == ""


@pytest.mark.parametrize(
    ("page", "message"),
    [("ftp://example.com/a.html", "only http and https"), ("/no/such/file.html", "No such file")],
)
def test_cli_refuses_what_it_cannot_read(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, page: str, message: str
) -> None:
    code, out, err = run_cli(capsys, monkeypatch, page)
    assert code == 2
    assert message in err
    assert out == ""
