"""Hybrid search on Elasticsearch and OpenSearch (diarium.hybrid), with the vectors on the
nodes.

Writing: every document carries the vectors of its passages (settings.VECTOR_FIELD, a
nested field: position and vector). They are computed in Python by `diarium index`'s
embedding step and read here from the store (StoreVectors: the store's `embeddings`
table, keyed by the hash of each passage of the very PublicRecord written, so a secret
record has none and one not cleared for publication only its title's). No model runs on
the nodes. Elasticsearch maps them as `dense_vector` (core, no licence); OpenSearch as
`knn_vector`, which needs the k-NN plugin (scripts/engines.sh installs it on the test
node; its Lucene engine, as the plugin's native engines need libraries its Maven
artifact lacks).

Searching: a nested kNN query (the best passage per document, `inner_hits` naming it)
under the keyword side's filters, date range, required parts and exclusions, and the
model of the query's vector; the two ranked lists are fused in Python by diarium.hybrid
(Elasticsearch's `rrf` retriever needs a licence). A related result is shown under the
same rule as on the embedded engine (SemanticSettings.related): its cosine, and how far
it stands out from the query's similarity to all passages, whose mean and spread come
from the first two moments of the stored vectors (exact up to MOMENT_SAMPLE passages, a
sample beyond). Facets count the keyword hits and the related results shown (as the
embedded engine's), the related ones under all filters.

Fallback, where the cluster has no vector fields (OpenSearch without the k-NN plugin) or
the live index predates them: the vector file beside the embedded index
(diarium.vectors), its candidates run through the engine with the same filters (an `ids`
query beside them).
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from diarium import hybrid
from diarium.config import Settings
from diarium.embeddings import SemanticSettings, load_model, passages, semantic_settings
from diarium.indexer.elastic.connection import EngineRefused
from diarium.indexer.elastic.documents import record_from_source
from diarium.indexer.elastic.settings import VECTOR_DIMS, VECTOR_FIELD, vector_mapping
from diarium.public import PublicRecord
from diarium.query_plan import QueryPlan
from diarium.search import MAX_PER_PAGE, Hit, SearchRequest, SearchResult
from diarium.vectors import MIN_ROWS_FOR_SPREAD, VectorHit

if TYPE_CHECKING:
    from diarium.indexer.elastic.backend import ElasticBackend

KEYWORD_WINDOW = 30
VECTOR_CANDIDATES = 50
NUM_CANDIDATES = 200      # HNSW candidates per shard (Elasticsearch's num_candidates)
MOMENT_SAMPLE = 50_000    # passages read for the mean and spread of a query's similarity
MOMENT_TTL = 60.0         # seconds between checks whether the stored passages changed


# --- the vectors in the store ------------------------------------------------------------


@dataclass(frozen=True)
class Moments:
    """The first two moments of the stored passage vectors: a query's similarity to all
    passages has mean q·mean and variance q·second·q - (q·mean)²."""

    rows: int
    mean: np.ndarray
    second: np.ndarray

    def spread(self, query: np.ndarray) -> tuple[float, float]:
        mean = float(self.mean @ query)
        return mean, math.sqrt(max(float(query @ self.second @ query) - mean * mean, 0.0))


class StoreVectors:
    """The stored vectors of a record's passages (documents.PassageVectors), read from the
    store (read-only) of one data folder, for one model."""

    def __init__(self, store_path: Path, model_id: str, semantic: SemanticSettings) -> None:
        self.path = store_path
        self.model_id = model_id
        self.semantic = semantic
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._moments: Moments | None = None
        self._checked = 0.0

    def _query(self, sql: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Rows of a read-only query; [] when the store or its embedding tables are
        missing (nothing embedded yet)."""
        with self._lock:
            try:
                if self._conn is None:
                    self._conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True,
                                                 timeout=30.0, check_same_thread=False)
                return list(self._conn.execute(sql, tuple(args)))
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc) or "unable to open" in str(exc):
                    return []
                raise

    def of(self, record: PublicRecord) -> list[tuple[int, list[float]]]:
        """(position, vector) of each passage of `record` with a stored vector."""
        wanted = passages(record, self.semantic)
        if not wanted:
            return []
        hashes = [p.hash for p in wanted]
        stored = dict(self._query(
            "SELECT text_hash, vector FROM embeddings WHERE model = ? AND text_hash IN "
            f"({','.join('?' * len(hashes))})", (self.model_id, *hashes)))
        out = []
        for passage in wanted:
            blob = stored.get(passage.hash)
            if blob is not None and len(blob) == 4 * VECTOR_DIMS:
                vector = np.frombuffer(blob, dtype="<f4").astype(np.float64)
                out.append((passage.position, np.round(vector, 6).tolist()))
        return out

    def moments(self) -> Moments | None:
        """The moments of the stored passages (recomputed when their count changed,
        checked every MOMENT_TTL seconds); None when none is stored."""
        now = time.monotonic()
        if self._moments is not None and now - self._checked < MOMENT_TTL:
            return self._moments
        self._checked = now
        count = self._query("SELECT COUNT(*) FROM document_passages WHERE model = ?",
                            (self.model_id,))
        rows = int(count[0][0]) if count else 0
        if rows == 0:
            self._moments = None
        elif self._moments is None or self._moments.rows != rows:
            step = max(1, math.ceil(rows / MOMENT_SAMPLE))
            blobs = [r[0] for r in self._query(
                "SELECT e.vector FROM document_passages p JOIN embeddings e ON "
                "e.model = p.model AND e.text_hash = p.text_hash WHERE p.model = ? AND "
                "(p.document_id * 31 + p.position) % ? = 0", (self.model_id, step))]
            matrix = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(
                len(blobs), VECTOR_DIMS).astype(np.float64)
            self._moments = Moments(rows, matrix.mean(axis=0),
                                    matrix.T @ matrix / len(matrix)) if len(matrix) else None
        return self._moments


