"""`make soak` (not part of `make test`): many consecutive nights of `newsflow run --only demo`
against the demo site while its articles are added, edited and deleted between nights, with a
fault injected on some nights, then the database compared with the site's ground truth.

    python tests/soak.py [--nights 30] [--seed 1] [--database-url URL] [--keep DIR]

Seeded: the same seed gives the same site history and the same faults. The faults are those of
issue 16: the site down for a night, a burst of 503s, the crawl child killed with SIGKILL midway,
the whole run killed midway through extract, the load's PostgreSQL backend terminated midway
(PostgreSQL only), an archive of an earlier night damaged. The night after a fault runs as usual;
a last night without faults gives every article a clean chance. Then every article ever served
must be stored exactly once, with the site's last text (a deleted article: its text when
deleted), and every edit seen by a night must have left the text before it in
`article_versions`. Exit 0 when all holds, 1 otherwise; the figures are printed either way.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from sqlalchemy import create_engine, func, select  # noqa: E402

from newsflow.demo_site import DemoArticle, DemoSite, load_articles  # noqa: E402
from newsflow.demo_site.server import DemoHandler, DemoHTTPServer  # noqa: E402
from storage.schema import article_versions, articles  # noqa: E402
from tests.airflow_processes import free_port  # noqa: E402
from tests.process_table import find  # noqa: E402
from tests.services import postgres_url  # noqa: E402

FAULTS = ("site_down", "5xx_burst", "crawl_killed", "run_killed", "backend_killed", "damaged")
NEWSFLOW = str(Path(sys.executable).with_name("newsflow"))


class FlakyHandler(DemoHandler):
    """The demo site answering 503 to a share of its article pages (a burst of 5xx)."""

    def _answer(self, with_body: bool) -> None:
        rate = getattr(self.server, "error_rate", 0.0)
        if rate and self.path.count("/") >= 5 and self.server.rng.random() < rate:
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, "text/plain", b"busy", with_body)
            return
        super()._answer(with_body)


@dataclasses.dataclass
class Truth:
    """What the site served: every article ever published (deleted ones too)."""

    live: dict[str, DemoArticle]
    deleted: dict[str, DemoArticle] = dataclasses.field(default_factory=dict)
    edits_seen: dict[str, int] = dataclasses.field(default_factory=dict)
    next_id: int = 5000


def new_article(truth: Truth, rng: random.Random, night: int, templates: list[DemoArticle]):
    template = rng.choice(templates)
    truth.next_id += 7
    slug = f"soak-night-{night:02d}-{truth.next_id}"
    published = template.published.replace(year=2026, month=11, day=1) + timedelta(days=night)
    lead = f"Night {night} story {truth.next_id}: reported for the soak run."
    article = dataclasses.replace(
        template,
        slug=slug,
        path=f"/{published:%Y/%m/%d}/{slug}/",
        title=f"{template.title} (story {truth.next_id})",
        published=published,
        modified=None,
        paragraphs=[f"{lead} {template.paragraphs[0]}", *template.paragraphs[1:]],
        related=[],
        related_paths=[],
        post_id=truth.next_id,
    )
    truth.live[article.path] = article


def edit_article(truth: Truth, rng: random.Random, night: int, path: str) -> None:
    old = truth.live[path]
    edited = dataclasses.replace(
        old,
        title=f"{old.title.split(' [update')[0]} [update {night}]",
        paragraphs=[*old.paragraphs, f"Update on night {night}: officials confirmed the figures."],
        modified=datetime.now(UTC),  # edited now: after every fetch so far
    )
    truth.live[path] = edited


def serve(articles: list[DemoArticle], port: int, error_rate: float, rng: random.Random):
    articles = sorted(articles, key=lambda a: a.published, reverse=True)
    server = DemoHTTPServer(("127.0.0.1", port), articles)
    server.RequestHandlerClass = FlakyHandler
    server.handle_error = lambda request, address: None  # a killed crawl resets connections
    server.error_rate, server.rng = error_rate, rng
    return DemoSite(server, "127.0.0.1")


def stored(database_url: str) -> dict[str, tuple[str, int]]:
    """url -> (title, rows with that url) for the demo source."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(articles.c.url, articles.c.title).where(articles.c.source == "demo")
        ).all()
    engine.dispose()
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.url] = counts.get(row.url, 0) + 1
    return {row.url: (row.title, counts[row.url]) for row in rows}


def versions(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(articles.c.url, func.count(article_versions.c.id))
            .join(article_versions, article_versions.c.article_id == articles.c.id)
            .where(articles.c.source == "demo")
            .group_by(articles.c.url)
        ).all()
    engine.dispose()
    return dict(rows)


def terminate_backends(database_url: str) -> int:
    import psycopg2

    name = database_url.rsplit("/", 1)[1]
    admin = psycopg2.connect(postgres_url(driver=False))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        killed = cursor.fetchone()[0]
    admin.close()
    return killed


