"""The embedded search backend: tantivy in an index directory beside the store.

Schema (one tantivy document per PublicRecord):

- `doc_id` (raw, stored): the key for replace/delete/get;
- `record` (stored bytes): the PublicRecord as JSON, so hits and get() rebuild it exactly;
- free text, per field (rubrik, part, arendemening, text) twice: `<f>` with the Swedish
  analyzer (lowercase, Snowball Swedish stopwords and stemmer) and `<f>_exact`
  (lowercase only, boosted above the stemmed field);
- `folded`: all free text lowercased, ASCII-folded (å/ä→a, ö→o) and stemmed; searched at a
  low boost and ONLY by query words typed without å/ä/ö, so `foreskrift` finds
  `föreskrift` while `får` never finds `far`;
- `parts`, `lemma`: compound parts and lemmas from `diarium.swedish` when that module is
  present (the hook is `_swedish_extras`); searched below whole words;
- facet fields (organisation, namnd, enhet, riktning, handlingstyp, year, status,
  has_file): raw fast text fields, values as shown, for terms aggregations;
- `kw`: the same values lower-cased as "name=value" terms, for case-insensitive filters;
- `dnr_key` ("KS|2023|123") and `dnr_year_serial` ("2023|123"): raw, exact and by prefix;
- `datum`: date (range filters, sort).

The `text` field holds one value per page, so a snippet's position maps back to its page.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields as dataclass_fields
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import tantivy
from diarium.indexer.base import Capabilities
from diarium.indexer.derived import SwedishExtras
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
from tantivy import Filter, Occur, Query, TextAnalyzerBuilder, Tokenizer

from diarium import query as q
from diarium.config import OrgSettings
from diarium.errors import EngineUnavailable, QueryError
from diarium.public import PublicRecord
from diarium.search import (
    FACET_SIZE,
    FACETS,
    SNIPPET_CHARS,
    FacetValue,
    Hit,
    Mark,
    SearchRequest,
    SearchResult,
    Snippet,
    filter_value,
    validate_request,
)
from diarium.swedish.folding import fold, has_swedish_letters

SCHEMA_VERSION = 3
SCHEMA_FILE = "diarium-schema.json"
WRITER_HEAP = 256_000_000


def _analyzers() -> dict[str, tantivy.TextAnalyzer]:
    """The named analyzers every Index object must register before use."""
    def base() -> TextAnalyzerBuilder:
        # Tokens over 60 characters are junk (base64, URLs) and only bloat the dictionary.
        return TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.remove_long(60)).filter(
            Filter.lowercase()
        )

    return {
        "sv_stem": base().filter(Filter.stopword("swedish")).filter(
            Filter.stemmer("swedish")).build(),
        "sv_exact": base().build(),
        "sv_folded": base().filter(Filter.ascii_fold()).filter(Filter.stemmer("swedish")).build(),
        "sv_words": TextAnalyzerBuilder(Tokenizer.whitespace()).filter(
            Filter.lowercase()).build(),
    }


ANALYZERS = _analyzers()


def _build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("doc_id", stored=True, tokenizer_name="raw")
    sb.add_bytes_field("record", stored=True)
    for name in TEXT_FIELDS:
        sb.add_text_field(name, tokenizer_name="sv_stem")
        sb.add_text_field(f"{name}_exact", tokenizer_name="sv_exact")
    sb.add_text_field("folded", tokenizer_name="sv_folded")
    sb.add_text_field("parts", tokenizer_name="sv_words", index_option="freq")
    sb.add_text_field("lemma", tokenizer_name="sv_words", index_option="freq")
    sb.add_text_field("ident", tokenizer_name="raw", index_option="basic")
    for facet in FACETS:
        sb.add_text_field(facet.field, tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_text_field("kw", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("dnr_key", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("dnr_year_serial", tokenizer_name="raw", index_option="basic")
    sb.add_date_field("datum", indexed=True, fast=True)
    return sb.build()


SCHEMA = _build_schema()
_RECORD_FIELDS = tuple(f.name for f in dataclass_fields(PublicRecord))


# Separators the whole text may be made of its pages with; then only the pages are stored.
_PAGE_JOINS = ("\n\n", "\n", "\f", " ", "")


def record_to_json(record: PublicRecord) -> bytes:
    """The stored form of a record: a JSON object of every PublicRecord field. When the
    text is its pages joined, the text is stored as the separator only (`text_join`):
    half the stored bytes and encoding time for a document with pages."""
    data = {name: getattr(record, name) for name in _RECORD_FIELDS}
    data["pages"] = list(record.pages)
    if record.pages:
        for join in _PAGE_JOINS:
            if len(record.text) == sum(map(len, record.pages)) + len(join) * (
                    len(record.pages) - 1) and record.text == join.join(record.pages):
                data["text"] = None
                data["text_join"] = join
                break
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def record_from_json(raw: bytes) -> PublicRecord:
    """The PublicRecord stored by record_to_json."""
    data = json.loads(raw)
    data["pages"] = tuple(data["pages"])
    if data.get("text") is None:
        data["text"] = data.get("text_join", "").join(data["pages"])
    return PublicRecord(**{k: v for k, v in data.items() if k in _RECORD_FIELDS})


def facet_value(record: PublicRecord, field: str) -> str:
    """A record's value of a facet field as indexed and shown ("true"/"false" for bools)."""
    value = getattr(record, field)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _pages(record: PublicRecord) -> list[str]:
    """Per-page text to index (one value per page), falling back to the whole text."""
    if record.pages:
        return list(record.pages)
    return [record.text] if record.text else []


