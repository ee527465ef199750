"""Bevakning via e-post (issue 15): the pages of diarium.alerts, and what the site's forms
that send mail share: the signing secret, the CSRF token, the honeypot and delivering a
just-queued mail.

Pages: /bevakning/ny (the form, from a search or a case page), /bevakning/bekrafta/<token>
(confirm, from the mail), /bevakning/avsluta/<token> (unsubscribe; a POST there is RFC
8058's one-click unsubscribe and needs no CSRF token: the token in the address is the
authority), /bevakning/hantera (ask for the link to all of an address's alerts) and
/bevakning/hantera/<token> (list and end them).

The forms are only offered when `[smtp]` is configured. Sessions (a signed cookie holding
the CSRF token and the basket) are used on these pages only, never on search pages.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    render_template,
    request,
    session,
)

from diarium import alerts, mail
from diarium.config import Settings
from diarium.errors import DiariumError
from diarium.pipeline.indexing import last_seq
from diarium.public import public_case
from diarium.ratelimit import RateLimited
from diarium.web.app import services
from diarium.web.params import parse_state

log = logging.getLogger(__name__)
bp = Blueprint("alerts", __name__)
SECRET_FILE = "secret_key"
HONEYPOT = "webbplats"          # a field people never see; bots fill it in
FREQUENCY_CHOICES = (("direkt", "Direkt när något nytt kommer"),
                     ("dagligen", "En gång om dagen"), ("veckovis", "En gång i veckan"))


# -- shared by the mail forms -----------------------------------------------------------


def site_secret(settings: Settings) -> bytes:
    """The key that signs the session cookie: $DIARIUM_SECRET_KEY, else <data>/secret_key,
    created (readable by its owner only) on first use."""
    from_env = os.environ.get("DIARIUM_SECRET_KEY", "")
    if from_env:
        return from_env.encode("utf-8")
    path = Path(settings.data_dir) / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_urlsafe(48))
    return path.read_bytes().strip()


def mail_enabled() -> bool:
    return services().settings.smtp.configured


def csrf_token() -> str:
    """This visitor's CSRF token (kept in the session), for a hidden form field."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        session["csrf"] = token
    return token


def csrf_ok() -> bool:
    sent = request.form.get("csrf", "")
    token = session.get("csrf")
    return isinstance(token, str) and hmac.compare_digest(sent.encode(), token.encode())


def honeypot_filled() -> bool:
    return bool(request.form.get(HONEYPOT, "").strip())


def base_url() -> str:
    """The site's address for links in mails: smtp.base_url, else this request's host."""
    return services().settings.smtp.base_url or request.url_root.rstrip("/")


def client_ip() -> str:
    """The visitor's IP address for the rate limits. Behind a reverse proxy every request
    comes from the proxy: `[web] trusted_proxies = N` takes the address the N-th proxy
    from the right of X-Forwarded-For saw (the one nginx sets), as werkzeug's ProxyFix
    does."""
    try:
        hops = int(services().settings.section("web").get("trusted_proxies", 0))
    except (TypeError, ValueError):
        hops = 0
    if hops > 0:
        forwarded = [p.strip() for p in request.headers.get("X-Forwarded-For", "").split(",")
                     if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops][:64]
    return request.remote_addr or ""


def deliver_now(message_ids: Sequence[str]) -> None:
    """Try to send just-queued mails at once; whatever fails stays queued for
    `diarium mail send` (the visitor's action succeeded either way)."""
    svc = services()
    try:
        mail.deliver(svc.store(), svc.settings.smtp, message_ids=list(message_ids))
    except DiariumError as exc:
        log.warning("mail stays queued: %s", exc)


def install(app: Flask) -> None:
    """Register the alert pages, the session secret and the template helpers."""
    if not app.secret_key:
        app.secret_key = site_secret(services_settings(app))
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.register_blueprint(bp)

    # Globals, not a context processor: the shared macros (_macros.html, imported without
    # context) call them too.
    app.jinja_env.globals.update(mail_enabled=mail_enabled, csrf_token=csrf_token,
                                 honeypot_name=HONEYPOT, current_path=current_path)


def current_path() -> str:
    """This page's path and query string, to come back to after a form."""
    return request.full_path.rstrip("?")


def services_settings(app: Flask) -> Settings:
    return app.extensions["diarium"].settings


# -- the pages --------------------------------------------------------------------------


def _spec_from_request(args: Any) -> alerts.AlertSpec:
    """What to watch: a case (?arende=<id>) or a search (the search page's parameters)."""
    svc = services()
    case_id = args.get("arende", "")
    if case_id:
        if not case_id.isdigit() or len(case_id) > 18:
            abort(404)
        found = public_case(svc.store(), svc.settings, int(case_id))
        if found is None:
            abort(404)
        label = f"ärende {found.diarienummer}"
        if found.arendemening:
            label += f" ({found.arendemening})"
        state = parse_state({"dnr": [found.diarienummer]})
        return alerts.AlertSpec(label=label, query=state.query_text(),
                                search_qs=state.query_string(page=1))
    state = parse_state({k: v for k, v in args.to_dict(flat=False).items()
                         if k not in ("arende",)})
    words = state.q or state.dnr
    label = f"sökningen ”{words}”" if words else "alla nya handlingar"
    if state.filters:
        label += " (" + ", ".join(
            f"{name}: {' eller '.join(values)}" for name, values in state.filters.items()) + ")"
    req = state.request()
    return alerts.AlertSpec(label=label, query=req.query, filters=dict(req.filters),
                            date_from=state.date_from, date_to=state.date_to,
                            search_qs=state.query_string(page=1))


