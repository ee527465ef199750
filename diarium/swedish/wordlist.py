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

_LOCK = threading.Lock()
_FREQ: dict[str, float] | None = None


def _frequencies() -> dict[str, float]:
    global _FREQ
    if _FREQ is None:
        with _LOCK:
            if _FREQ is None:
                # Imported here: loading the list costs about half a second and 60 MB,
                # paid only by processes that index or split words.
                import wordfreq

                _FREQ = wordfreq.get_frequency_dict("sv", wordlist="large")
    return _FREQ


def zipf(word: str) -> float:
    """Return the Zipf frequency of `word` (lowercase, NFC), or 0.0 when it is not listed."""
    freq = _frequencies().get(unicodedata.normalize("NFC", word.lower()))
    if not freq:
        return 0.0
    return math.log10(freq) + 9.0


def load() -> None:
    """Load the word list now (for example before timing, or in a worker at start)."""
    _frequencies()
