"""The JSON API: search (the result_to_json shape), case and document.

Described by the OpenAPI document at /api/openapi.json (web/openapi.py). Errors come back
as {"error": {"status", "title", "message"}} with the matching HTTP status.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for

from diarium.public import PublicRecord, public_case, public_record
from diarium.search import result_to_json
from diarium.web import openapi
from diarium.web.app import services
from diarium.web.params import parse_state
from diarium.web.views import related_hits, suggestion_view

bp = Blueprint("api", __name__)
MAX_ID = 2**63 - 1


def to_jsonable(value: Any) -> Any:
    """Dataclasses, tuples and mappings as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def record_json(record: PublicRecord) -> dict[str, Any]:
    """A document as the API returns it: the public record plus its page and file URLs."""
    data = to_jsonable(record)
    data["url"] = url_for("site.document", doc_id=int(record.doc_id), _external=True)
    data["case_url"] = url_for("api.case", case_id=record.case_id, _external=True)
    data["file_url"] = (url_for("site.download", doc_id=int(record.doc_id), _external=True)
                        if record.has_file else None)
    return data


@bp.after_request
def _open_to_other_sites(response: Response) -> Response:
    """The register is public and the API read-only, so any web page may call it."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/")
def index() -> Any:
    """A short human-readable description of the API, linking the OpenAPI document."""
    return render_template("api.html")


@bp.get("/openapi.json")
def openapi_json() -> Any:
    return jsonify(openapi.spec(request.host_url.rstrip("/")))


@bp.get("/v1/search")
def search() -> Any:
    """Search with the same parameters as the search page; the result_to_json shape."""
    state = parse_state(request.args.to_dict(flat=False))
    result = services().search(state.request())
    data = result_to_json(result)
    view = suggestion_view(state, result)
    if view is not None:
        # "Menade du": the corrected q and the API call with the rest of the search kept.
        data["suggestion"]["q"] = view["q"]
        data["suggestion"]["url"] = url_for("api.search", _external=True) + view["href"]
    return jsonify(data)


@bp.get(f"/v1/cases/<int(max={MAX_ID}):case_id>")
def case(case_id: int) -> Any:
    """A case's register data and its documents' public records in order."""
    svc = services()
    found = public_case(svc.store(), svc.settings, case_id)
    if found is None:
        abort(404)
    data = to_jsonable(found)
    data["url"] = url_for("site.case", case_id=case_id, _external=True)
    return jsonify(data)


@bp.get(f"/v1/documents/<int(max={MAX_ID}):doc_id>")
def document(doc_id: int) -> Any:
    """One document's public record (text and per-page text included)."""
    svc = services()
    found = public_record(svc.store(), svc.settings, str(doc_id))
    if found is None:
        abort(404)
    data = record_json(found)
    # "Liknande handlingar": the nearest public records by meaning (diarium.hybrid).
    data["related"] = [
        {"doc_id": hit.record.doc_id, "rubrik": hit.record.rubrik,
         "diarienummer": hit.record.diarienummer, "datum": hit.record.datum,
         "score": round(hit.score, 4), "semantic": True,
         "url": url_for("site.document", doc_id=int(hit.record.doc_id), _external=True)}
        for hit in related_hits(found)]
    return jsonify(data)
