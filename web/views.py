"""The site's pages: search, case, document, download, feed, exports, about pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    send_from_directory,
    stream_with_context,
    url_for,
)
from markupsafe import Markup

from diarium import suggest
from diarium.diarienummer import try_parse
from diarium.errors import EngineUnavailable
from diarium.hybrid import related_documents, shared
from diarium.public import PublicRecord, public_case, public_record
from diarium.search import FACETS, SORTS, Hit, SearchResult
from diarium.web import export, feeds, meetings
from diarium.web.app import services
from diarium.web.highlight import find_marks, render_marks, render_snippet
from diarium.web.params import (
    FEED_SIZE,
    MAX_QUERY_LENGTH,
    MAX_RESULT_WINDOW,
    SORT_LABELS,
    SearchState,
    export_limit,
    parse_state,
)

bp = Blueprint("site", __name__)
MAX_ID = 2**63 - 1            # SQLite's largest integer: a longer id cannot exist
_SHA256 = re.compile(r"[0-9a-f]{64}")
PAGE_WINDOW = 2               # page links shown either side of the current page


def _state() -> SearchState:
    return parse_state(request.args.to_dict(flat=False))


def _document_url(doc_id: str) -> str:
    return url_for("site.document", doc_id=int(doc_id), _external=True)


@bp.get("/")
def search() -> Any:
    """The search page; with no query it lists the newest records."""
    state = _state()
    result = services().search(state.request())
    last = max(1, -(-min(result.total, MAX_RESULT_WINDOW) // state.per_page))
    if state.page > last:
        # Past the end (an old bookmark, fewer hits now): show the last page instead.
        target = state.query_string(page=last)
        return redirect(url_for("site.search") + ("?" + target if target else ""))
    single_case = _single_case(result) if state.dnr else None
    # A case number the parser cannot read gets a hint, not an error: the search still
    # runs (the written form may match as text).
    dnr_unreadable = bool(state.dnr) and not _readable_dnr(state.dnr)
    return render_template(
        "search.html", state=state, result=result, facets=_facet_view(state, result),
        presets=_date_presets(state),
        dnr_unreadable=dnr_unreadable,
        pages=_pages(state, result), single_case=single_case,
        suggestion=suggestion_view(state, result),
        # Links of every hit share these prefixes; building each with url_for is slow.
        doc_base=url_for("site.search") + "handling/", case_base=url_for("site.search") + "arende/",
    )


def suggestion_view(state: SearchState, result: SearchResult) -> dict[str, Any] | None:
    """"Menade du": the corrected search box text, its link (the rest of the search, its
    filters, dates and case number, kept) and its total; None without a suggestion."""
    suggestion = result.suggestion
    if suggestion is None or not state.q:
        return None
    orgs = tuple(services().settings.organisations.values())
    corrected = suggest.corrected(state.q, dict(suggestion.corrections), orgs)
    if corrected is None:
        return None
    return {"q": corrected, "total": suggestion.total,
            "href": "?" + state.query_string(q=corrected, page=1)}


def _date_presets(state: SearchState) -> list[tuple[str, str, bool]]:
    """Shortcuts that diary sites offer (today's post, this week's): (label, href, active)
    with the rest of the search kept."""
    today = date.today()
    presets = []
    for label, days in (("Registrerat i dag", 0), ("Senaste veckan", 6),
                        ("Senaste månaden", 30)):
        start = (today - timedelta(days=days)).isoformat()
        active = state.date_from == start and state.date_to in ("", today.isoformat())
        presets.append((label, "?" + state.query_string(date_from=start,
                                                       date_to=today.isoformat(), page=1),
                        active))
    return presets


def _readable_dnr(text: str) -> bool:
    """True when some organisation's diarienummer rules (or the general ones) read it."""
    orgs = [None, *services().settings.organisations.values()]
    return any(try_parse(text, org) is not None for org in orgs)


def _single_case(result: SearchResult) -> PublicRecord | None:
    """When every hit belongs to one case, one of its records (to offer the case page)."""
    cases = {hit.record.case_id for hit in result.hits}
    return result.hits[0].record if len(cases) == 1 and result.total else None


