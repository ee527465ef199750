"""Fields every engine derives in Python from diarium.swedish (issue 8): compound parts,
lemmas, identifiers and synonyms. Computed here rather than on the search nodes, so the
embedded engine, Elasticsearch and OpenSearch index and query exactly the same terms and
no word list must be installed on a node."""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

_WORD = re.compile(r"\w+")


class SwedishExtras:
    """The hook for diarium.swedish (issue 8): derived fields per document and per query
    word. Everything is a no-op when that module is absent or switched off."""

    def __init__(self, enabled: bool = True,
                 synonym_tables: Sequence[Mapping[str, str]] = ()) -> None:
        self.module: Any = None
        self.synonym_tables = tuple(synonym_tables)
        if enabled:
            try:
                self.module = importlib.import_module("diarium.swedish")
            except ImportError:
                self.module = None

    @property
    def active(self) -> bool:
        return self.module is not None

    def abbreviations(self, word: str) -> tuple[str, ...]:
        """Other ways of writing `word` (KS ↔ kommunstyrelsen) in any organisation's
        table; a search runs across organisations, so their tables are united."""
        if self.module is None:
            return ()
        found: list[str] = []
        for table in self.synonym_tables or (None,):
            found += self.module.synonyms(word, table)
        return tuple(dict.fromkeys(found))

    def synonyms(self, word: str) -> tuple[str, ...]:
        """What a query word also searches: its abbreviations(), then the official terms
        of an everyday word (dagis → förskola; one way)."""
        if self.module is None:
            return ()
        found = [*self.abbreviations(word), *self.module.official_terms(word)]
        key = word.strip().lower()
        return tuple(t for t in dict.fromkeys(found) if t != key)

    def filter_values(self, name: str, value: str) -> tuple[str, ...]:
        """The values a keyword filter `name:value` matches, casefolded: the value, and
        for a committee also its abbreviations (`nämnd:KS` finds "Kommunstyrelsen", the
        site's own example), in the order found."""
        typed = value.strip()
        values = [typed.casefold()]
        if name == "namnd":
            values += self.abbreviations(typed)
        return tuple(dict.fromkeys(values))

    def document_fields(self, text: str) -> dict[str, Any]:
        """{"parts": str, "lemma": str, "identifiers": [str]} of a record's text.

        Parts and lemmas are computed once per distinct word: those fields are matched
        by term, never as phrases, so order and repetition do not matter there."""
        if self.module is None or not text:
            return {}
        distinct = " ".join(dict.fromkeys(_WORD.findall(text)))
        return {
            "parts": self.module.compound_parts(distinct),
            "lemma": self.module.lemmatize(distinct),
            "identifiers": self.module.identifiers(text),
        }

    def lemma(self, word: str) -> str | None:
        if self.module is None:
            return None
        return str(self.module.lemma(word)).lower() or None

    def query_identifiers(self, text: str) -> list[str]:
        if self.module is None:
            return []
        return list(self.module.query_identifiers(text))
