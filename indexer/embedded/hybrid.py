"""Hybrid search of the embedded backend: the vector side and the fusion (diarium.hybrid).

The vector index (diarium.vectors, a memory-mapped matrix beside the tantivy index)
gives the documents nearest the query's words; they are run through the same tantivy
filters as the keyword query (facet filters, date range, the plan's required parts and
exclusions) by a doc_id restriction, so a related result never escapes a filter. The
fused list (diarium.hybrid.fuse) decides the order of the first WINDOW results.
"""

from __future__ import annotations

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
VECTOR_CANDIDATES = 50  # nearest documents taken before the filters


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
    no words to embed or there is no vector index (keyword-only then)."""
    text = hybrid.query_text(planned)
    index = semantic.index
    if not text or index is None or not index.available:
        return None
    if index.model_id != semantic.model.id:
        return None     # vectors of another model: not comparable (run `diarium index`)
    found = index.search(semantic.query_vector(text), VECTOR_CANDIDATES)
    if not found:
        return VectorSide((), {}, {})
    restriction = must([
        doc_ids_query([h.doc_id for h in found]),
        *filter_queries,
        *[compiler.compile(part) for part in planned.required],
    ])
    if planned.excluded:
        restriction = Query.boolean_query(
            [(Occur.Must, restriction)]
            + [(Occur.MustNot, compiler.compile(part)) for part in planned.excluded])
    allowed: dict[str, tantivy.DocAddress] = {}
    docs: dict[str, tantivy.Document] = {}
    for _, address in searcher.search(restriction, len(found), count=False).hits:
        doc = searcher.doc(address)
        doc_id = doc.get_first("doc_id")
        if isinstance(doc_id, str):
            allowed[doc_id] = address
            docs[doc_id] = doc
    return VectorSide(tuple(h for h in found if h.doc_id in allowed), allowed, docs)


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