def _facet_view(state: SearchState, result: SearchResult) -> list[dict[str, Any]]:
    """Facets as the template shows them: values with counts, selected ones first-class."""
    settings = services().settings
    # Organisations are filtered by slug but shown by name: from diarium.toml, else as
    # the records on this page name them.
    org_names = {h.record.organisation: h.record.organisation_name for h in result.hits}
    view = []
    for facet in FACETS:
        counted = list(result.facets.get(facet.name, ()))
        seen = {v.value for v in counted}
        values = [(v.value, v.count) for v in counted]
        # A selected value with no hits still shows, so it can be switched off.
        values += [(v, 0) for v in state.filters.get(facet.name, ()) if v not in seen]
        if facet.kind == "year":
            values.sort(key=lambda item: item[0], reverse=True)
        if not values:
            continue
        toggle = state.toggler(facet.name)
        view.append({
            "name": facet.name,
            "label": facet.label,
            "values": [
                {
                    "value": value,
                    "label": (settings.org(value).name or org_names.get(value) or value
                              if facet.name == "organisation"
                              else _facet_label(facet.kind, value)),
                    "count": count,
                    "selected": state.selected(facet.name, value),
                    "href": "?" + toggle(value),
                }
                for value, count in values
            ],
        })
    return view


def _facet_label(kind: str, value: str) -> str:
    if kind == "bool":
        return {"true": "Ja", "false": "Nej"}.get(value, value)
    return value or "(uppgift saknas)"


