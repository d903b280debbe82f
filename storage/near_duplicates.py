"""Finding the first stored copy of an article: exact (content hash) and near (SimHash) copies.

A SimHash is split into four 16-bit bands stored in `simhash_bands`, so candidates come from
indexed equality lookups rather than a scan; each candidate is then checked bit by bit.
"""

from __future__ import annotations

import functools
from itertools import combinations

from sqlalchemy import Connection, func, select, text
from sqlalchemy.sql.elements import TextClause

from extraction.dedup import hamming_distance
from extraction.record import Article
from storage.schema import articles, simhash_bands

BANDS = 4
BAND_BITS = 16
_PROBE_CHUNK = 5000


def simhash_bands_of(value: int) -> list[int]:
    """The four 16-bit bands of a signed 64-bit SimHash, as stored in `simhash_bands`."""
    unsigned = value & ((1 << 64) - 1)
    return [(unsigned >> (BAND_BITS * i)) & 0xFFFF for i in range(BANDS)]


def band_probes(value: int, max_distance: int) -> list[tuple[int, int]]:
    """(band, value) pairs to look up so that no fingerprint within `max_distance` bits is missed.

    Two fingerprints `d` bits apart differ in at most `d // 4` bits in one of the four bands
    (pigeonhole), so each band is probed with its own value and every value within that radius:
    17 probes per band for the measured 7-bit threshold, each an indexed equality lookup.
    """
    flips = _flips(max_distance // BANDS)
    return [
        (band, own ^ flip) for band, own in enumerate(simhash_bands_of(value)) for flip in flips
    ]


@functools.cache
def _flips(radius: int) -> tuple[int, ...]:
    """Every 16-bit mask with at most `radius` bits set."""
    return (0,) + tuple(
        sum(1 << bit for bit in bits)
        for r in range(1, radius + 1)
        for bits in combinations(range(BAND_BITS), r)
    )


def _int_list_in(values: list[int], start: int) -> TextClause:
    """`simhash_bands.value IN (...)` with the integers inlined: thousands of probe values would
    otherwise spend most of the load compiling one bound parameter each."""
    chunk = values[start : start + _PROBE_CHUNK]
    return text(f"simhash_bands.value IN ({','.join(str(int(v)) for v in chunk)})")


def duplicate_targets(
    conn: Connection, items: list[tuple[str, Article, int | None]], near_distance: int
) -> dict[str, int | str]:
    """The first seen copy of each new or changed article's content, if there is one.

    `items` are (key, article, id if already stored), new ones in load order. Exact copies share
    the content hash (indexed); near copies are found by probing the SimHash bands (indexed, see
    `band_probes`) and then checked bit by bit. A copy of an earlier article of the same batch
    maps to that article's key (its id is not known until it is inserted); a copy of a stored
    article maps to its id, following that article's own pointer so that every copy points at
    the first one.
    """
    if not items:
        return {}
    hashes_of = {key: article.content_hash for key, article, _ in items}
    hashes = set(hashes_of.values())
    first_by_hash = dict(
        conn.execute(
            select(articles.c.content_hash, func.min(articles.c.id))
            .where(articles.c.content_hash.in_(hashes))
            .group_by(articles.c.content_hash)
        ).all()
    )
    probes = {
        key: band_probes(a.simhash, near_distance) for key, a, _ in items if a.simhash is not None
    }
    wanted: dict[int, set[int]] = {}
    for pairs in probes.values():
        for band, value in pairs:
            wanted.setdefault(band, set()).add(value)
    stored: dict[tuple[int, int], list[tuple[int, int, int | None]]] = {}
    for band, values in wanted.items():
        ordered = sorted(values)
        for start in range(0, len(ordered), _PROBE_CHUNK):
            rows = conn.execute(
                select(
                    simhash_bands.c.value,
                    articles.c.id,
                    articles.c.simhash,
                    articles.c.duplicate_of,
                )
                .join(simhash_bands, simhash_bands.c.article_id == articles.c.id)
                .where(simhash_bands.c.band == band, _int_list_in(ordered, start))
            )
            for r in rows:
                stored.setdefault((band, r.value), []).append((r.id, r.simhash, r.duplicate_of))

    # Earlier articles of this batch, by content hash and by band: (rank, root) where the root
    # is a stored id (ranked first, by id) or the key of a batch article (ranked by position).
    targets: dict[str, int | str] = {}
    batch_hashes: dict[str, tuple[tuple[int, int], int | str]] = {}
    batch_bands: dict[tuple[int, int], list[tuple[tuple[tuple[int, int], int | str], int]]] = {}
    for position, (key, article, own_id) in enumerate(items):
        signature = article.simhash
        probed = probes.get(key, [])
        options = []
        first = first_by_hash.get(hashes_of[key])
        if first is not None and (own_id is None or first < own_id):
            options.append(first)
        options += [
            duplicate_of or other_id
            for probe in probed
            for other_id, other, duplicate_of in stored.get(probe, [])
            if (own_id is None or other_id < own_id)
            and hamming_distance(signature, other) <= near_distance
        ]
        if own_id is not None:
            if options:
                targets[key] = min(options)
            continue
        earlier = [((0, option), option) for option in options]
        if hashes_of[key] in batch_hashes:
            earlier.append(batch_hashes[hashes_of[key]])
        earlier += [
            entry
            for probe in probed
            for entry, other in batch_bands.get(probe, [])
            if hamming_distance(signature, other) <= near_distance
        ]
        entry = min(earlier) if earlier else ((1, position), key)
        if earlier:
            targets[key] = entry[1]
        batch_hashes.setdefault(hashes_of[key], entry)
        if signature is not None:
            for band in enumerate(simhash_bands_of(signature)):
                batch_bands.setdefault(band, []).append((entry, signature))
    return targets
