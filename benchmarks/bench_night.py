"""A night at scale: `newsflow` on N real-text articles end to end, per stage, with a naive
reference measured in the same run.

The site is :mod:`benchmarks.night_site` (copies of the 215 real pages of ``../shared/bench``,
with small edits, a sitemap and a feed) on 127.0.0.1, politeness off. The stages are the three
commands `newsflow run` chains (`newsflow crawl`, `extract`, `load` with one run id), each a
child process measured with ``wait4`` (CPU of its whole process tree) while a sampler reads the
peak RSS (``VmHWM``) of every process in the tree: the crawl child, the extract workers, the
NER worker, the load. The naive reference does what a first script would, one article at a
time: fetch with urllib, ``trafilatura.extract``, full ``spacy.load(model)`` and ``nlp(text)``,
one INSERT and commit per row; it runs on the first ``--reference`` articles (it is slow) and is
compared per article.

    python -m benchmarks night --articles 1000     # a short check
    python -m benchmarks night                     # 10,000 articles

Profiled first (py-spy, 600 articles, one extract worker, NER in the step's process, before
this benchmark's changes)::

    py-spy record --subprocesses --format raw -o extract.txt -- \\
        python -m newsflow.cli extract --run-id night --sources ... --data-dir ...
    py-spy record --subprocesses --format raw -o crawl.txt -- python -m newsflow.cli crawl ...

    extract, share of all samples (including the page worker):
      67%  the step's own process: 52% spaCy Language.pipe (NER model 10% in Python frames,
           its Cython parts 27%, EntityRuler.match 10%, make_doc 4%), 9% loading blank
           pipelines and models, the rest reading the WARC and writing JSON
      30%  the page worker: trafilatura 16% (prune_unwanted_nodes 8%, its fallback comparison
           6%), our pruning 5%, parsing 2%
    crawl, share of all samples:
      27%  warcio's GzippingWrapper.write (zlib level 9)  -> level 6 (storage.archive)
      21%  compiling modules (PYTHONDONTWRITEBYTECODE set in the session) -> unset here
      10%  spiders.classify.looks_like_challenge (re.I alternation over 64 KiB) -> substrings
      the rest Scrapy and Twisted

Profiled again after those changes (py-spy, a 1,000-article night's extract with the default
two NER workers; the crawl made first with ``newsflow crawl`` on the same site)::

    py-spy record --subprocesses --rate 50 --format raw -o extract.txt -- \\
        python -m newsflow.cli extract --run-id p1 --sources ... --data-dir ... --database-url ...

    extract, share of all samples (17,933):
      74%  the two NER workers: spaCy Language.pipe 64% (the model's forward pass 21%,
           EntityRuler.match 8%, make_doc 7%), loading the blank pipelines of the night's
           other languages with the gazetteer ruler 5.5% and imports 5% (once per worker)
      22%  the page worker: trafilatura.bare_extraction 11% (its own fallback comparison 8%),
           our pruning 4%
       4%  the step's own process: reading the WARC 2.5% (verify pass, then the reading pass)

Not NER, then, is the page worker (about a fifth) and start-up. A page is parsed and run
through trafilatura once unless a check asks for more: the default-mode retry (no running text
in precision mode) and the safety net (a second parse and trafilatura run on the unpruned page
when the text is suspiciously short) together took 0.6% of the samples. The
archive is read twice (``verify`` before any page is used, then for the pages): 1.5 CPU s per
1,000 pages each, about 1% of the night; folding them would use a damaged file's first pages
before its damage is found, so it stays. ``ner_batch_size`` moves nothing beyond noise (8, 32,
128, 512 on 200 English articles: 9,191 / 8,933 / 8,287 / 8,626 words/s, same entities).

So NER is the night's cost, and a native profile of spaCy's own ``nlp.pipe`` (``ner`` alone, the
92 extraction-dev bodies) found most of it was not the model::

    perf record -F 500 -p <pid of a script looping nlp.pipe(texts)> -- sleep 8
    perf report --sort dso,symbol

      spaCy 3.8.18: 21% pthread_mutex_unlock, 19% pthread_mutex_lock, 3% take_gil, 2% drop_gil
                    (StateC::B_ and safe_get take the GIL on every call), 13% blis sgemm
      spaCy 3.8.7:  the same 7,304 entities in 3.1 s of CPU instead of 6.3

hence the pin ``spacy<3.8.8`` (pyproject.toml); with it and the gazetteer ruler's token matcher
left out of docs without Arabic script, 10,000 articles take 13.3 CPU-minutes (19.4 before),
ours at 88% of spaCy's own batched speed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import yaml

from benchmarks.night_site import article_path, originals

PORTS = range(18700, 18800)
ROLES = {"spiders.run": "crawl child", "extraction.bounds": "extract worker"}
ROLES["extraction.ner_worker"] = "NER worker"


@dataclass
class Stage:
    name: str
    wall: float = 0.0
    cpu: float = 0.0
    peaks: dict[str, float] = field(default_factory=dict)  # role -> MiB
    output: dict = field(default_factory=dict)


def _free_port(ports: range = PORTS) -> int:
    for port in ports:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"night site did not start on port {port}")


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as stream:
                    todo += [int(c) for c in stream.read().split()]
        except OSError:
            continue
    return pids


def _peak_mib(pid: int) -> tuple[str, float] | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as stream:
            command = stream.read().replace(b"\0", b" ").decode(errors="replace")
        with open(f"/proc/{pid}/status") as stream:
            for line in stream:
                if line.startswith("VmHWM:"):
                    role = next((r for m, r in ROLES.items() if m in command), "main")
                    return role, int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _measure(stage: Stage, command: list[str], env: dict[str, str], out: IO[bytes]) -> None:
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=out)
    peaks: dict[int, tuple[str, float]] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for pid in _tree(process.pid):
                found = _peak_mib(pid)
                if found:
                    peaks[pid] = found
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    stage.wall = time.perf_counter() - started
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"{stage.name} failed with exit code {process.returncode}")
    stage.cpu = usage.ru_utime + usage.ru_stime
    for role, mib in peaks.values():
        stage.peaks[role] = max(stage.peaks.get(role, 0.0), mib)
    stage.peaks["whole tree (wait4)"] = usage.ru_maxrss / 1024


def _run_stage(name: str, command: list[str], env: dict[str, str]) -> Stage:
    """Run one stage's command; its CPU from wait4, each process's peak RSS sampled."""
    stage = Stage(name)
    with tempfile.TemporaryFile() as out:
        _measure(stage, command, env, out)
        out.seek(0)
        stage.output = json.loads(out.read())
    return stage


def newsflow_night(workdir: Path, port: int) -> list[Stage]:
    registry = workdir / "sources.yaml"
    entry = {
        "name": "night",
        "url": f"http://127.0.0.1:{port}/",
        "local": True,
        "sitemaps": ["/sitemap.xml"],
        "feeds": ["/feed/"],
        "article_url_patterns": [r"/news/\d{4}/\d{2}/\d{2}/story-\d+/$"],
    }
    registry.write_text(yaml.safe_dump({"sources": [entry]}), encoding="utf-8")
    # A user's Python caches bytecode; a session that forbids it compiles every module of Scrapy,
    # spaCy and SQLAlchemy again in each process (20% of a 600-page crawl's CPU in the profile).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env = {
        **env,
        "NEWSFLOW_CRAWL__DOWNLOAD_DELAY": "0",
        "NEWSFLOW_CRAWL__CONCURRENT_REQUESTS": "16",
        "NEWSFLOW_CRAWL__CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    }
    common = ["--sources", str(registry), "--data-dir", str(workdir / "data")]
    common += ["--database-url", f"sqlite:///{workdir / 'night.db'}"]
    cli = [sys.executable, "-m", "newsflow.cli"]
    return [
        _run_stage(stage, [*cli, stage, "--run-id", "night", *common], env)
        for stage in ("crawl", "extract", "load")
    ]


def naive(port: int, articles: int, workdir: Path) -> tuple[float, float, int]:
    """(wall, CPU) seconds of the naive reference on `articles` articles, and how many it kept."""
    import spacy
    import trafilatura

    from newsflow.settings import Settings

    wall, cpu = time.perf_counter(), time.process_time()
    nlp = spacy.load(Settings().spacy_model)
    db = sqlite3.connect(workdir / "naive.db")
    db.execute("create table articles (url text primary key, text text, entities text)")
    kept = 0
    for number in range(articles):
        url = f"http://127.0.0.1:{port}{article_path(number)}"
        html = urllib.request.urlopen(url, timeout=30).read()
        text = trafilatura.extract(html, url=url)
        if not text:
            continue
        entities = [(e.text, e.label_) for e in nlp(text).ents]
        db.execute("insert into articles values (?, ?, ?)", (url, text, json.dumps(entities)))
        db.commit()
        kept += 1
    db.close()
    return time.perf_counter() - wall, time.process_time() - cpu, kept


def ner_vs_spacy(extracted: Path, limit: int) -> tuple[int, float, float]:
    """(words, our NER's CPU s, spaCy's own ``nlp.pipe`` with only its NER component) on the
    night's first `limit` English articles, the same batch size, in this process."""
    import spacy

    from extraction.entities import ner_exclusions, primary_language
    from extraction.ner_workers import find_entities
    from extraction.record import Article
    from newsflow.pipeline.extracting import ner_config
    from newsflow.pipeline.loading import iter_articles
    from newsflow.settings import Settings

    settings = Settings()
    records = iter_articles(extracted)
    english = (a.text for a in records if a.ok and primary_language(a.language) == "en")
    texts = list(itertools.islice(english, limit))
    words = sum(len(t.split()) for t in texts)
    config = ner_config(settings)
    find_entities([Article(url="warm", language="en", text=texts[0])], config)
    cpu = time.process_time()
    find_entities([Article(url=str(i), language="en", text=t) for i, t in enumerate(texts)], config)
    ours = time.process_time() - cpu
    nlp = spacy.load(settings.spacy_model, exclude=ner_exclusions(settings.spacy_model))
    list(nlp.pipe(texts[:2]))
    cpu = time.process_time()
    for doc in nlp.pipe(texts, batch_size=settings.ner_batch_size):
        doc.ents  # noqa: B018 - read, as ours does
    return words, ours, time.process_time() - cpu


