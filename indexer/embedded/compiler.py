"""The tantivy query compiler of the embedded backend.

It takes a query's meaning from its plan (diarium.query_plan: the exact query, what
graceful AND relaxes and keeps required, the proximity words) and only turns that into
tantivy queries over the fields of `schema`, so it cannot drift from the other engines.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache

import tantivy
from tantivy import Occur, Query

from diarium import query as q
from diarium.errors import QueryError
from diarium.indexer.derived import SwedishExtras
from diarium.indexer.embedded.schema import SCHEMA, positioned, to_datetime, tokens
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


class Compiler:
    """Compiles a QueryPlan (its diarium.query AST) to tantivy Queries. Never produces a
    query tantivy rejects: empty pieces become EmptyQuery, one-token phrases terms.

    `swedish`: the derived-field hook (synonyms, lemmas, compound parts, identifiers);
    `ranking`: whether proximity, recency and graceful-AND scoring apply (off for the
    plain search core of side-by-side benchmarks)."""

    def __init__(self, swedish: SwedishExtras, ranking: bool = True) -> None:
        self.swedish = swedish
        self.ranking = ranking
        self.boosts: list[tuple[Occur, tantivy.Query]] = []   # set by top(), for ranked()
        self.identified = False     # set by top(): the text stands for an identifier too

    def top(self, plan: QueryPlan) -> tantivy.Query:
        """The exact query: the plan's node compiled, or a record holding the identifier
        the whole text stands for (`afs 2023 1` finds `AFS 2023:1`)."""
        main = self.compile(plan.node)
        if self.ranking:
            self.boosts = [(Occur.Should, near) for near in self.proximity(plan)]
        idents = self.swedish.query_identifiers(plan.text)
        self.identified = bool(idents)
        if idents:
            ident = Query.boost_query(terms("ident", idents), DNR_BOOST / 2)
            main = Query.boolean_query([(Occur.Should, main), (Occur.Should, ident)])
        return main

    def ranked(self, query: tantivy.Query, order: tantivy.Order | None,
               latest: date | None = None) -> tantivy.Query:
        """`query` as run for the hits of a relevance-sorted page: with the proximity
        boosts of the last top() and the recency tie-breaker. Counting and facets run
        `query` itself (same matches, no scores needed), and a date-sorted page needs no
        scores either. `latest`: no record `query` matches is dated after it
        (latest_day()); a band starting later holds none of them and is left out."""
        if not self.ranking or order is not None:
            return query
        bands = _recency_clauses(date.today(), latest)
        if not bands:
            # Without a band no Boolean query around it either: even an optional clause
            # matching nothing costs tantivy about 10 ns a matching record.
            return self.with_proximity(query)
        # The recency band sits alone beside the (query + proximity) part: tantivy then
        # seeks the band's date range to each matching record instead of walking it in
        # one union with the proximity phrases. Same scores (a sum either way).
        return Query.boolean_query([(Occur.Must, self.with_proximity(query)), *bands])

    def with_proximity(self, query: tantivy.Query) -> tantivy.Query:
        """`query` with the proximity boosts of the last top(): ranked() without the
        recency band (the band added by backend's two-search merge instead)."""
        if not self.ranking or not self.boosts:
            return query
        return Query.boolean_query([(Occur.Must, query), *self.boosts])

    def relaxed(self, plan: QueryPlan) -> tantivy.Query | None:
        """Graceful AND: at least one of the plan's free parts (records matching more of
        them rank higher), its required parts still required and its exclusions still
        excluded; None when the plan is not relaxable."""
        if not plan.relaxable:
            return None
        ways: list[tuple[Occur, tantivy.Query]] = []
        for part in plan.free:
            compiled = self.compile(part)
            if self.ranking:
                # Each matched part counts COORD_SCORE, far above any text score, so
                # more parts matched always rank first; the text score orders within.
                ways.append((Occur.Should, Query.const_score_query(compiled, COORD_SCORE)))
            ways.append((Occur.Should, compiled))
        if not plan.required:
            # Without a Must clause tantivy already requires one Should clause to match.
            return Query.boolean_query(
                ways + [(Occur.MustNot, self.compile(part)) for part in plan.excluded])
        # Beside a Must clause Should clauses are optional: nest them, so a record of the
        # required filter or diarienummer that holds none of the words is no partial hit.
        return Query.boolean_query([
            (Occur.Must, Query.boolean_query(ways)),
            *[(Occur.Must, self.compile(part)) for part in plan.required],
            *[(Occur.MustNot, self.compile(part)) for part in plan.excluded],
        ])

    def proximity(self, plan: QueryPlan) -> list[tantivy.Query]:
        """Boosts for the plan's proximity words found near each other, in the order
        typed with at most PROXIMITY_SLOP other words between, in the text or the title;
        [] when the exact analyzer makes fewer than two tokens of them."""
        found = tokens("sv_exact", " ".join(plan.proximity_words))
        if len(found) < 2:
            return []
        return [
            Query.boost_query(
                Query.phrase_query(SCHEMA, f"{name}_exact", _words(found),
                                   slop=PROXIMITY_SLOP),
                PROXIMITY_BOOST * FIELD_BOOSTS[name])
            for name in ("rubrik", "text")
        ]

    def compile(self, node: q.Node) -> tantivy.Query:
        """One node of the AST as a tantivy Query."""
        if isinstance(node, q.MatchAll):
            return Query.all_query()
        if isinstance(node, q.Word):
            return self.word(node.text)
        if isinstance(node, q.Prefix):
            return self.prefix(node.text)
        if isinstance(node, q.Phrase):
            return self.phrase(node.words)
        if isinstance(node, q.And):
            clauses = [
                (Occur.MustNot, self.compile(child.node)) if isinstance(child, q.Not)
                else (Occur.Must, self.compile(child))
                for child in node.children
            ]
            if all(occur == Occur.MustNot for occur, _ in clauses):
                clauses.insert(0, (Occur.Must, Query.all_query()))
            return Query.boolean_query(clauses)
        if isinstance(node, q.Or):
            return Query.boolean_query([(Occur.Should, self.compile(c)) for c in node.children])
        if isinstance(node, q.Not):
            # The parser never leaves a bare Not; should one come, it still means "not".
            return Query.boolean_query([(Occur.Must, Query.all_query()),
                                        (Occur.MustNot, self.compile(node.node))])
        if isinstance(node, q.Field):
            return self.field(node.name, node.value)
        if isinstance(node, q.DateRange):
            if node.start is None and node.end is None:
                return Query.all_query()
            return date_query(node.start, node.end)
        if isinstance(node, q.Diarienummer):
            if node.prefix:
                query = Query.term_query(SCHEMA, "dnr_key", node.key)
            else:
                query = Query.term_query(SCHEMA, "dnr_year_serial", node.year_serial)
            return Query.boost_query(query, DNR_BOOST)
        return Query.empty_query()

    def word(self, text: str) -> tantivy.Query:
        """A typed word in every free-text field: exact > stem > lemma > part > folded;
        an abbreviation also finds what it stands for (KS: kommunstyrelsen), and back."""
        expansions = self.swedish.synonyms(text)
        if not expansions:
            return self.one_word(text)
        ways = [self.one_word(text)] + [
            Query.boost_query(
                self.one_word(other) if len(other.split()) == 1
                else self.phrase(tuple(other.split())), SYNONYM_BOOST)
            for other in expansions
        ]
        return Query.boolean_query([(Occur.Should, way) for way in ways])

    def one_word(self, text: str) -> tantivy.Query:
        exact = tokens("sv_exact", text)
        if len(exact) != 1:
            return self.split_word(text, exact) if exact else Query.empty_query()
        ways: list[tantivy.Query] = []
        stems = tokens("sv_stem", text)
        for name in TEXT_FIELDS:
            boost = FIELD_BOOSTS[name]
            ways.append(Query.boost_query(
                Query.term_query(SCHEMA, f"{name}_exact", exact[0]), boost * EXACT_BOOST))
            if stems:
                ways.append(Query.boost_query(Query.term_query(SCHEMA, name, stems[0]), boost))
        # Numbers have no lemma and are no compound part: their clauses would only cost.
        lemma = self.swedish.lemma(text) if not exact[0].isdigit() else None
        if lemma:
            ways.append(Query.boost_query(Query.term_query(SCHEMA, "lemma", lemma), LEMMA_BOOST))
        if self.swedish.active and not exact[0].isdigit():
            # Compound parts are stored in base form: try the word as typed and its lemma.
            ways.append(Query.boost_query(
                terms("parts", sorted({exact[0], lemma or exact[0]})),
                PARTS_BOOST))
        if not has_swedish_letters(text):
            for folded in tokens("sv_folded", text)[:1]:
                ways.append(Query.boost_query(
                    Query.term_query(SCHEMA, "folded", folded), FOLDED_BOOST))
        return _any(ways)

    def split_word(self, text: str, exact: Sequence[str]) -> tantivy.Query:
        """A word the analyzer splits (`e-post`, `2023:1`, `IT-konsulter`): its pieces as
        a phrase, exact first, then as a phrase of their stems, so a hyphenated compound
        is inflected as a word is (`IT-konsulter` finds `IT-konsulten`, `LSS-boende`
        `LSS-boendet`); typed in quotes it stays exact (`phrase`)."""
        stems = positioned("sv_stem", text)
        # Not for numbers (`2023:1`: their stems are the same, it would only cost), nor
        # when a stopword piece is dropped (`på-slag` would be `slag` alone: far too much).
        stemmed = len(stems) == len(exact) and not all(t.isdigit() for t in exact)
        ways: list[tantivy.Query] = []
        for name in TEXT_FIELDS:
            boost = FIELD_BOOSTS[name]
            if (query := _phrase(f"{name}_exact", exact, boost * EXACT_BOOST)) is not None:
                ways.append(query)
            if stemmed and (query := _phrase(name, stems, boost)) is not None:
                ways.append(query)
        if not has_swedish_letters(text):
            folded = positioned("sv_folded", text)
            if len(folded) >= 2 and (query := _phrase("folded", folded, FOLDED_BOOST)):
                ways.append(query)
        return _any(ways)

    def prefix(self, text: str) -> tantivy.Query:
        """Words starting with `text`, on the unstemmed fields (and folded when typed
        without å/ä/ö)."""
        exact = tokens("sv_exact", text)
        if not exact:
            return Query.empty_query()
        ways = [
            Query.boost_query(
                Query.phrase_prefix_query(SCHEMA, f"{name}_exact", _words(exact)),
                FIELD_BOOSTS[name])
            for name in TEXT_FIELDS
        ]
        if not has_swedish_letters(text):
            folded = tokens("sv_exact", fold(text))
            ways.append(Query.boost_query(
                Query.phrase_prefix_query(SCHEMA, "folded", _words(folded)), FOLDED_BOOST))
        return _any(ways)

    def phrase(self, words: Sequence[str]) -> tantivy.Query:
        """An exact phrase: these words, in this order, on the unstemmed fields.
        Stopwords count: the exact fields keep them, so "beslut om bygglov" works."""
        found = tokens("sv_exact", " ".join(words))
        ways = [
            query for name in TEXT_FIELDS
            if (query := _phrase(f"{name}_exact", found, FIELD_BOOSTS[name])) is not None
        ]
        return _any(ways)

    def field(self, name: str, value: str) -> tantivy.Query:
        """A field filter: keyword fields by equality ignoring case, part and rubrik as a
        phrase (stemmed or exact) in that field."""
        if name in q.KEYWORD_FIELDS:
            values = self.swedish.filter_values(name, value)
            return Query.term_set_query(SCHEMA, "kw", sorted(f"{name}={v}" for v in values))
        if name in TEXT_FIELDS:
            ways = [
                _phrase(f"{name}_exact", tokens("sv_exact", value), 2.0),
                _phrase(name, positioned("sv_stem", value), 1.0),
            ]
            return _any([w for w in ways if w is not None])
        return Query.empty_query()


def date_query(start: str | None, end: str | None) -> tantivy.Query:
    """Records dated from `start` to `end` (ISO dates, inclusive; None: open).

    Raises QueryError for a bound that is no date."""
    try:
        low = to_datetime(start) if start else None
        high = to_datetime(end) if end else None
    except ValueError as exc:
        raise QueryError(f"invalid date: {exc}; write dates as YYYY-MM-DD") from exc
    return Query.range_query(SCHEMA, "datum", tantivy.FieldType.Date, low, high)


def must(queries: Sequence[tantivy.Query]) -> tantivy.Query:
    """All of `queries` (one query as itself)."""
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Must, query) for query in queries])


