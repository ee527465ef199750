"""The search contract and the search service, shared by the web, the CLI and every engine.

The contract: a SearchRequest (what the user asked), its validation and filter
normalization, the facets declared as data (FACETS), and the one result shape
(SearchResult of Hits with Snippets and FacetValues). Engines in `diarium.indexer`
implement `diarium.indexer.base.SearchBackend` on these types; nothing outside
`diarium.indexer` knows which engine answers.

The service: `search()` runs a request on a backend, `result_to_json()` gives the one
JSON shape the CLI's --json and the web's API return.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from diarium.config import Settings
from diarium.errors import QueryError
from diarium.public import PublicRecord

if TYPE_CHECKING:
    from diarium.indexer.base import SearchBackend

Sort = Literal["relevance", "newest", "oldest"]
SORTS: tuple[str, ...] = ("relevance", "newest", "oldest")
MAX_PER_PAGE = 100
# How far a result list may be paged, the same for every engine: top-k with offset keeps
# offset+limit entries in memory (a heap in tantivy, search_after batches in
# Elasticsearch), so this bounds the memory of one query (page 5,000 of 20).
MAX_OFFSET = 100_000
# Shared by every engine so their results have the same shape: values listed per facet,
# and the length of a highlighted snippet.
FACET_SIZE = 100
SNIPPET_CHARS = 220
# Words accepted for yes/no values (the has_file filter, settings), in Swedish and English.
TRUE_WORDS: frozenset[str] = frozenset({"true", "ja", "1", "yes"})
FALSE_WORDS: frozenset[str] = frozenset({"false", "nej", "0", "no"})


@dataclass(frozen=True)
class Facet:
    """A facet: `name` in URLs and JSON, `field` in the record, `label` in Swedish."""

    name: str
    field: str
    label: str
    kind: Literal["terms", "year", "bool"] = "terms"


FACETS: tuple[Facet, ...] = (
    Facet("organisation", "organisation", "Organisation"),
    Facet("namnd", "namnd", "Nämnd"),
    Facet("enhet", "enhet", "Enhet"),
    Facet("riktning", "riktning", "Riktning"),
    Facet("handlingstyp", "handlingstyp", "Handlingstyp"),
    Facet("year", "year", "År", kind="year"),
    Facet("status", "status", "Ärendestatus"),
    Facet("has_file", "has_file", "Har fil", kind="bool"),
    # Notices and minutes by meeting (PublicRecord.sammantrade, issue 16).
    Facet("sammantrade", "sammantrade", "Sammanträde"),
)
FACET_NAMES: tuple[str, ...] = tuple(f.name for f in FACETS)


@dataclass(frozen=True)
class SearchRequest:
    """A search as the user asked it. `filters` maps a facet name to accepted values (OR);
    different facets combine with AND."""

    query: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    date_from: str | None = None   # ISO date, inclusive
    date_to: str | None = None     # ISO date, inclusive
    sort: Sort = "relevance"
    page: int = 1
    per_page: int = 20
    with_facets: bool = True
    # Hybrid search (diarium.hybrid): keyword and vector results fused, related results
    # where no word matched. False: keyword-only. Also off by `[semantic] enabled = false`.
    semantic: bool = True
    # Only these records (PublicRecord.doc_id), when given: `diarium alerts run` runs an
    # alert's search over the records changed since its last run. An empty tuple matches
    # nothing; None restricts nothing.
    doc_ids: tuple[str, ...] | None = None
    # False: hits without snippets (a caller that only lists records, such as the alerts
    # run, saves the highlighting work). An engine may ignore it.
    with_snippets: bool = True
    # A spelling suggestion when the words find nothing (diarium.suggest); off for
    # callers that only list records (feeds, exports).
    suggest: bool = True


def validate_request(request: SearchRequest, max_offset: int = MAX_OFFSET) -> None:
    """Check the paging and sort of `request`, the same in every engine; returns None.

    Raises QueryError naming the bad value and what is allowed.
    """
    if request.sort not in SORTS:
        raise QueryError(f"unknown sort {request.sort!r}: use one of {', '.join(SORTS)}")
    if not 1 <= request.per_page <= MAX_PER_PAGE:
        raise QueryError(f"per_page must be between 1 and {MAX_PER_PAGE}")
    if request.page < 1:
        raise QueryError("page must be 1 or more")
    if (request.page - 1) * request.per_page > max_offset:
        raise QueryError(
            f"page {request.page} is too deep (at most {max_offset} results can be paged); "
            "narrow the search with filters"
        )


def filter_value(kind: str, value: str) -> str:
    """A facet filter value as every engine indexes it in `kw`: trimmed and casefolded,
    a yes/no value as "true" or "false". Raises QueryError for a bool facet given
    anything else."""
    value = str(value).strip().casefold()
    if kind == "bool":
        if value in TRUE_WORDS:
            return "true"
        if value in FALSE_WORDS:
            return "false"
        raise QueryError(f"filter value {value!r} is not a yes/no value: use true or false")
    return value


@dataclass(frozen=True)
class Mark:
    """A highlighted range [start, end) in a snippet's text."""

    start: int
    end: int