def _report(stages: list[Stage], articles: int, reference: tuple[float, float, int, int]) -> None:
    wall = sum(s.wall for s in stages)
    cpu = sum(s.cpu for s in stages)
    crawl, extract, load = (s.output for s in stages)
    fetched = sum(r.get("fetched", 0) for r in crawl["crawl"])
    print(
        f"{articles} articles served; {fetched} fetched, {extract['articles']} extracted "
        f"({extract['failed']} failed), {extract['entities']} entities, {load['stored']} stored"
    )
    print(
        f"{'stage':8} {'wall s':>8} {'CPU s':>8} {'pages/s':>8} {'wall share':>10} "
        f"{'CPU share':>9}  peak RSS MiB"
    )
    for stage in stages:
        peaks = ", ".join(f"{role} {mib:.0f}" for role, mib in stage.peaks.items())
        print(
            f"{stage.name:8} {stage.wall:8.1f} {stage.cpu:8.1f} {fetched / stage.wall:8.1f} "
            f"{stage.wall / wall:10.0%} {stage.cpu / cpu:9.0%}  {peaks}"
        )
    biggest = max(m for s in stages for r, m in s.peaks.items() if not r.startswith("whole"))
    print(
        f"night    {wall:8.1f} {cpu:8.1f} {fetched / wall:8.1f}  = {cpu / 60:.1f} CPU-min, "
        f"{cpu / 60 * 10000 / max(fetched, 1):.1f} CPU-min per 10,000 (goal < 15); "
        f"biggest process {biggest:.0f} MiB (goal < 1024)"
    )
    ref_wall, ref_cpu, ref_kept, ref_n = reference
    if ref_n:
        per_cpu, per_wall = ref_cpu / ref_n, ref_wall / ref_n
        print(
            f"naive reference on {ref_n} articles ({ref_kept} kept): {per_wall * 1000:.0f} ms "
            f"wall, {per_cpu * 1000:.0f} ms CPU per article (its own process only)"
        )
        print(
            f"  newsflow per article: {wall / fetched * 1000:.0f} ms wall, "
            f"{cpu / fetched * 1000:.0f} ms CPU; ratio naive/newsflow: "
            f"wall {per_wall * fetched / wall:.2f}, CPU {per_cpu * fetched / cpu:.2f}"
        )
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (shared)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks night")
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--reference", type=int, default=200, help="articles the naive run does")
    parser.add_argument("--ner-sample", type=int, default=150, help="articles NER is timed on")
    parser.add_argument(
        "--ports", default=f"{PORTS.start}-{PORTS.stop - 1}", help="range the site may use"
    )
    args = parser.parse_args(argv or [])
    first, last = (int(p) for p in args.ports.split("-"))
    if not originals():
        print("../shared/bench pages not found; nothing measured")
        return
    port = _free_port(range(first, last + 1))
    site = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.night_site", str(port), str(args.articles)]
    )
    try:
        _wait_for(port)
        with tempfile.TemporaryDirectory(prefix="newsflow-night-") as tmp:
            stages = newsflow_night(Path(tmp), port)
            ner = ner_vs_spacy(Path(stages[1].output["output"]), args.ner_sample)
            n = min(args.reference, args.articles)
            reference = (*naive(port, n, Path(tmp)), n) if n else (0.0, 0.0, 0, 0)
    finally:
        site.terminate()
        site.wait()
    _report(stages, args.articles, reference)
    words, ours, plain = ner
    print(
        f"NER on {words} words of the night's English articles: ours {words / ours:.0f} words/s, "
        f"spaCy nlp.pipe with its ner alone {words / plain:.0f} words/s: "
        f"{plain / ours:.0%} of spaCy's own batched speed (CPU time)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
