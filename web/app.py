"""The Flask application factory of the public site and JSON API.

`create_app(settings=None, backend=None)` builds an app for one data folder. The search
backend is opened lazily on the first request (after a WSGI server forked its workers) and
reopened after a failure, so a site started while its engine is down recovers by itself.
Templates load from `<data>/templates/` first, then from the package, so a deployment can
override any template (logo, colours, texts per organisation) without touching the code.
As in datasette, the built-in templates are also reachable under the `default:` prefix,
so an override can extend the template it replaces instead of copying it
(`{% extends "default:search.html" %}` and override one block). Files in
`<data>/static/` are served under /static/org/.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, jsonify, make_response, render_template, request
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PrefixLoader
from werkzeug.exceptions import HTTPException

from diarium.config import Settings, load_settings
from diarium.errors import DiariumError, EngineUnavailable, NotFound, QueryError
from diarium.indexer import open_backend
from diarium.indexer.base import SearchBackend
from diarium.search import SearchRequest, SearchResult, search
from diarium.store import Store
from diarium.web import metrics, security
from diarium.web.params import BadParameter

log = logging.getLogger(__name__)
PACKAGE_DIR = Path(__file__).resolve().parent
API_PREFIX = "/api/"
DEFAULT_PREFIX = "default"      # {% extends "default:search.html" %}: the built-in template
# A request line or form far beyond any real search is refused before it is parsed.
MAX_CONTENT_LENGTH = 64 * 1024


class Services:
    """What the views need: settings, the (lazily opened) backend and a per-request store."""

    def __init__(self, settings: Settings, backend: SearchBackend | None) -> None:
        self.settings = settings
        self._backend = backend
        self._owns_backend = backend is None
        self._lock = threading.Lock()

    def backend(self) -> SearchBackend:
        """The search backend, opened on first use. Raises EngineUnavailable when it cannot."""
        if self._backend is None:
            with self._lock:
                if self._backend is None:
                    self._backend = open_backend(self.settings)
        return self._backend

    def search(self, search_request: SearchRequest) -> SearchResult:
        """Run a search through the query service. Raises EngineUnavailable, QueryError."""
        backend = self.backend()
        started = time.perf_counter()
        try:
            result = search(self.settings, search_request, backend=backend)
        except EngineUnavailable:
            metrics.observe_search(backend.name, time.perf_counter() - started, failed=True)
            self.forget_backend()
            raise
        metrics.observe_search(backend.name, time.perf_counter() - started)
        return result

    def forget_backend(self) -> None:
        """Drop a backend we opened, so the next request reconnects to a restarted engine."""
        if self._owns_backend:
            with self._lock:
                backend, self._backend = self._backend, None
            if backend is not None:
                try:
                    backend.close()
                except Exception:  # closing a broken engine must not hide the real error
                    log.exception("closing the search backend failed")

    def store(self) -> Store:
        """This request's store connection (opened once per request, closed at teardown)."""
        store = g.get("diarium_store")
        if store is None:
            store = Store(self.settings.store_path)
            g.diarium_store = store
        return store


def services() -> Services:
    """The Services of the current app."""
    return current_app.extensions["diarium"]


def create_app(settings: Settings | None = None, backend: SearchBackend | None = None) -> Flask:
    """A configured Flask app for `settings` (default: load_settings()); `backend` is used
    as given, else opened from the settings on first use."""
    settings = settings if settings is not None else load_settings()
    app = Flask(
        "diarium.web",
        root_path=str(PACKAGE_DIR),
        static_folder="static",
        template_folder=None,
    )
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH,
        JSON_SORT_KEYS=False,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # Autoescape every template, whatever its extension: nothing document-derived is raw.
    app.jinja_options = {**app.jinja_options, "autoescape": True}
    app.jinja_loader = template_loader(settings.data_dir / "templates")
    app.extensions["diarium"] = Services(settings, backend)
    web_settings = settings.section("web")
    app.config["SITE_TITLE"] = str(web_settings.get("title", "Sökbart diarium"))
    app.config["SITE_INTRO"] = str(web_settings.get("intro", ""))

    from diarium.web import api, ops, views  # here: they import this module

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp, url_prefix="/api")
    from diarium.web import meetings  # sammanträden: pages, feed and API

    meetings.install(app)
    views.install_template_helpers(app)
    security.install(app)
    ops.install(app)            # /healthz, /readyz, /metrics, /data/
    from diarium.web import alerts, basket  # bevakning and begär ut by e-mail (issue 15)

    alerts.install(app)
    basket.install(app)
    _install_error_handlers(app)

    @app.teardown_appcontext
    def _close_store(_exc: BaseException | None) -> None:
        store = g.pop("diarium_store", None)
        if store is not None:
            store.close()

    return app


