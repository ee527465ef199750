"""Hybrid search on Elasticsearch and OpenSearch (diarium.hybrid), without vectors on the
nodes: the vector side is the vector file beside the embedded index (diarium.vectors,
built by every `diarium index` whatever the engine), and its candidates are run through
the engine with the keyword query's filters, date range, required parts and exclusions
(an `ids` query beside them), so a related result never escapes a filter and only what
the index holds is shown. The same fusion as the embedded engine then orders the first
results. This needs no k-NN plugin (the OpenSearch test node has none) and no licence;
storing the vectors in `dense_vector`/`knn_vector` fields is not done yet.

Facet counts stay those of the keyword query (related results are not counted there).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from diarium import hybrid
from diarium.indexer.elastic.documents import record_from_source
from diarium.query_plan import QueryPlan
from diarium.search import MAX_PER_PAGE, Hit, SearchRequest, SearchResult

if TYPE_CHECKING:
    from diarium.indexer.elastic.backend import ElasticBackend

KEYWORD_WINDOW = 30
VECTOR_CANDIDATES = 50


def fusing(semantic: hybrid.SemanticSearch | None, request: SearchRequest) -> bool:
    """Whether this request is fused (a relevance search on the first pages)."""
    offset = (request.page - 1) * request.per_page
    return (semantic is not None and semantic.index is not None and request.semantic
            and request.sort == "relevance"
            and offset + request.per_page <= min(hybrid.WINDOW, MAX_PER_PAGE))


def fused(backend: ElasticBackend, semantic: hybrid.SemanticSearch, request: SearchRequest,
          planned: QueryPlan, filters: dict[str, dict[str, Any]], used: dict[str, Any],
          partial: bool, markable: bool) -> SearchResult | None:
    """The fused result of `request`, or None when the query has nothing to embed or
    there is no vector index of this model (the caller keeps its keyword result).
    `used`: the keyword query that found the hits (the exact one, or graceful AND's)."""
    text = hybrid.query_text(planned)
    index = semantic.index
    if not text or index is None or not index.available or index.model_id != semantic.model.id:
        return None
    offset = (request.page - 1) * request.per_page
    window = replace(request, page=1,
                     per_page=min(MAX_PER_PAGE, max(KEYWORD_WINDOW, offset + request.per_page)))
    answer = backend._run(backend.compiler.ranked(used, planned, "relevance"), filters,
                          window, markable)
    keyword = {hit.record.doc_id: hit for hit in
               (backend._hit(raw, True) for raw in answer["hits"]["hits"])}
    found = index.search(semantic.query_vector(text), VECTOR_CANDIDATES)
    related_records = _allowed(backend, planned, filters, [h.doc_id for h in found])
    exact = hybrid.is_exact(planned, backend.compiler.swedish.query_identifiers(planned.text)
                            if backend.compiler.swedish is not None else ())
    order = hybrid.fuse(list(keyword), [h for h in found if h.doc_id in related_records],
                        exact, semantic.acceptor(), partial)
    from diarium.indexer.embedded.hybrid import passage_snippet

    hits: list[Hit] = []
    for item in order[offset:offset + request.per_page]:
        if item.doc_id in keyword:
            hits.append(replace(keyword[item.doc_id], score=item.score))
        else:
            record = related_records[item.doc_id]
            hits.append(Hit(record=record, score=item.score, semantic=True,
                            snippets=passage_snippet(record, item.position, semantic)))
    related = sum(1 for item in order if item.semantic)
    facets = backend._facets(answer.get("aggregations", {}), filters) \
        if request.with_facets else {}
    return SearchResult(total=int(answer["hits"]["total"]["value"]) + related,
                        hits=tuple(hits), facets=facets, page=request.page,
                        per_page=request.per_page, partial=partial)


def _allowed(backend: ElasticBackend, planned: QueryPlan, filters: dict[str, dict[str, Any]],
             doc_ids: list[str]) -> dict[str, Any]:
    """The records among `doc_ids` that pass the request's filters and the plan's
    required parts and exclusions, by doc_id."""
    if not doc_ids:
        return {}
    query: dict[str, Any] = {"bool": {
        "filter": [{"ids": {"values": doc_ids}}, *filters.values(),
                   *[backend.compiler.compile(part) for part in planned.required]],
    }}
    if planned.excluded:
        query["bool"]["must_not"] = [backend.compiler.compile(p) for p in planned.excluded]
    answer = backend.conn.request("POST", f"/{backend.alias}/_search", body={
        "query": query, "size": len(doc_ids), "track_total_hits": False})
    return {str(raw["_source"]["doc_id"]): record_from_source(raw["_source"])
            for raw in answer["hits"]["hits"]}