def terms(field: str, values: Sequence[str]) -> tantivy.Query:
    """Any of a few terms of one field. Term queries OR'ed, not term_set_query: a term
    set is matched by an automaton over the field's whole dictionary, measured at 0.5 ms
    per use on 1,000 records against 0.002 ms for a term query
    (benchmarks/quality_eval.py)."""
    if len(values) == 1:
        return Query.term_query(SCHEMA, field, values[0])
    return Query.boolean_query([(Occur.Should, Query.term_query(SCHEMA, field, value))
                                for value in values])


@lru_cache(maxsize=64)
def _recency_clauses(today: date, latest: date | None = None
                     ) -> tuple[tuple[Occur, tantivy.Query], ...]:
    """Optional clauses giving recent records a small score (RECENCY_BANDS): a
    tie-breaker that never changes what matches; only the bands starting on or before
    `latest` (all for None). Built once a day (per `latest`)."""
    return tuple(
        (Occur.Should, Query.boost_query(
            date_query((today - timedelta(days=days)).isoformat(), None), boost))
        for days, boost in RECENCY_BANDS
        if latest is None or today - timedelta(days=days) <= latest
    )


def latest_day(node: q.Node, date_to: str | None, years: Sequence[str] | str | None
               ) -> date | None:
    """The last day a record can be dated and match: the earliest of the request's
    `date_to`, the end of the latest year its year filter names (`years`) and the end
    of a date range the query requires (the plan's node or a child of its top-level
    AND, which graceful AND keeps required); None when nothing bounds it (or a bound
    is no date). A record dated within the recency band cannot match when it ends
    before the band starts (ranked() leaves the band out: the same hits and scores)."""
    ends: list[date] = []
    try:
        if date_to:
            ends.append(date.fromisoformat(date_to[:10]))
        if years:
            values = (years,) if isinstance(years, str) else tuple(years)
            numbers = [int(value) for value in values if str(value).strip()]
            if numbers:
                ends.append(date(max(numbers), 12, 31))
        children = node.children if isinstance(node, q.And) else (node,)
        ends.extend(date.fromisoformat(child.end[:10]) for child in children
                    if isinstance(child, q.DateRange) and child.end)
    except ValueError:
        return None
    return min(ends, default=None)


