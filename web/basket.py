"""Begär ut (issue 15): a basket of documents and the request page of
diarium.document_requests.

"Lägg till i begäran" on result rows and document pages is a small POST form, so the
basket works without JavaScript; it is held in the signed session cookie (at most
MAX_DOCUMENTS ids), and /begaran?d=1&d=2 fills it from a link. /begaran shows the
documents by organisation and the request form (anonymous, or a name and an address for
the reply; e-post, papper or på plats), protected by a CSRF token, a honeypot field and
per-address and per-IP rate limits. Bad input gives a Swedish message, never a 500.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, redirect, render_template, request, session, url_for

from diarium import document_requests as dr
from diarium.ratelimit import RateLimited
from diarium.web.alerts import base_url, client_ip, csrf_ok, deliver_now, honeypot_filled
from diarium.web.app import services

bp = Blueprint("basket", __name__)
KEY = "begaran"


def basket() -> list[str]:
    """The doc ids in this visitor's basket (read without creating a session)."""
    value = session.get(KEY) if KEY in session else None
    if not isinstance(value, list):
        return []
    return [str(v) for v in value if str(v).isdigit()][:dr.MAX_DOCUMENTS]


def _save(ids: list[str]) -> None:
    session[KEY] = list(dict.fromkeys(ids))[:dr.MAX_DOCUMENTS]


def _doc_id(value: str) -> str:
    value = value.strip()
    if not value.isdigit() or len(value) > 18:
        abort(400)
    return str(int(value))


def _back(default: str) -> str:
    """The page to return to: a path on this site only (no open redirect)."""
    target = request.form.get("next", "")
    parts = urlsplit(target)
    if (not target.startswith("/") or target.startswith("//") or parts.scheme
            or parts.netloc or "\\" in target or len(target) > 2000):
        return default
    return target


@bp.post("/begaran/lagg-till")
def add() -> Any:
    """Add a document to the basket and go back to the page the visitor came from."""
    if not services().settings.smtp.configured:
        abort(404)
    doc = _doc_id(request.form.get("doc", ""))
    ids = basket()
    if doc not in ids:
        if len(ids) >= dr.MAX_DOCUMENTS:
            return render_template("basket.html", **_context(
                error=f"Begäran rymmer högst {dr.MAX_DOCUMENTS} handlingar.")), 400
        ids.append(doc)
    _save(ids)
    return redirect(_back(url_for("basket.page")), code=303)


@bp.post("/begaran/ta-bort")
def remove() -> Any:
    doc = _doc_id(request.form.get("doc", ""))
    _save([d for d in basket() if d != doc])
    return redirect(url_for("basket.page"), code=303)


def _context(**extra: Any) -> dict[str, Any]:
    svc = services()
    records = dr.basket_records(svc.store(), svc.settings, basket())
    groups: dict[str, list[Any]] = {}
    for record in records:
        groups.setdefault(record.organisation_name or record.organisation, []).append(record)
    values = {"groups": groups, "count": len(records), "error": "",
              "missing": dr.missing_registry(svc.settings, records), "forms": dr.FORMS,
              "form": dr.RequestForm()}
    values.update(extra)
    return values


@bp.get("/begaran")
def page() -> Any:
    """The basket and the request form; ?d=<id> (repeatable) adds documents from a link."""
    if not services().settings.smtp.configured:
        abort(404)
    linked = request.args.getlist("d")[:dr.MAX_DOCUMENTS]
    if linked:
        ids = basket()
        ids.extend(str(int(v)) for v in linked if v.isdigit() and len(v) <= 18)
        _save(ids)
    return render_template("basket.html", **_context())


@bp.post("/begaran")
def send() -> Any:
    """Send the request: one mail per organisation, a receipt when an address is given."""
    if not services().settings.smtp.configured:
        abort(404)
    form = dr.RequestForm(
        form=request.form.get("form", "e-post"),
        name=request.form.get("name", "")[:300],
        email=request.form.get("email", "")[:300],
        postal_address=request.form.get("postal_address", "")[:600],
        message=request.form.get("message", "")[:dr.MAX_TEXT + 100],
    )
    if not csrf_ok():
        return render_template("basket.html", **_context(
            form=form, error="Formuläret hade gått ut. Skicka det igen.")), 400
    if honeypot_filled():
        _save([])
        return render_template("basket_sent.html", organisations=(), receipt=False)
    svc = services()
    try:
        sent = dr.submit(svc.store(), svc.settings, basket(), form, base_url(),
                         ip=client_ip())
    except RateLimited:
        return render_template("basket.html", **_context(
            form=form, error="Du har skickat många begäranden på kort tid. Försök igen "
                             "senare, eller kontakta registraturen direkt.")), 429
    except dr.RequestError as exc:
        return render_template("basket.html", **_context(
            form=form, error=_message(str(exc)))), 400
    deliver_now(sent.message_ids)
    _save([])
    return render_template("basket_sent.html", organisations=sent.organisations,
                           receipt=sent.receipt)


def _message(reason: str) -> str:
    if "no documents" in reason:
        return "Begäran är tom. Lägg till handlingar från sökningen eller handlingssidorna."
    if "address" in reason and "registry" not in reason:
        return "Skriv en giltig e-postadress, eller lämna fältet tomt för att vara anonym."
    if "registry" in reason:
        return "En av myndigheterna tar inte emot begäranden här. Kontakta den direkt."
    if "postal" in reason:
        return "Skriv en postadress om du vill ha papperskopior."
    return "Välj hur du vill ta del av handlingarna."


def install(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def _basket_globals() -> dict[str, Any]:
        return {"basket_size": lambda: len(basket())}
