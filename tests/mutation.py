"""Break the rules the README promises, one line at a time, and check that a test notices.

`make mutation` (not part of `make test`): copies the project to a scratch folder, runs the
guarding tests once unchanged (they must pass), then for each mutation below puts one line of
one file back to a broken version, runs only the tests that guard that rule (`-x`, stop at the
first failure) and restores the file. A mutation the tests do not fail *survived*: a promise
with no test behind it. The script prints each result and exits 1 if any survived.

    .venv/bin/python tests/mutation.py [--only NAME ...] [--list] [--no-baseline]

Exit 1 as well when a run ends without a verdict (a collection error, a timeout, a server
down). Lives beside the tests because it is about them; pytest does not collect it (no `test_`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEFT_OUT = {".git", ".venv", "data", ".airflow", ".pytest_cache", "__pycache__", ".ruff_cache"}
TIMEOUT_SECONDS = 900


@dataclass(frozen=True)
class Mutation:
    name: str
    rule: str  # the README's promise it breaks
    path: str
    old: str  # must occur exactly once in `path` (with a line of context where needed)
    new: str
    tests: tuple[str, ...]


CRAWL = "tests/test_crawl_faults.py::"
# the line before the robots.txt rule, which HostHealth's failure rule repeats
ROBOTS_ANSWER = 'archive_response(self.crawler, response, "robots")\n        '
STORAGE = "tests/test_storage.py::"
MUTATIONS = [
    Mutation(
        "robots-429-allowed",
        "robots.txt answering 429 means disallow everything",
        "spiders/middlewares.py",
        ROBOTS_ANSWER + "if response.status >= 500 or response.status == 429:",
        ROBOTS_ANSWER + "if response.status >= 500:",
        (CRAWL + "test_unreachable_robots_txt_means_disallow_and_says_so",),
    ),
    Mutation(
        "robots-5xx-allowed",
        "robots.txt answering 5xx means disallow everything",
        "spiders/middlewares.py",
        ROBOTS_ANSWER + "if response.status >= 500 or response.status == 429:",
        ROBOTS_ANSWER + "if response.status == 429:",
        (CRAWL + "test_unreachable_robots_txt_means_disallow_and_says_so",),
    ),
    Mutation(
        "robots-4xx-disallows",
        "robots.txt answering 4xx means no rules",
        "spiders/middlewares.py",
        ROBOTS_ANSWER + "if response.status >= 500 or response.status == 429:",
        ROBOTS_ANSWER + "if response.status >= 400:",
        (CRAWL + "test_robots_txt_answering_404_means_no_rules",),
    ),
    Mutation(
        "robots-network-error-allowed",
        "robots.txt that cannot be reached (refused, DNS) means disallow everything",
        "spiders/middlewares.py",
        "        if isinstance(exc, Refused):",
        "        if True:",
        (CRAWL + "test_robots_txt_unreachable_at_the_network_level_means_disallow",),
    ),
    Mutation(
        "size-cap-48-mib",
        "responses are capped at 32 MiB",
        "spiders/job.py",
        "max_response_bytes: int = Field(32 * 1024 * 1024, gt=0)",
        "max_response_bytes: int = Field(48 * 1024 * 1024, gt=0)",
        (CRAWL + "test_the_size_cap_counts_decompressed_bytes_and_stops_at_32_mib",),
    ),
    Mutation(
        "size-cap-31-mib",
        "responses are capped at 32 MiB (not less)",
        "spiders/job.py",
        "max_response_bytes: int = Field(32 * 1024 * 1024, gt=0)",
        "max_response_bytes: int = Field(31 * 1024 * 1024, gt=0)",
        (CRAWL + "test_the_size_cap_counts_decompressed_bytes_and_stops_at_32_mib",),
    ),
    Mutation(
        "reload-same-content-is-a-change",
        "loading the same file twice changes nothing",
        "storage/changes.py",
        "elif row.content_hash == article.content_hash or _is_stale(article, row):",
        "elif _is_stale(article, row):",
        (STORAGE + "test_reloading_changes_nothing",),
    ),
    Mutation(
        "reload-key-not-normalised",
        "upserts are keyed on the normalised canonical URL (tracking parameters dropped)",
        "storage/load.py",
        "    return normalize_url(article.canonical_url or article.url)",
        "    return article.canonical_url or article.url",
        (STORAGE + "test_one_article_is_one_row_whatever_its_tracking_parameters",),
    ),
    Mutation(
        "refused-source-is-zero-new",
        "a source whose requests are all refused is BLOCKED, not 0 new",
        "newsflow/pipeline/reports.py",
        "        if refused or (self.fetched == 0 and self.refused_pages):",
        "        if refused:",
        (
            CRAWL + "test_source_that_only_gets_refused_reports_blocked_not_zero_new",
            CRAWL + "test_cli_run_summary_ends_in_blocked",
        ),
    ),
    Mutation(
        "cli-summary-without-blocked",
        "`newsflow run` ends a blocked source's line with -- BLOCKED",
        "newsflow/cli/main.py",
        "            + report.status_suffix()",
        '            + ""',
        (CRAWL + "test_cli_run_summary_ends_in_blocked",),
    ),
    Mutation(
        "archived-before-the-warc-is-complete",
        "a page becomes archived only once its WARC file is complete",
        "spiders/news.py",
        'role, outcome = "article", crawl_state.FETCHED',
        'role, outcome = "article", crawl_state.ARCHIVED',
        (
            "tests/test_crawl_resume.py::test_sigkilled_crawl_then_rerun_stores_every_article_exactly_once",
        ),
    ),
    Mutation(
        "quality-gate-short-text",
        "a body under 400 characters is flagged short_text",
        "extraction/quality.py",
        "SHORT_TEXT_CHARS = 400",
        "SHORT_TEXT_CHARS = 200",
        ("tests/test_extraction_boilerplate.py", "tests/test_extraction_body.py"),
    ),
    Mutation(
        "article-gate-line-length",
        "an article holds one line of 100 characters or more",
        "extraction/body.py",
        "MIN_PROSE_LINE_CHARS = 100",
        "MIN_PROSE_LINE_CHARS = 150",
        ("tests/test_extraction_body.py", "tests/test_extraction.py"),
    ),
    Mutation(
        "article-gate-total",
        "or 300 characters in sentence-length lines",
        "extraction/body.py",
        "MIN_PROSE_CHARS = 300",
        "MIN_PROSE_CHARS = 400",
        ("tests/test_extraction_body.py", "tests/test_extraction.py"),
    ),
    Mutation(
        "article-gate-sentence-length",
        "lines of 40 characters or more count towards the 300",
        "extraction/body.py",
        "MIN_SENTENCE_CHARS = 40",
        "MIN_SENTENCE_CHARS = 30",
        ("tests/test_extraction_body.py", "tests/test_extraction.py"),
    ),
    Mutation(
        "standfirst-from-a-teaser-link",
        "a description shown only in a link or list item does not lead the body",
        "extraction/standfirst.py",
        "return None if _teaser(node) else",
        "return None if False else",
        ("tests/test_extraction_body.py",),
    ),
    Mutation(
        "standfirst-cut-description",
        "a description cut short stands for an element up to twice as long",
        "extraction/standfirst.py",
        "MAX_EXTRA_SHARE_CUT = 1.0",
        "MAX_EXTRA_SHARE_CUT = 0.3",
        ("tests/test_extraction_body.py",),
    ),
    Mutation(
        "standfirst-header-kept",
        "the short header lines read before the standfirst are cut",
        "extraction/standfirst.py",
        "if header and all(",
        "if False and all(",
        ("tests/test_extraction_body.py",),
    ),
    Mutation(
        "body-ends-anywhere",
        "a short last sentence stays; only lines that end no sentence are cut",
        "extraction/body.py",
        "and not _SENTENCE_END.search(paragraphs[-1].strip())",
        "and bool(paragraphs[-1])",
        ("tests/test_extraction_body.py",),
    ),
    Mutation(
        "standfirst-exact-description",
        "a standfirst that is the description lightly edited is still found",
        "extraction/standfirst.py",
        "MIN_SHOWN_WORDS = 0.8",
        "MIN_SHOWN_WORDS = 1.0",
        ("tests/test_extraction_body.py",),
    ),
    Mutation(
        "near-duplicate-threshold-8",
        "near-duplicates are within 7 bits (not 8)",
        "extraction/dedup.py",
        "MAX_DISTANCE = 7",
        "MAX_DISTANCE = 8",
        ("tests/test_dedup.py", STORAGE + "test_copies_point_to_the_first_seen_article"),
    ),
    Mutation(
        "near-duplicate-threshold-6",
        "near-duplicates are within 7 bits (not 6)",
        "extraction/dedup.py",
        "MAX_DISTANCE = 7",
        "MAX_DISTANCE = 6",
        ("tests/test_dedup.py", STORAGE + "test_copies_point_to_the_first_seen_article"),
    ),
    Mutation(
        "silent-server-waited-for",
        "a server that stops answering mid-load is given up on after database_answer_timeout",
        "storage/stall.py",
        '    if seconds is None or engine.dialect.name == "sqlite":',
        "    if True:",
        (
            "tests/test_database_faults.py::"
            "test_load_into_a_server_that_stops_answering_fails_in_time_then_a_rerun_finishes",
        ),
    ),
    Mutation(
        "unresolved-name-handed-on",
        "a name that does not resolve is refused before anything is sent",
        "spiders/middlewares.py",
        "        except DNSLookupError:\n            raise",
        "        except DNSLookupError:\n            return None",
        ("tests/test_address_guard.py",),
    ),
    Mutation(
        "offsite-redirect-silent",
        "a redirect off the source's domains is refused and recorded",
        "spiders/middlewares.py",
        "        if domains and not offsite_ok and not _on_domains(target, domains):",
        "        if False:",
        ("tests/test_address_guard.py",),
    ),
    Mutation(
        "shown-date-from-a-sentence",
        "a date line is mostly a date: a sentence or a caption dates something else",
        "extraction/shown_dates.py",
        "            return moment if others <= MAX_OTHER_CHARS else None",
        "            return moment",
        ("tests/test_extraction_metadata.py",),
    ),
    Mutation(
        "cjk-role-kept",
        "a Korean or Japanese role word after the name is no part of it",
        "extraction/cjk_bylines.py",
        '    return _ROLE_AFTER.sub("", name.strip()).strip()',
        "    return name",
        ("tests/test_extraction_bylines.py",),
    ),
    Mutation(
        "credit-lines-kept-in-body",
        "a credit line read in among the body's first paragraphs goes",
        "extraction/bylines.py",
        "        if len(line) > MAX_BYLINE_CHARS:",
        "        if True:",
        ("tests/test_extraction_bylines.py",),
    ),
]


def copy_project(target: Path) -> None:
    """The working tree (uncommitted edits included) without the venv, data and caches."""
    shutil.copytree(
        ROOT,
        target,
        ignore=lambda _folder, names: [n for n in names if n in LEFT_OUT or n.endswith(".db")],
        symlinks=True,
    )


def scratch_env(scratch: Path) -> dict[str, str]:
    """The scratch copy first on the path, for pytest and for the crawl children it starts."""
    return {**os.environ, "PYTHONPATH": str(scratch), "AIRFLOW_HOME": str(scratch / ".airflow")}


def check_imports_come_from(scratch: Path) -> None:
    code = "import extraction, newsflow, spiders, storage; print(spiders.__file__)"
    found = subprocess.run(
        [sys.executable, "-c", code],
        cwd=scratch,
        env=scratch_env(scratch),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not found.startswith(str(scratch)):
        raise SystemExit(f"the tests would import {found}, not the scratch copy in {scratch}")


def run_tests(scratch: Path, tests: tuple[str, ...] | list[str]) -> tuple[int, float, str]:
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    started = time.monotonic()
    try:
        done = subprocess.run(
            command,
            cwd=scratch,
            env=scratch_env(scratch),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        return -1, time.monotonic() - started, "timed out"
    lines = (done.stdout + done.stderr).strip().splitlines()
    return done.returncode, time.monotonic() - started, lines[-1] if lines else ""


def apply(scratch: Path, mutation: Mutation) -> str:
    """Break the line; returns the file's original text to put back."""
    path = scratch / mutation.path
    original = path.read_text(encoding="utf-8")
    if original.count(mutation.old) != 1:
        raise SystemExit(
            f"{mutation.name}: {mutation.old!r} occurs {original.count(mutation.old)} times in "
            f"{mutation.path}, not once: update the mutation list"
        )
    path.write_text(original.replace(mutation.old, mutation.new), encoding="utf-8")
    return original


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these mutations")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the run of the unchanged tests"
    )
    args = parser.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.only or m.name in args.only]
    if args.list or not chosen:
        for m in MUTATIONS:
            print(f"{m.name:38} {m.path}: {m.rule}")
        return 0 if args.list else 2
    with tempfile.TemporaryDirectory(prefix="newsflow-mutation-") as folder:
        scratch = Path(folder) / "newsflow"
        copy_project(scratch)
        check_imports_come_from(scratch)
        if not args.no_baseline:
            guards = sorted({t for m in chosen for t in m.tests})
            code, seconds, last = run_tests(scratch, guards)
            print(
                f"baseline: {len(guards)} guarding test selections, unchanged: {last} "
                f"({seconds:.0f} s)",
                flush=True,
            )
            if code != 0:
                print("the guarding tests fail without any mutation: fix them first")
                return 1
        survived, errors = [], []
        for mutation in chosen:
            original = apply(scratch, mutation)
            try:
                code, seconds, last = run_tests(scratch, mutation.tests)
            finally:
                (scratch / mutation.path).write_text(original, encoding="utf-8")
            verdict = {0: "SURVIVED", 1: "killed"}.get(code, f"error (exit {code})")
            if code == 0:
                survived.append(mutation)
            elif code != 1:  # not a test failure (collection error, timeout, no server)
                errors.append(mutation)
            print(f"{verdict:9} {mutation.name:38} {seconds:5.0f} s  {last}", flush=True)
    killed = len(chosen) - len(survived) - len(errors)
    print(f"{killed} of {len(chosen)} mutations killed by a failing test", end="")
    print(", survived: " + ", ".join(m.name for m in survived) if survived else ", none survived")
    if errors:
        print(
            "not decided (the tests did not run to a verdict): " + ", ".join(m.name for m in errors)
        )
    return 1 if survived or errors else 0


if __name__ == "__main__":
    sys.exit(main())