def store_vectors(settings: Settings) -> StoreVectors | None:
    """The StoreVectors of a data folder, or None when semantic search is off or the
    model is not installed (documents then carry no vectors)."""
    semantic = semantic_settings(settings)
    if not semantic.enabled:
        return None
    model = load_model(semantic.threads)
    if model is None or model.dim != VECTOR_DIMS:
        return None
    return StoreVectors(settings.store_path, model.id, semantic)


def attach(backend: ElasticBackend, settings: Settings) -> None:
    """Give a backend that is set up its vectors: documents written carry them when the
    live index maps the vector field (backend.live_vectors; an OpenSearch index made
    before the k-NN plugin was installed does not: `diarium reindex` makes one that
    does, then `diarium index --rebuild` fills it)."""
    backend.builder.vectors = store_vectors(settings) if backend.live_vectors else None


def live_vectors(backend: ElasticBackend) -> bool:
    """Whether the alias's indices map the vector field; adds it to an index that lacks
    it where the engine allows (Elasticsearch; OpenSearch only on an index made with
    the k-NN switch on, which is static)."""
    kind = backend.vector_kind
    if kind is None:
        return False
    answer = backend.conn.request("GET", f"/{backend.alias}/_mapping")
    for name, body in answer.items():
        if VECTOR_FIELD in body.get("mappings", {}).get("properties", {}):
            continue
        try:
            backend.conn.request("PUT", f"/{name}/_mapping",
                                 body={"properties": vector_mapping(kind)})
        except EngineRefused:
            return False
    return bool(answer)


# --- searching --------------------------------------------------------------------------


def fusing(semantic: hybrid.SemanticSearch | None, request: SearchRequest) -> bool:
    """Whether this request is fused (a relevance search on the first pages)."""
    offset = (request.page - 1) * request.per_page
    return (semantic is not None and request.semantic and request.sort == "relevance"
            and offset + request.per_page <= min(hybrid.WINDOW, MAX_PER_PAGE))


