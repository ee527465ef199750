"""Spelling suggestions ("Menade du: bygglov?") for searches whose words found nothing.

When the exact query of a search finds no record by its words (no hit, only graceful
AND's partial hits, or only related results found by meaning), each free word of the
query that the index does not hold is replaced by the closest word the index does hold,
and the corrected query is offered when it finds records. The rules, the same on every
engine (each engine only looks words up: `SearchBackend.near_terms` and `word_counts`):

- only free words are corrected: words and the words of phrases outside any exclusion,
  at least MIN_LENGTH letters, letters only; never a prefix, a field filter's value, a
  case number (a word run the parser also read as a diarienummer) or an operator;
- a word the index holds is never corrected: one that finds a record as a query word of
  its own, in any form the engines match (exact, stem, lemma, compound part, folded,
  abbreviation);
- the replacement is a word of the unstemmed free-text fields within max_distance()
  edits (optimal string alignment: an insertion, deletion, substitution or swap of two
  neighbouring letters counts one; å, ä, ö are letters of their own, so `a`→`å` is an
  edit), a distance-2 word keeping the first half of the typed word as typed; the
  nearest wins, then the one more records hold, then the alphabetically first;
- a replacement's frequency is the number of records the word finds as a query word on
  its own (live records only: never the count of a deleted or withdrawn record's
  terms), so a word no public record holds is never suggested;
- the corrected query keeps everything else as typed (operators, quotes, filters, the
  case of each letter's word start) and is offered only when its exact query finds
  records, with its total, under the request's filters.

Suggestions come only from the index, which holds only PublicRecords: a name the public
projection hides is in no index, so it can never be suggested.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from diarium import query as q
from diarium.config import OrgSettings
from diarium.search import SearchRequest, SearchResult, Suggestion

if TYPE_CHECKING:
    from diarium.indexer.base import SearchBackend

MIN_LENGTH = 4            # shorter words (KS, av, bo) have too many neighbours to guess
LONG_WORD = 6             # from this length two edits are allowed
CANDIDATES = 5            # replacements per word whose records are counted
# The letters an edit may insert or substitute: Swedish words, with å, ä, ö, é, ü as
# letters of their own (no folding: får is not far).
ALPHABET = "abcdefghijklmnopqrstuvwxyzåäöéü"
# The unstemmed free-text fields every engine looks replacements up in.
EXACT_FIELDS: tuple[str, ...] = ("rubrik", "part", "arendemening", "text")


def max_distance(word: str) -> int:
    """The edits allowed to correct `word`: 1, or 2 for a word of LONG_WORD+ letters."""
    return 2 if len(word) >= LONG_WORD else 1


def kept_prefix(word: str) -> str:
    """The start a distance-2 replacement must share with `word` (its first half, rounded
    up): two edits in a short stretch make another word, not a typo of this one."""
    return word[:(len(word) + 1) // 2]


def distance(a: str, b: str, limit: int = 2) -> int:
    """The optimal string alignment distance of `a` and `b` (Levenshtein plus the swap of
    two neighbouring characters as one edit), or `limit` + 1 when it is above `limit`."""
    start = 0
    while start < len(a) and start < len(b) and a[start] == b[start]:
        start += 1
    a, b = a[start:], b[start:]
    while a and b and a[-1] == b[-1]:
        a, b = a[:-1], b[:-1]
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if not a or not b:
        return max(len(a), len(b))
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            best = min(previous[j] + 1, current[j - 1] + 1,
                       previous[j - 1] + (ca != cb))
            if (before is not None and j > 1 and ca == b[j - 2] and a[i - 2] == cb):
                best = min(best, before[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return min(previous[-1], limit + 1)


def edits1(word: str) -> set[str]:
    """Every string one edit (insertion, deletion, substitution, swap) away from `word`,
    letters from ALPHABET."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    found = {left + right[1:] for left, right in splits if right}
    found.update(left + right[1] + right[0] + right[2:] for left, right in splits
                 if len(right) > 1)
    found.update(left + c + right[1:] for left, right in splits if right for c in ALPHABET)
    found.update(left + c + right for left, right in splits for c in ALPHABET)
    found.discard(word)
    return found


def acceptable(word: str, term: str) -> int | None:
    """The distance of `term` as a replacement of `word` (both lower case), or None when
    it is no replacement: not letters only, the word itself, too far, or a distance-2
    term not starting with kept_prefix(word)."""
    if term == word or not term.isalpha() or abs(len(term) - len(word)) > 2:
        return None
    found = distance(word, term, max_distance(word))
    if found > max_distance(word):
        return None
    if found == 2 and not term.startswith(kept_prefix(word)):
        return None
    return found


def candidates(word: str, terms: Iterable[tuple[str, int]]) -> list[tuple[int, str]]:
    """The best CANDIDATES replacements of `word` among indexed `terms` (term, document
    frequency in the index's term dictionaries) as (distance, term): nearest first, then
    the commoner."""
    ranked = []
    for term, freq in terms:
        found = acceptable(word, term)
        if found is not None:
            ranked.append((found, -freq, term))
    ranked.sort()
    return [(found, term) for found, _, term in ranked[:CANDIDATES]]


