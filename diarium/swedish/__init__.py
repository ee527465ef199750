"""Swedish search quality beyond stemming: compounds, lemmas, folding, identifiers, synonyms.

Pure Python, computed at index time (and on query words) by every backend, so that the
embedded engine and Elasticsearch/OpenSearch index the same extra fields and no word list
must be installed on search nodes:

- `compound_parts(text)`: parts of the compounds in text, for a lower-weight `parts` field;
- `lemmatize(text)`: dictionary base forms, for a `lemma` field;
- `fold(text)`: å, ä → a, ö → o, lowercase, for the low-boost folded field;
- `identifiers(text)`: normalized regulation and document identifiers ("afs 2023 1");
  `query_identifiers(query)` normalizes a query that is one identifier;
- `synonyms(word, table)`: per-organisation abbreviations (KS = kommunstyrelsen);
  `official_terms(word)`: the official terms of an everyday word (dagis: förskola).

`index_fields(text)` gives all the derived fields of one text at once.
"""

from __future__ import annotations

from diarium.swedish.compounds import compound_parts, split_compound
from diarium.swedish.everyday import official_terms
from diarium.swedish.folding import fold, has_swedish_letters, is_folded
from diarium.swedish.identifiers import identifiers, query_identifiers
from diarium.swedish.lemmas import lemma, lemmatize
from diarium.swedish.synonyms import synonyms

__all__ = [
    "compound_parts",
    "fold",
    "has_swedish_letters",
    "identifiers",
    "index_fields",
    "is_folded",
    "lemma",
    "lemmatize",
    "official_terms",
    "query_identifiers",
    "split_compound",
    "synonyms",
]


def index_fields(text: str, *, lemmas: bool = True, compounds: bool = True) -> dict[str, object]:
    """Return the derived index fields of `text`: {"parts": str, "lemma": str,
    "folded": str, "identifiers": list[str]}. A disabled feature gives "" for its field.

    This is the one function a backend calls per document text (the Elasticsearch
    backend too: the fields are computed here, not by analyzers on the nodes).
    """
    return {
        "parts": compound_parts(text) if compounds else "",
        "lemma": lemmatize(text) if lemmas else "",
        "folded": fold(text),
        "identifiers": identifiers(text),
    }