@bp.route("/bevakning/ny", methods=["GET", "POST"])
def new() -> Any:
    """The form: address and frequency; POST stores the alert and mails the confirmation."""
    if not mail_enabled():
        abort(404)
    source = request.args if request.method == "GET" else request.form
    spec = _spec_from_request(source)
    hidden = _hidden_fields(source)
    if request.method == "GET":
        return render_template("alert_new.html", spec=spec, hidden=hidden, error="",
                               email="", frequency="dagligen",
                               choices=FREQUENCY_CHOICES)
    email = request.form.get("email", "")[:300]
    frequency = request.form.get("frequency", "")
    if not csrf_ok():
        return _form_error(spec, hidden, email, frequency, 400,
                           "Formuläret hade gått ut. Skicka det igen.")
    if honeypot_filled():
        return render_template("alert_check_mail.html", email=email)
    svc = services()
    try:
        message_id = alerts.subscribe(svc.store(), svc.settings, email, frequency, spec,
                                      base_url(), ip=client_ip())
    except RateLimited:
        return _form_error(spec, hidden, email, frequency, 429,
                           "Du har bett om för många bevakningar på kort tid. Försök igen "
                           "senare.")
    except alerts.AlertError as exc:
        message = ("Skriv en giltig e-postadress, till exempel namn@example.se."
                   if "address" in str(exc) else
                   "Välj hur ofta du vill få e-post." if "frequency" in str(exc) else
                   "Adressen har redan för många bevakningar. Avsluta några först.")
        return _form_error(spec, hidden, email, frequency, 400, message)
    deliver_now([message_id])
    return render_template("alert_check_mail.html", email=email)


def _hidden_fields(source: Any) -> list[tuple[str, str]]:
    """The search (or case) parameters carried through the form, bounded."""
    keep = []
    for key in source:
        if key in ("email", "frequency", "csrf", HONEYPOT):
            continue
        for value in source.getlist(key)[:30]:
            keep.append((key[:50], value[:500]))
    return keep[:60]


def _form_error(spec: alerts.AlertSpec, hidden: list[tuple[str, str]], email: str,
                frequency: str, status: int, message: str) -> Any:
    return render_template("alert_new.html", spec=spec, hidden=hidden, error=message,
                           email=email, frequency=frequency or "dagligen",
                           choices=FREQUENCY_CHOICES), status


@bp.route("/bevakning/bekrafta/<token>", methods=["GET", "POST"])
def confirm(token: str) -> Any:
    """GET shows a button (so a mail scanner following links confirms nothing); POST
    confirms the alert."""
    if len(token) > 100:
        abort(404)
    if request.method == "GET":
        return render_template("alert_confirm.html", token=token, done=None)
    svc = services()
    seq = last_seq(svc.store(), svc.backend().state_name) or 0
    found = alerts.confirm(svc.store(), token, seq)
    status = 200 if found is not None else 404
    return render_template("alert_confirm.html", token=token, done=found), status


@bp.route("/bevakning/avsluta/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> Any:
    """GET asks; POST ends the alert (also RFC 8058 one-click, without CSRF token)."""
    if len(token) > 100:
        abort(404)
    svc = services()
    if request.method == "GET":
        found = alerts.by_unsubscribe_token(svc.store(), token)
        return render_template("alert_unsubscribe.html", alert=found, token=token,
                               ended=False), 200 if found is not None else 404
    ended = alerts.unsubscribe(svc.store(), token)
    return render_template("alert_unsubscribe.html", alert=None, token=token, ended=True,
                           was_active=ended)


@bp.route("/bevakning/hantera", methods=["GET", "POST"])
def manage_request() -> Any:
    """Ask for a mail with the link to all alerts of an address."""
    if not mail_enabled():
        abort(404)
    if request.method == "GET":
        return render_template("alert_manage_request.html", error="", sent=False)
    email = request.form.get("email", "")[:300]
    if not csrf_ok():
        return render_template("alert_manage_request.html", sent=False,
                               error="Formuläret hade gått ut. Skicka det igen."), 400
    if honeypot_filled():
        return render_template("alert_manage_request.html", error="", sent=True)
    svc = services()
    try:
        message_id = alerts.send_manage_link(svc.store(), svc.settings, email, base_url(),
                                             ip=client_ip())
    except RateLimited:
        return render_template("alert_manage_request.html", sent=False,
                               error="För många förfrågningar. Försök igen senare."), 429
    except alerts.AlertError:
        return render_template("alert_manage_request.html", sent=False,
                               error="Skriv en giltig e-postadress."), 400
    if message_id:
        deliver_now([message_id])
    # The same answer whether or not the address has alerts: nobody learns who watches.
    return render_template("alert_manage_request.html", error="", sent=True)


@bp.route("/bevakning/hantera/<token>", methods=["GET", "POST"])
def manage(token: str) -> Any:
    """The alerts of an address; POST ends them all (and deletes the address)."""
    if len(token) > 100:
        abort(404)
    svc = services()
    if request.method == "POST":
        ended = alerts.end_all(svc.store(), token)
        return render_template("alert_manage.html", email="", found=[], ended=ended,
                               post=True)
    listed = alerts.alerts_of(svc.store(), token)
    if listed is None:
        return render_template("alert_manage.html", email="", found=[], ended=0,
                               post=False), 404
    email, found = listed
    return render_template("alert_manage.html", email=email, found=found, ended=0,
                           post=False, labels=dict(FREQUENCY_CHOICES))
