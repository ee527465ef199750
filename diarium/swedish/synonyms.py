"""Abbreviation synonyms used in Swedish diaries (KS = kommunstyrelsen, dnr = diarienummer).

The table is per organisation: `OrgSettings.synonyms` (defaults in
diarium.config.DEFAULT_SYNONYMS, overridden in diarium.toml under
[organisations.<slug>.synonyms]). Expansion is query-side only: the index holds what
the documents say, and a query word is widened to its synonyms (both ways: `KS` also
searches `kommunstyrelsen`, `kommunstyrelsen` also searches `KS`).
"""

from __future__ import annotations

from collections.abc import Mapping

from diarium.config import DEFAULT_SYNONYMS


def synonyms(word: str, table: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Return the other ways of writing `word` according to `table` (abbreviation →
    expansion, case-insensitive), lowercased, without `word` itself; () when none.

    An expansion of several words ("barn- och utbildningsnämnden") is returned as one
    string, for the backend to search as a phrase.
    """
    key = word.strip().lower()
    if not key:
        return ()
    return _index(DEFAULT_SYNONYMS if table is None else table).get(key, ())


# Lowercased lookup of each table met, both ways (asked once per query word, so the
# table is not walked each time). Keyed by identity: the tables are settings, built once.
_INDEXES: dict[int, tuple[Mapping[str, str], dict[str, tuple[str, ...]]]] = {}


def _index(table: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    cached = _INDEXES.get(id(table))
    if cached is not None and cached[0] is table:
        return cached[1]
    both: dict[str, list[str]] = {}
    for abbreviation, expansion in table.items():
        short, long = abbreviation.strip().lower(), expansion.strip().lower()
        if short and long and short != long:
            both.setdefault(short, []).append(long)
            both.setdefault(long, []).append(short)
    index = {k: tuple(dict.fromkeys(v)) for k, v in both.items()}
    if len(_INDEXES) > 64:       # settings reloaded many times: start over
        _INDEXES.clear()
    _INDEXES[id(table)] = (table, index)
    return index
