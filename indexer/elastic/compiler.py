"""Compile a query plan (diarium.query_plan) to Elasticsearch/OpenSearch query DSL.

The plan says what the query means (its AST, the free-text parts graceful AND may relax,
what stays required or excluded, the proximity words); this module only writes that in
the engines' syntax, clause for clause as the embedded compiler writes it for tantivy, so
both match the same records: a word is the best (dis_max) of its exact form, its stem, its
lemma, its compound part and (only when typed without å/ä/ö) its folded form, in each
free-text field with the same boosts (indexer/ranking.py); a phrase is a phrase on the
exact sub-fields; a diarienummer matches the case-number keywords; keyword filters
compare lowercased "name=value" terms. Analysis of query words happens on the node (match
queries), except for the Python-derived fields (folded, lemma, parts), whose query side
is computed here with the same functions as the index side.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from diarium import query as q
from diarium.indexer.ranking import (
    COORD_SCORE,
    DNR_BOOST,
    EXACT_BOOST,
    FIELD_BOOSTS,
    FOLDED_BOOST,
    LEMMA_BOOST,
    PARTS_BOOST,
    PROXIMITY_BOOST,
    PROXIMITY_SLOP,
    RECENCY_BANDS,
    SYNONYM_BOOST,
    TEXT_FIELDS,
)
from diarium.query_plan import QueryPlan
from diarium.swedish.folding import fold, has_swedish_letters
from diarium.swedish.stopwords import STOPWORDS

Dsl = dict[str, Any]
MATCH_ALL: Dsl = {"match_all": {}}
MATCH_NONE: Dsl = {"match_none": {}}
# The standard tokenizer's idea of a word is close enough for deciding "one token or
# several" on the query side (e-post, 2023:1 become phrases, as in the embedded compiler).
_TOKEN = re.compile(r"\w+", re.UNICODE)


def _dis_max(queries: Sequence[Dsl], tie_breaker: float = 0.1) -> Dsl:
    if not queries:
        return MATCH_NONE
    if len(queries) == 1:
        return queries[0]
    return {"dis_max": {"queries": list(queries), "tie_breaker": tie_breaker}}


def _terms(field: str, values: Sequence[str]) -> Dsl:
    """Any of a few terms of one field, each scored (as the embedded engine's term
    queries OR'ed; a `terms` query would give every match the same score)."""
    if len(values) == 1:
        return {"term": {field: values[0]}}
    return {"bool": {"should": [{"term": {field: v}} for v in values]}}


def _boost(query: Dsl, boost: float) -> Dsl:
    return {"bool": {"must": [query], "boost": boost}}


def must(queries: Sequence[Dsl]) -> Dsl:
    """All of `queries` (the one query itself when there is one)."""
    if len(queries) == 1:
        return queries[0]
    return {"bool": {"must": list(queries)}}


class Compiler:
    """QueryPlan → query DSL. `swedish` (indexer/derived.py's SwedishExtras) enables the
    Python-derived fields and, when active, the ranking of issue 8 (proximity, recency,
    partial-AND coordination), as in the embedded backend. Holds no per-query state, so
    one compiler serves every thread of a backend."""

    def __init__(self, swedish: Any = None) -> None:
        self.swedish = swedish
        self.ranking = swedish is not None and bool(swedish.active)

    def exact(self, plan: QueryPlan) -> Dsl:
        """The whole query: the plan's node compiled, or a record holding the identifier
        the whole text stands for (`afs 2023 1` finds `AFS 2023:1`)."""
        main = self.compile(plan.node)
        idents = self.swedish.query_identifiers(plan.text) if self.swedish is not None else []
        if not idents:
            return main
        return {"bool": {"should": [main, _boost(_terms("ident", list(idents)),
                                                 DNR_BOOST / 2)],
                         "minimum_should_match": 1}}

    def relaxed(self, plan: QueryPlan) -> Dsl | None:
        """Graceful AND: at least one of the plan's free-text parts, records matching more
        of them first (each counts COORD_SCORE, far above any text score); the required
        parts stay required and the excluded ones excluded. None when the plan is not
        relaxable (fewer than two free-text parts)."""
        if not plan.relaxable:
            return None
        should: list[Dsl] = []
        for part in plan.free:
            compiled = self.compile(part)
            if self.ranking:
                should.append({"constant_score": {"filter": compiled, "boost": COORD_SCORE}})
            should.append(compiled)
        body: Dsl = {"should": should, "minimum_should_match": 1}
        if plan.required:
            body["must"] = [self.compile(part) for part in plan.required]
        if plan.excluded:
            body["must_not"] = [self.compile(part) for part in plan.excluded]
        return {"bool": body}

    def ranked(self, query: Dsl, plan: QueryPlan, sort: str) -> Dsl:
        """`query` as run for a relevance-sorted page: plus the plan's proximity boosts
        and the recency tie-breaker (optional clauses: the same records match)."""
        if not self.ranking or sort != "relevance":
            return query
        today = date.today()
        recency = [
            {"range": {"datum": {"gte": (today - timedelta(days=days)).isoformat(),
                                 "format": "strict_date", "boost": boost}}}
            for days, boost in RECENCY_BANDS
        ]
        return {"bool": {"must": [query], "should": [*self.proximity(plan), *recency]}}

    def proximity(self, plan: QueryPlan) -> list[Dsl]:
        """The plan's proximity words near each other (in order, at most PROXIMITY_SLOP
        words between) in the title or text; [] when they make fewer than two tokens."""
        text = " ".join(plan.proximity_words)
        if len(_TOKEN.findall(text)) < 2:
            return []
        return [
            {"match_phrase": {f"{name}.exact": {
                "query": text, "slop": PROXIMITY_SLOP,
                "boost": PROXIMITY_BOOST * FIELD_BOOSTS[name]}}}
            for name in ("rubrik", "text")
        ]

    def compile(self, node: q.Node) -> Dsl:
        """The DSL query of an AST node. Never raises for a well-formed AST."""
        if isinstance(node, q.MatchAll):
            return MATCH_ALL
        if isinstance(node, q.Word):
            return self.word(node.text)
        if isinstance(node, q.Prefix):
            return self.prefix(node.text)
        if isinstance(node, q.Phrase):
            return self.phrase(node.words)
        if isinstance(node, q.And):
            must = [self.compile(c) for c in node.children if not isinstance(c, q.Not)]
            must_not = [self.compile(c.node) for c in node.children if isinstance(c, q.Not)]
            if not must:
                must = [MATCH_ALL]
            body: Dsl = {"must": must}
            if must_not:
                body["must_not"] = must_not
            return {"bool": body}
        if isinstance(node, q.Or):
            return {"bool": {"should": [self.compile(c) for c in node.children],
                             "minimum_should_match": 1}}
        if isinstance(node, q.Not):
            return {"bool": {"must": [MATCH_ALL], "must_not": [self.compile(node.node)]}}
        if isinstance(node, q.Field):
            return self.field(node.name, node.value)
        if isinstance(node, q.DateRange):
            if node.start is None and node.end is None:
                return MATCH_ALL
            return date_range(node.start, node.end)
        if isinstance(node, q.Diarienummer):
            if node.prefix:
                term: Dsl = {"term": {"dnr_key": {"value": node.key, "boost": DNR_BOOST}}}
            else:
                term = {"term": {"dnr_year_serial": {"value": node.year_serial,
                                                     "boost": DNR_BOOST}}}
            return term
        return MATCH_NONE

    def word(self, text: str) -> Dsl:
        """A typed word in every free-text field: exact > stem > lemma > part > folded;
        an abbreviation also finds what it stands for (KS: kommunstyrelsen), and back."""
        expansions = self.swedish.synonyms(text) if self.swedish is not None else ()
        if not expansions:
            return self.one_word(text)
        ways = [self.one_word(text)] + [
            _boost(self.one_word(other) if len(other.split()) == 1
                   else self.phrase(tuple(other.split())), SYNONYM_BOOST)
            for other in expansions
        ]
        return {"bool": {"should": ways, "minimum_should_match": 1}}

    def one_word(self, text: str) -> Dsl:
        tokens = _TOKEN.findall(text)
        if len(tokens) != 1:
            return self.split_word(text, tokens) if tokens else MATCH_NONE
        exact = tokens[0].lower()
        ways: list[Dsl] = []
        for name in TEXT_FIELDS:
            boost = FIELD_BOOSTS[name]
            ways.append({"term": {f"{name}.exact": {"value": exact,
                                                    "boost": boost * EXACT_BOOST}}})
            # A stopword analyses to nothing: zero_terms_query none keeps it matching none.
            ways.append({"match": {name: {"query": text, "boost": boost,
                                          "zero_terms_query": "none"}}})
        if self.swedish is not None and self.swedish.active:
            lemma = self.swedish.lemma(text)
            if lemma:
                ways.append({"term": {"lemma": {"value": lemma, "boost": LEMMA_BOOST}}})
            # Compound parts are stored in base form: the word as typed and its lemma.
            ways.append(_boost(_terms("parts", sorted({exact, lemma or exact})),
                               PARTS_BOOST))
        if not has_swedish_letters(text):
            ways.append({"match": {"folded": {"query": fold(text), "boost": FOLDED_BOOST}}})
        return _dis_max(ways)

    def split_word(self, text: str, tokens: Sequence[str]) -> Dsl:
        """A word the analyzer splits (`e-post`, `2023:1`, `IT-konsulter`): its pieces as
        a phrase, exact first, then as a phrase of their stems, so a hyphenated compound
        is inflected as a word is (`IT-konsulter` finds `IT-konsulten`); typed in quotes
        it stays exact (`phrase`). As the embedded engine's `split_word`."""
        # Not for numbers (`2023:1`: the same stems, it would only cost), nor with a
        # stopword piece (`på-slag` would be `slag` alone: far too much).
        pieces = [t.lower() for t in tokens]
        stemmed = not all(t.isdigit() for t in pieces) and not any(
            t in STOPWORDS for t in pieces)
        ways: list[Dsl] = []
        for name in TEXT_FIELDS:
            boost = FIELD_BOOSTS[name]
            ways.append({"match_phrase": {f"{name}.exact": {
                "query": text, "boost": boost * EXACT_BOOST}}})
            if stemmed:
                ways.append({"match_phrase": {name: {"query": text, "boost": boost}}})
        if not has_swedish_letters(text):
            ways.append({"match_phrase": {"folded": {"query": fold(text),
                                                     "boost": FOLDED_BOOST}}})
        return _dis_max(ways)

    def prefix(self, text: str) -> Dsl:
        """Words starting with `text`, on the exact sub-fields (and folded when typed
        without å/ä/ö). One word scores constantly per field, as the embedded engine's
        prefix query does; several (`e-pos*`) form a phrase whose last word is a prefix."""
        tokens = _TOKEN.findall(text.lower())
        if not tokens:
            return MATCH_NONE
        ways: list[Dsl] = [
            _prefix(f"{name}.exact", tokens, FIELD_BOOSTS[name]) for name in TEXT_FIELDS
        ]
        if not has_swedish_letters(text):
            ways.append(_prefix("folded", _TOKEN.findall(fold(" ".join(tokens))),
                                FOLDED_BOOST))
        return _dis_max(ways)

    def phrase(self, words: Sequence[str]) -> Dsl:
        """The words in this order on the exact sub-fields (stopwords count)."""
        text = " ".join(words)
        if not _TOKEN.search(text):
            return MATCH_NONE
        return _dis_max([
            {"match_phrase": {f"{name}.exact": {"query": text, "boost": FIELD_BOOSTS[name]}}}
            for name in TEXT_FIELDS
        ])

    def field(self, name: str, value: str) -> Dsl:
        """A field filter: keyword fields by equality ignoring case; part and rubrik as a
        phrase (exact or stemmed) in that field."""
        if name in q.KEYWORD_FIELDS:
            values = (self.swedish.filter_values(name, value) if self.swedish is not None
                      else (value.strip().casefold(),))
            if len(values) == 1:
                return {"term": {"kw": f"{name}={values[0]}"}}
            return {"terms": {"kw": sorted(f"{name}={v}" for v in values)}}
        if name in TEXT_FIELDS:
            return _dis_max([
                {"match_phrase": {f"{name}.exact": {"query": value, "boost": 2.0}}},
                {"match_phrase": {name: {"query": value, "boost": 1.0}}},
            ])
        return MATCH_NONE


def _prefix(field: str, tokens: Sequence[str], boost: float) -> Dsl:
    if len(tokens) == 1:
        return {"constant_score": {"filter": {"prefix": {field: tokens[0]}}, "boost": boost}}
    return {"match_phrase_prefix": {field: {"query": " ".join(tokens), "boost": boost,
                                            "max_expansions": 50}}}


def date_range(start: str | None, end: str | None) -> Dsl:
    """Records with datum in [start, end] (ISO dates, either may be None)."""
    bounds: Dsl = {"format": "strict_date"}
    if start:
        bounds["gte"] = start[:10]
    if end:
        bounds["lte"] = end[:10]
    return {"range": {"datum": bounds}}