def _pages(state: SearchState, result: SearchResult) -> dict[str, Any]:
    """Paging links: previous, next, first, last and a window around the current page."""
    reachable = min(result.total, MAX_RESULT_WINDOW)
    last = max(1, -(-reachable // state.per_page))
    current = min(state.page, last) if result.total else 1
    window = range(max(1, current - PAGE_WINDOW), min(last, current + PAGE_WINDOW) + 1)
    return {
        "current": current,
        "last": last,
        "window": [(n, "?" + state.query_string(page=n)) for n in window],
        "first_href": "?" + state.query_string(page=1),
        "last_href": "?" + state.query_string(page=last),
        "prev": "?" + state.query_string(page=current - 1) if current > 1 else None,
        "next": "?" + state.query_string(page=current + 1) if current < last else None,
        "capped": result.total > MAX_RESULT_WINDOW,
    }


@bp.get(f"/arende/<int(max={MAX_ID}):case_id>")
def case(case_id: int) -> Any:
    """A case's register data and its documents in order."""
    svc = services()
    found = public_case(svc.store(), svc.settings, case_id)
    if found is None:
        abort(404)
    return render_template("case.html", case=found, q=_carried_query(),
                           **meetings.case_context(case_id))


def _carried_query() -> str:
    """The query a visitor arrived with (to highlight it), bounded; never an error."""
    return request.args.get("q", "")[:MAX_QUERY_LENGTH]


def _record(doc_id: int) -> PublicRecord:
    svc = services()
    found = public_record(svc.store(), svc.settings, str(doc_id))
    if found is None:
        abort(404)
    return found


@bp.get(f"/handling/<int(max={MAX_ID}):doc_id>")
def document(doc_id: int) -> Any:
    """A document's register data, public text (query highlighted) and download link."""
    record = _record(doc_id)
    q = _carried_query()
    pages = record.pages if record.pages else ((record.text,) if record.text else ())
    marks = [find_marks(page, q) if q else [] for page in pages]
    return render_template(
        "document.html", record=record, q=q, marked=any(marks),
        pages=[render_marks(page, found) for page, found in zip(pages, marks, strict=True)],
        request_mailto=_request_mailto(record),
        related=related_hits(record),
    )


def related_hits(record: PublicRecord) -> list[Hit]:
    """"Liknande handlingar" of a document (diarium.hybrid); [] for a secret one, when
    semantic search is off, or when the engine cannot be reached (the page still shows)."""
    if record.secret:
        return []
    svc = services()
    try:
        return related_documents(shared(svc.settings), svc.backend(), record.doc_id)
    except EngineUnavailable:
        return []


def _request_mailto(record: PublicRecord) -> str:
    """A mailto: link to the organisation's registry, prefilled with diarienummer and
    löpnummer; "" when the organisation has no registry address configured."""
    email = services().settings.org(record.organisation).registry_email.strip()
    if not email or "@" not in email:
        return ""
    subject = f"Begäran om allmän handling {record.diarienummer}:{record.lopnummer}"
    body = (
        "Hej!\n\nJag begär att få ta del av följande allmänna handling:\n"
        f"Diarienummer: {record.diarienummer}\nLöpnummer: {record.lopnummer}\n"
        f"Datum: {record.datum}\nHandlingstyp: {record.handlingstyp}\n\n"
        "Jag vill helst få den som kopia via e-post.\n\nMed vänliga hälsningar\n"
    )
    return (f"mailto:{quote(email, safe='@')}?subject={quote(subject, safe='')}"
            f"&body={quote(body, safe='')}")


@bp.get(f"/handling/<int(max={MAX_ID}):doc_id>/fil")
def download(doc_id: int) -> Any:
    """The public original of a document, as an attachment with its own content type."""
    record = _record(doc_id)
    if not record.has_file:
        abort(404)
    svc = services()
    row = svc.store().conn.execute(
        "SELECT df.sha256, df.name, f.media_type FROM document_files df "
        "JOIN files f ON f.sha256 = df.sha256 "
        "WHERE df.document_id = ? AND df.role = 'original' ORDER BY df.position LIMIT 1",
        (doc_id,),
    ).fetchone()
    if row is None or not _SHA256.fullmatch(row["sha256"]):
        abort(404)
    # The path is built from a checked hex digest, never from anything in the URL.
    path = svc.settings.file_path(row["sha256"])
    if not path.is_file():
        abort(404)
    media_type = record.media_type or row["media_type"] or "application/octet-stream"
    name = record.file_name or row["name"] or f"handling-{doc_id}"
    response = send_file(path, mimetype=media_type, as_attachment=True,
                         download_name=_safe_name(name), conditional=True, etag=row["sha256"])
    # Revalidate every time (cheap: the ETag is the content hash): a document made secret
    # or withdrawn must stop being served at once, also by caches in between.
    response.headers["Cache-Control"] = "no-cache"
    return response


def _safe_name(name: str) -> str:
    """A download name without folders or control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?').strip(". ")
    return cleaned or "handling"


@bp.get("/bevakning.atom")
def feed() -> Any:
    """An Atom feed of the newest records matching the search (bevakning)."""
    state = _state()
    result = services().search(
        replace(state.request(sort="newest", page=1, per_page=FEED_SIZE), with_facets=False,
                suggest=False))
    described = state.q or state.dnr or "alla handlingar"
    body = feeds.build_feed(
        title=f"{current_app.config['SITE_TITLE']}: {described}",
        feed_url=request.url,
        search_url=url_for("site.search", _external=True) + _qs(state),
        hits=list(result.hits),
        document_url=_document_url,
        feed_id=url_for("site.feed", _external=True) + _qs(state),
    )
    return Response(body, mimetype="application/atom+xml",
                    headers={"Content-Type": feeds.ATOM_MEDIA_TYPE})


def _qs(state: SearchState) -> str:
    text = state.query_string(page=1, sort="")
    return "?" + text if text else ""


def _export_hits(state: SearchState, limit: int) -> tuple[int, Iterator[Any]]:
    svc = services()
    # One cheap search first, so an engine that is down gives a 503 page here and not a
    # response cut off in the middle of the stream.
    first = svc.search(replace(state.request(page=1, per_page=1), with_facets=False,
                               suggest=False))
    request_ = replace(state.request(page=1), suggest=False)
    return first.total, export.iter_hits(svc.search, request_, limit)


@bp.get("/export.csv")
def export_csv() -> Any:
    """The result list as CSV (streamed; at most `max` rows, capped at EXPORT_MAX)."""
    state = _state()
    limit = export_limit(request.args.to_dict(flat=False))
    _total, hits = _export_hits(state, limit)
    return Response(
        stream_with_context(export.csv_rows(hits, _document_url)),
        headers={"Content-Type": export.CSV_MEDIA_TYPE,
                 "Content-Disposition": 'attachment; filename="diarium-export.csv"'},
    )


@bp.get("/export.json")
def export_json() -> Any:
    """The result list as JSON (streamed; capped like the CSV export)."""
    state = _state()
    limit = export_limit(request.args.to_dict(flat=False))
    total, hits = _export_hits(state, limit)
    return Response(
        stream_with_context(export.json_chunks(hits, total, limit, _document_url)),
        headers={"Content-Type": export.JSON_MEDIA_TYPE,
                 "Content-Disposition": 'attachment; filename="diarium-export.json"'},
    )


@bp.get("/om")
def about() -> Any:
    return render_template("about.html")


@bp.get("/tillganglighet")
def accessibility() -> Any:
    return render_template("accessibility.html")


@bp.get("/static/org/<path:filename>")
def org_static(filename: str) -> Any:
    """A deployment's own files (logo, colours) from <data>/static/; send_from_directory
    refuses paths that leave that folder."""
    return send_from_directory(services().settings.data_dir / "static", filename)


def _thousands(value: int) -> str:
    """A count the Swedish way: 12 345 (with a no-break space)."""
    return f"{value:,}".replace(",", "\u00a0")


def install_template_helpers(app: Flask) -> None:
    """Filters and globals the templates use."""
    app.add_template_filter(render_snippet, "snippet")
    app.add_template_filter(_thousands, "thousands")

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {
            "site_title": app.config["SITE_TITLE"],
            "site_intro": app.config["SITE_INTRO"],
            "sort_labels": SORT_LABELS,
            "sorts": SORTS,
            "max_query_length": MAX_QUERY_LENGTH,
            "Markup": Markup,
        }
