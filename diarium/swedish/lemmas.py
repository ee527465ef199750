"""Lemmas for the `lemma` field: dictionary base forms beside the Snowball stems.

Snowball Swedish strips suffixes; it leaves apart forms that change inside the word or
take another suffix class, above all the -an nouns whose plural is -ningar
(ansökan/ansökningar, anmälan/anmälningar, inbjudan/inbjudningar), and strong verbs and
irregular comparatives (gick → gå, större → stor). `simplemma` (PyPI; its Swedish data,
built from open dictionaries, ships in the wheel) gives the base form of a word; one rule
on top of it maps an -ning lemma to the -an noun when that noun is a common word, because
simplemma gives ansökningar → ansökning while the dictionary form is ansökan.
"""

from __future__ import annotations

import re
from functools import lru_cache

from diarium.swedish.wordlist import zipf

_WORD = re.compile(r"\w+", re.UNICODE)
AN_NOUN_ZIPF = 3.0      # ansökan 4.2, anmälan 4.3; tidan (from tidning) is 2.2


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """Return the lemma of one word, lowercased (the word itself when unknown)."""
    token = word.lower()
    if not token.isalpha():
        return token
    import simplemma  # deferred: its Swedish data costs about 1.5 s and 100 MB to load

    base = str(simplemma.lemmatize(token, lang="sv")).lower()
    if base.endswith("ning") and len(base) > 6:
        noun = base[:-4] + "an"
        if zipf(noun) >= AN_NOUN_ZIPF:
            return noun
    return base


def lemmatize(text: str) -> str:
    """Return the lemmas of the words in `text`, space-joined, in text order.

    Digits and identifiers pass through lowercased; never raises.
    """
    return " ".join(map(lemma, _WORD.findall(text.lower())))


def load() -> None:
    """Load simplemma's Swedish data now (before timing, or in a worker at start)."""
    lemma.cache_clear()
    lemma("ansökningar")
