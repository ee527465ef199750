"""The OpenAPI 3.1 description of the JSON API, served at /api/openapi.json."""

from __future__ import annotations

from typing import Any

from diarium.search import FACETS, MAX_PER_PAGE, SORTS
from diarium.web.params import MAX_QUERY_LENGTH, MAX_RESULT_WINDOW

_STR = {"type": "string"}
_INT = {"type": "integer"}

_RECORD_FIELDS: dict[str, Any] = {
    "doc_id": _STR, "case_id": _INT, "organisation": _STR, "organisation_name": _STR,
    "diarienummer": _STR, "dnr_key": _STR, "lopnummer": _INT,
    "datum": {"type": "string", "format": "date"}, "riktning": _STR, "handlingstyp": _STR,
    "rubrik": _STR, "part": _STR, "arendemening": _STR, "namnd": _STR, "enhet": _STR,
    "handlaggare": _STR, "status": _STR, "klassificering": _STR, "text": _STR,
    "pages": {"type": "array", "items": _STR}, "has_file": {"type": "boolean"},
    "secret": {"type": "boolean"}, "sekretess_text": _STR, "file_name": _STR,
    "media_type": _STR, "sammantrade": _STR,
    "url": {"type": "string", "format": "uri"},
    "case_url": {"type": "string", "format": "uri"},
    "file_url": {"type": ["string", "null"], "format": "uri"},
}


def _query_param(name: str, description: str, schema: dict[str, Any],
                 explode: bool = False) -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": "query", "required": False,
                             "description": description, "schema": schema}
    if explode:
        param.update(style="form", explode=True)
    return param