def recency_band(today: date) -> tuple[tantivy.Query, float] | None:
    """The recency tie-breaker as (the records dated within its band, its boost), when
    RECENCY_BANDS holds one band; None for several (then only ranked() applies them)."""
    if len(RECENCY_BANDS) != 1:
        return None
    days, boost = RECENCY_BANDS[0]
    return _band_query(today - timedelta(days=days)), boost


@lru_cache(maxsize=2)
def _band_query(start: date) -> tantivy.Query:
    return date_query(start.isoformat(), None)


def within_band(query: tantivy.Query, band: tantivy.Query, constant: float | None
                ) -> tantivy.Query:
    """The records of `query` within `band`, scored by `query` alone. `constant`: the
    score every record of `query` has when it is the all query (tantivy drops an all
    query's score inside an intersection)."""
    if constant is not None:
        return Query.const_score_query(band, constant)
    return Query.boolean_query([(Occur.Must, query),
                                (Occur.Must, Query.const_score_query(band, 0.0))])


Scored = list[tuple[float, tantivy.DocAddress]]


def merge_band(every: Scored, within: Scored, boost: float, offset: int, limit: int
               ) -> Scored:
    """The hits from `offset` on of a query ranked with a recency band of `boost` added,
    from `every`: its first offset+limit hits, and `within`: its first offset+limit hits
    within the band (within_band). The banded ranking's first offset+limit are in their
    union: a record of the band ranks within the band at least as high as overall, and a
    record outside it keeps its own score, which banding only raises for others. Scores
    are summed in 32-bit floats as tantivy sums a Boolean query's clauses (ties by
    address), so hits and scores are ranked()'s, without its seek to the band at every
    matching record (the query matching every record at 100,000 records: 0.56 + 0.15 ms
    against 1.44 ms; with words or filters the second search costs more than that)."""
    step = _f32(boost)
    ranked: dict[tuple[int, int], tuple[float, tantivy.DocAddress]] = {
        (address.segment_ord, address.doc): (_f32(score + step), address)
        for score, address in within}
    for score, address in every:
        ranked.setdefault((address.segment_ord, address.doc), (float(score), address))
    order = sorted(ranked, key=lambda key: (-ranked[key][0], key))
    return [ranked[key] for key in order[offset:offset + limit]]


