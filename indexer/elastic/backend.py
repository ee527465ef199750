"""The Elasticsearch and OpenSearch backend: one class, two clients.

ElasticBackend implements diarium.indexer.base.SearchBackend on top of the index
administration (admin.py: the cluster check, versioned indices behind an alias). It writes
through bulk.py, builds documents with documents.py, compiles the query plan
(diarium.query_plan) with compiler.py and rebuilds snippets with snippets.py; the
connection settings are config.py's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from diarium.config import DEFAULT_SYNONYMS, OrgSettings, Settings
from diarium.errors import EngineUnavailable, QueryError
from diarium.hybrid import SemanticSearch
from diarium.indexer.base import Capabilities
from diarium.indexer.derived import SwedishExtras
from diarium.indexer.elastic import routing, spelling, vectors
from diarium.indexer.elastic.admin import IndexAdmin
from diarium.indexer.elastic.bulk import BulkIndexer
from diarium.indexer.elastic.compiler import MATCH_ALL, Compiler, date_range, must
from diarium.indexer.elastic.config import ElasticConfig, load_config
from diarium.indexer.elastic.connection import Connection
from diarium.indexer.elastic.documents import DocumentBuilder, record_from_source
from diarium.indexer.elastic.settings import VECTOR_FIELD, vector_kind
from diarium.indexer.elastic.snippets import highlight_request, snippet
from diarium.public import PublicRecord
from diarium.query_plan import QueryPlan, plan
from diarium.search import (
    FACET_SIZE,
    FACETS,
    Facet,
    FacetValue,
    Hit,
    SearchRequest,
    SearchResult,
    filter_value,
    validate_request,
)

WINDOW = 10_000            # from+size limit of the index (max_result_window)
SCROLL_BATCH = 1_000       # search_after batch size when paging deeper than WINDOW
MB = 1024 * 1024


class ElasticBackend(IndexAdmin):
    """SearchBackend on Elasticsearch or OpenSearch, through the alias `config.index`."""

    capabilities = Capabilities(purge="native", aliases=True)

    def __init__(self, config: ElasticConfig, connection: Connection | None = None,
                 synonyms: Sequence[Mapping[str, str]] = (),
                 orgs: Sequence[OrgSettings] = ()) -> None:
        """`synonyms`: abbreviation tables (OrgSettings.synonyms), as for the embedded
        backend; none given means the defaults of diarium.config."""
        super().__init__(config, connection)
        self.orgs = tuple(orgs)  # read diarienummer in queries as each organisation does
        swedish = SwedishExtras(True, synonyms)
        self.builder = DocumentBuilder(swedish)
        self.compiler = Compiler(swedish)
        # Pages ending beyond this go through search_after (the index's from+size limit).
        self.window = WINDOW
        # Hybrid search (indexer/elastic/vectors.py); set by diarium.indexer.open_backend.
        self.semantic: SemanticSearch | None = None
        # The cluster's vector field type, and whether the live index maps it (setup).
        self.vector_kind: str | None = None
        self.live_vectors = False

    @property
    def state_name(self) -> str:
        """The index_state key of this index ("elasticsearch:diarium")."""
        return f"{self.name}:{self.alias}"

    def setup(self) -> None:
        """Check the cluster, and create the first versioned index and its alias when
        the alias does not exist. Safe to run repeatedly.

        Raises EngineUnavailable (unreachable, wrong client), ConfigError (analysis).
        """
        self.info()
        self.vector_kind = vector_kind(self.name, self.modules)
        self.ensure_alias()
        self.live_vectors = vectors.live_vectors(self)

    # -- writing --------------------------------------------------------------------------

    def index(self, records: Iterable[PublicRecord]) -> int:
        """Add or replace records by doc_id, visible to searches on return; returns how
        many were written. Raises EngineUnavailable / EngineRefused."""
        # Two chunks in flight and 1 MB chunks: the node indexes one chunk while this
        # process builds the next (the Swedish derived fields), instead of the two taking
        # turns. On the real corpus end to end (extract_bench --end-to-end, 2 workers) the
        # index stage's wall went from a median 3.8 s to 2.65 s at the same CPU.
        indexer = BulkIndexer(self.conn, self.alias, parallel=2, chunk_bytes=MB)
        if self.layout == routing.ORGANISATION:     # routed by organisation: routing.py
            written = routing.write(self, indexer, records)
        else:
            written = indexer.index((r.doc_id, self.builder.source(r)) for r in records)
        if written:
            self.refresh()
        return written

    def delete(self, doc_ids: Iterable[str]) -> int:
        """Remove records by doc_id; returns how many were in the index."""
        ids = list(dict.fromkeys(doc_ids))
        if not ids:
            return 0
        indexer = BulkIndexer(self.conn, self.alias)
        found = indexer.delete_copies(routing.copies(self, ids)) \
            if self.layout == routing.ORGANISATION else indexer.delete(ids)
        self.refresh()
        return found

    def clear(self) -> None:
        """Point the alias at a new empty index and delete the old one (the start of
        `diarium index --rebuild`; `diarium reindex` fills a new index before switching,
        without downtime). A fresh index, not delete-by-query: minimal nodes lack that
        API, and old segments would keep the removed text on disk."""
        old = self.alias_targets()
        self.move_alias(self.new_live_index())
        for index in old:
            self.delete_index(index)

    def purge(self) -> None:
        """Make withdrawn content (a document deleted, made secret or stripped of its
        text) leave the disk, not only the search results.

        A force merge is not enough: the engines keep soft-deleted documents in their
        segments for peer recovery (retention leases), so the old text would stay in the
        files. Instead the live documents are copied into a new index, the alias moves
        to it, and every other index of the alias is deleted: the previous one kept for
        rollback and a half-built reindex hold the withdrawn text too.
        Raises EngineUnavailable / EngineRefused; the alias only moves after the copy
        is complete and counted.
        """
        old = self.alias_targets()
        name = self.new_live_index(bulk_mode=True)
        try:
            BulkIndexer(self.conn, name, parallel=2).index(
                ((str(source["doc_id"]), source) for source in self.raw_sources()),
                route=routing.router(self.config.routing))
            self.end_bulk_mode(name)
            expected = self.count()
            if self.count(name) != expected:
                raise EngineUnavailable(
                    f"purging {self.alias!r}: the copy holds {self.count(name)} records "
                    f"instead of {expected}; the old index is still in use")
        except BaseException:
            self.delete_index(name)
            raise
        self.move_alias(name)
        for index in self.versioned_indices():
            if index != name:
                self.delete_index(index)
        for index in old:
            self.delete_index(index)

    # -- reading --------------------------------------------------------------------------

    def get(self, doc_id: str) -> PublicRecord | None:
        """The indexed PublicRecord with this doc_id, or None."""
        answer = self.conn.request("POST", f"/{self.alias}/_search", body={
            "size": 1, "query": {"term": {"doc_id": doc_id}}})
        hits = answer["hits"]["hits"]
        return record_from_source(hits[0]["_source"]) if hits else None

    def raw_sources(self, name: str | None = None) -> Iterator[dict[str, Any]]:
        """Every stored _source of an index (search_after in doc_id order), as stored."""
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {"size": SCROLL_BATCH, "sort": [{"doc_id": "asc"}],
                                    "query": MATCH_ALL}
            if self.name == "elasticsearch" and self.live_vectors:
                body["_source"] = {"exclude_vectors": False}   # 9.x leaves them out
            if after is not None:
                body["search_after"] = after
            hits = self.conn.request("POST", f"/{name or self.alias}/_search",
                                     body=body)["hits"]["hits"]
            if not hits:
                return
            for hit in hits:
                yield hit["_source"]
            after = hits[-1]["sort"]

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a search: the page's hits with snippets, total and facets.

        Raises QueryError for a bad filter, sort or page; EngineUnavailable otherwise.
        """
        validate_request(request)
        query_plan = self.plan(request.query)
        filters = self._filters(request)
        main = self.compiler.exact(query_plan)
        markable = query_plan.markable and request.with_snippets
        if self.semantic is not None and vectors.fusable(self, self.semantic, request,
                                                         query_plan):
            # Keyword and vector side in one _msearch (vectors.py), no keyword page first.
            return vectors.fused(self, self.semantic, request, query_plan, filters, main,
                                 markable)
        result = self._run(self.compiler.ranked(main, query_plan, request.sort), filters,
                           request, markable)
        partial = False
        if result["hits"]["total"]["value"] == 0:
            relaxed = self.compiler.relaxed(query_plan)
            if relaxed is not None:
                result = self._run(self.compiler.ranked(relaxed, query_plan, request.sort),
                                   filters, request, markable)
                partial = result["hits"]["total"]["value"] > 0
        hits = tuple(self._hit(h, request.sort == "relevance") for h in result["hits"]["hits"])
        facets = self._facets(result.get("aggregations", {}), filters) \
            if request.with_facets else {}
        return SearchResult(total=int(result["hits"]["total"]["value"]), hits=hits,
                            facets=facets, page=request.page, per_page=request.per_page,
                            partial=partial)

    def plan(self, text: str) -> QueryPlan:
        """The plan of a query string, diarienummer read as the organisations write them."""
        return plan(text, self.orgs)

    # -- spelling suggestions (diarium.suggest; the lookups are spelling.py's) -------------

    def word_counts(self, words: Sequence[str]) -> list[int]:
        """How many live records each word finds as a query word of its own."""
        return spelling.word_counts(self.conn, self.alias, self.compiler, words)

    def near_terms(self, words: Sequence[str]) -> list[list[tuple[str, int]]]:
        """Per word, indexed words of the exact sub-fields within its edits."""
        return spelling.near_terms(self.conn, self.alias, words)

    def _filters(self, request: SearchRequest) -> dict[str, dict[str, Any]]:
        by_name = {f.name: f for f in FACETS}
        out: dict[str, dict[str, Any]] = {}
        for name, values in request.filters.items():
            facet = by_name.get(name)
            if facet is None:
                raise QueryError(f"unknown filter {name!r}: use one of {', '.join(by_name)}")
            if isinstance(values, str):
                values = (values,)
            terms = [f"{name}={filter_value(facet.kind, v)}" for v in values if v != ""]
            if terms:
                out[name] = {"terms": {"kw": terms}}
        if request.date_from or request.date_to:
            _check_date(request.date_from)
            _check_date(request.date_to)
            out["datum"] = date_range(request.date_from, request.date_to)
        if request.doc_ids is not None:
            # Only these records (diarium alerts run); an empty list matches nothing.
            out["doc_id"] = {"terms": {"doc_id": list(request.doc_ids)}}
        return out

    def _sort(self, sort: str) -> list[Any]:
        if sort == "newest":
            return [{"datum": "desc"}, {"doc_id": "asc"}]
        if sort == "oldest":
            return [{"datum": "asc"}, {"doc_id": "asc"}]
        return [{"_score": "desc"}, {"doc_id": "asc"}]

    def _aggs(self, filters: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
        """Facet aggregations. A facet with a filter of its own is counted without that
        filter (OR within a facet), the others under all filters (as the embedded one)."""
        def terms(facet: Facet) -> dict[str, Any]:
            body: dict[str, Any] = {"field": facet.field, "size": FACET_SIZE,
                                    "order": [{"_count": "desc"}, {"_key": "asc"}]}
            if facet.kind != "bool":
                # No bucket of records without a value (most have no sammantrade): the
                # embedded engine indexes no empty facet value.
                body["exclude"] = [""]
            return {"terms": body}

        shared = {f.name: terms(f) for f in FACETS if f.name not in filters}
        aggs: dict[str, Any] = {}
        if shared:
            aggs["shared"] = {"filter": must(list(filters.values()))
                              if filters else MATCH_ALL, "aggs": shared}
        by_name = {f.name: f for f in FACETS}
        for name in filters:
            if name in by_name:
                others = [v for k, v in filters.items() if k != name]
                aggs[f"own_{name}"] = {
                    "filter": must(others) if others else MATCH_ALL,
                    "aggs": {name: terms(by_name[name])}}
        return aggs

    def _run(self, main: dict[str, Any], filters: Mapping[str, dict[str, Any]],
             request: SearchRequest, markable: bool = True) -> dict[str, Any]:
        """One search request; `markable`: whether the query can mark anything (else no
        highlighting is asked for)."""
        return routing.search(self, *self._request(main, filters, request, markable))

    def _request(self, main: dict[str, Any], filters: Mapping[str, dict[str, Any]],
                 request: SearchRequest, markable: bool = True) -> tuple[str, dict[str, Any]]:
        """Where _run sends a search and its body (vectors.py sends it in an _msearch)."""
        offset = (request.page - 1) * request.per_page
        body: dict[str, Any] = {
            "query": main,
            "size": request.per_page,
            "sort": self._sort(request.sort),
            "track_total_hits": True,
            "track_scores": request.sort == "relevance",
            "_source": {"excludes": [VECTOR_FIELD]},
        }
        if markable:
            body["highlight"] = highlight_request()
        if filters:
            body["post_filter"] = must(list(filters.values()))
        if request.with_facets:
            body["aggs"] = self._aggs(filters)
        path = routing.search_path(self, request)   # a routed body's alias, or the alias
        if offset + request.per_page <= self.window:
            body["from"] = offset
        else:
            body["search_after"] = self._seek(body, offset, path)
        return path, body

    def _seek(self, body: Mapping[str, Any], offset: int,
              path: str | None = None) -> list[Any] | None:
        """The sort values just before `offset`, walked with search_after (deep pages
        beyond the index's from+size window)."""
        after: list[Any] | None = None
        skipped = 0
        while skipped < offset:
            step = min(SCROLL_BATCH, offset - skipped)
            probe: dict[str, Any] = {"query": body["query"], "size": step,
                                     "sort": body["sort"], "_source": False,
                                     "track_total_hits": False}
            if "post_filter" in body:
                probe["post_filter"] = body["post_filter"]
            if after is not None:
                probe["search_after"] = after
            hits = routing.search(self, path or self.alias, probe)["hits"]["hits"]
            if not hits:
                break
            after = hits[-1]["sort"]
            skipped += len(hits)
        return after

    def _hit(self, raw: Mapping[str, Any], scored: bool) -> Hit:
        record = record_from_source(raw["_source"])
        score = float(raw.get("_score") or 0.0) if scored else 0.0
        found = snippet(record, raw.get("highlight") or {}, raw["_source"].get("folded", ""))
        return Hit(record=record, score=score, snippets=(found,) if found else ())

    def _facets(self, aggs: Mapping[str, Any],
                filters: Mapping[str, Any]) -> dict[str, tuple[FacetValue, ...]]:
        out: dict[str, tuple[FacetValue, ...]] = {}
        for facet in FACETS:
            holder = aggs.get(f"own_{facet.name}") if facet.name in filters \
                else aggs.get("shared")
            buckets = (holder or {}).get(facet.name, {}).get("buckets", [])
            out[facet.name] = tuple(
                FacetValue(str(b.get("key_as_string", b["key"])), int(b["doc_count"]))
                for b in buckets)
        return out

    def close(self) -> None:
        self.conn.close()


# --- helpers -----------------------------------------------------------------------------


def _check_date(value: str | None) -> None:
    if value:
        try:
            datetime.fromisoformat(value[:10])
        except ValueError as exc:
            raise QueryError(f"invalid date {value!r}: write dates as YYYY-MM-DD") from exc


def open_elastic(settings: Settings | None, engine: str,
                 overrides: Mapping[str, Any] | None = None) -> ElasticBackend:
    """An ElasticBackend for `engine` from settings/env/overrides, set up and ready.

    Raises ConfigError, EngineUnavailable.
    """
    tables: list[Mapping[str, str]] = []
    orgs: tuple[OrgSettings, ...] = ()
    if settings is not None:
        orgs = tuple(settings.organisations.values())
        tables = [DEFAULT_SYNONYMS, *(o.synonyms for o in orgs)]
    backend = ElasticBackend(load_config(settings, engine, overrides), synonyms=tables,
                             orgs=orgs)
    try:
        backend.setup()
        if settings is not None:
            vectors.attach(backend, settings)     # documents carry their passage vectors
    except BaseException:
        backend.close()
        raise
    return backend
