"""Folding for the low-boost "folded" field: å, ä → a, ö → o, é → e, lowercase.

The folded field serves only query words typed without å/ä/ö (a visitor on a foreign
keyboard typing `foreskrift`). The main fields are never folded: å, ä and ö are letters of
their own in Swedish and `får` must not find `far`.
"""

from __future__ import annotations

import re
import unicodedata

# Letters that NFKD does not decompose into a base letter plus a combining mark.
_SPECIAL = str.maketrans({"æ": "ae", "ø": "o", "ß": "ss", "đ": "d", "ł": "l", "þ": "th"})
_SWEDISH_LETTERS = frozenset("åäöÅÄÖ")


# Folded form of every non-ASCII character met so far, as a str.translate() table:
# folding is then one C-level pass over the text (decomposing the whole text took 0.3 ms
# for a record of 900 characters, most of it ASCII), and only over its non-ASCII runs.
_TABLE: dict[int, str] = {}
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
# The non-ASCII letters of nearly every Swedish text, folded by str.replace first (one C
# pass each): a text's remaining non-ASCII runs (dashes, quotes, §) are a few per cent of
# them, so the per-run Python callback runs that much less (half the time on the corpus).
_COMMON = (("å", "a"), ("ä", "a"), ("ö", "o"), ("é", "e"))


def _fold_char(char: str) -> str:
    special = char.translate(_SPECIAL)
    if special != char:
        return special
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Return `text` lowercased with diacritics removed (å, ä → a; ö → o; é → e; ü → u).

    Only combining marks are dropped; digits, punctuation and spacing are kept, so the
    result tokenizes like the original.
    """
    lowered = unicodedata.normalize("NFC", text.lower())
    if lowered.isascii():
        return lowered
    for char, folded in _COMMON:
        if char in lowered:
            lowered = lowered.replace(char, folded)
    if lowered.isascii():
        return lowered
    return _NON_ASCII.sub(_fold_run, lowered)


def _fold_run(match: re.Match[str]) -> str:
    run = match.group(0)
    for char in run:
        if ord(char) not in _TABLE:
            _TABLE[ord(char)] = _fold_char(char)
    return run.translate(_TABLE)


def has_swedish_letters(word: str) -> bool:
    """Return True when `word` contains å, ä or ö (then the folded field must not be used
    for it: the user typed the letters, so `får` means får and never far)."""
    return any(c in _SWEDISH_LETTERS for c in word)


def is_folded(word: str) -> bool:
    """Return True when `word` is already in folded form (nothing to strip): such a query
    word may search the folded field."""
    return fold(word) == word.lower()