_F32 = struct.Struct("f")


def _f32(value: float) -> float:
    """`value` rounded to a 32-bit float, as tantivy scores are."""
    return float(_F32.unpack(_F32.pack(value))[0])


def _any(queries: Sequence[tantivy.Query], tie_breaker: float = 0.1) -> tantivy.Query:
    """The best of several ways to match one thing (dis-max), or nothing when none."""
    if not queries:
        return Query.empty_query()
    if len(queries) == 1:
        return queries[0]
    return Query.disjunction_max_query(list(queries), tie_breaker=tie_breaker)


def _phrase(field: str, found: Sequence[tuple[int, str]] | Sequence[str],
            boost: float) -> tantivy.Query | None:
    """A phrase (or a term, for one token) on `field`; None without tokens."""
    if not found:
        return None
    if len(found) == 1:
        only = found[0]
        term = only[1] if isinstance(only, tuple) else only
        query = Query.term_query(SCHEMA, field, term)
    else:
        query = Query.phrase_query(SCHEMA, field, _words(found))
    return Query.boost_query(query, boost)


def _words(found: Sequence[str] | Sequence[tuple[int, str]]) -> list[str | tuple[int, str]]:
    """Tokens (or positioned tokens) as the list tantivy's phrase queries take."""
    return list(found)
