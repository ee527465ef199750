"""Running the site as a public service: health, readiness, metrics, open data.

    /healthz          the process answers (no store, no engine: for a liveness probe)
    /readyz           the store opens, the engine answers, how old the index is; 503 when
                      not ready (for a load balancer)
    /metrics          Prometheus text format (diarium.web.metrics)
    /data/            the published open-data dump: a page listing its files
    /data/manifest.json, /data/<org>/<file>.gz
                      the dump's files with ETag (their sha256) and Last-Modified
    /data/dcat.rdf    the DCAT-AP-SE catalogue: RDF/XML, or Turtle / JSON-LD by Accept
                      (also /data/dcat.ttl and /data/dcat.jsonld)

`install(app)` registers the blueprint and the request hooks that count and time every
request by its route template (never by its query string) and, with
`DIARIUM_LOG_FORMAT = "json"`, write one JSON access line per request.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from flask import Blueprint, Flask, Response, g, jsonify, render_template, request, send_file

from diarium.errors import ConfigError, DiariumError
from diarium.opendata import dcat
from diarium.opendata.dump import Dump, DumpError, latest_dump
from diarium.web import metrics
from diarium.web.app import error_response, services
from diarium.web.logs import ACCESS_LOGGER

bp = Blueprint("ops", __name__)
access_log = logging.getLogger(ACCESS_LOGGER)
DATA_MAX_AGE = 300          # seconds a client or proxy may reuse a dump file unasked
_UNMATCHED = "<unmatched>"


# --------------------------------------------------------------------------- health


@bp.get("/healthz")
def healthz() -> Any:
    """Liveness: the process answers. Touches neither store nor engine."""
    return _no_store(jsonify({"status": "ok"}))


@bp.get("/readyz")
def readyz() -> Any:
    """Readiness: the store opens, the engine answers and reports its documents; with the
    index's age and the documents waiting to be indexed. 503 when a check fails."""
    checks: dict[str, Any] = {}
    ready = True
    svc = services()
    try:
        store = svc.store()
        documents = int(store.conn.execute("SELECT count(*) FROM documents").fetchone()[0])
        checks["store"] = {"status": "ok", "documents": documents}
    except Exception as exc:  # noqa: BLE001 (whatever fails, the store is not ready)
        checks["store"] = {"status": "error", "error": type(exc).__name__}
        return _no_store(jsonify({"status": "unavailable", "checks": checks}), 503)
    try:
        backend = svc.backend()
        checks["engine"] = {"status": "ok", "name": backend.name, "documents": backend.count()}
        state_name = backend.state_name
    except DiariumError as exc:
        svc.forget_backend()
        checks["engine"] = {"status": "error", "error": type(exc).__name__}
        return _no_store(jsonify({"status": "unavailable", "checks": checks}), 503)
    row = store.conn.execute("SELECT last_seq, updated_at FROM index_state WHERE name = ?",
                             (state_name,)).fetchone()
    if row is None:
        checks["index"] = {"status": "error" if documents else "ok", "indexed": False}
        ready = not documents
    else:
        waiting = int(store.conn.execute(
            "SELECT count(DISTINCT document_id) FROM changes WHERE seq > ?",
            (row["last_seq"],)).fetchone()[0])
        age = metrics.age_seconds(str(row["updated_at"]), time.time())
        limit = svc.settings.section("ops").get("max_index_lag_seconds")
        late = bool(waiting) and isinstance(limit, int | float) and age > limit
        checks["index"] = {"status": "error" if late else "ok", "updated_at":
                           row["updated_at"], "age_seconds": round(age), "waiting": waiting}
        ready = not late
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    return _no_store(jsonify(body), 200 if ready else 503)