@dataclass(frozen=True)
class Snippet:
    """A highlighted fragment: plain text plus marked ranges, never HTML."""

    text: str
    marks: tuple[Mark, ...]
    field: str = "text"
    page: int | None = None        # 1-based page of the hit, when known


@dataclass(frozen=True)
class Hit:
    record: PublicRecord
    score: float
    snippets: tuple[Snippet, ...] = ()
    semantic: bool = False         # a related result: found by meaning, not by its words

    @property
    def page(self) -> int | None:
        for snippet in self.snippets:
            if snippet.page is not None:
                return snippet.page
        return None


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int


@dataclass(frozen=True)
class Suggestion:
    """"Menade du: …?": the query with its misspelt words corrected (diarium.suggest),
    how many records its exact query finds under the same filters, and the corrections
    as (typed word, replacement) pairs, both in lower case."""

    query: str
    total: int
    corrections: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: tuple[Hit, ...]
    facets: Mapping[str, tuple[FacetValue, ...]] = field(default_factory=dict)
    page: int = 1
    per_page: int = 20
    partial: bool = False          # graceful AND: not all words matched
    suggestion: Suggestion | None = None   # set by search(), never by an engine


def search(settings: Settings, request: SearchRequest,
           backend: SearchBackend | None = None) -> SearchResult:
    """Run `request` on `backend` (default: the configured engine, opened and closed here),
    with a spelling suggestion when its words found nothing (diarium.suggest).

    Raises QueryError for an invalid request, EngineUnavailable when the engine cannot
    be used, ConfigError for an unknown engine.
    """
    if backend is not None:
        return _with_suggestion(backend, request, backend.search(request))
    from diarium.indexer import open_backend

    opened = open_backend(settings)
    try:
        return _with_suggestion(opened, request, opened.search(request))
    finally:
        opened.close()


def _with_suggestion(backend: SearchBackend, request: SearchRequest,
                     result: SearchResult) -> SearchResult:
    from diarium import suggest

    if not suggest.wants_suggestion(request, result):
        return result
    found = suggest.suggest(backend, request)
    return replace(result, suggestion=found) if found is not None else result


def snippet_to_json(snippet: Snippet) -> dict[str, Any]:
    """{"text", "marks": [[start, end], ...], "page"}: character offsets into text."""
    return {
        "text": snippet.text,
        "marks": [[mark.start, mark.end] for mark in snippet.marks],
        "page": snippet.page,
    }


def result_to_json(result: SearchResult) -> dict[str, Any]:
    """The JSON object of a search result, shared by `diarium search --json` and the API:
    total, page, per_page, partial, hits (register fields, snippets, page, semantic: a
    related result found by meaning, not by its words), facets
    (facet name -> [{"value", "count"}]) and suggestion ("Menade du": {"query", "total",
    "corrections": [{"from", "to"}]} when the words found nothing and a corrected query
    finds records, else null)."""
    hits = []
    for hit in result.hits:
        record = hit.record
        hits.append({
            "doc_id": record.doc_id,
            "case_id": record.case_id,
            "organisation": record.organisation,
            "organisation_name": record.organisation_name,
            "diarienummer": record.diarienummer,
            "lopnummer": record.lopnummer,
            "datum": record.datum,
            "riktning": record.riktning,
            "handlingstyp": record.handlingstyp,
            "rubrik": record.rubrik,
            "part": record.part,
            "arendemening": record.arendemening,
            "secret": record.secret,
            "has_file": record.has_file,
            "sammantrade": record.sammantrade,
            "score": round(hit.score, 4),
            "snippets": [snippet_to_json(s) for s in hit.snippets],
            "page": hit.page,
            "semantic": hit.semantic,
        })
    return {
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
        "partial": result.partial,
        "hits": hits,
        "facets": {
            name: [{"value": v.value, "count": v.count} for v in values]
            for name, values in result.facets.items()
        },
        "suggestion": suggestion_to_json(result.suggestion),
    }


def suggestion_to_json(suggestion: Suggestion | None) -> dict[str, Any] | None:
    """{"query", "total", "corrections": [{"from", "to"}]}, or None."""
    if suggestion is None:
        return None
    return {
        "query": suggestion.query,
        "total": suggestion.total,
        "corrections": [{"from": typed, "to": fixed} for typed, fixed in suggestion.corrections],
    }