def search_parameters() -> list[dict[str, Any]]:
    """The query parameters shared by the search page, the API, the feed and exports."""
    params = [
        _query_param("q", "Sökfråga i frågespråket: ord, \"fras\", -uteslut, OR, prefix*, "
                          "fält som dnr:, typ:, riktning:, nämnd:, datum:FRÅN..TILL.",
                     {"type": "string", "maxLength": MAX_QUERY_LENGTH}),
        _query_param("dnr", "Diarienummer skrivet på valfritt sätt (KS 2023/123, ks-2023-0123).",
                     {"type": "string", "maxLength": 80}),
        _query_param("from", "Datum från och med (ÅÅÅÅ-MM-DD).",
                     {"type": "string", "format": "date"}),
        _query_param("to", "Datum till och med (ÅÅÅÅ-MM-DD).",
                     {"type": "string", "format": "date"}),
        _query_param("sort", "Sortering; utan: relevans när det finns en fråga, annars nyast.",
                     {"type": "string", "enum": list(SORTS)}),
        _query_param("page", f"Sida (1-). page × per_page högst {MAX_RESULT_WINDOW}.",
                     {"type": "integer", "minimum": 1}),
        _query_param("per_page", "Träffar per sida.",
                     {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 20}),
        _query_param("exakt", "ja: bara träffar på orden, inga liknande träffar (semantisk "
                              "sökning av).",
                     {"type": "string", "enum": ["ja", "nej"]}),
    ]
    for facet in FACETS:
        schema: dict[str, Any] = {"type": "string"}
        if facet.kind == "bool":
            schema = {"type": "string", "enum": ["true", "false"]}
        elif facet.kind == "year":
            schema = {"type": "string", "pattern": "^[0-9]{4}$"}
        params.append(_query_param(
            facet.name,
            f"Filter på {facet.label.lower()}; upprepa för flera värden (ELLER). "
            "Olika filter kombineras med OCH.",
            {"type": "array", "items": schema}, explode=True,
        ))
    return params


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def spec(server_url: str = "") -> dict[str, Any]:
    """The OpenAPI document; `server_url` is this site's base URL."""
    from diarium.web.meetings import openapi_paths as meeting_paths  # it imports the app

    errors = {
        "400": _error_response("Felaktig parameter (meddelandet säger vilken)."),
        "503": _error_response("Sökmotorn är inte tillgänglig just nu; försök igen."),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "diarium JSON API",
            "version": "1",
            "description": "Sök i det offentliga diariet, hämta ärenden och handlingar. "
                           "Allt som returneras är den offentliga projektionen: sekretess "
                           "tillämpad och personnummer maskerade.",
        },
        "servers": [{"url": server_url}] if server_url else [],
        "paths": {
            "/api/v1/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Sök handlingar",
                    "parameters": search_parameters(),
                    "responses": {
                        "200": {"description": "Sökresultat",
                                "content": {"application/json": {
                                    "schema": {"$ref": "#/components/schemas/SearchResult"}}}},
                        **errors,
                    },
                }
            },
            "/api/v1/cases/{case_id}": {
                "get": {
                    "operationId": "getCase",
                    "summary": "Ett ärende med dess handlingar i ordning",
                    "parameters": [{"name": "case_id", "in": "path", "required": True,
                                    "schema": {"type": "integer", "minimum": 0}}],
                    "responses": {
                        "200": {"description": "Ärendet",
                                "content": {"application/json": {
                                    "schema": {"$ref": "#/components/schemas/Case"}}}},
                        "404": _error_response("Okänt ärende."),
                    },
                }
            },
            "/api/v1/documents/{doc_id}": {
                "get": {
                    "operationId": "getDocument",
                    "summary": "En handling (offentlig text ingår; \"related\": liknande "
                               "handlingar hittade på innehållets betydelse)",
                    "parameters": [{"name": "doc_id", "in": "path", "required": True,
                                    "schema": {"type": "integer", "minimum": 0}}],
                    "responses": {
                        "200": {"description": "Handlingen",
                                "content": {"application/json": {
                                    "schema": {"$ref": "#/components/schemas/Record"}}}},
                        "404": _error_response("Okänd eller inte offentlig handling."),
                    },
                }
            },
            **meeting_paths(),
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "object", "properties": {
                        "status": _INT, "title": _STR, "message": _STR}}},
                },
                "Mark": {"type": "array", "items": _INT, "minItems": 2, "maxItems": 2,
                         "description": "Markerat intervall [start, end) i snippetens "
                                        "text (teckenpositioner)."},
                "Snippet": {
                    "type": "object",
                    "properties": {
                        "text": _STR,
                        "marks": {"type": "array", "items": {"$ref": "#/components/schemas/Mark"}},
                        "page": {"type": ["integer", "null"]},
                    },
                },
                "Hit": {
                    "type": "object",
                    "description": "En träff: handlingens registeruppgifter, snippets och "
                                   "sidan där träffen finns.",
                    "properties": {
                        "doc_id": _STR, "case_id": _INT, "organisation": _STR,
                        "diarienummer": _STR, "lopnummer": _INT,
                        "datum": {"type": "string", "format": "date"}, "riktning": _STR,
                        "handlingstyp": _STR, "rubrik": _STR,
                        "snippets": {"type": "array",
                                     "items": {"$ref": "#/components/schemas/Snippet"}},
                        "page": {"type": ["integer", "null"]},
                        "semantic": {"type": "boolean",
                                     "description": "En liknande träff: hittad på "
                                                    "innehållets betydelse, inte på orden."},
                    },
                    "additionalProperties": True,
                },
                "FacetValue": {"type": "object", "properties": {"value": _STR, "count": _INT}},
                "SearchResult": {
                    "type": "object",
                    "required": ["total", "hits", "facets"],
                    "properties": {
                        "total": _INT,
                        "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                        "facets": {"type": "object", "additionalProperties": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/FacetValue"}}},
                        "suggestion": {"oneOf": [
                            {"$ref": "#/components/schemas/Suggestion"}, {"type": "null"}]},
                    },
                    "additionalProperties": True,
                },
                "Suggestion": {
                    "type": "object",
                    "description": "Menade du: sökningen med felstavade ord rättade till "
                                   "ord som finns i registret, när orden inte gav någon "
                                   "träff och den rättade sökningen ger träffar (null "
                                   "annars). Ord rättas bara till ord ur publicerade "
                                   "handlingar.",
                    "required": ["query", "total", "corrections"],
                    "properties": {
                        "query": {"type": "string",
                                  "description": "Den rättade sökningen i frågespråket."},
                        "q": {"type": "string",
                              "description": "Den rättade texten för parametern q."},
                        "url": {"type": "string", "format": "uri",
                                "description": "API-anropet för den rättade sökningen, "
                                               "med samma filter."},
                        "total": {"type": "integer",
                                  "description": "Antal träffar för den rättade sökningen "
                                                 "med samma filter."},
                        "corrections": {"type": "array", "items": {
                            "type": "object",
                            "properties": {"from": _STR, "to": _STR}}},
                    },
                },
                "Record": {"type": "object", "properties": _RECORD_FIELDS},
                "Case": {
                    "type": "object",
                    "description": "Ärendets registeruppgifter och dess handlingar i ordning.",
                    "additionalProperties": True,
                },
            }
        },
    }