@bp.get("/metrics")
def metrics_view() -> Any:
    """Prometheus metrics (text exposition format 0.0.4)."""
    response = Response(metrics.render(services().settings),
                        mimetype="text/plain")
    response.headers["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8"
    return _no_store(response)


def _no_store(response: Response, status: int | None = None) -> Response:
    if status is not None:
        response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- open data


def _dump() -> Dump | None:
    try:
        return latest_dump(services().settings)
    except DumpError:
        logging.getLogger(__name__).exception("the published dump is unreadable")
        return None


def _no_dump() -> Any:
    return error_response(404, "Ingen datadump ännu",
                          "Diariet har inte publicerat några öppna data ännu. Försök igen "
                          "senare.")


@bp.get("/data/")
def data_index() -> Any:
    """A page listing the published dump's files, with sizes, counts and checksums."""
    dump = _dump()
    if dump is None:
        return _no_dump()
    response = Response(render_template("data.html", dump=dump))
    response.last_modified = dump.created_at
    response.headers["Cache-Control"] = f"public, max-age={DATA_MAX_AGE}"
    return response


@bp.get("/data/manifest.json")
def data_manifest() -> Any:
    dump = _dump()
    if dump is None:
        return _no_dump()
    return _send(dump, "manifest.json", "application/json", None)


@bp.get("/data/<org>/<name>")
def data_file(org: str, name: str) -> Any:
    """One file of the dump, named as in its manifest (nothing else can be reached)."""
    dump = _dump()
    if dump is None:
        return _no_dump()
    entry = dump.file(f"{org}/{name}")
    if entry is None:
        return error_response(404, "Filen finns inte",
                              "Den här filen finns inte i den publicerade datadumpen.")
    return _send(dump, entry.path, "application/gzip", entry.sha256, download=True)


def _send(dump: Dump, relative: str, mimetype: str, etag: str | None,
          download: bool = False) -> Response:
    path = dump.path / relative
    response = send_file(path, mimetype=mimetype, conditional=True,
                         etag=etag if etag else True, last_modified=dump.created_at,
                         as_attachment=download, download_name=path.name, max_age=None)
    response.headers["Cache-Control"] = f"public, max-age={DATA_MAX_AGE}"
    return response


_CATALOGUE_PATHS = {"dcat.rdf": None, "dcat.ttl": "turtle", "dcat.jsonld": "json-ld"}


@bp.get("/data/dcat.rdf")
@bp.get("/data/dcat.ttl")
@bp.get("/data/dcat.jsonld")
def catalogue() -> Any:
    """The DCAT-AP-SE catalogue. /data/dcat.rdf negotiates: RDF/XML unless the Accept
    header prefers Turtle or JSON-LD."""
    dump = _dump()
    if dump is None:
        return _no_dump()
    fixed = _CATALOGUE_PATHS[request.path.rsplit("/", 1)[-1]]
    fmt = fixed or dcat.negotiate(request.headers.get("Accept", ""))
    settings = services().settings
    base = settings.opendata.base_url or request.host_url.rstrip("/")
    try:
        body = dcat.serialize(dcat.build_catalogue(settings, dump, base), fmt)
    except ConfigError as exc:
        logging.getLogger(__name__).error("open-data catalogue: %s", exc)
        return error_response(503, "Katalogen är inte konfigurerad",
                              "Diariets katalog över öppna data saknar inställningar.")
    response = Response(body, mimetype=dcat.FORMATS[fmt][0])
    response.set_etag(hashlib.sha256(body).hexdigest())
    response.last_modified = dump.created_at
    response.headers["Cache-Control"] = f"public, max-age={DATA_MAX_AGE}"
    if fixed is None:
        response.vary.add("Accept")
    return response.make_conditional(request)


# --------------------------------------------------------------------------- hooks


def _before() -> None:
    g.ops_started = time.perf_counter()


def _after(response: Response) -> Response:
    started = g.pop("ops_started", None)
    if started is None:
        return response
    seconds = time.perf_counter() - started
    rule = request.url_rule
    route = rule.rule if rule is not None else _UNMATCHED
    metrics.REQUESTS.labels(route, request.method, str(response.status_code)).inc()
    metrics.REQUEST_SECONDS.labels(route, request.method).observe(seconds)
    if _json_logs():
        access_log.info("%s %s %s", request.method, route, response.status_code, extra={
            "method": request.method, "route": route, "path": request.path,
            "status": response.status_code, "duration_ms": round(seconds * 1000, 1),
            "bytes": response.content_length})
    return response


def _json_logs() -> bool:
    from flask import current_app

    return current_app.config.get("DIARIUM_LOG_FORMAT") == "json"


def install(app: Flask) -> None:
    """Register the ops blueprint and the request metrics hooks on `app`."""
    app.register_blueprint(bp)
    app.before_request(_before)
    app.after_request(_after)
