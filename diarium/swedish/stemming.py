"""Swedish words with their offsets, exact, stemmed and folded, as the embedded engine
analyses them: tantivy's simple tokenizer, lowercase, and its Snowball Swedish stemmer
(the algorithm the Elasticsearch `stemmer` filter with language `swedish` runs too).

For code that must agree with the index about what a word is outside an index: the
highlighter of a document page marks the words a search matched. No stopwords are
removed here (the engines' exact fields keep them, so a phrase `beslut om bygglov`
matches with its `om`).
"""

from __future__ import annotations

from dataclasses import dataclass

from tantivy import Filter, TextAnalyzer, TextAnalyzerBuilder, Tokenizer


def _analyzer(*filters: Filter) -> TextAnalyzer:
    builder = TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.lowercase())
    for extra in filters:
        builder = builder.filter(extra)
    return builder.build()


_EXACT = _analyzer()
_STEM = _analyzer(Filter.stemmer("swedish"))
_FOLDED = _analyzer(Filter.ascii_fold(), Filter.stemmer("swedish"))


@dataclass(frozen=True)
class Token:
    """One word of a text: `text[start:end]` lowercased (`exact`) and its Snowball stem."""

    start: int
    end: int
    exact: str
    stem: str


def tokenize(text: str) -> list[Token]:
    """The words of `text` in order, with character offsets into `text`.

    stems(text) and folded_stems(text) give lists aligned with this one (the analyzers
    share one tokenizer and drop no token)."""
    exact = _EXACT.pre_tokenize(text).tokens
    stemmed = _STEM.analyze(text)
    return [Token(e.char_offset_from, e.char_offset_to, e.text, s)
            for e, s in zip(exact, stemmed, strict=True)]


def words(text: str) -> list[str]:
    """The lowercased words of `text` (no stemming)."""
    return list(_EXACT.analyze(text))


def stems(text: str) -> list[str]:
    """The Snowball Swedish stems of the words of `text`: beslutet, besluten → beslut."""
    return list(_STEM.analyze(text))


def folded_stems(text: str) -> list[str]:
    """The stems of the words of `text` with å, ä → a, ö → o folded first."""
    return list(_FOLDED.analyze(text))
