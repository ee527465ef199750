"""Rendering highlights as HTML that is safe by construction.

Snippets from the engine are plain text plus marked ranges; every segment is escaped and
only the <mark> tags are ours. On a document page reached from a search, the query's words
are marked in the public text the same way. What those words are comes from the query
parser (`diarium.query.parse` and `text_terms`), never from a second reading of the query
here, and a word matches as the engines match it (diarium.swedish.stemming):

- a word marks its inflections, by the Snowball Swedish stem (`beslut` marks `beslutet`,
  `beslutar`) and by its lemma where the stem leaves forms apart (`skola` marks
  `skolan`, `ansökan` marks `ansökningar`), as the engines' stemmed and lemma fields
  find them; a word typed without å/ä/ö that is nowhere in the text as typed marks its
  folded forms (`foreskrift` marks `föreskrifterna`), as the folded field finds them;
  a word of one or two letters is not marked (it would mark half the text);
- a prefix (`bygg*`) marks the words that start with it;
- a phrase marks its words where they stand in this order, exactly (case aside);
- excluded parts (`-skola`, `NOT skola`), field filters (`typ:beslut`, `part:"…"`),
  date ranges and diarienummer filters mark nothing: they are not words looked for in
  the text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

from diarium import query as q
from diarium.search import Mark, Snippet
from diarium.swedish import stemming
from diarium.swedish.folding import fold, has_swedish_letters
from diarium.swedish.lemmas import lemma

_MARK_OPEN = Markup("<mark>")
_MARK_CLOSE = Markup("</mark>")
MIN_TERM = 3            # a single word shorter than this is not marked
MAX_MARKS = 2_000


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


class _Text:
    """The words of a text and, computed when first asked for, what each is compared on:
    its lowercased surface, Snowball stem, lemma, folded stem or folded surface."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = stemming.tokenize(text)
        self._keys: dict[str, list[str]] = {
            _EXACT: [t.exact for t in self.tokens], _STEM: [t.stem for t in self.tokens],
        }

    def keys(self, key: str) -> list[str]:
        found = self._keys.get(key)
        if found is None:
            if key == _LEMMA:
                found = [lemma(t.exact) for t in self.tokens]
            elif key == _FOLDED_LEMMA:
                found = [fold(base) for base in self.keys(_LEMMA)]
            elif key == _FOLDED:
                found = stemming.folded_stems(self.text)
            else:
                found = [fold(t.exact) for t in self.tokens]
            self._keys[key] = found
        return found


_EXACT, _STEM, _LEMMA = "exact", "stem", "lemma"
_FOLDED, _FOLDED_LEMMA, _FOLDED_EXACT = "folded", "folded_lemma", "folded_exact"


@dataclass(frozen=True)
class _Pattern:
    """A run of adjacent words to find: word i compared on `key` equals values[i]; with
    `prefix`, the last word need only start with the last value."""

    key: str
    values: tuple[str, ...]
    prefix: bool = False

    def find(self, text: _Text) -> list[tuple[int, int]]:
        """The runs [start, end) of token indexes that match."""
        keys = text.keys(self.key)
        head, rest = self.values[0], self.values[1:]
        width = len(self.values)
        found: list[tuple[int, int]] = []
        for i, got in enumerate(keys):
            if got != head and not (self.prefix and not rest and got.startswith(head)):
                continue
            if rest and not self._rest(keys, i + 1, rest):
                continue
            found.append((i, i + width))
        return found

    def _rest(self, keys: Sequence[str], at: int, rest: tuple[str, ...]) -> bool:
        if at + len(rest) > len(keys):
            return False
        last = len(rest) - 1
        for i, value in enumerate(rest):
            got = keys[at + i]
            if got != value and not (self.prefix and i == last and got.startswith(value)):
                return False
        return True


@dataclass(frozen=True)
class _Term:
    """One word, prefix or phrase of the query: the patterns that mark it, and the
    folded patterns used instead when those match nowhere in the text."""

    patterns: tuple[_Pattern, ...]
    fallback: tuple[_Pattern, ...] = ()


def _term(node: q.Word | q.Prefix | q.Phrase) -> _Term | None:
    if isinstance(node, q.Phrase):
        words = tuple(stemming.words(" ".join(node.words)))
        return _Term((_Pattern(_EXACT, words),)) if words else None
    words = tuple(stemming.words(node.text))
    if not words:
        return None
    unfolded = not has_swedish_letters(node.text)
    if isinstance(node, q.Prefix):
        folded = (_Pattern(_FOLDED_EXACT, tuple(fold(w) for w in words), prefix=True),)
        return _Term((_Pattern(_EXACT, words, prefix=True),), folded if unfolded else ())
    if len(words) == 1 and len(words[0]) < MIN_TERM:
        return None
    patterns = [_Pattern(_STEM, tuple(stemming.stems(node.text)))]
    fallback = [_Pattern(_FOLDED, tuple(stemming.folded_stems(node.text)))]
    if len(words) == 1:
        # The lemma joins what the stem leaves apart: skola/skolan, ansökan/ansökningar.
        patterns.append(_Pattern(_LEMMA, (lemma(words[0]),)))
        fallback.append(_Pattern(_FOLDED_LEMMA, (fold(lemma(words[0])),)))
    return _Term(tuple(patterns), tuple(fallback) if unfolded else ())


@lru_cache(maxsize=256)
def _terms_of(query: str) -> tuple[_Term, ...]:
    """The markable terms of a query (one parse per query, not per page)."""
    return tuple(t for node in q.text_terms(q.parse(query)) if (t := _term(node)) is not None)


def find_marks(text: str, query: str, limit: int = MAX_MARKS) -> list[Mark]:
    """Ranges in `text` holding the query's words, prefixes and phrases (see the module
    doc), in text order, not overlapping (the longest run wins); at most `limit`."""
    terms = _terms_of(query) if query else ()
    if not terms or not text:
        return []
    words = _Text(text)
    spans: list[tuple[int, int]] = []
    for term in terms:
        found = [span for pattern in term.patterns for span in pattern.find(words)]
        if not found:
            found = [span for pattern in term.fallback for span in pattern.find(words)]
        spans.extend(found)
    marks: list[Mark] = []
    taken_to = 0
    for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < taken_to:
            continue            # inside a longer run marked already
        marks.append(Mark(words.tokens[start].start, words.tokens[end - 1].end))
        taken_to = end
        if len(marks) >= limit:
            break
    return marks


def highlight_text(text: str, query: str) -> Markup:
    """`text` escaped, with the query's words and phrases marked."""
    return render_marks(text, find_marks(text, query)) if query else Markup(escape(text))
