"""NER throughput: our batched NER-only pipeline vs a naive full pipeline, same texts, same run.

Texts: the ground-truth article bodies of the extraction-dev set (real news prose). Ours is
``extraction.entities.add_entities`` with ``load_nlp`` (entity ruler + ner only, ``nlp.pipe`` in
batches, settings' batch size and process count); the baseline is ``spacy.load(model)`` with
every component and ``nlp(text)`` once per article, the way a first script would do it. Model
loading is timed apart; each side runs three times, alternating, and keeps its best time. Also
reports on how many texts the two agree on the (text, label) entity pairs, to show that the
skipped components do not change what NER finds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from benchmarks.bench_extraction import DATASET, load_pages
from newsflow.settings import Settings

REPEATS = 3


def _seconds(run: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU of this process) seconds; CPU time is what other jobs on the machine disturb
    least, and it is complete as long as NER runs in this process (``ner_processes = 1``)."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    if not (DATASET / "ground-truth.json").is_file():
        print(f"extraction-dev set not found at {DATASET}; nothing measured")
        return
    import spacy

    from extraction.entities import DEFAULT_GAZETTEERS, add_entities, load_nlp
    from extraction.record import Article

    settings = Settings()
    texts = [p.truth for p in load_pages() if p.truth.strip()]
    words = sum(len(t.split()) for t in texts)

    started = time.perf_counter()
    full = spacy.load(settings.spacy_model)
    full_load_s = time.perf_counter() - started
    started = time.perf_counter()
    ours = load_nlp(settings.spacy_model, settings.gazetteers)
    ours_load_s = time.perf_counter() - started
    ours_plain = load_nlp(settings.spacy_model, include_default_gazetteers=False)

    def naive() -> list[set[tuple[str, str]]]:
        return [{(e.text, e.label_) for e in full(text).ents} for text in texts]

    def batched() -> None:
        articles = [Article(url=f"b:{i}", language="en", text=t) for i, t in enumerate(texts)]
        add_entities(
            articles, ours, batch_size=settings.ner_batch_size, n_process=settings.ner_processes
        )

    # Alternate the two and keep each one's best time: other work on a shared machine only
    # ever adds time, so the minimum is the fairest estimate of each.
    naive_times, ours_times = [], []
    for _ in range(REPEATS):
        naive_times.append(_seconds(naive))
        ours_times.append(_seconds(batched))
    (naive_s, naive_cpu), (ours_s, ours_cpu) = min(naive_times), min(ours_times)

    # The same with two processes (spaCy's n_process), once: wall clock only, since the work
    # happens in child processes; it includes their start-up and model load.
    two = [Article(url=f"b:{i}", language="en", text=t) for i, t in enumerate(texts)]
    two_s, _ = _seconds(
        lambda: add_entities(two, ours, batch_size=settings.ner_batch_size, n_process=2)
    )

    plain = [{(e.text, e.label_) for e in doc.ents} for doc in ours_plain.pipe(texts)]
    agree = sum(a == b for a, b in zip(naive(), plain, strict=True))

    print(f"{len(texts)} texts, {words} words; best of {REPEATS} alternating runs each")
    print(
        f"model {settings.spacy_model}; ours: {' + '.join(ours.pipe_names)}, "
        f"batch {settings.ner_batch_size}, processes {settings.ner_processes}"
    )
    print(
        f"  full pipeline nlp(text) per article: {words / naive_s:9.0f} words/s "
        f"({', '.join(full.pipe_names)}; load {full_load_s:.1f} s)"
    )
    print(
        f"  ours, batched NER only:             {words / ours_s:9.0f} words/s "
        f"(load {ours_load_s:.1f} s, gazetteers {len(DEFAULT_GAZETTEERS)} default file(s))"
    )
    print(
        f"  ratio ours/naive: {naive_s / ours_s:.2f}x wall clock, "
        f"{naive_cpu / ours_cpu:.2f}x CPU time ({naive_cpu:.1f} s vs {ours_cpu:.1f} s)"
    )
    print(
        f"  ours with ner_processes = 2: {words / two_s:.0f} words/s wall clock "
        f"({naive_s / two_s:.2f}x naive), child start-up included"
    )
    print(f"  same entities without gazetteer as the full pipeline: {agree}/{len(texts)} texts")
