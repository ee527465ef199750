"""The embedded search backend: tantivy in an index directory beside the store.

The package's modules, one per job: `schema` (analyzers, fields, SCHEMA_VERSION),
`records` (the tantivy document and stored JSON of a PublicRecord), `compiler` (the query
plan as tantivy queries), `facets` (filters and facet counts), `snippets`; this module
holds the backend itself: opening the index, writing, and running a search.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import tantivy
from tantivy import Query

from diarium import hybrid, query_plan
from diarium.config import OrgSettings
from diarium.errors import EngineUnavailable
from diarium.hybrid import SemanticSearch
from diarium.indexer.base import Capabilities
from diarium.indexer.derived import SwedishExtras
from diarium.indexer.embedded.compiler import Compiler, must
from diarium.indexer.embedded.facet_cache import FacetCache, generation, request_key
from diarium.indexer.embedded.facets import facet_counts, filters
from diarium.indexer.embedded.hybrid import (
    KEYWORD_WINDOW,
    passage_snippet,
    vector_side,
    with_related,
)
from diarium.indexer.embedded.records import record_from_json, to_document
from diarium.indexer.embedded.schema import ANALYZERS, SCHEMA, SCHEMA_FILE, SCHEMA_VERSION
from diarium.indexer.embedded.snippets import Snippets, with_prefix_terms
from diarium.public import PublicRecord
from diarium.search import Hit, SearchRequest, SearchResult, Snippet, validate_request

WRITER_HEAP = 256_000_000


class EmbeddedBackend:
    """SearchBackend on tantivy. The writer is opened only while writing, so a web server
    can keep searching while `diarium index` runs in another process."""

    name = "embedded"
    state_name = "embedded"
    capabilities = Capabilities(purge="rewrite")

    def __init__(self, path: Path, writer_heap: int = WRITER_HEAP,
                 writer_threads: int = 0, swedish: bool = True,
                 synonyms: Sequence[Mapping[str, str]] = (),
                 orgs: Sequence[OrgSettings] = (),
                 semantic: SemanticSearch | None = None) -> None:
        """`synonyms`: abbreviation tables (OrgSettings.synonyms); none given means the
        defaults of diarium.config. `swedish=False` leaves out the diarium.swedish
        fields (compound parts, lemmas, identifiers, synonyms). `orgs`: the
        organisations' settings, so a query reads diarienummer as each one writes them
        (serial/year, two-digit years). `semantic`: the model and vector index of hybrid
        search (diarium.hybrid); None: keyword-only."""
        self.path = Path(path)
        self.semantic = semantic
        self.orgs = tuple(orgs)
        self.writer_heap = writer_heap
        self.writer_threads = writer_threads
        self._index: tantivy.Index | None = None
        self._lock = threading.Lock()
        self.swedish = SwedishExtras(swedish, synonyms)
        # Proximity, recency and partial-AND ranking (issue 8) go with the Swedish
        # extras: `swedish=False` is the plain search core, for side-by-side benchmarks.
        self.ranking = swedish
        # Facet counts per searcher generation: paging and the landing page count once.
        self.facet_cache = FacetCache()

    # -- lifecycle -----------------------------------------------------------------------

    def setup(self) -> None:
        """Open the index, creating it when absent. An index written with another schema
        version is derived data: it is removed and created empty (run a rebuild)."""
        with self._lock:
            if self._index is not None:
                return
            marker = self.path / SCHEMA_FILE
            try:
                if self.path.exists() and tantivy.Index.exists(str(self.path)):
                    version = None
                    if marker.exists():
                        version = json.loads(marker.read_text("utf-8")).get("version")
                    if version != SCHEMA_VERSION:
                        shutil.rmtree(self.path)
                self.path.mkdir(parents=True, exist_ok=True)
                index = tantivy.Index(SCHEMA, path=str(self.path), reuse=True)
            except (OSError, ValueError) as exc:
                raise EngineUnavailable(
                    f"cannot open the embedded index at {self.path}: {exc}"
                ) from exc
            if not marker.exists():
                marker.write_text(json.dumps({"version": SCHEMA_VERSION}), "utf-8")
            for name, analyzer in ANALYZERS.items():
                index.register_tokenizer(name, analyzer)
            self._index = index

    @property
    def index_obj(self) -> tantivy.Index:
        """The open tantivy Index (set up on first use)."""
        if self._index is None:
            self.setup()
        assert self._index is not None
        return self._index

    def close(self) -> None:
        self._index = None

    def _writer(self) -> tantivy.IndexWriter:
        try:
            return self.index_obj.writer(self.writer_heap, self.writer_threads)
        except ValueError as exc:
            raise EngineUnavailable(
                f"the embedded index at {self.path} is being written by another process "
                f"(wait for it to finish): {exc}"
            ) from exc

    # -- writing -------------------------------------------------------------------------

    def to_document(self, record: PublicRecord) -> tantivy.Document:
        """The tantivy document of one PublicRecord (see `schema` for the fields)."""
        return to_document(record, self.swedish)

    def index(self, records: Iterable[PublicRecord]) -> int:
        """Add or replace records by doc_id and commit; returns how many were written.

        Raises EngineUnavailable when another process holds the index writer.
        """
        writer = self._writer()
        written = 0
        try:
            for record in records:
                writer.delete_documents_by_term("doc_id", record.doc_id)
                writer.add_document(self.to_document(record))
                written += 1
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()
        self.index_obj.reload()
        return written

    def delete(self, doc_ids: Iterable[str]) -> int:
        """Remove records by doc_id; returns how many of them were in the index."""
        ids = list(dict.fromkeys(doc_ids))
        searcher = self.index_obj.searcher()
        present = [i for i in ids if searcher.doc_freq("doc_id", i) > 0]
        if not ids:
            return 0
        writer = self._writer()
        try:
            for doc_id in ids:
                writer.delete_documents_by_term("doc_id", doc_id)
            writer.commit()
        finally:
            writer.wait_merging_threads()
        self.index_obj.reload()
        return len(present)

    def purge(self) -> None:
        """Nothing to do here: the caller rewrites every record (Capabilities.purge is
        "rewrite") and tantivy drops each segment left without a live document."""

    def clear(self) -> None:
        """Remove every record (the start of a rebuild)."""
        writer = self._writer()
        try:
            writer.delete_all_documents()
            writer.commit()
        finally:
            writer.wait_merging_threads()
        self.index_obj.reload()

    # -- reading -------------------------------------------------------------------------

    def count(self) -> int:
        return int(self.index_obj.searcher().num_docs)

    def get(self, doc_id: str) -> PublicRecord | None:
        """The indexed PublicRecord with this doc_id, or None."""
        searcher = self.index_obj.searcher()
        found = searcher.search(Query.term_query(SCHEMA, "doc_id", doc_id), 1, count=False)
        if not found.hits:
            return None
        return self._record(searcher, found.hits[0][1])

    @staticmethod
    def _record(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> PublicRecord:
        raw = searcher.doc(address).get_first("record")
        assert isinstance(raw, bytes), "every document stores its record"
        return record_from_json(raw)

    def plan(self, text: str) -> query_plan.QueryPlan:
        """The plan of a query string, diarienummer read as the organisations write them."""
        return query_plan.plan(text, self.orgs)

    def compile(self, text: str) -> tantivy.Query:
        """The tantivy query for a query string in the diarium query language."""
        return Compiler(self.swedish, self.ranking).top(self.plan(text))

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a search: hits of the requested page with snippets, total and facets.

        Raises QueryError for an unknown filter, sort or an out-of-range page.
        """
        validate_request(request)
        planned = self.plan(request.query)
        compiler = Compiler(self.swedish, self.ranking)
        main = compiler.top(planned)
        filter_queries, filter_terms = filters(request)
        searcher = self.index_obj.searcher()
        combined = must([main, *filter_queries.values()])
        offset = (request.page - 1) * request.per_page
        order = {"newest": tantivy.Order.Desc, "oldest": tantivy.Order.Asc}.get(request.sort)
        fusing = (self.semantic is not None and request.semantic and order is None
                  and offset + request.per_page <= hybrid.WINDOW)
        # Fusion ranks the first keyword hits anew, so it fetches them from the top.
        limit, start = ((max(KEYWORD_WINDOW, offset + request.per_page), 0) if fusing
                        else (request.per_page, offset))
        found = _run(searcher, compiler.ranked(combined, order), limit, start, order)
        partial = False
        if _total(found) == 0:
            relaxed = compiler.relaxed(planned)
            if relaxed is not None:
                main = relaxed
                combined = must([main, *filter_queries.values()])
                found = _run(searcher, compiler.ranked(combined, order), limit, start, order)
                partial = _total(found) > 0
        total = int(_total(found))
        # (score, address, semantic, best passage, doc_id when read) of the page's hits
        page: list[tuple[float, tantivy.DocAddress, bool, int | None, str | None]] = [
            (float(score) if order is None else 0.0, address, False, None, None)
            for score, address in found.hits]
        loaded: dict[str, tantivy.Document] = {}     # documents read for fusion, by doc_id
        related: list[str] = []
        if fusing:
            assert self.semantic is not None
            side = vector_side(searcher, self.semantic, planned, compiler,
                               list(filter_queries.values()))
            if side is not None:
                addresses: dict[str, tantivy.DocAddress] = {}
                for _, address in found.hits:
                    doc = searcher.doc(address)
                    addresses[str(doc.get_first("doc_id"))] = address
                    loaded[str(doc.get_first("doc_id"))] = doc
                loaded.update(side.docs)
                exact = hybrid.is_exact(planned, self.swedish.query_identifiers(planned.text))
                fused = hybrid.fuse(list(addresses), side.hits, exact, self.semantic.acceptor(),
                                    partial)
                related = [f.doc_id for f in fused if f.semantic]
                total += len(related)
                page = [(f.score, addresses.get(f.doc_id) or side.addresses[f.doc_id],
                         f.semantic, f.position, f.doc_id) for f in fused]
            page = page[offset:offset + request.per_page]
        # The empty query and pure filters have nothing to mark: no snippet generation
        # (tantivy would spend its term lookups on every hit to produce nothing).
        snippets = Snippets(searcher, with_prefix_terms(searcher, main, planned.node),
                            stemmed_first=planned.has_words) if (
            page and planned.markable and request.with_snippets) else None
        hits = []
        for score, address, semantic, position, doc_id in page:
            record = (record_from_json(loaded[doc_id].get_first("record"))  # type: ignore[arg-type]
                      if doc_id in loaded else self._record(searcher, address))
            shown: tuple[Snippet, ...] = ()
            if semantic and self.semantic is not None:
                shown = passage_snippet(record, position, self.semantic)
            elif snippets is not None:
                shown = snippets.of(record)
            hits.append(Hit(record=record, score=score, snippets=shown, semantic=semantic))
        facets = self.facet_cache.get_or_count(
            (generation(self.path, searcher), request_key(request, partial), tuple(related)),
            lambda: facet_counts(searcher, with_related(main, related), filter_queries,
                                 filter_terms)) if request.with_facets else {}
        return SearchResult(total=total, hits=tuple(hits), facets=facets,
                            page=request.page, per_page=request.per_page, partial=partial)

    def related(self, doc_id: str, limit: int = hybrid.RELATED) -> list[Hit]:
        """"Liknande handlingar" (diarium.hybrid.related_documents); [] when keyword-only."""
        return hybrid.related_documents(self.semantic, self, doc_id, limit)


def _run(searcher: tantivy.Searcher, query: tantivy.Query, limit: int, offset: int,
         order: tantivy.Order | None) -> tantivy.SearchResult:
    try:
        if order is None:
            return searcher.search(query, limit, count=True, offset=offset)
        return searcher.search(query, limit, count=True, order_by_field="datum",
                               offset=offset, order=order)
    except ValueError as exc:
        raise EngineUnavailable(f"the embedded index refused the search: {exc}") from exc


def _total(found: tantivy.SearchResult) -> int:
    """How many records matched (searched with count=True)."""
    return int(found.count)  # type: ignore[attr-defined]  # tantivy's stub omits count