def wants_suggestion(request: SearchRequest, result: SearchResult) -> bool:
    """Whether the words of `request` found nothing: no hit, only graceful AND's partial
    hits, or (on the first page) only related results found by meaning. A search
    restricted to given records (an alert's run) or with `suggest` off gets none."""
    if not request.suggest or request.doc_ids is not None or not request.query.strip():
        return False
    if result.total == 0 or result.partial:
        return True
    return request.page == 1 and bool(result.hits) and all(h.semantic for h in result.hits)


def free_words(node: q.Node) -> list[str]:
    """The words of `node` a suggestion may correct (see the module doc), as typed, in
    query order, each once."""
    found: list[str] = []

    def walk(part: q.Node) -> None:
        if isinstance(part, q.Word):
            found.append(part.text)
        elif isinstance(part, q.Phrase):
            found.extend(part.words)
        elif isinstance(part, q.Or):
            if not any(isinstance(c, q.Diarienummer) for c in part.children):
                for child in part.children:
                    walk(child)
        elif isinstance(part, q.And):
            for child in part.children:
                walk(child)

    walk(node)
    words = [w for w in found if len(w) >= MIN_LENGTH and w.isalpha()]
    return list(dict.fromkeys(words))


def suggest(backend: SearchBackend, request: SearchRequest) -> Suggestion | None:
    """The corrected query for `request` on `backend` with its total, or None when no
    word needs correcting, none has a replacement, or the corrected query finds nothing.

    Raises EngineUnavailable when the engine fails."""
    planned = backend.plan(request.query)
    typed = free_words(planned.node)
    if not typed:
        return None
    lowered = list(dict.fromkeys(w.casefold() for w in typed))
    counts = backend.word_counts(lowered)
    unknown = [w for w, count in zip(lowered, counts, strict=True) if count == 0]
    if not unknown:
        return None
    per_word = {word: candidates(word, terms)
                for word, terms in zip(unknown, backend.near_terms(unknown), strict=True)}
    terms = sorted({term for found in per_word.values() for _, term in found})
    if not terms:
        return None
    live = dict(zip(terms, backend.word_counts(terms), strict=True))
    fixes: dict[str, str] = {}
    for word, found in per_word.items():
        ranked = sorted((d, -live[term], term) for d, term in found if live[term] > 0)
        if ranked:
            fixes[word] = ranked[0][2]
    if not fixes:
        return None
    text = corrected(request.query, fixes, backend.orgs)
    if text is None:
        return None
    check = backend.search(replace(
        request, query=text, page=1, per_page=1, with_facets=False, with_snippets=False,
        semantic=False, suggest=False))
    if check.total == 0 or check.partial:
        return None
    return Suggestion(query=text, total=check.total,
                      corrections=tuple(sorted(fixes.items())))


def cased(typed: str, word: str) -> str:
    """`word` written in the case `typed` was: all capitals, a capital first, or lower."""
    if len(typed) > 1 and typed.isupper():
        return word.upper()
    if typed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def corrected(text: str, fixes: Mapping[str, str],
              orgs: Sequence[OrgSettings] = ()) -> str | None:
    """`text` with each free word whose lower case is a key of `fixes` replaced by its
    value (in the case it was typed), the rest as typed; None when no word changes.

    The replacement is made in the text itself; when that would change anything but
    those words (the same word also typed in a filter or an exclusion), the corrected
    query is written out normalised instead (diarium.query.to_text)."""
    if not fixes:
        return None
    node = q.parse(text, orgs)
    expected = _substituted(node, fixes)
    if expected == node:
        return None
    pattern = re.compile(
        r"(?<![\w:*-])(" + "|".join(re.escape(w) for w in sorted(fixes, key=len, reverse=True))
        + r")(?![\w*])", re.IGNORECASE)
    rewritten = pattern.sub(lambda m: cased(m.group(0), fixes[m.group(0).casefold()]), text)
    if q.parse(rewritten, orgs) == expected:
        return rewritten
    return q.to_text(expected)


def _fix(word: str, fixes: Mapping[str, str]) -> str:
    found = fixes.get(word.casefold())
    return cased(word, found) if found is not None else word


def _substituted(node: q.Node, fixes: Mapping[str, str]) -> q.Node:
    """`node` with the free words of free_words() replaced as `fixes` says."""
    if isinstance(node, q.Word):
        return q.Word(_fix(node.text, fixes))
    if isinstance(node, q.Phrase):
        return q.Phrase(tuple(_fix(w, fixes) for w in node.words))
    if isinstance(node, q.Or):
        if any(isinstance(c, q.Diarienummer) for c in node.children):
            return node
        return q.Or(tuple(_substituted(c, fixes) for c in node.children))
    if isinstance(node, q.And):
        return q.And(tuple(_substituted(c, fixes) for c in node.children))
    return node
