"""The Swedish word list with frequencies that compound splitting and lemma rules rely on.

Source: `wordfreq` (PyPI), its "large" Swedish list: about 340,000 word forms, inflected
forms included, with frequencies from subtitles, Wikipedia, news and web text, maintained
upstream and installed with the package. Debian's hunspell-sv dictionary (sv_SE.dic,
152,000 base forms with affix and compound flags) was the alternative: it has no
frequencies, so the splitter cannot "prefer the split with the most frequent parts", and
inflected heads (`avtalet`) need its affix rules expanded. benchmarks/compound_sources.py
measures both with the same splitter: wordfreq 25/25 compounds split right and 20/20
words kept whole, hunspell-sv 14/25 and 18/20.
Frequencies are read as Zipf
values: log10 of occurrences per billion words (7 = "och", 3 = once per million words).
"""

from __future__ import annotations

import math
import threading
import unicodedata

from diarium.swedish import wordcache

_LOCK = threading.Lock()
_ZIPF: dict[str, float] | None = None


def _build() -> dict[str, float]:
    # Imported here: wordfreq's list costs about 0.2 CPU-s to decode and 60 MB, paid only
    # by processes that index or split words (and once: see wordcache).
    import wordfreq

    # Only keys a lookup can reach (lowercase, NFC: all of them in wordfreq 3.1) and only
    # listed frequencies: the table gives exactly what log10(frequency) + 9 gave.
    return {word: math.log10(freq) + 9.0
            for word, freq in wordfreq.get_frequency_dict("sv", wordlist="large").items()
            if freq and unicodedata.normalize("NFC", word.lower()) == word}


def table() -> dict[str, float]:
    """The word list as {word: Zipf value}, every key lowercase NFC. Read-only."""
    global _ZIPF
    if _ZIPF is None:
        with _LOCK:
            if _ZIPF is None:
                _ZIPF = wordcache.cached("sv-zipf", ("wordfreq",), _build)
    return _ZIPF


def zipf(word: str) -> float:
    """Return the Zipf frequency of `word` (lowercase, NFC), or 0.0 when it is not listed."""
    words = _ZIPF if _ZIPF is not None else table()
    value = words.get(word)
    if value is not None:
        return value        # every key is lowercase NFC: `word` is its own lookup form
    key = unicodedata.normalize("NFC", word.lower())
    return words.get(key, 0.0) if key != word else 0.0


def load() -> None:
    """Load the word list now (for example before timing, or in a worker at start)."""
    table()