def native(backend: ElasticBackend, semantic: hybrid.SemanticSearch) -> bool:
    """Whether the vector side runs on the engine (else on the vector file)."""
    return (backend.live_vectors and isinstance(backend.builder.vectors, StoreVectors)
            and semantic.model.dim == VECTOR_DIMS)


def fused(backend: ElasticBackend, semantic: hybrid.SemanticSearch, request: SearchRequest,
          planned: QueryPlan, filters: dict[str, dict[str, Any]], used: dict[str, Any],
          partial: bool, markable: bool) -> SearchResult | None:
    """The fused result of `request`, or None when the query has nothing to embed or
    there are no vectors of this model (the caller keeps its keyword result).
    `used`: the keyword query that found the hits (the exact one, or graceful AND's)."""
    text = hybrid.query_text(planned)
    on_engine = native(backend, semantic)
    index = semantic.index
    if not text or (not on_engine and (index is None or not index.available
                                       or index.model_id != semantic.model.id)):
        return None
    offset = (request.page - 1) * request.per_page
    window = replace(request, page=1,
                     per_page=min(MAX_PER_PAGE, max(KEYWORD_WINDOW, offset + request.per_page)))
    ranked = backend.compiler.ranked(used, planned, "relevance")
    answer = backend._run(ranked, filters, window, markable)
    keyword = {hit.record.doc_id: hit for hit in
               (backend._hit(raw, True) for raw in answer["hits"]["hits"])}
    query = semantic.query_vector(text)
    accept: Callable[[VectorHit], bool]
    if on_engine:
        found, records, rows = _knn(backend, semantic, query, planned, filters)
        related_rule = semantic.settings.related
        accept = lambda hit: related_rule(hit.score, hit.z, rows)  # noqa: E731
    else:
        assert index is not None
        candidates = index.search(query, VECTOR_CANDIDATES)
        records = _allowed(backend, planned, filters, [h.doc_id for h in candidates])
        found = [h for h in candidates if h.doc_id in records]
        accept = semantic.acceptor()
    exact = hybrid.is_exact(planned, backend.compiler.swedish.query_identifiers(planned.text)
                            if backend.compiler.swedish is not None else ())
    order = hybrid.fuse(list(keyword), found, exact, accept, partial)
    from diarium.indexer.embedded.hybrid import passage_snippet

    hits: list[Hit] = []
    for item in order[offset:offset + request.per_page]:
        if item.doc_id in keyword:
            hits.append(replace(keyword[item.doc_id], score=item.score))
        else:
            record = records[item.doc_id]
            hits.append(Hit(record=record, score=item.score, semantic=True,
                            snippets=passage_snippet(record, item.position, semantic)))
    related = [item.doc_id for item in order if item.semantic]
    facets: dict[str, Any] = {}
    if request.with_facets:
        aggregations = answer.get("aggregations", {})
        if related:
            # Count what is shown: the keyword hits or the related results (the latter
            # passed every filter already), as the embedded engine does.
            aggregations = backend.conn.request("POST", f"/{backend.alias}/_search", body={
                "size": 0, "track_total_hits": False, "aggs": backend._aggs(filters),
                "query": {"bool": {"should": [ranked, {"ids": {"values": related}}],
                                   "minimum_should_match": 1}}}).get("aggregations", {})
        facets = backend._facets(aggregations, filters)
    return SearchResult(total=int(answer["hits"]["total"]["value"]) + len(related),
                        hits=tuple(hits), facets=facets, page=request.page,
                        per_page=request.per_page, partial=partial)


def _restriction(backend: ElasticBackend, planned: QueryPlan,
                 filters: dict[str, dict[str, Any]], *extra: dict[str, Any]) -> dict[str, Any]:
    """The request's filters and the plan's required parts and exclusions as one query."""
    query: dict[str, Any] = {"bool": {"filter": [
        *extra, *filters.values(), *[backend.compiler.compile(p) for p in planned.required]]}}
    if planned.excluded:
        query["bool"]["must_not"] = [backend.compiler.compile(p) for p in planned.excluded]
    return query


