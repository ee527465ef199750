"""Rendering highlights as HTML that is safe by construction.

Snippets from the engine are plain text plus marked ranges; every segment is escaped and
only the <mark> tags are ours. On a document page reached from a search, the query's words
and phrases are marked in the public text the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import Markup, escape

from diarium.search import Mark, Snippet

_MARK_OPEN = Markup("<mark>")
_MARK_CLOSE = Markup("</mark>")

# Field filters, operators and punctuation of the query language carry no words to mark.
_FIELD_FILTER = re.compile(r'[\wåäöÅÄÖ]+:("[^"]*"|\S+)')
_PHRASE = re.compile(r'"([^"]+)"')
_WORD = re.compile(r"[\wåäöÅÄÖ]+\*?")
_OPERATORS = frozenset({"AND", "OR", "NOT", "OCH", "ELLER", "INTE"})
# Common Swedish inflection endings, longest first: strip one to mark inflected forms
# ("beslut" also marks "beslutet", "besluten") without a full stemmer.
_ENDINGS = ("arnas", "ernas", "arna", "erna", "orna", "ande", "ende", "aste", "are",
            "ens", "ets", "ar", "er", "or", "en", "et", "na", "s", "a", "e")
MIN_TERM = 3


def render_marks(text: str, marks: Iterable[Mark]) -> Markup:
    """`text` escaped, with each [start, end) range wrapped in <mark>; bad ranges are ignored."""
    out: list[str] = []
    pos = 0
    for mark in sorted(marks, key=lambda m: m.start):
        start, end = max(mark.start, pos), min(mark.end, len(text))
        if start >= end:
            continue
        out.append(escape(text[pos:start]))
        out.append(_MARK_OPEN + escape(text[start:end]) + _MARK_CLOSE)
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def render_snippet(snippet: Snippet) -> Markup:
    """A snippet as safe HTML."""
    return render_marks(snippet.text, snippet.marks)


def query_terms(query: str) -> tuple[list[str], list[str]]:
    """The words (stemmed lightly) and exact phrases of a query, to mark in a text.

    Excluded words (-ord) and field filters are left out: they are not what was looked for.
    """
    phrases = [p.strip() for p in _PHRASE.findall(query) if p.strip()]
    rest = _PHRASE.sub(" ", _FIELD_FILTER.sub(" ", query))
    words: list[str] = []
    for raw in rest.split():
        if raw.startswith("-") or raw in _OPERATORS:
            continue
        for token in _WORD.findall(raw):
            word = token.rstrip("*").casefold()
            if len(word) >= MIN_TERM:
                words.append(_stem(word))
    return sorted(set(words), key=len, reverse=True), phrases


def _stem(word: str) -> str:
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


def find_marks(text: str, query: str, limit: int = 2_000) -> list[Mark]:
    """Ranges in `text` matching the query's phrases and words (a word matches any word
    that starts with its light stem); at most `limit` ranges."""
    words, phrases = query_terms(query)
    patterns = [re.escape(p).replace(r"\ ", r"\s+") for p in phrases]
    patterns += [r"\b" + re.escape(w) + r"[\wåäöÅÄÖ]*" for w in words]
    if not patterns:
        return []
    regex = re.compile("|".join(patterns), re.IGNORECASE)
    marks: list[Mark] = []
    for match in regex.finditer(text):
        marks.append(Mark(match.start(), match.end()))
        if len(marks) >= limit:
            break
    return marks


def highlight_text(text: str, query: str) -> Markup:
    """`text` escaped, with the query's words and phrases marked."""
    return render_marks(text, find_marks(text, query)) if query else Markup(escape(text))