def template_loader(override_dir: Path) -> BaseLoader:
    """Templates from `override_dir` first, then the built-in ones; `default:NAME` is
    always the built-in NAME, so an override of NAME can extend it."""
    builtin = FileSystemLoader(str(PACKAGE_DIR / "templates"))
    return ChoiceLoader([
        FileSystemLoader(str(override_dir)),
        builtin,
        PrefixLoader({DEFAULT_PREFIX: builtin}, delimiter=":"),
    ])


def _wants_json() -> bool:
    return request.path.startswith(API_PREFIX) or request.path.endswith(".json")


def error_response(status: int, title: str, message: str) -> Any:
    """An error as a friendly Swedish page, or as JSON under /api/ and for .json exports."""
    if _wants_json():
        response = jsonify({"error": {"status": status, "title": title, "message": message}})
        response.status_code = status
    else:
        response = make_response(render_template("error.html", status=status, title=title,
                                                 message=message), status)
    if status == 503:
        response.headers["Retry-After"] = "30"
    response.headers["Cache-Control"] = "no-store"
    return response


_HTTP_TITLES: dict[int, tuple[str, str]] = {
    400: ("Felaktig förfrågan", "Adressen innehåller något som inte går att läsa."),
    404: ("Sidan finns inte", "Sidan eller handlingen du söker finns inte, eller är inte "
                              "offentlig på webben."),
    405: ("Metoden stöds inte", "Den här adressen kan bara hämtas, inte skickas till."),
    413: ("För stor förfrågan", "Förfrågan är för stor."),
    414: ("För lång adress", "Adressen är för lång. Korta ner sökningen."),
    500: ("Något gick fel", "Ett oväntat fel uppstod. Försök igen om en stund."),
}


def _install_error_handlers(app: Flask) -> None:
    @app.errorhandler(BadParameter)
    def _bad_parameter(exc: BadParameter) -> Any:
        return error_response(400, "Felaktig sökning", str(exc))

    @app.errorhandler(QueryError)
    def _query_error(exc: QueryError) -> Any:
        return error_response(400, "Felaktig sökning", str(exc))

    @app.errorhandler(NotFound)
    def _not_found(_exc: NotFound) -> Any:
        return error_response(404, *_HTTP_TITLES[404])

    @app.errorhandler(EngineUnavailable)
    def _engine_down(exc: EngineUnavailable) -> Any:
        log.warning("search engine unavailable: %s", exc)
        return error_response(
            503, "Sökningen är tillfälligt otillgänglig",
            "Sökmotorn svarar inte just nu. Försök igen om en liten stund. "
            "Ärende- och handlingssidor du har en länk till fungerar ofta ändå.",
        )

    @app.errorhandler(DiariumError)
    def _diarium_error(exc: DiariumError) -> Any:
        log.error("diarium error on %s: %s", request.path, exc)
        return error_response(500, *_HTTP_TITLES[500])

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        title, message = _HTTP_TITLES.get(status, (exc.name, exc.description or ""))
        return error_response(status, title, message)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        # Log the stack trace for the operator; the visitor only gets a friendly page.
        log.exception("unhandled error on %s", request.path)
        return error_response(500, *_HTTP_TITLES[500])
