"""NER throughput: our batched NER-only pipeline vs a naive full pipeline, same texts, same run.

Texts: the ground-truth article bodies of the extraction-dev set (real news prose). Ours is
``extraction.entities.add_entities`` with ``load_nlp`` (entity ruler + ner only, ``nlp.pipe`` in
batches, settings' batch size and process count); the baseline is ``spacy.load(model)`` with
every component and ``nlp(text)`` once per article, the way a first script would do it. Model
loading is timed separately and not counted. Also reports how many (text, label) entity pairs the
two agree on, to show the skipped components did not change NER's output.
"""

from __future__ import annotations

import time

from benchmarks.bench_extraction import DATASET, load_pages
from newsflow.settings import Settings

ROUNDS = 2


def main() -> None:
    if not (DATASET / "ground-truth.json").is_file():
        print(f"extraction-dev set not found at {DATASET}; nothing measured")
        return
    import spacy

    from extraction.entities import DEFAULT_GAZETTEERS, add_entities, load_nlp
    from extraction.record import Article

    settings = Settings()
    texts = [p.truth for p in load_pages() if p.truth.strip()] * ROUNDS
    words = sum(len(t.split()) for t in texts)

    started = time.perf_counter()
    full = spacy.load(settings.spacy_model)
    full_load_s = time.perf_counter() - started
    started = time.perf_counter()
    ours = load_nlp(settings.spacy_model, settings.gazetteers)
    ours_load_s = time.perf_counter() - started
    ours_plain = load_nlp(settings.spacy_model, include_default_gazetteers=False)

    started = time.perf_counter()
    naive = [{(e.text, e.label_) for e in full(text).ents} for text in texts]
    naive_s = time.perf_counter() - started

    articles = [Article(url=f"bench:{i}", language="en", text=t) for i, t in enumerate(texts)]
    started = time.perf_counter()
    add_entities(
        articles, ours, batch_size=settings.ner_batch_size, n_process=settings.ner_processes
    )
    ours_s = time.perf_counter() - started

    plain = [{(e.text, e.label_) for e in doc.ents} for doc in ours_plain.pipe(texts)]
    agree = sum(a == b for a, b in zip(naive, plain, strict=True))

    print(f"{len(texts)} texts ({len(texts) // ROUNDS} bodies x {ROUNDS}), {words} words")
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
    print(f"  ratio ours/naive: {naive_s / ours_s:.2f}x")
    print(f"  same entities without gazetteer as the full pipeline: {agree}/{len(texts)} texts")
