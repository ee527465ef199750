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
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path

import tantivy
from tantivy import Query

from diarium import hybrid, query_plan, suggest
from diarium import query as q
from diarium.config import OrgSettings
from diarium.errors import EngineUnavailable
from diarium.hybrid import SemanticSearch
from diarium.indexer.base import Capabilities
from diarium.indexer.derived import SwedishExtras
from diarium.indexer.embedded.compiler import (
    Compiler,
    latest_day,
    merge_band,
    must,
    recency_band,
    within_band,
)
from diarium.indexer.embedded.facet_cache import FacetCache, generation, request_key
from diarium.indexer.embedded.facets import facet_counts, filters
from diarium.indexer.embedded.hybrid import (
    KEYWORD_WINDOW,
    passage_snippet,
    vector_side,
    with_related,
)
from diarium.indexer.embedded.records import fast_constructor, record_from_json, to_document
from diarium.indexer.embedded.schema import ANALYZERS, SCHEMA, SCHEMA_FILE, SCHEMA_VERSION
from diarium.indexer.embedded.snippets import Snippets, prefixes, with_prefix_terms
from diarium.public import PublicRecord
from diarium.search import Hit, SearchRequest, SearchResult, Snippet, validate_request

WRITER_HEAP = 256_000_000
COMPILED = 256          # query strings whose plan and compiled query are kept
_hit = fast_constructor(Hit, ("record", "score", "snippets", "semantic"))
# A query string's plan, compiler and exact query (_compiled).
Compiled = tuple[query_plan.QueryPlan, Compiler, tantivy.Query]


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
        self._compiled_cache: OrderedDict[str, Compiled] = OrderedDict()
        self._marked_cache: OrderedDict[Hashable, tantivy.Query] = OrderedDict()

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
        planned, compiler, main = self._compiled(request.query)
        filter_queries, filter_terms = filters(request)
        searcher = self.index_obj.searcher()
        # A query without words (the landing page, pure filters) or a case number matches
        # everything or next to nothing: cheap to run again per group of facets.
        cheap = _cheap_main(planned)
        combined = must([main, *filter_queries.values()])
        offset = (request.page - 1) * request.per_page
        order = {"newest": tantivy.Order.Desc, "oldest": tantivy.Order.Asc}.get(request.sort)
        fusing = (self.semantic is not None and request.semantic and order is None
                  and offset + request.per_page <= hybrid.WINDOW)
        # Fusion ranks the first keyword hits anew, so it fetches them from the top.
        limit, start = ((max(KEYWORD_WINDOW, offset + request.per_page), 0) if fusing
                        else (request.per_page, offset))
        # The landing page (no words, no filters): the recency band by two searches.
        bare = isinstance(planned.node, q.MatchAll) and not filter_queries
        # A request dated before the recency band (by its dates or year filter) runs
        # without it: no record it matches lies within.
        latest = latest_day(planned.node, request.date_to, request.filters.get("year"))
        found, total = self._page(searcher, compiler, combined, order, limit, start, bare,
                                  bare, latest)
        partial = False
        if total == 0:
            relaxed = compiler.relaxed(planned)
            if relaxed is not None:
                main = relaxed
                combined = must([main, *filter_queries.values()])
                found, total = self._page(searcher, compiler, combined, order, limit, start,
                                          latest=latest)
                partial = total > 0
        # (score, address, semantic, best passage, doc_id when read) of the page's hits
        page: list[tuple[float, tantivy.DocAddress, bool, int | None, str | None]] = [
            (score, address, False, None, None) for score, address in found]
        loaded: dict[str, tantivy.Document] = {}     # documents read for fusion, by doc_id
        related: list[str] = []
        if fusing:
            assert self.semantic is not None
            side = vector_side(searcher, self.semantic, planned, compiler,
                               list(filter_queries.values()))
            if side is not None:
                addresses: dict[str, tantivy.DocAddress] = {}
                for _, address in found:
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
        state = generation(self.path, searcher)
        records = [record_from_json(loaded[doc_id].get_first("record"))  # type: ignore[arg-type]
                   if doc_id in loaded else self._record(searcher, address)
                   for _, address, _, _, doc_id in page]
        snippets = Snippets(searcher, self._marked(searcher, state, main, planned, partial),
                            stemmed_first=planned.has_words,
                            page=[(address, record.doc_id) for (_, address, semantic, _, _),
                                  record in zip(page, records, strict=True) if not semantic],
                            direct=compiler.identified or _direct(planned.node)
                            ) if (page and planned.markable and request.with_snippets) else None
        hits = []
        for (score, address, semantic, position, _), record in zip(page, records, strict=True):
            shown: tuple[Snippet, ...] = ()
            if semantic and self.semantic is not None:
                shown = passage_snippet(record, position, self.semantic)
            elif snippets is not None:
                shown = snippets.of(record, address)
            hits.append(_hit(record, score, shown, semantic))
        facets = self.facet_cache.get_or_count(
            (state, request_key(request, partial), tuple(related)),
            lambda: facet_counts(searcher, with_related(main, related), filter_queries,
                                 filter_terms, split=cheap and not related and not partial,
                                 match_all=isinstance(planned.node, q.MatchAll))
        ) if request.with_facets else {}
        return SearchResult(total=total, hits=tuple(hits), facets=facets,
                            page=request.page, per_page=request.per_page, partial=partial)

    def _compiled(self, text: str) -> Compiled:
        """The plan, its compiler (holding the proximity boosts) and the exact query of a
        query string, kept for the last COMPILED query strings: they depend on the text
        and this backend's settings only, and planning and compiling cost 0.1-0.4 ms."""
        with self._lock:
            found = self._compiled_cache.get(text)
            if found is not None:
                self._compiled_cache.move_to_end(text)
                return found
        planned = self.plan(text)
        compiler = Compiler(self.swedish, self.ranking)
        made = (planned, compiler, compiler.top(planned))
        with self._lock:
            self._compiled_cache[text] = made
            while len(self._compiled_cache) > COMPILED:
                self._compiled_cache.popitem(last=False)
        return made

    def clear_caches(self) -> None:
        """Forget the facet counts, plans and snippet queries kept (a first search)."""
        self.facet_cache.clear()
        with self._lock:
            self._compiled_cache.clear()
            self._marked_cache.clear()

    def _marked(self, searcher: tantivy.Searcher, state: Hashable, main: tantivy.Query,
                planned: query_plan.QueryPlan, partial: bool) -> tantivy.Query:
        """with_prefix_terms() of the query, kept per index generation for queries with a
        prefix (it looks up each prefix's words in four fields' dictionaries)."""
        if not prefixes(planned.node):
            return main
        key = (state, planned.text, partial)
        with self._lock:
            found = self._marked_cache.get(key)
        if found is None:
            found = with_prefix_terms(searcher, main, planned.node)
            with self._lock:
                self._marked_cache[key] = found
                while len(self._marked_cache) > COMPILED:
                    self._marked_cache.popitem(last=False)
        return found

    def _page(self, searcher: tantivy.Searcher, compiler: Compiler, query: tantivy.Query,
              order: tantivy.Order | None, limit: int, offset: int, merge: bool = False,
              match_all: bool = False, latest: date | None = None
              ) -> tuple[list[tuple[float, tantivy.DocAddress]], int]:
        """(score, address) of the hits from `offset` on, and how many records match.
        `merge`: add the recency band by two searches (merge_band) instead of in one
        query; the same hits and scores, cheaper for the query matching every record
        (with filters or words, the second search costs more than the band saves).
        `match_all`: `query` is the query matching every record (score 1). `latest`:
        the last day a record of `query` can be dated (Compiler.ranked)."""
        band = recency_band(date.today()) if merge and self.ranking and order is None \
            else None
        if band is not None:
            # The page of the query with the band, from the query's own first hits and
            # those within the band (compiler.merge_band): no seek to the band per record.
            query = compiler.with_proximity(query)
            every = _run(searcher, query, offset + limit, 0, None)
            if _total(every) == 0:
                return [], 0
            within = _run(searcher, within_band(query, band[0], 1.0 if match_all else None),
                          offset + limit, 0, None, count=False)
            return merge_band(every.hits, within.hits, band[1], offset, limit), _total(every)
        found = _run(searcher, compiler.ranked(query, order, latest), limit, offset, order)
        return ([(float(score) if order is None else 0.0, address)
                 for score, address in found.hits], _total(found))

    # -- spelling suggestions (diarium.suggest) --------------------------------------------

    def word_counts(self, words: Sequence[str]) -> list[int]:
        """How many live records each word finds as a query word of its own."""
        searcher = self.index_obj.searcher()
        compiler = Compiler(self.swedish, False)
        return [_total(_run(searcher, compiler.word(word), 1, 0, None)) for word in words]

    def near_terms(self, words: Sequence[str]) -> list[list[tuple[str, int]]]:
        """Per word, the words of the exact fields' term dictionaries that may replace it
        (SearchBackend.near_terms): every string one edit away looked up in each
        dictionary (about 60 lookups a letter, 0.4 µs each, whatever the vocabulary's
        size), and for a word allowed two edits, the words starting with the half
        diarium.suggest.kept_prefix() keeps (one walk of a narrow dictionary range)."""
        searcher = self.index_obj.searcher()
        fields = [f"{name}_exact" for name in suggest.EXACT_FIELDS]
        found: list[list[tuple[str, int]]] = []
        for word in words:
            near: dict[str, int] = {}
            for term in suggest.edits1(word):
                freq = sum(searcher.doc_freq(field, term) for field in fields)
                if freq:
                    near[term] = freq
            if suggest.max_distance(word) >= 2:
                walked: dict[str, int] = {}
                for field in fields:
                    for term, freq in searcher.terms_with_prefix(
                            field, suggest.kept_prefix(word)):
                        if term not in near:
                            walked[term] = walked.get(term, 0) + freq
                near.update(walked)
            found.append(sorted(near.items()))
        return found

    def related(self, doc_id: str, limit: int = hybrid.RELATED) -> list[Hit]:
        """"Liknande handlingar" (diarium.hybrid.related_documents); [] when keyword-only."""
        return hybrid.related_documents(self.semantic, self, doc_id, limit)