def _knn(backend: ElasticBackend, semantic: hybrid.SemanticSearch, query: np.ndarray,
         planned: QueryPlan, filters: dict[str, dict[str, Any]]
         ) -> tuple[list[VectorHit], dict[str, PublicRecord], int]:
    """The engine's nearest documents (best passage each) under every filter: their
    VectorHits, records by doc_id, and the number of stored passages."""
    source = backend.builder.vectors
    assert isinstance(source, StoreVectors)
    restriction = _restriction(backend, planned, filters,
                               {"term": {"vector_model": semantic.model.id}})
    vector = [float(x) for x in query]
    if backend.name == "elasticsearch":
        knn: dict[str, Any] = {"knn": {
            "field": f"{VECTOR_FIELD}.vector", "query_vector": vector,
            "k": VECTOR_CANDIDATES, "num_candidates": NUM_CANDIDATES,
            "filter": restriction}}
    else:
        knn = {"knn": {f"{VECTOR_FIELD}.vector": {
            "vector": vector, "k": VECTOR_CANDIDATES, "filter": restriction}}}
    answer = backend.conn.request("POST", f"/{backend.alias}/_search", body={
        "size": VECTOR_CANDIDATES, "track_total_hits": False,
        "_source": {"excludes": [VECTOR_FIELD]},
        "query": {"nested": {"path": VECTOR_FIELD, "score_mode": "max", "query": knn,
                             "inner_hits": {"size": 1, "_source": False,
                                            "fields": [f"{VECTOR_FIELD}.position"]}}}})
    moments = source.moments()
    rows = moments.rows if moments is not None else 0
    mean, spread = moments.spread(query) if moments is not None and (
        rows >= MIN_ROWS_FOR_SPREAD) else (0.0, 0.0)
    hits: list[VectorHit] = []
    records: dict[str, PublicRecord] = {}
    for raw in answer["hits"]["hits"]:
        record = record_from_source(raw["_source"])
        cosine = 2.0 * float(raw["_score"]) - 1.0      # both engines score (1 + cos) / 2
        hits.append(VectorHit(record.doc_id, cosine, _position(raw),
                              (cosine - mean) / spread if spread > 0 else 0.0))
        records[record.doc_id] = record
    return hits, records, rows


def _position(raw: dict[str, Any]) -> int:
    """The best passage's position from a hit's inner_hits (Elasticsearch answers
    {"passages": [{"position": [n]}]}, OpenSearch {"passages.position": [n]})."""
    inner = raw.get("inner_hits", {}).get(VECTOR_FIELD, {}).get("hits", {}).get("hits", [])
    fields = inner[0].get("fields", {}) if inner else {}
    if f"{VECTOR_FIELD}.position" in fields:
        return int(fields[f"{VECTOR_FIELD}.position"][0])
    nested = fields.get(VECTOR_FIELD) or [{}]
    return int((nested[0].get("position") or [0])[0])


def _allowed(backend: ElasticBackend, planned: QueryPlan, filters: dict[str, dict[str, Any]],
             doc_ids: list[str]) -> dict[str, Any]:
    """The records among `doc_ids` that pass the request's filters and the plan's
    required parts and exclusions, by doc_id (the fallback's vector side)."""
    if not doc_ids:
        return {}
    answer = backend.conn.request("POST", f"/{backend.alias}/_search", body={
        "query": _restriction(backend, planned, filters, {"ids": {"values": doc_ids}}),
        "size": len(doc_ids), "track_total_hits": False,
        "_source": {"excludes": [VECTOR_FIELD]}})
    return {str(raw["_source"]["doc_id"]): record_from_source(raw["_source"])
            for raw in answer["hits"]["hits"]}
