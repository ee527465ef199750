"""Meeting pages (sammanträden): the list per committee by month, one meeting with its
notice, minutes and items, an Atom feed of new minutes per committee, and the JSON API.

Everything shown comes from the public views of `diarium.meetings` (personnummer masked,
secret items reduced to "§ N Sekretess enligt <lagrum>", minutes through the public
projection). The case page's "Behandlad i ..." block gets its data from `case_context`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, jsonify, render_template, request, url_for

from diarium import meetings as mt
from diarium.errors import NotFound
from diarium.web import feeds
from diarium.web.app import services
from diarium.web.params import MAX_FILTER_LENGTH, BadParameter

bp = Blueprint("meetings", __name__)
api_bp = Blueprint("meetings_api", __name__)
MAX_ID = 2**63 - 1
FEED_SIZE = 30
API_LIMIT = 500
MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
          "september", "oktober", "november", "december")
WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
TYPE_LABELS = {"beslut": "Beslut", "information": "Information", "anmälan": "Anmälan"}


def _today() -> date:
    return date.today()


def _text_arg(name: str) -> str:
    value = request.args.get(name, "").strip()
    if len(value) > MAX_FILTER_LENGTH:
        raise BadParameter(f"{name} är för lång (högst {MAX_FILTER_LENGTH} tecken)")
    return value


def _year_arg() -> int | None:
    text = request.args.get("ar", "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1900 <= int(text) <= 2100:
        raise BadParameter("ar ska vara ett årtal, till exempel 2024")
    return int(text)


def _month_label(month: str) -> str:
    """"2024-05" as "maj 2024"."""
    return f"{MONTHS[int(month[5:7]) - 1]} {month[:4]}"


def _long_date(iso: str) -> str:
    """"2024-05-06" as "måndag 6 maj 2024"."""
    day = date.fromisoformat(iso)
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def appeal_view(anslagsdatum: str, deadline: str, today: date) -> dict[str, Any]:
    """What the site says about appealing: {state, deadline}; state is "open" while the
    appeal can come in, "closed" after, "not_posted" before the minutes are posted."""
    if not anslagsdatum or not deadline:
        return {"state": "not_posted", "deadline": ""}
    return {"state": "open" if mt.appeal_open(deadline, today) else "closed",
            "deadline": deadline}


@bp.get("/sammantraden")
def meetings() -> Any:
    """The meetings list: per committee, one year at a time, grouped by month."""
    svc = services()
    organisation, namnd, year = _text_arg("organisation"), _text_arg("namnd"), _year_arg()
    store = svc.store()
    all_committees = mt.committees(store, svc.settings)
    years = mt.meeting_years(store, organisation or None, namnd or None)
    if year is None and years:
        year = years[0]
    found = mt.list_meetings(store, svc.settings, organisation or None, namnd or None, year)
    selected = next((c for c in all_committees if c.namnd.casefold() == namnd.casefold()
                     and (not organisation or c.organisation == organisation)), None) \
        if namnd else None
    return render_template(
        "meetings.html", committees=all_committees, selected=selected,
        organisation=organisation, namnd=namnd, year=year, years=years,
        months=[(_month_label(m), rows) for m, rows in mt.months(found)],
        count=len(found), long_date=_long_date,
    )


@bp.get(f"/sammantraden/<int(max={MAX_ID}):meeting_id>")
def meeting(meeting_id: int) -> Any:
    """One meeting: committee, date, place, notice, minutes, every item and its cases."""
    svc = services()
    found = mt.public_meeting(svc.store(), svc.settings, meeting_id)
    return render_template(
        "meeting.html", meeting=found, long_date=_long_date, type_labels=TYPE_LABELS,
        appeal=appeal_view(found.anslagsdatum, found.appeal_deadline, _today()),
    )


@bp.get("/sammantraden/protokoll.atom")
def minutes_feed() -> Any:
    """An Atom feed of new minutes, of one committee (namnd, organisation) or of all."""
    svc = services()
    organisation, namnd = _text_arg("organisation"), _text_arg("namnd")
    found = mt.list_meetings(svc.store(), svc.settings, organisation or None, namnd or None,
                             limit=FEED_SIZE, minutes_only=True)
    described = namnd or "alla nämnder"
    ET.register_namespace("", feeds.ATOM_NS)
    ns = feeds.ATOM_NS
    root = ET.Element(f"{{{ns}}}feed", {"xml:lang": "sv"})
    site_title = services().settings.section("web").get("title", "Sökbart diarium")
    feeds._text(root, "title", f"{site_title}: nya protokoll, {described}")
    page_url = url_for("meetings.meetings", _external=True, **_committee_args(
        organisation, namnd))
    feeds._text(root, "id", page_url)
    stamps = [_posted(m) for m in found]
    feeds._text(root, "updated", _timestamp(max(stamps)) if stamps else
                datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    ET.SubElement(root, f"{{{ns}}}link", {"rel": "self", "href": request.url,
                                          "type": "application/atom+xml"})
    ET.SubElement(root, f"{{{ns}}}link", {"rel": "alternate", "href": page_url,
                                          "type": "text/html"})
    author = ET.SubElement(root, f"{{{ns}}}author")
    feeds._text(author, "name", "diarium")
    for m in found:
        entry = ET.SubElement(root, f"{{{ns}}}entry")
        url = url_for("meetings.meeting", meeting_id=m.meeting_id, _external=True)
        feeds._text(entry, "title", f"Protokoll {m.namnd} {m.datum}")
        feeds._text(entry, "id", url)
        feeds._text(entry, "updated", _timestamp(_posted(m)))
        ET.SubElement(entry, f"{{{ns}}}link", {"rel": "alternate", "href": url,
                                               "type": "text/html"})
        parts = [m.organisation_name, f"{m.items} paragrafer"]
        if m.anslagsdatum:
            parts.append(f"anslaget {m.anslagsdatum}, kan överklagas till och med "
                         f"{mt.deadline_of(m.anslagsdatum)}")
        feeds._text(entry, "summary", " · ".join(parts))
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, headers={"Content-Type": feeds.ATOM_MEDIA_TYPE})


def _posted(m: mt.MeetingSummary) -> str:
    return m.anslagsdatum or m.justerat or m.datum


def _timestamp(iso: str) -> str:
    return f"{iso[:10]}T00:00:00Z"


def _committee_args(organisation: str, namnd: str) -> dict[str, str]:
    return {k: v for k, v in (("organisation", organisation), ("namnd", namnd)) if v}


def case_context(case_id: int) -> dict[str, Any]:
    """What the case page shows about meetings: the items that handled the case (with
    what may be said about appealing) and, for a meeting's folder case, its meeting id."""
    svc = services()
    store = svc.store()
    today = _today()
    decisions = [
        {"decision": d, "appeal": appeal_view(d.anslagsdatum, d.appeal_deadline, today)}
        for d in mt.case_decisions(store, svc.settings, case_id)
    ]
    return {"meeting_decisions": decisions,
            "folder_meeting_id": mt.meeting_of_case(store, case_id)}