def _cheap_main(planned: query_plan.QueryPlan) -> bool:
    """Whether the query matches every record (no words) or a case number's records
    (a diarienummer, alone or as the parser's reading of the words typed)."""
    node = planned.node
    children = node.children if isinstance(node, q.Or) else (node,)
    return isinstance(node, q.MatchAll) or any(
        isinstance(child, q.Diarienummer) for child in children)


def _direct(node: q.Node) -> bool:
    """Whether a record may match `node` through fields no snippet is made of: a case
    number, a keyword filter or a date range as an alternative of an OR (a case number
    typed alone is the parser's OR of its words and its readings) or as every part of an
    AND; a word, phrase or prefix (also in a part or rubrik filter) matches through
    snippet fields."""
    if isinstance(node, q.Or):
        return any(_direct(child) for child in node.children)
    if isinstance(node, q.And):
        return all(_direct(child) for child in node.children if not isinstance(child, q.Not))
    if isinstance(node, q.Field):
        return node.name in q.KEYWORD_FIELDS
    return not isinstance(node, q.Word | q.Phrase | q.Prefix)


def _run(searcher: tantivy.Searcher, query: tantivy.Query, limit: int, offset: int,
         order: tantivy.Order | None, count: bool = True) -> tantivy.SearchResult:
    try:
        if order is None:
            return searcher.search(query, limit, count=count, offset=offset)
        return searcher.search(query, limit, count=count, order_by_field="datum",
                               offset=offset, order=order)
    except ValueError as exc:
        raise EngineUnavailable(f"the embedded index refused the search: {exc}") from exc


def _total(found: tantivy.SearchResult) -> int:
    """How many records matched (searched with count=True)."""
    return int(found.count)  # type: ignore[attr-defined]  # tantivy's stub omits count
