"""Hybrid search on Elasticsearch and OpenSearch (diarium.hybrid), with the vectors on the
nodes.

Writing: every document carries the vectors of its passages (settings.VECTOR_FIELD, a
nested field: position and vector), computed by `diarium index`'s embedding step and read
here from the store (StoreVectors: the `embeddings` table, keyed by the hash of each
passage of the very PublicRecord written, so a secret record has none and one not cleared
for publication only its title's). Elasticsearch maps them as `dense_vector` (core);
OpenSearch as `knn_vector` of the k-NN plugin (its Lucene engine).

Searching: a nested kNN query (the best passage per document, `inner_hits` naming it)
under the keyword side's filters, required parts and exclusions and the query's model,
sent with the keyword window in one _msearch; the lists are fused in Python by
diarium.hybrid (Elasticsearch's `rrf` retriever needs a licence). A related result is
shown under the embedded engine's rule (SemanticSettings.related): its cosine, and its z
against the query's similarity to all passages, whose mean and spread come from the
stored vectors' first two moments (exact up to MOMENT_SAMPLE passages, a sample beyond).
Facets count the keyword hits and the related results shown, as the embedded engine's.

Fallback (no vector fields on the cluster or the live index): the vector file beside the
embedded index (diarium.vectors), its candidates run through the engine's filters.
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
from diarium.indexer.elastic import routing
from diarium.indexer.elastic.connection import EngineRefused, dumps
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
# Fields of a candidate's _source that record_from_source does not read (not sent).
UNREAD_FIELDS = [VECTOR_FIELD, "vector_model", "folded", "lemma", "parts", "ident", "kw",
                 "dnr_year_serial", "year"]
# Moments by (store, model, the store files' size and time), for a backend's first query.
_MOMENTS: dict[tuple[Any, ...], Moments | None] = {}


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
        checked every MOMENT_TTL seconds); None when none is stored. A new backend takes
        those of an earlier one of the process while the store's files are unchanged."""
        now = time.monotonic()
        if self._checked and now - self._checked < MOMENT_TTL:
            return self._moments
        files = [self.path, self.path.with_name(self.path.name + "-wal")]
        key = (str(self.path), self.model_id, *((s.st_mtime_ns, s.st_size) for s in (
            f.stat() for f in files if f.exists())))
        if not self._checked and key in _MOMENTS:
            self._checked, self._moments = now, _MOMENTS[key]
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
        if len(_MOMENTS) > 16:
            _MOMENTS.clear()
        _MOMENTS[key] = self._moments
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
    """Give a set-up backend its vectors: documents written carry them when the live
    index maps the vector field (backend.live_vectors; else `diarium reindex`)."""
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


def fusable(backend: ElasticBackend, semantic: hybrid.SemanticSearch,
            request: SearchRequest, planned: QueryPlan) -> bool:
    """Whether `request` is fused: a relevance search on the first pages with text to
    embed and vectors of its model on the node or in the vector file."""
    if not fusing(semantic, request) or not hybrid.query_text(planned):
        return False
    index = semantic.index
    return native(backend, semantic) or (index is not None and index.available
                                         and index.model_id == semantic.model.id)


def fused(backend: ElasticBackend, semantic: hybrid.SemanticSearch, request: SearchRequest,
          planned: QueryPlan, filters: dict[str, dict[str, Any]], main: dict[str, Any],
          markable: bool) -> SearchResult:
    """The fused result of a fusable `request`. One _msearch carries the keyword window
    (with the facet aggregations) and the vector side; the graceful AND's window follows
    when the exact query (`main`) found nothing, and one facet aggregation when related
    results are shown (the keyword window's aggregations count keyword hits only)."""
    text = hybrid.query_text(planned)
    offset = (request.page - 1) * request.per_page
    window = replace(request, page=1,
                     per_page=min(MAX_PER_PAGE, max(KEYWORD_WINDOW, offset + request.per_page)))
    query = semantic.query_vector(text)
    ranked = backend.compiler.ranked(main, planned, "relevance")
    searches = [backend._request(ranked, filters, window, markable)]
    on_engine = native(backend, semantic)
    candidates: list[VectorHit] = []
    if on_engine:
        searches.append((backend.alias, _knn_body(backend, semantic, query, planned, filters)))
    else:
        assert semantic.index is not None
        candidates = semantic.index.search(query, VECTOR_CANDIDATES)
        if candidates:
            searches.append((backend.alias, _allowed_body(
                backend, planned, filters, [h.doc_id for h in candidates])))
    answers = msearch(backend, searches)
    answer, partial = answers[0], False
    if answer["hits"]["total"]["value"] == 0:
        relaxed = backend.compiler.relaxed(planned)
        if relaxed is not None:
            ranked = backend.compiler.ranked(relaxed, planned, "relevance")
            answer = backend._run(ranked, filters, window, markable)
            partial = answer["hits"]["total"]["value"] > 0
    keyword = {hit.record.doc_id: hit for hit in
               (backend._hit(raw, True) for raw in answer["hits"]["hits"])}
    accept: Callable[[VectorHit], bool]
    if on_engine:
        found, records, rows = _knn_hits(backend, query, answers[1])
        related_rule = semantic.settings.related
        accept = lambda hit: related_rule(hit.score, hit.z, rows)  # noqa: E731
    else:
        records = _records(answers[1]) if candidates else {}
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


