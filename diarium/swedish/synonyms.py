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
    table = DEFAULT_SYNONYMS if table is None else table
    key = word.strip().lower()
    if not key:
        return ()
    out: list[str] = []
    for abbreviation, expansion in table.items():
        short, long = abbreviation.strip().lower(), expansion.strip().lower()
        if key == short and long != key:
            out.append(long)
        elif key == long and short != key:
            out.append(short)
    return tuple(dict.fromkeys(out))
