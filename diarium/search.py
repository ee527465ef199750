"""The search service: one entry point for the CLI and the web, whatever the engine.

`search()` runs a SearchRequest on a backend and `result_to_json()` gives the one JSON
shape the CLI's --json and the web's API return.
"""

from __future__ import annotations

from typing import Any

from diarium.config import Settings
from diarium.indexer.base import SearchBackend, SearchRequest, SearchResult, Snippet


def search(settings: Settings, request: SearchRequest,
           backend: SearchBackend | None = None) -> SearchResult:
    """Run `request` on `backend` (default: the configured engine, opened and closed here).

    Raises QueryError for an invalid request, EngineUnavailable when the engine cannot
    be used, ConfigError for an unknown engine.
    """
    if backend is not None:
        return backend.search(request)
    from diarium.indexer import open_backend

    opened = open_backend(settings)
    try:
        return opened.search(request)
    finally:
        opened.close()


def snippet_to_json(snippet: Snippet) -> dict[str, Any]:
    """{"text", "marks": [[start, end], ...], "page"}: character offsets into text."""
    return {
        "text": snippet.text,
        "marks": [[mark.start, mark.end] for mark in snippet.marks],
        "page": snippet.page,
    }


def result_to_json(result: SearchResult) -> dict[str, Any]:
    """The JSON object of a search result, shared by `diarium search --json` and the API:
    total, page, per_page, partial, hits (register fields, snippets, page) and facets
    (facet name -> [{"value", "count"}])."""
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
            "score": round(hit.score, 4),
            "snippets": [snippet_to_json(s) for s in hit.snippets],
            "page": hit.page,
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
    }