def run_night(env: dict, args: list[str], fault: str | None, work: Path, site) -> dict:
    """One `newsflow run`. A fault that strikes midway waits for its moment: the crawl child
    once the site has served an article page, the others at the stage's pause point."""
    pause = work / "pause"
    stage = {"run_killed": "extract", "backend_killed": "load"}.get(fault or "")
    if stage:
        (pause / f"{stage}.at").write_text("1")
    started = time.monotonic()
    log = work / "night.log"
    with open(log, "wb") as stream:
        proc = subprocess.Popen(
            [NEWSFLOW, "run", *args], env=env, stdout=subprocess.PIPE, stderr=stream, text=True
        )
        struck = ""
        if fault == "crawl_killed":
            while proc.poll() is None and not any(r.path.count("/") >= 5 for r in site.request_log):
                time.sleep(0.05)
            for child in find(b"spiders.run", parent=proc.pid):
                os.kill(child, signal.SIGKILL)
                struck = f"crawl child {child} killed"
        if stage:
            pid_file = pause / f"{stage}.pid"
            while not pid_file.exists() and proc.poll() is None:
                time.sleep(0.05)
            if pid_file.exists():
                if fault == "run_killed":
                    os.kill(proc.pid, signal.SIGKILL)
                    struck = f"run {proc.pid} killed mid-extract"
                else:
                    killed = terminate_backends(args[args.index("--database-url") + 1])
                    struck = f"{killed} backends terminated mid-load"
                pid_file.unlink()
            (pause / f"{stage}.at").unlink()
        out = proc.communicate(timeout=600)[0]
    keep = ("demo:", "stored ", "skipped damaged")
    summary = [line.strip() for line in out.splitlines() if line.strip().startswith(keep)]
    lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    errors = [line for line in lines if line.startswith("newsflow: error")]
    return {
        "rc": proc.returncode,
        "seconds": time.monotonic() - started,
        "struck": struck,
        "said": (errors or lines or [""])[-1][:160],
        "summary": "; ".join(summary)[:300],
    }