def msearch(backend: ElasticBackend, searches: Sequence[tuple[str, dict[str, Any]]]
            ) -> list[dict[str, Any]]:
    """The answers of (path, body) searches sent in one _msearch, in order. An error
    answer raises EngineRefused as the search alone would; a body alias gone meanwhile
    (404) goes through routing.search, which falls back to the main alias."""
    lines = []
    for path, body in searches:
        lines += [dumps({"index": path}), dumps(body)]
    answer = backend.conn.request("POST", "/_msearch",
                                  ndjson=("\n".join(lines) + "\n").encode("utf-8"))
    out: list[dict[str, Any]] = []
    for (path, body), item in zip(searches, answer["responses"], strict=True):
        if "error" not in item:
            out.append(item)
            continue
        status = int(item.get("status") or 500)
        if status == 404 and path != backend.alias:
            out.append(routing.search(backend, path, body))
            continue
        error = item["error"] if isinstance(item["error"], dict) else {"reason": item["error"]}
        root = (error.get("root_cause") or [error])[0]
        reason = f"{root.get('type', '')}: {root.get('reason', '')}"[:500]
        raise EngineRefused(f"{backend.name} at {backend.config.safe_url} answered {status} "
                            f"to an _msearch on /{path}: {reason}", status, reason)
    return out


def _restriction(backend: ElasticBackend, planned: QueryPlan,
                 filters: dict[str, dict[str, Any]], *extra: dict[str, Any]) -> dict[str, Any]:
    """The request's filters and the plan's required parts and exclusions as one query."""
    query: dict[str, Any] = {"bool": {"filter": [
        *extra, *filters.values(), *[backend.compiler.compile(p) for p in planned.required]]}}
    if planned.excluded:
        query["bool"]["must_not"] = [backend.compiler.compile(p) for p in planned.excluded]
    return query


def _knn_body(backend: ElasticBackend, semantic: hybrid.SemanticSearch, query: np.ndarray,
              planned: QueryPlan, filters: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The engine's nearest documents (best passage each) under every filter."""
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
    return {"size": VECTOR_CANDIDATES, "track_total_hits": False,
            "_source": {"excludes": UNREAD_FIELDS},
            "query": {"nested": {"path": VECTOR_FIELD, "score_mode": "max", "query": knn,
                                 "inner_hits": {"size": 1, "_source": False,
                                                "fields": [f"{VECTOR_FIELD}.position"]}}}}


def _knn_hits(backend: ElasticBackend, query: np.ndarray, answer: dict[str, Any]
              ) -> tuple[list[VectorHit], dict[str, PublicRecord], int]:
    """The kNN answer's VectorHits, records by doc_id, and the number of stored
    passages."""
    source = backend.builder.vectors
    assert isinstance(source, StoreVectors)
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
    """The best passage's position from a hit's inner_hits (ES: {"passages":
    [{"position": [n]}]}, OpenSearch {"passages.position": [n]})."""
    inner = raw.get("inner_hits", {}).get(VECTOR_FIELD, {}).get("hits", {}).get("hits", [])
    fields = inner[0].get("fields", {}) if inner else {}
    if f"{VECTOR_FIELD}.position" in fields:
        return int(fields[f"{VECTOR_FIELD}.position"][0])
    nested = fields.get(VECTOR_FIELD) or [{}]
    return int((nested[0].get("position") or [0])[0])


def _allowed_body(backend: ElasticBackend, planned: QueryPlan,
                  filters: dict[str, dict[str, Any]], doc_ids: list[str]) -> dict[str, Any]:
    """The records among `doc_ids` that pass the request's filters and the plan's
    required parts and exclusions (the fallback's vector side)."""
    return {"query": _restriction(backend, planned, filters, {"ids": {"values": doc_ids}}),
            "size": len(doc_ids), "track_total_hits": False,
            "_source": {"excludes": UNREAD_FIELDS}}


def _records(answer: dict[str, Any]) -> dict[str, PublicRecord]:
    """The records of a search answer by doc_id."""
    return {str(raw["_source"]["doc_id"]): record_from_source(raw["_source"])
            for raw in answer["hits"]["hits"]}