def _to_datetime(iso: str) -> datetime:
    return datetime.fromisoformat(iso[:10])


class EmbeddedBackend:
    """SearchBackend on tantivy. The writer is opened only while writing, so a web server
    can keep searching while `diarium index` runs in another process."""

    name = "embedded"
    state_name = "embedded"
    capabilities = Capabilities(purge="rewrite")

    def __init__(self, path: Path, writer_heap: int = WRITER_HEAP,
                 writer_threads: int = 0, swedish: bool = True,
                 synonyms: Sequence[Mapping[str, str]] = (),
                 orgs: Sequence[OrgSettings] = ()) -> None:
        """`synonyms`: abbreviation tables (OrgSettings.synonyms); none given means the
        defaults of diarium.config. `swedish=False` leaves out the diarium.swedish
        fields (compound parts, lemmas, identifiers, synonyms). `orgs`: the
        organisations' settings, so a query reads diarienummer as each one writes them
        (serial/year, two-digit years)."""
        self.path = Path(path)
        self.orgs = tuple(orgs)
        self.writer_heap = writer_heap
        self.writer_threads = writer_threads
        self._index: tantivy.Index | None = None
        self._lock = threading.Lock()
        self.swedish = SwedishExtras(swedish, synonyms)
        # Proximity, recency and partial-AND ranking (issue 8) go with the Swedish
        # extras: `swedish=False` is the plain search core, for side-by-side benchmarks.
        self.ranking = swedish

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
        """The tantivy document of one PublicRecord (see the module doc for the fields)."""
        doc = tantivy.Document()
        doc.add_text("doc_id", record.doc_id)
        doc.add_bytes("record", record_to_json(record))
        folded: list[str] = []
        for name in TEXT_FIELDS:
            values = _pages(record) if name == "text" else [getattr(record, name)]
            for value in values:
                if value:
                    doc.add_text(name, value)
                    doc.add_text(f"{name}_exact", value)
                    folded.append(value)
        for value in folded:
            doc.add_text("folded", value)
        extras = self.swedish.document_fields("\n".join(folded))
        for name in ("parts", "lemma"):
            if extras.get(name):
                doc.add_text(name, str(extras[name]))
        for identifier in extras.get("identifiers") or ():
            doc.add_text("ident", str(identifier))
        for facet in FACETS:
            value = facet_value(record, facet.field)
            if value:
                doc.add_text(facet.field, value)
                doc.add_text("kw", f"{facet.name}={value.casefold()}")
        doc.add_text("dnr_key", record.dnr_key)
        doc.add_text("dnr_year_serial", record.dnr_key.split("|", 1)[-1])
        doc.add_date("datum", _to_datetime(record.datum))
        return doc

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
        return record_from_json(searcher.doc(address).get_first("record"))

    def compile(self, text: str) -> tantivy.Query:
        """The tantivy query for a query string in the diarium query language."""
        return Compiler(self).top(q.parse(text, self.orgs), text)

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a search: hits of the requested page with snippets, total and facets.

        Raises QueryError for an unknown filter, sort or an out-of-range page.
        """
        validate_request(request)
        node = q.parse(request.query, self.orgs)
        compiler = Compiler(self)
        main = compiler.top(node, request.query)
        filters, filter_terms = self._filters(request)
        searcher = self.index_obj.searcher()
        combined = _must([main, *filters.values()])
        offset = (request.page - 1) * request.per_page
        order = {"newest": tantivy.Order.Desc, "oldest": tantivy.Order.Asc}.get(request.sort)
        found = _run(searcher, compiler.ranked(combined, order), request.per_page, offset,
                     order)
        partial = False
        if found.count == 0:
            relaxed = compiler.relaxed(node)
            if relaxed is not None:
                main = relaxed
                combined = _must([main, *filters.values()])
                found = _run(searcher, compiler.ranked(combined, order), request.per_page,
                             offset, order)
                partial = found.count > 0
        snippets = Snippets(searcher, _with_prefix_terms(searcher, main, node)
                            if found.hits else main, stemmed_first=_has_words(node))
        hits = tuple(
            Hit(record=(record := self._record(searcher, address)),
                score=float(score) if order is None else 0.0,
                snippets=snippets.of(record))
            for score, address in found.hits
        )
        facets = (self._facets(searcher, main, filters, filter_terms)
                  if request.with_facets else {})
        return SearchResult(total=int(found.count), hits=hits, facets=facets,
                            page=request.page, per_page=request.per_page, partial=partial)

    def _filters(self, request: SearchRequest
                 ) -> tuple[dict[str, tantivy.Query], dict[str, list[str]]]:
        """One query per filtered facet (values OR'ed) plus the date range ("datum"),
        and the `kw` terms of each facet filter."""
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
            terms = [f"{name}={filter_value(facet.kind, v)}" for v in values if v != ""]
            if terms:
                out[name] = _terms("kw", terms)
                filter_terms[name] = terms
        if request.date_from or request.date_to:
            out["datum"] = _date_query(request.date_from, request.date_to)
        return out, filter_terms

    def _facets(self, searcher: tantivy.Searcher, main: tantivy.Query,
                filters: dict[str, tantivy.Query], filter_terms: dict[str, list[str]]
                ) -> dict[str, tuple[FacetValue, ...]]:
        """Facet counts. A facet with a filter of its own is counted without that filter
        (so its other values stay visible and selectable: OR within a facet); the others
        count within every filter. One aggregation request: each group of facets sits
        under a `filter` aggregation holding the facet filters that apply to it."""
        by_name = {f.name: f.field for f in FACETS}
        terms = {name: values for name, values in filter_terms.items() if name in filters}
        base = _must([main, *[q_ for name, q_ in filters.items() if name not in terms]])

        def counts(names: Sequence[str]) -> dict[str, Any]:
            return {n: {"terms": {"field": by_name[n], "size": FACET_SIZE}} for n in names}

        def narrowed(names: Sequence[str], inner: dict[str, Any]) -> dict[str, Any]:
            return {"filter": " AND ".join(
                "(" + " OR ".join(f'kw:"{_escape(t)}"' for t in terms[n]) + ")"
                for n in names), "aggs": inner}

        shared = [f.name for f in FACETS if f.name not in terms]
        request: dict[str, Any] = {}
        if not terms:
            request = counts(shared)
        else:
            if shared:
                request["_shared"] = narrowed(list(terms), counts(shared))
            for name in terms:
                others = [n for n in terms if n != name]
                if others:
                    request[f"_own_{name}"] = narrowed(others, counts([name]))
                else:
                    request.update(counts([name]))
        try:
            answer = searcher.aggregate(base, request)
        except ValueError as exc:
            raise EngineUnavailable(f"the embedded index refused the facet counts: {exc}"
                                    ) from exc
        flat: dict[str, Any] = {}
        for key, value in answer.items():
            if key.startswith("_"):
                flat.update({k: v for k, v in value.items() if isinstance(v, dict)})
            else:
                flat[key] = value
        return {
            f.name: tuple(FacetValue(str(b["key"]), int(b["doc_count"]))
                          for b in flat.get(f.name, {}).get("buckets", []))
            for f in FACETS
        }


def _with_prefix_terms(searcher: tantivy.Searcher, query: tantivy.Query,
                       node: q.Node) -> tantivy.Query:
    """`query` plus the commonest words each prefix of `node` expands to: the snippet
    generator highlights terms, and a prefix query names none."""
    prefixes: list[str] = []

    def walk(n: q.Node) -> None:
        if isinstance(n, q.Prefix):
            prefixes.append(n.text)
        elif isinstance(n, q.And | q.Or):
            for child in n.children:
                walk(child)

    walk(node)
    if not prefixes:
        return query
    extra: list[tantivy.Query] = []
    for prefix in prefixes:
        tokens = _tokens("sv_exact", prefix)
        if len(tokens) != 1:
            continue
        for field in ("text_exact", "rubrik_exact", "arendemening_exact", "part_exact"):
            words = [t for t, _ in searcher.terms_with_prefix(field, tokens[0], limit=30)]
            if words:
                extra.append(Query.term_set_query(SCHEMA, field, words))
    if not extra:
        return query
    return Query.boolean_query([(Occur.Should, query)] + [(Occur.Should, e) for e in extra])


class Snippets:
    """Snippets for the hits of one search. A SnippetGenerator per field is built once
    per search (it looks up the query's terms and their statistics), not once per hit."""

    def __init__(self, searcher: tantivy.Searcher, query: tantivy.Query,
                 stemmed_first: bool = True) -> None:
        self.searcher = searcher
        self.query = query
        self.generators: dict[str, tantivy.SnippetGenerator] = {}
        # Words match every inflection in the stemmed field, so highlight there first;
        # phrases and prefixes only have terms in the exact field.
        self.body_fields = (("text", "text_exact", "folded") if stemmed_first
                            else ("text_exact", "text", "folded"))

    def generator(self, field: str) -> tantivy.SnippetGenerator:
        found = self.generators.get(field)
        if found is None:
            found = tantivy.SnippetGenerator.create(self.searcher, self.query, SCHEMA, field)
            found.set_max_num_chars(SNIPPET_CHARS)
            self.generators[field] = found
        return found

    def of(self, record: PublicRecord) -> tuple[Snippet, ...]:
        """A snippet of the body with its page; else of the title, case title or party."""
        pages = [(number, page.strip()) for number, page in enumerate(_pages(record), 1)]
        pages = [(number, page) for number, page in pages if page]
        for field in self.body_fields:
            snippet = self.snippet(field, pages)
            if snippet is not None:
                return (Snippet(snippet.text, snippet.marks, "text", snippet.page),)
        for name in ("rubrik", "arendemening", "part"):
            value = getattr(record, name).strip()
            for field in (name, f"{name}_exact"):
                snippet = self.snippet(field, [(0, value)] if value else [])
                if snippet is not None:
                    return (Snippet(snippet.text, snippet.marks, name, None),)
        return ()

    def snippet(self, field: str, pages: list[tuple[int, str]]) -> Snippet | None:
        """A snippet of `pages` (number, text) for the query's terms in `field`, or None."""
        if not pages:
            return None
        doc = tantivy.Document()
        for _, text in pages:
            doc.add_text(field, text)
        found = self.generator(field).snippet_from_doc(doc)
        ranges = found.highlighted()
        if not ranges:
            return None
        fragment = found.fragment()
        raw = fragment.encode("utf-8")
        # tantivy reports UTF-8 byte offsets; Python strings count characters.
        marks = tuple(
            Mark(len(raw[:r.start].decode("utf-8", "ignore")),
                 len(raw[:r.end].decode("utf-8", "ignore")))
            for r in ranges
        )
        # The field's values are joined with one space: find the page of the first mark.
        hit_at = found.fragment_range().start + ranges[0].start
        page, offset = pages[0][0], 0
        for number, text in pages:
            if offset > hit_at:
                break
            page = number
            offset += len(text.encode("utf-8")) + 1
        return Snippet(fragment, marks, field, page if page > 0 else None)


def _run(searcher: tantivy.Searcher, query: tantivy.Query, limit: int, offset: int,
         order: tantivy.Order | None) -> tantivy.SearchResult:
    try:
        if order is None:
            return searcher.search(query, limit, count=True, offset=offset)
        return searcher.search(query, limit, count=True, order_by_field="datum",
                               offset=offset, order=order)
    except ValueError as exc:
        raise EngineUnavailable(f"the embedded index refused the search: {exc}") from exc


def _escape(value: str) -> str:
    """A value inside double quotes of tantivy's query language."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _date_query(start: str | None, end: str | None) -> tantivy.Query:
    try:
        low = _to_datetime(start) if start else None
        high = _to_datetime(end) if end else None
    except ValueError as exc:
        raise QueryError(f"invalid date: {exc}; write dates as YYYY-MM-DD") from exc
    return Query.range_query(SCHEMA, "datum", tantivy.FieldType.Date, low, high)


@lru_cache(maxsize=2)
def _recency_clauses(today: date) -> tuple[tuple[Occur, tantivy.Query], ...]:
    """Optional clauses giving recent records a small score (RECENCY_BANDS): a
    tie-breaker that never changes what matches. Built once a day."""
    return tuple(
        (Occur.Should, Query.boost_query(
            _date_query((today - timedelta(days=days)).isoformat(), None), boost))
        for days, boost in RECENCY_BANDS
    )


def _must(queries: Sequence[tantivy.Query]) -> tantivy.Query:
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Must, query) for query in queries])


def _any(queries: Sequence[tantivy.Query], tie_breaker: float = 0.1) -> tantivy.Query:
    """The best of several ways to match one thing (dis-max), or nothing when none."""
    if not queries:
        return Query.empty_query()
    if len(queries) == 1:
        return queries[0]
    return Query.disjunction_max_query(list(queries), tie_breaker=tie_breaker)


def _terms(field: str, values: Sequence[str]) -> tantivy.Query:
    """Any of a few terms of one field. Term queries OR'ed, not term_set_query: a term
    set is matched by an automaton over the field's whole dictionary, measured at 0.5 ms
    per use on 1,000 records against 0.002 ms for a term query
    (benchmarks/quality_eval.py)."""
    if len(values) == 1:
        return Query.term_query(SCHEMA, field, values[0])
    return Query.boolean_query([(Occur.Should, Query.term_query(SCHEMA, field, value))
                                for value in values])


def _tokens(analyzer: str, text: str) -> list[str]:
    return list(ANALYZERS[analyzer].analyze(text))


def _positioned(analyzer: str, text: str) -> list[tuple[int, str]]:
    """Tokens with their positions, so removed stopwords leave their gap in a phrase."""
    return [(t.position, t.text) for t in ANALYZERS[analyzer].pre_tokenize(text).tokens]


def _phrase(field: str, tokens: Sequence[tuple[int, str]] | Sequence[str],
            boost: float) -> tantivy.Query | None:
    """A phrase (or a term, for one token) on `field`; None without tokens."""
    if not tokens:
        return None
    if len(tokens) == 1:
        only = tokens[0]
        term = only[1] if isinstance(only, tuple) else only
        query = Query.term_query(SCHEMA, field, term)
    else:
        query = Query.phrase_query(SCHEMA, field, list(tokens))
    return Query.boost_query(query, boost)


class Compiler:
    """Compiles the query AST (diarium.query) to a tantivy Query. Never produces a
    query tantivy rejects: empty pieces become EmptyQuery, one-token phrases terms."""

    def __init__(self, backend: EmbeddedBackend) -> None:
        self.swedish = backend.swedish
        self.ranking = backend.ranking
        self.boosts: list[tuple[Occur, tantivy.Query]] = []   # set by top(), for ranked()

    def top(self, node: q.Node, text: str) -> tantivy.Query:
        """The whole query: `node` compiled, or a record holding the identifier the
        whole text stands for (`afs 2023 1` finds `AFS 2023:1`)."""
        main = self.compile(node)
        if self.ranking:
            self.boosts = [(Occur.Should, near) for near in self.proximity(node)]
        idents = self.swedish.query_identifiers(text)
        if idents:
            ident = Query.boost_query(_terms("ident", idents), DNR_BOOST / 2)
            main = Query.boolean_query([(Occur.Should, main), (Occur.Should, ident)])
        return main

    def ranked(self, query: tantivy.Query, order: tantivy.Order | None) -> tantivy.Query:
        """`query` as run for the hits of a relevance-sorted page: with the recency
        tie-breaker. Counting and facets run `query` itself (same matches, no scores
        needed), and a date-sorted page needs no scores either."""
        if not self.ranking or order is not None:
            return query
        return Query.boolean_query([(Occur.Must, query), *self.boosts,
                                    *_recency_clauses(date.today())])

    def compile(self, node: q.Node) -> tantivy.Query:
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
            return _date_query(node.start, node.end)
        if isinstance(node, q.Diarienummer):
            if node.prefix:
                query = Query.term_query(SCHEMA, "dnr_key", node.key)
            else:
                query = Query.term_query(SCHEMA, "dnr_year_serial", node.year_serial)
            return Query.boost_query(query, DNR_BOOST)
        return Query.empty_query()

    def relaxed(self, node: q.Node) -> tantivy.Query | None:
        """Graceful AND: the query with its free-text parts OR'ed (records matching more
        of them rank higher); filters, diarienummer and exclusions still apply. None
        when fewer than two free-text parts could be relaxed."""
        if not isinstance(node, q.And):
            return None
        loose = [c for c in node.children if _is_free_text(c)]
        if len(loose) < 2:
            return None
        clauses = []
        for child in loose:
            compiled = self.compile(child)
            if self.ranking:
                # Each matched part counts COORD_SCORE, far above any text score, so
                # more parts matched always rank first; the text score orders within.
                clauses.append(
                    (Occur.Should, Query.const_score_query(compiled, COORD_SCORE)))
            clauses.append((Occur.Should, compiled))
        for child in node.children:
            if isinstance(child, q.Not):
                clauses.append((Occur.MustNot, self.compile(child.node)))
            elif not _is_free_text(child) and not isinstance(child, q.MatchAll):
                clauses.append((Occur.Must, self.compile(child)))
        return Query.boolean_query(clauses)

    def proximity(self, node: q.Node) -> list[tantivy.Query]:
        """Boosts for the plain words of the query's AND (also when the parser put it in
        an OR with a diarienummer) found near each other, in the order typed with at
        most PROXIMITY_SLOP other words between, in the text or the title; [] for fewer
        than two words."""
        if isinstance(node, q.Or):
            node = next((c for c in node.children if isinstance(c, q.And)), node)
        if not isinstance(node, q.And):
            return []
        words = [c.text for c in node.children if isinstance(c, q.Word)]
        tokens = _tokens("sv_exact", " ".join(words))
        if len(tokens) < 2:
            return []
        return [
            Query.boost_query(
                Query.phrase_query(SCHEMA, f"{name}_exact", tokens, slop=PROXIMITY_SLOP),
                PROXIMITY_BOOST * FIELD_BOOSTS[name])
            for name in ("rubrik", "text")
        ]

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
        exact = _tokens("sv_exact", text)
        if len(exact) != 1:
            # `2023:1`, `e-post`: the analyzer splits it, so its pieces form a phrase.
            return self.phrase(tuple(exact)) if exact else Query.empty_query()
        ways: list[tantivy.Query] = []
        stems = _tokens("sv_stem", text)
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
                _terms("parts", sorted({exact[0], lemma or exact[0]})),
                PARTS_BOOST))
        if not has_swedish_letters(text):
            for folded in _tokens("sv_folded", text)[:1]:
                ways.append(Query.boost_query(
                    Query.term_query(SCHEMA, "folded", folded), FOLDED_BOOST))
        return _any(ways)

    def prefix(self, text: str) -> tantivy.Query:
        """Words starting with `text`, on the unstemmed fields (and folded when typed
        without å/ä/ö)."""
        exact = _tokens("sv_exact", text)
        if not exact:
            return Query.empty_query()
        ways = [
            Query.boost_query(
                Query.phrase_prefix_query(SCHEMA, f"{name}_exact", exact), FIELD_BOOSTS[name])
            for name in TEXT_FIELDS
        ]
        if not has_swedish_letters(text):
            folded = _tokens("sv_exact", fold(text))
            ways.append(Query.boost_query(
                Query.phrase_prefix_query(SCHEMA, "folded", folded), FOLDED_BOOST))
        return _any(ways)

    def phrase(self, words: Sequence[str]) -> tantivy.Query:
        """An exact phrase: these words, in this order, on the unstemmed fields.
        Stopwords count: the exact fields keep them, so "beslut om bygglov" works."""
        tokens = _tokens("sv_exact", " ".join(words))
        ways = [
            query for name in TEXT_FIELDS
            if (query := _phrase(f"{name}_exact", tokens, FIELD_BOOSTS[name])) is not None
        ]
        return _any(ways)

    def field(self, name: str, value: str) -> tantivy.Query:
        """A field filter: keyword fields by equality ignoring case, part and rubrik as a
        phrase (stemmed or exact) in that field."""
        if name in q.KEYWORD_FIELDS:
            return Query.term_query(SCHEMA, "kw", f"{name}={value.strip().casefold()}")
        if name in TEXT_FIELDS:
            ways = [
                _phrase(f"{name}_exact", _tokens("sv_exact", value), 2.0),
                _phrase(name, _positioned("sv_stem", value), 1.0),
            ]
            return _any([w for w in ways if w is not None])
        return Query.empty_query()


def _has_words(node: q.Node) -> bool:
    if isinstance(node, q.Word):
        return True
    if isinstance(node, q.And | q.Or):
        return any(_has_words(c) for c in node.children)
    return False


def _is_free_text(node: q.Node) -> bool:
    """Words, phrases and prefixes (and ORs of them): what graceful AND may drop."""
    if isinstance(node, q.Or):
        return all(_is_free_text(c) or isinstance(c, q.Diarienummer) for c in node.children)
    return isinstance(node, q.Word | q.Phrase | q.Prefix)