def damage_newest_archive(data_dir: Path) -> str:
    archives = sorted((data_dir / "warc" / "demo").glob("*.warc.gz"), key=os.path.getmtime)
    if not archives:
        return "no archive"
    target = archives[-1]
    size = target.stat().st_size
    with open(target, "r+b") as stream:
        stream.truncate(size // 2)
    return f"{target.name} cut to {size // 2} of {size} bytes"


def setup_database(requested: str | None, work: Path) -> tuple[str, Callable[[], None]]:
    """The database URL and how to drop it: a fresh PostgreSQL database of our own when the
    server answers (so the backend fault runs), else SQLite."""
    if requested:
        return requested, lambda: None
    try:
        import psycopg2

        admin = psycopg2.connect(postgres_url(driver=False), connect_timeout=3)
    except Exception:  # noqa: BLE001 - no PostgreSQL: SQLite, without that fault
        return f"sqlite:///{work / 'newsflow.db'}", lambda: None
    admin.autocommit = True
    name = f"newsflow_soak_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return postgres_url(name), drop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python tests/soak.py", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.5, help="share of faulty nights")
    parser.add_argument("--database-url", help="default: a new PostgreSQL database, else SQLite")
    parser.add_argument("--keep", type=Path, help="work here and keep it (default: a temp dir)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    work = args.keep or Path(tempfile.mkdtemp(prefix="newsflow-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    database_url, drop = setup_database(args.database_url, work)
    faults = [f for f in FAULTS if f != "backend_killed" or database_url.startswith("postgres")]
    port = free_port()
    registry = yaml.safe_load((ROOT / "sources.yaml").read_text(encoding="utf-8"))
    for entry in registry["sources"]:
        if entry["name"] == "demo":
            entry["url"] = f"http://127.0.0.1:{port}/"
    (work / "sources.yaml").write_text(yaml.safe_dump(registry), encoding="utf-8")
    pause = work / "pause"
    pause.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "NEWSFLOW_CRAWL__DOWNLOAD_DELAY": "0",
        "NEWSFLOW_LOAD_BATCH_SIZE": "2",
        "NEWSFLOW_PAUSE_DIR": str(pause),
        "NEWSFLOW_PROGRESS_SECONDS": "0",
        "NEWSFLOW_DATABASE_RETRY_BACKOFF_SECONDS": "0.2",
    }
    cli = ["--only", "demo", "--sources", str(work / "sources.yaml"), "--data-dir"]
    cli += [str(work / "data"), "--database-url", database_url]
    base = load_articles()
    templates = [a for a in base if a.language == "en" and a.encoding == "utf-8"]
    truth = Truth(live={a.path: a for a in base})
    served_titles: dict[str, str] = {}  # what the last night that served an article served
    tally = {"added": 0, "edited": 0, "deleted": 0, "failed nights": 0}
    struck: dict[str, int] = {}
    schedule = fault_schedule(rng, faults, args.nights, args.fault_rate)
    print(f"soak: {args.nights} nights, seed {args.seed}, {database_url.split('@')[-1]}, {work}")
    started = time.monotonic()
    try:
        for night in range(1, args.nights + 2):
            last = night > args.nights
            if night > 1 and not last:
                have = stored(database_url)
                for _ in range(rng.randint(1, 3)):
                    new_article(truth, rng, night, templates)
                    tally["added"] += 1
                storable = [p for p in truth.live if _url(port, p) in have]
                edits = rng.sample(storable, min(len(storable), rng.randint(0, 2)))
                for path in edits:
                    edit_article(truth, rng, night, path)
                    tally["edited"] += 1
                # a deleted article was stored as the site last showed it: an edit the site took
                # down before any night could fetch it is not the pipeline's to keep
                current = [
                    p
                    for p in storable
                    if p not in edits and have[_url(port, p)][0] == served_titles.get(p)
                ]
                if current and rng.random() < 0.3:
                    path = rng.choice(current)
                    truth.deleted[path] = truth.live.pop(path)
                    tally["deleted"] += 1
            fault = None if last else schedule.get(night)
            site = None
            if fault != "site_down":
                site = serve(
                    list(truth.live.values()), port, 0.4 if fault == "5xx_burst" else 0, rng
                )
                if fault == "crawl_killed":
                    site.set_delay(0.5)
                for path, article in truth.live.items():
                    served_titles[path] = article.title
            try:
                midway = None if fault == "damaged" else fault
                result = run_night(env, cli, midway, work, site)
            finally:
                if site is not None:
                    site.stop()
            note = result["struck"]
            if fault == "damaged" and result["rc"] == 0:
                note = damage_newest_archive(work / "data")
            if fault in ("site_down", "5xx_burst") or note:
                struck[fault] = struck.get(fault, 0) + 1
            elif fault:
                note = "did not strike: the run ended first"
            if result["rc"] != 0:
                tally["failed nights"] += 1
            said = (
                result["summary"] if result["rc"] == 0 else f"exit {result['rc']}: {result['said']}"
            )
            print(
                f"night {night:02d}{' (clean)' if last else ''}: {len(truth.live)} live, "
                f"fault {fault or '-'}{f' ({note})' if note else ''}; {said}; "
                f"{result['seconds']:.1f} s",
                flush=True,
            )
        return report(database_url, port, truth, served_titles, tally, struck, started)
    finally:
        drop()
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def fault_schedule(
    rng: random.Random, faults: list[str], nights: int, rate: float
) -> dict[int, str]:
    """night -> fault for `rate` of the nights after the first: every kind at least once when
    there are enough of them, the rest drawn at random."""
    faulty = sorted(rng.sample(range(2, nights + 1), round(rate * (nights - 1))))
    kinds = list(faults) if len(faulty) >= len(faults) else []
    kinds += [rng.choice(faults) for _ in range(len(faulty) - len(kinds))]
    rng.shuffle(kinds)
    return dict(zip(faulty, kinds, strict=True))


def _url(port: int, path: str) -> str:
    return f"http://127.0.0.1:{port}{path}"


def report(database_url, port, truth, served_titles, tally, struck, started) -> int:
    have = stored(database_url)
    kept = versions(database_url)
    everything = {**truth.deleted, **truth.live}
    missing = [p for p in everything if _url(port, p) not in have]
    twice = [u for u, (_, n) in have.items() if n > 1]
    extra = [u for u in have if u.removeprefix(f"http://127.0.0.1:{port}") not in everything]
    stale = [
        p for p, title in served_titles.items() if have.get(_url(port, p), (title,))[0] != title
    ]
    edited = [p for p, a in everything.items() if "[update" in a.title]
    with_versions = [p for p in edited if kept.get(_url(port, p), 0) > 0]
    print(
        f"\nsoak done in {time.monotonic() - started:.0f} s: {len(everything)} articles served "
        f"({tally['added']} added, {tally['edited']} edits, {tally['deleted']} deleted), "
        f"faults {dict(sorted(struck.items()))}, {tally['failed nights']} nights failed"
    )
    print(
        f"stored {len(have)} articles: {len(missing)} missing, {len(twice)} stored twice, "
        f"{len(extra)} not on the site; {len(stale)} with an older text than the site's last; "
        f"edited articles with their earlier text in article_versions: "
        f"{len(with_versions)}/{len(edited)}"
    )
    for label, items in (("missing", missing), ("twice", twice), ("stale", stale)):
        for item in items[:10]:
            print(f"  {label}: {item}")
    ok = not (missing or twice or extra or stale) and len(with_versions) == len(edited)
    print("soak:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
