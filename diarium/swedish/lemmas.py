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
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from diarium.swedish import stopwords, wordcache, wordlist
from diarium.swedish.wordlist import zipf

_WORD = re.compile(r"\w+", re.UNICODE)
AN_NOUN_ZIPF = 3.0      # ansökan 4.2, anmälan 4.3; tidan (from tidning) is 2.2
# Forms whose dictionary lemma is a common word of another meaning: simplemma gives the
# modal ska/skall/skulle the infinitive `skola`, which is also "school", so the query
# `skola` matched every document with "ska" (185 of the 197 real documents); it reads
# "IT" as a form of `se`, the abbreviation "ev." as the name Eva and "jan" as `ja`. These
# keep a lemma of their own (the modal's forms share one).
_OWN_LEMMA = {"ska": "ska", "skall": "ska", "skulle": "ska", "it": "it", "ev": "ev",
              "jan": "jan"}

_LOCK = threading.Lock()
_LEMMATIZER: Any = None


def _lemmatizer() -> Any:
    """simplemma's default lemmatizer over its Swedish dictionary only, the dictionary
    read from its precomputed file (wordcache): simplemma decodes its shipped data in
    pure Python, about 0.8 CPU-s per process, the marshal file in about 0.3."""
    global _LEMMATIZER
    if _LEMMATIZER is None:
        with _LOCK:
            if _LEMMATIZER is None:
                _LEMMATIZER = _build_lemmatizer()
    return _LEMMATIZER


def _build_lemmatizer() -> Any:
    import simplemma

    try:
        from simplemma.strategies import DefaultStrategy
        from simplemma.strategies.dictionaries.dictionary_factory import (
            CachingDictionaryFactory,
            MappingStrToByteString,
            _load_dictionary_from_disk,
        )
    except ImportError:     # another simplemma layout: its own loading, not precomputed
        return simplemma

    class SwedishFactory(CachingDictionaryFactory):
        """simplemma's DefaultDictionaryFactory, its Swedish data precomputed."""

        def _get_dictionary_uncached(self, lang: str) -> Any:
            if lang != "sv":
                raise ValueError(f"only Swedish is loaded, not {lang!r}")
            return MappingStrToByteString(wordcache.cached(
                "sv-lemmas", ("simplemma",), lambda: _load_dictionary_from_disk("sv")))

    # What simplemma.lemmatize(token, lang="sv") runs (its legacy lemmatizer: the
    # default strategy, not greedy), over the same dictionary.
    return simplemma.Lemmatizer(
        lemmatization_strategy=DefaultStrategy(dictionary_factory=SwedishFactory()))


# Lemmas of earlier processes (wordcache.WordMemo), keyed by this module's code and the
# word list's, whose -an rule it applies.
_SOURCES = (Path(__file__), Path(wordlist.__file__), Path(wordcache.__file__),
            Path(stopwords.__file__))
MEMO = wordcache.WordMemo("sv-lemma-memo", ("simplemma", "wordfreq"), _SOURCES)


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """Return the lemma of one word, lowercased (the word itself when unknown)."""
    token = word.lower()
    if not token.isalpha():
        return token
    # Not under a swapped `zipf` (benchmarks try another word list).
    memo = MEMO if zipf is wordlist.zipf else None
    if memo is not None:
        kept = memo.get(token)
        if kept is not None:
            return str(kept)
    found = _lemma(token)
    if memo is not None:
        memo.put(token, found)
    return found


def _lemma(token: str) -> str:
    own = _OWN_LEMMA.get(token)
    if own is not None:
        return own
    base = str(_lemmatizer().lemmatize(token, lang="sv")).lower()
    if base != token and base in stopwords.STOPWORDS:
        # A lemma that is a function word joins the word to the commonest words of all:
        # dom (a court's judgment) → de, första → en, varor → vara (is: "är" → vara), so
        # "dom" matched 165 of the 197 real documents. The word keeps itself (the stem
        # field still joins varor and vara).
        return token
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
    """Load the Swedish lemma data now (before timing, or in a worker at start)."""
    lemma.cache_clear()
    _lemma("ansökningar")       # the dictionary itself, whatever the memo holds
    MEMO.get("ansökningar")
