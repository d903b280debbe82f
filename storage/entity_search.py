"""Which stored articles name an entity, and how many articles name each one.

An entity is asked for by label and name (`GPE:Anbar`). Stored names are kept as written, so
the name alone would miss "al-Anbar" and "الأنبار"; an article matches when one of its entities
has the label and either that name (any case), one of the gazetteer ids the caller looked the
name up to (`ids`: the command line asks the configured gazetteers), or the id that stored rows
of that name carry, so a name the gazetteer knows finds every spelling of it even when the
caller knows no gazetteer.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, Engine, exists, func, or_, select

from storage.schema import articles, entities, utc


class EntityQuery(NamedTuple):
    """`GPE:Anbar` as (label, text), with the gazetteer ids that name has (may be empty)."""

    label: str
    text: str
    ids: Collection[str] = ()


def parse_entity(value: str) -> EntityQuery:
    """`GPE:Anbar` -> EntityQuery("GPE", "Anbar")."""
    label, sep, text = value.partition(":")
    if not sep or not label or not text.strip():
        raise ValueError(f"entity {value!r} is not LABEL:TEXT (e.g. GPE:Anbar)")
    return EntityQuery(label.strip().upper(), text.strip())


def names_entity(query: EntityQuery | tuple) -> ColumnElement[bool]:
    """The condition "this article has an entity matching `query`", for a WHERE clause."""
    query = EntityQuery(*query)
    named = entities.alias("named")
    ids_of_name = select(named.c.entity_id).where(
        named.c.label == query.label,
        func.lower(named.c.text) == query.text.lower(),
        named.c.entity_id.is_not(None),
    )
    same = [
        func.lower(entities.c.text) == query.text.lower(),
        entities.c.entity_id.in_(ids_of_name),
    ]
    if query.ids:
        same.append(entities.c.entity_id.in_(sorted(query.ids)))
    return exists().where(
        entities.c.article_id == articles.c.id, entities.c.label == query.label, or_(*same)
    )


@dataclass
class EntityCount:
    """One gazetteer entity: how many stored articles name it, and the names they use."""

    entity_id: str
    label: str
    articles: int
    names: list[tuple[str, int]]


def entity_counts(
    engine: Engine,
    *,
    since: datetime | None = None,
    source: str | None = None,
    limit: int = 20,
) -> list[EntityCount]:
    """The entities with a gazetteer id named by the most articles (published since `since`,
    of `source`), each with its names as written and how many articles use each."""
    conditions = [entities.c.entity_id.is_not(None)]
    if since is not None:
        when = func.coalesce(articles.c.published, articles.c.first_seen)
        conditions.append(when >= utc(since))
    if source:
        conditions.append(articles.c.source == source)
    joined = entities.join(articles, articles.c.id == entities.c.article_id)
    n_articles = func.count(func.distinct(entities.c.article_id))
    top = (
        select(entities.c.entity_id, entities.c.label, n_articles.label("articles"))
        .select_from(joined)
        .where(*conditions)
        .group_by(entities.c.entity_id, entities.c.label)
        .order_by(n_articles.desc(), entities.c.entity_id)
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(top).all()
        wanted = [row.entity_id for row in rows]
        names = conn.execute(
            select(entities.c.entity_id, entities.c.text, n_articles.label("articles"))
            .select_from(joined)
            .where(*conditions, entities.c.entity_id.in_(wanted))
            .group_by(entities.c.entity_id, entities.c.text)
            .order_by(n_articles.desc(), entities.c.text)
        ).all()
    by_id: dict[str, list[tuple[str, int]]] = {}
    for name in names:
        by_id.setdefault(name.entity_id, []).append((name.text, name.articles))
    return [EntityCount(r.entity_id, r.label, r.articles, by_id[r.entity_id]) for r in rows]