def install(app: Any) -> None:
    """Register the pages and the API and make `case_context` available to views."""
    app.register_blueprint(bp)
    app.register_blueprint(api_bp, url_prefix="/api")


# --- JSON API ------------------------------------------------------------------------------


@api_bp.after_request
def _open_to_other_sites(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _summary_json(m: mt.MeetingSummary) -> dict[str, Any]:
    from diarium.web.api import to_jsonable

    data = to_jsonable(m)
    data["appeal_deadline"] = mt.deadline_of(m.anslagsdatum)
    data["url"] = url_for("meetings.meeting", meeting_id=m.meeting_id, _external=True)
    data["api_url"] = url_for("meetings_api.meeting_json", meeting_id=m.meeting_id,
                              _external=True)
    return data


@api_bp.get("/v1/meetings")
def meetings_json() -> Any:
    """Meetings, newest first (organisation, namnd, ar filter; at most 500)."""
    svc = services()
    organisation, namnd, year = _text_arg("organisation"), _text_arg("namnd"), _year_arg()
    found = mt.list_meetings(svc.store(), svc.settings, organisation or None, namnd or None,
                             year, limit=API_LIMIT)
    from diarium.web.api import to_jsonable

    return jsonify({
        "meetings": [_summary_json(m) for m in found],
        "committees": to_jsonable(mt.committees(svc.store(), svc.settings)),
    })


@api_bp.get(f"/v1/meetings/<int(max={MAX_ID}):meeting_id>")
def meeting_json(meeting_id: int) -> Any:
    """One meeting with its items, notice and minutes (public records)."""
    from diarium.web.api import record_json, to_jsonable

    svc = services()
    found = mt.public_meeting(svc.store(), svc.settings, meeting_id)
    data = to_jsonable(found)
    data["kallelse"] = record_json(found.kallelse) if found.kallelse else None
    data["protokoll"] = record_json(found.protokoll) if found.protokoll else None
    for item in data["items"]:
        for link in item["cases"]:
            link["url"] = (url_for("site.case", case_id=link["case_id"], _external=True)
                           if link["case_id"] is not None else None)
    data["url"] = url_for("meetings.meeting", meeting_id=meeting_id, _external=True)
    return jsonify(data)


@api_bp.get(f"/v1/cases/<int(max={MAX_ID}):case_id>/meetings")
def case_meetings_json(case_id: int) -> Any:
    """The public items that handled a case, with their appeal deadlines."""
    from diarium.web.api import to_jsonable

    svc = services()
    store = svc.store()
    if store.conn.execute("SELECT 1 FROM cases WHERE id = ?", (case_id,)).fetchone() is None:
        raise NotFound(f"no case {case_id}")
    decisions = mt.case_decisions(store, svc.settings, case_id)
    out = []
    for d in decisions:
        data = to_jsonable(d)
        data["meeting_url"] = url_for("meetings.meeting", meeting_id=d.meeting_id,
                                      _external=True)
        out.append(data)
    return jsonify({"case_id": case_id, "decisions": out})


def openapi_paths() -> dict[str, Any]:
    """The meetings API in the OpenAPI document (web/openapi.py merges it)."""
    error = {"description": "Okänt sammanträde eller ärende.",
             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    bad = {"description": "Felaktig parameter (meddelandet säger vilken).",
           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    string, integer = {"type": "string"}, {"type": "integer"}
    date_ = {"type": "string", "description": "ISO-datum, eller tom sträng"}
    summary_schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "meeting_id": integer, "organisation": string, "organisation_name": string,
            "namnd": string, "datum": date_, "tid": string, "plats": string,
            "justerat": date_, "anslagsdatum": date_, "items": integer,
            "has_protokoll": {"type": "boolean"},
            "appeal_deadline": {**date_, "description": "Sista dag för laglighetsprövning "
                                "(tre veckor från anslagsdatum, flyttad förbi helgdagar)"},
            "url": string, "api_url": string,
        },
    }
    item_schema = {
        "type": "object",
        "properties": {
            "paragraf": integer, "rubrik": string, "beslut": string,
            "typ": {"type": "string", "enum": ["beslut", "information", "anmälan"]},
            "secret": {"type": "boolean"}, "sekretess_text": string,
            "cases": {"type": "array", "items": {"type": "object", "properties": {
                "diarienummer": string, "case_id": {"type": ["integer", "null"]},
                "url": {"type": ["string", "null"]}}}},
        },
    }
    document = {"oneOf": [{"$ref": "#/components/schemas/Record"}, {"type": "null"}]}

    def ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"description": description, "content": {"application/json": {"schema": schema}}}

    def path_id(name: str) -> dict[str, Any]:
        return {"name": name, "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 0}}

    filters = [
        {"name": "organisation", "in": "query", "schema": string},
        {"name": "namnd", "in": "query", "schema": string,
         "description": "Nämnden som den skrivs, skiftlägesokänsligt"},
        {"name": "ar", "in": "query", "schema": {"type": "integer", "minimum": 1900,
                                                 "maximum": 2100}},
    ]
    return {
        "/api/v1/meetings": {"get": {
            "operationId": "listMeetings", "summary": "Sammanträden, nyast först (högst 500)",
            "parameters": filters,
            "responses": {"200": ok("Sammanträdena och nämnderna", {
                "type": "object", "properties": {
                    "meetings": {"type": "array", "items": summary_schema},
                    "committees": {"type": "array", "items": {"type": "object"}}}}),
                "400": bad},
        }},
        "/api/v1/meetings/{meeting_id}": {"get": {
            "operationId": "getMeeting",
            "summary": "Ett sammanträde med kallelse, protokoll och paragrafer",
            "parameters": [path_id("meeting_id")],
            "responses": {"200": ok("Sammanträdet", {
                "type": "object", "properties": {
                    **summary_schema["properties"], "case_id": {"type": ["integer", "null"]},
                    "kallelse": document, "protokoll": document,
                    "items": {"type": "array", "items": item_schema}},
                "additionalProperties": True}),
                "404": error},
        }},
        "/api/v1/cases/{case_id}/meetings": {"get": {
            "operationId": "getCaseMeetings",
            "summary": "Var ett ärende behandlades: nämnd, datum, paragraf, beslut",
            "parameters": [path_id("case_id")],
            "responses": {"200": ok("Ärendets behandlingar", {
                "type": "object", "properties": {
                    "case_id": integer,
                    "decisions": {"type": "array", "items": {"type": "object", "properties": {
                        "meeting_id": integer, "namnd": string, "datum": date_,
                        "paragraf": integer, "rubrik": string, "beslut": string,
                        "typ": string, "anslagsdatum": date_, "appeal_deadline": date_,
                        "meeting_url": string}}}}}),
                "404": error},
        }},
    }
