"""Hybrid search of the embedded backend: the vector side and the fusion (diarium.hybrid).

The vector index (diarium.vectors, a memory-mapped matrix beside the tantivy index)
gives the documents nearest the query's words; they pass the same tantivy filters as the
keyword query (facet filters, date range, the plan's required parts and exclusions), so
a related result never escapes a filter, and a filter that leaves few documents has
their vectors scanned exactly, so none of them is lost (vector_side). The
fused list (diarium.hybrid.fuse) decides the order of the first WINDOW results.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import tantivy
from tantivy import Occur, Query

from diarium import hybrid
from diarium.embeddings import passages
from diarium.indexer.embedded.compiler import Compiler, must
from diarium.indexer.embedded.schema import SCHEMA
from diarium.public import PublicRecord
from diarium.query_plan import QueryPlan
from diarium.search import SNIPPET_CHARS, Snippet
from diarium.vectors import VectorHit

KEYWORD_WINDOW = 30     # keyword hits fused at least (more when a deeper page is asked)
VECTOR_CANDIDATES = 50  # nearest documents that pass the filters, fused
FILTERED_EXACT = 256    # at most this many documents pass a filter: their rows scanned exactly


@dataclass(frozen=True)
class VectorSide:
    """The vector hits that pass the request's filters, with their tantivy addresses."""

    hits: tuple[VectorHit, ...]
    addresses: dict[str, tantivy.DocAddress]
    docs: dict[str, tantivy.Document]


def doc_ids_query(doc_ids: Sequence[str]) -> tantivy.Query:
    if not doc_ids:
        return Query.empty_query()
    return Query.term_set_query(SCHEMA, "doc_id", list(doc_ids))


def vector_side(searcher: tantivy.Searcher, semantic: hybrid.SemanticSearch,
                planned: QueryPlan, compiler: Compiler,
                filter_queries: Sequence[tantivy.Query]) -> VectorSide | None:
    """The vector hits of the query that pass every filter, or None when the query has
    no words to embed or there is no vector index (keyword-only then).

    Unfiltered: the VECTOR_CANDIDATES nearest documents, kept when the index holds
    them. Filtered (facet filters, a date range, required parts, exclusions): when at
    most FILTERED_EXACT documents pass, their rows are scanned exactly; otherwise the
    nearest documents are taken in proportion to the share that passes (twice as many
    as expected to fill VECTOR_CANDIDATES), so the best documents that pass are found
    however rare, in their vector order."""
    text = hybrid.query_text(planned)
    index = semantic.index
    if not text or index is None or not index.available:
        return None
    if index.model_id != semantic.model.id:
        return None     # vectors of another model: not comparable (run `diarium index`)
    vector = semantic.query_vector(text)
    parts = [*filter_queries, *[compiler.compile(part) for part in planned.required]]
    narrowing: tantivy.Query | None = must(parts) if parts else None
    if planned.excluded:
        narrowing = Query.boolean_query(
            [(Occur.Must, narrowing if narrowing is not None else Query.all_query())]
            + [(Occur.MustNot, compiler.compile(part)) for part in planned.excluded])
    if narrowing is None:
        found = index.search(vector, VECTOR_CANDIDATES)
    else:
        found_count = searcher.search(narrowing, 1, count=True)
        passing = int(found_count.count or 0)  # type: ignore[attr-defined]  # stub omits count
        if passing == 0:
            return VectorSide((), {}, {})
        if passing <= FILTERED_EXACT:
            docs = _read(searcher, narrowing, passing)
            found = index.search(vector, VECTOR_CANDIDATES, allowed=list(docs))
            return VectorSide(tuple(h for h in found if h.doc_id in docs),
                              {d: a for d, (a, _) in docs.items()},
                              {d: doc for d, (_, doc) in docs.items()})
        total = max(index.documents, passing)
        found = index.search(vector, min(total, math.ceil(
            2 * VECTOR_CANDIDATES * total / passing)))
    if not found:
        return VectorSide((), {}, {})
    restriction = doc_ids_query([h.doc_id for h in found])
    if narrowing is not None:
        restriction = must([restriction, narrowing])
    allowed = _read(searcher, restriction, len(found))
    kept = tuple(h for h in found if h.doc_id in allowed)[:VECTOR_CANDIDATES]
    return VectorSide(kept, {h.doc_id: allowed[h.doc_id][0] for h in kept},
                      {h.doc_id: allowed[h.doc_id][1] for h in kept})


def _read(searcher: tantivy.Searcher, query: tantivy.Query, limit: int
          ) -> dict[str, tuple[tantivy.DocAddress, tantivy.Document]]:
    """The documents matching `query` (at most `limit`) by doc_id: address and stored."""
    out: dict[str, tuple[tantivy.DocAddress, tantivy.Document]] = {}
    for _, address in searcher.search(query, limit, count=False).hits:
        doc = searcher.doc(address)
        doc_id = doc.get_first("doc_id")
        if isinstance(doc_id, str):
            out[doc_id] = (address, doc)
    return out


def passage_snippet(record: PublicRecord, position: int | None,
                    semantic: hybrid.SemanticSearch) -> tuple[Snippet, ...]:
    """The passage a related result was found by, as an unmarked snippet."""
    if position is None:
        return ()
    for passage in passages(record, semantic.settings):
        if passage.position == position:
            text = passage.text
            if len(text) > SNIPPET_CHARS:
                cut = text.rfind(" ", 0, SNIPPET_CHARS)
                text = text[:cut if cut > 0 else SNIPPET_CHARS] + " …"
            field = "rubrik" if position == 0 else "text"
            return (Snippet(text, (), field, passage.page),)
    return ()


def with_related(main: tantivy.Query, related: Sequence[str]) -> tantivy.Query:
    """The keyword query widened by the related results (for facet counts)."""
    if not related:
        return main
    return Query.boolean_query([(Occur.Should, main), (Occur.Should, doc_ids_query(related))])
