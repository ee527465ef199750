"""Request filters and facet counts of the embedded backend: facet filters as `kw` term
queries, and the counts as one tantivy aggregation request (terms aggregations nested
per filtered facet when facets have filters of their own; see facet_counts)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import tantivy

from diarium.errors import EngineUnavailable, QueryError
from diarium.indexer.embedded.compiler import date_query, must, terms
from diarium.indexer.embedded.records import fast_constructor
from diarium.indexer.embedded.schema import SCHEMA
from diarium.search import FACET_SIZE, FACETS, FacetValue, SearchRequest, filter_value


def filters(request: SearchRequest
            ) -> tuple[dict[str, tantivy.Query], dict[str, list[str]]]:
    """One query per filtered facet (values OR'ed) plus the date range ("datum"),
    and the `kw` terms of each facet filter.

    Raises QueryError for an unknown filter or an invalid date."""
    by_name = {f.name: f for f in FACETS}
    out: dict[str, tantivy.Query] = {}
    filter_terms: dict[str, list[str]] = {}
    for name, values in request.filters.items():
        facet = by_name.get(name)
        if facet is None:
            raise QueryError(
                f"unknown filter {name!r}: use one of {', '.join(by_name)}"
            )
        if isinstance(values, str):
            values = (values,)
        kw = [f"{name}={filter_value(facet.kind, v)}" for v in values if v != ""]
        if kw:
            out[name] = terms("kw", kw)
            filter_terms[name] = kw
    if request.date_from or request.date_to:
        out["datum"] = date_query(request.date_from, request.date_to)
    if request.doc_ids is not None:
        out["doc_id"] = doc_id_query(request.doc_ids)
    return out, filter_terms


@lru_cache(maxsize=8)
def doc_id_query(doc_ids: tuple[str, ...]) -> tantivy.Query:
    """Any of these records by doc_id (nothing for none). Cached: `diarium alerts run`
    restricts thousands of alerts' searches to the same set of changed records. A term
    set (one automaton over the doc_id dictionary) is cheaper than hundreds of term
    queries OR'ed once the set is large."""
    if not doc_ids:
        return tantivy.Query.empty_query()
    if len(doc_ids) <= 8:
        return terms("doc_id", list(doc_ids))
    return tantivy.Query.term_set_query(SCHEMA, "doc_id", list(doc_ids))


def facet_counts(searcher: tantivy.Searcher, main: tantivy.Query,
                 filters: dict[str, tantivy.Query], filter_terms: dict[str, list[str]],
                 split: bool = False, match_all: bool = False
                 ) -> dict[str, tuple[FacetValue, ...]]:
    """Facet counts. A facet with a filter of its own is counted without that filter
    (so its other values stay visible and selectable: OR within a facet); the others
    count within every filter. Without such filters: one terms aggregation request.
    With them: one request of terms aggregations nested per filtered facet
    (_nested_counts); where that cannot be used, one request with each group of facets
    under a `filter` aggregation holding the facet filters that apply to it.

    `split`: one aggregation request per group instead, each on the query AND its
    group's filters: the same counts, cheaper when `main` is cheap to run again;
    `match_all`: `main` matches every record, so a group with filters runs on the
    filters alone (with `split`, cheaper than any aggregation over every record).

    Raises EngineUnavailable when tantivy refuses the aggregation."""
    own = {name: values for name, values in filter_terms.items() if name in filters}
    base = must([main, *[q_ for name, q_ in filters.items() if name not in own]])
    if split and match_all and own:
        # The filters alone, per group: cheaper than any aggregation over every record.
        return _split_counts(searcher, main, filters, list(own), match_all)
    if own:
        nested = _nested_counts(searcher, base, own)
        if nested is not None:
            return nested
    if split and own:
        return _split_counts(searcher, main, filters, list(own), match_all)
    return _filtered_counts(searcher, base, own)


def _filtered_counts(searcher: tantivy.Searcher, base: tantivy.Query,
                     own: dict[str, list[str]]) -> dict[str, tuple[FacetValue, ...]]:
    """facet_counts() as one request on `base` (the query and the filters of facets
    without a filter of their own: none of `own`), each group of facets under a
    `filter` aggregation of the facet filters that apply to it."""
    counts = _counts_request

    def narrowed(names: Sequence[str], inner: dict[str, Any]) -> dict[str, Any]:
        return {"filter": " AND ".join(
            "(" + " OR ".join(f'kw:"{_escape(t)}"' for t in own[n]) + ")"
            for n in names), "aggs": inner}

    shared = [f.name for f in FACETS if f.name not in own]
    request: dict[str, Any] = {}
    if not own:
        request = counts(shared)
    else:
        if shared:
            request["_shared"] = narrowed(list(own), counts(shared))
        for name in own:
            others = [n for n in own if n != name]
            if others:
                request[f"_own_{name}"] = narrowed(others, counts([name]))
            else:
                request.update(counts([name]))
    answer = _aggregate(searcher, base, request)
    flat: dict[str, Any] = {}
    for key, value in answer.items():
        if key.startswith("_"):
            flat.update({k: v for k, v in value.items() if isinstance(v, dict)})
        else:
            flat[key] = value
    return _values(flat)


# The size of a nested terms aggregation: above any facet's number of values, so its
# buckets are all there (exact counts; the final cut to FACET_SIZE is made here).
_ALL_VALUES = 10_000
_IN = "_in_"


def _nested_counts(searcher: tantivy.Searcher, base: tantivy.Query,
                   own: dict[str, list[str]]) -> dict[str, tuple[FacetValue, ...]] | None:
    """facet_counts() of facets with filters of their own as one aggregation request
    on `base` without `filter` aggregations: each filtered facet is a terms aggregation
    whose `include` lists the facet field's values its filter terms match (a record has
    one value per facet field, and a filter term is its value casefolded), nested in the
    order of `own`. The facets without a filter are counted under the chain of every
    filtered facet, each filtered facet under the chain of the others, and the counts
    of the buckets summed. The same counts as the `filter` aggregations (which mark
    every record of their terms in a bit set, about 0.3 ms each at 100,000 records,
    whatever `base` matches), and in the same order: count descending, then value.
    None (count the other way) when a filter matches no value of its field, a facet has
    more than FACET_SIZE values (the terms aggregation's own top FACET_SIZE cut is then
    what counts) or tantivy refuses the request (its bucket limit)."""
    include: dict[str, list[str]] = {}
    for name, wanted in own.items():
        values = set(wanted)
        field = _FIELDS[name]
        include[name] = [term for term, _ in searcher.terms_with_prefix(field, "")
                         if f"{name}={term.casefold()}" in values]
        if not include[name]:
            return None
    request: dict[str, Any] = {}

    def chain(path: Sequence[str], leaves: Sequence[str]) -> None:
        node = request
        for name in path:
            node = node.setdefault(_IN + name, {"terms": {
                "field": _FIELDS[name], "size": _ALL_VALUES, "include": include[name]},
                "aggs": {}})["aggs"]
        node.update({leaf: {"terms": {"field": _FIELDS[leaf], "size": _ALL_VALUES}}
                     for leaf in leaves})

    names = list(own)
    shared = [f.name for f in FACETS if f.name not in own]
    if shared:
        chain(names, shared)
    for name in names:
        chain([n for n in names if n != name], [name])
    try:
        answer = dict(searcher.aggregate(base, request))
    except ValueError:
        return None
    summed: dict[str, dict[str, int]] = {}

    def collect(level: dict[str, Any]) -> None:
        for key, value in level.items():
            if not isinstance(value, dict):
                continue
            if key.startswith(_IN):
                for bucket in value.get("buckets", []):
                    collect(bucket)
            else:
                counts = summed.setdefault(key, {})
                for bucket in value.get("buckets", []):
                    value_key = str(bucket["key"])
                    counts[value_key] = counts.get(value_key, 0) + int(bucket["doc_count"])

    collect(answer)
    out: dict[str, tuple[FacetValue, ...]] = {}
    for facet in FACETS:
        counts = summed.get(facet.name, {})
        if len(counts) > FACET_SIZE:
            return None
        out[facet.name] = tuple(
            _facet_value(value, count)
            for value, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            if count > 0)
    return out


def _split_counts(searcher: tantivy.Searcher, main: tantivy.Query,
                  filters: dict[str, tantivy.Query], own: list[str], match_all: bool
                  ) -> dict[str, tuple[FacetValue, ...]]:
    """facet_counts() as one aggregation request per group of facets: the facets
    without a filter of their own within every filter, each filtered facet within the
    others' filters."""
    def within(names: Sequence[str]) -> tantivy.Query:
        applied = [query for name, query in filters.items() if name not in names]
        return must(applied if match_all and applied else [main, *applied])

    shared = [f.name for f in FACETS if f.name not in own]
    flat: dict[str, Any] = {}
    if shared:
        flat.update(_aggregate(searcher, within(()), _counts_request(shared)))
    for name in own:
        flat.update(_aggregate(searcher, within((name,)), _counts_request([name])))
    return _values(flat)


def _counts_request(names: Sequence[str]) -> dict[str, Any]:
    return {name: {"terms": {"field": _FIELDS[name], "size": FACET_SIZE}} for name in names}


def _aggregate(searcher: tantivy.Searcher, query: tantivy.Query, request: dict[str, Any]
               ) -> dict[str, Any]:
    try:
        return dict(searcher.aggregate(query, request))
    except ValueError as exc:
        raise EngineUnavailable(f"the embedded index refused the facet counts: {exc}"
                                ) from exc


def _values(flat: dict[str, Any]) -> dict[str, tuple[FacetValue, ...]]:
    """The FacetValues of every facet from flat terms-aggregation answers by name."""
    return {
        f.name: tuple(_facet_value(str(b["key"]), int(b["doc_count"]))
                      for b in flat.get(f.name, {}).get("buckets", []))
        for f in FACETS
    }


_facet_value = fast_constructor(FacetValue, ("value", "count"))


_FIELDS = {f.name: f.field for f in FACETS}


def _escape(value: str) -> str:
    """A value inside double quotes of tantivy's query language."""
    return value.replace("\\", "\\\\").replace('"', '\\"')
