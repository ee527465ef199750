"""Health, readiness, metrics, /data/ (dumps with ETag and Last-Modified, the DCAT-AP-SE
catalogue by content negotiation) and JSON logs, on the real site and under gunicorn."""

from __future__ import annotations

import http.client
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rdflib import Graph
from web_site import build_site

from diarium.config import load_settings
from diarium.opendata.dump import write_dump
from diarium.pipeline.indexing import index
from diarium.store import Store
from diarium.web.app import create_app
from diarium.web.logs import ACCESS_LOGGER, JsonFormatter, scrub
from diarium.web.server import server_options

OPENDATA = """
[opendata]
organisation_number = "212000-1234"
publisher = "Exempelkommunen"
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path):  # type: ignore[no-untyped-def]
    data = tmp_path_factory.mktemp("ops") / "data"
    built = build_site(data, corpus_dir, filler=6)
    with (data / "diarium.toml").open("a", encoding="utf-8") as fh:
        fh.write(OPENDATA)
    built.settings = load_settings(data)
    with Store(built.settings.store_path) as store:
        index(store, built.settings, built.backend)        # records index_state
    yield built
    built.backend.close()


@pytest.fixture
def client(site):  # type: ignore[no-untyped-def]
    return create_app(site.settings, backend=site.backend).test_client()


def test_healthz_and_readyz(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    checks = response.json["checks"]
    assert checks["store"]["documents"] == checks["engine"]["documents"] == 11
    assert checks["index"]["waiting"] == 0 and checks["index"]["age_seconds"] >= 0


def test_readyz_fails_when_the_store_is_gone(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    (tmp_path / "store-is-a-folder" / "diarium.sqlite").mkdir(parents=True)
    broken = dataclasses.replace(site.settings, data_dir=tmp_path / "store-is-a-folder")
    response = create_app(broken, backend=site.backend).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["store"]["status"] == "error"


def test_metrics_count_requests_and_searches(client, site) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        assert client.get("/?q=hamnen").status_code == 200
    client.get(f"/handling/{site.doc_ids['ansokan']}")
    client.get("/finns-inte")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'diarium_http_requests_total{method="GET",route="/",status="200"}' in text
    assert 'route="/handling/<int(max=9223372036854775807):doc_id>"' in text
    assert 'route="<unmatched>",status="404"' in text
    assert 'diarium_search_duration_seconds_count{engine="embedded"}' in text
    assert 'diarium_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/"}' in text
    assert 'diarium_index_lag_records{index="embedded"} 0.0' in text
    assert 'diarium_index_lag_seconds{index="embedded"} 0.0' in text
    assert 'diarium_files{state="extracted"}' in text
    assert 'diarium_mail_outbox{state="queued"} 0.0' in text
    assert "hamnen" not in text                       # no query string in a label
    # A change in the store shows up as lag at the next scrape.
    with Store(site.settings.store_path) as store, store.transaction():
        store.record_change(site.doc_ids["beslut"])
    text = client.get("/metrics").get_data(as_text=True)
    assert 'diarium_index_lag_records{index="embedded"} 1.0' in text
    with Store(site.settings.store_path) as store:
        index(store, site.settings, site.backend)


def test_data_serves_the_dump_with_etag_and_last_modified(client, site) -> None:  # type: ignore[no-untyped-def]
    import shutil

    shutil.rmtree(site.settings.data_dir / "dumps", ignore_errors=True)
    response = client.get("/data/")
    assert response.status_code == 404 and "Ingen datadump" in response.get_data(as_text=True)
    assert client.get("/data/dcat.rdf").status_code == 404
    with Store(site.settings.store_path) as store:
        dump = write_dump(store, site.settings).dump
    page = client.get("/data/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "exkommun/documents.csv.gz" in html and "Exempelkommunen" in html
    entry = dump.file("exkommun/documents.csv.gz")
    assert entry is not None
    response = client.get("/data/exkommun/documents.csv.gz")
    assert response.status_code == 200
    assert response.headers["ETag"] == f'"{entry.sha256}"'
    assert response.headers["Content-Type"] == "application/gzip"
    assert response.data == (dump.path / entry.path).read_bytes()
    last_modified = response.headers["Last-Modified"]
    again = client.get("/data/exkommun/documents.csv.gz",
                       headers={"If-None-Match": f'"{entry.sha256}"'})
    assert again.status_code == 304 and not again.data
    again = client.get("/data/exkommun/documents.csv.gz",
                       headers={"If-Modified-Since": last_modified})
    assert again.status_code == 304
    # A resumed download: a byte range, and HEAD without the body.
    part = client.get("/data/exkommun/documents.csv.gz", headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.data == response.data[:10]
    head = client.head("/data/exkommun/documents.csv.gz")
    assert head.status_code == 200 and not head.data
    assert head.headers["Content-Length"] == str(entry.bytes)
    manifest = client.get("/data/manifest.json")
    assert manifest.status_code == 200 and manifest.json["version"] == dump.version
    for bad in ("/data/exkommun/nope.csv.gz", "/data/../diarium.sqlite",
                "/data/exkommun/..%2f..%2fdiarium.sqlite", "/data/%2e%2e/diarium.toml"):
        assert client.get(bad).status_code == 404, bad


def test_catalogue_content_negotiation(client, site) -> None:  # type: ignore[no-untyped-def]
    with Store(site.settings.store_path) as store:
        write_dump(store, site.settings)
    cases = {
        "": ("application/rdf+xml", "xml"),
        "text/turtle": ("text/turtle", "turtle"),
        "application/ld+json": ("application/ld+json", "json-ld"),
        "application/rdf+xml;q=0.5, text/turtle;q=0.9": ("text/turtle", "turtle"),
    }
    for accept, (media, parser) in cases.items():
        response = client.get("/data/dcat.rdf", headers={"Accept": accept} if accept else {})
        assert response.status_code == 200
        assert response.mimetype == media, accept
        assert "Accept" in response.headers["Vary"]
        graph = Graph().parse(data=response.data, format=parser)
        # No base_url configured: the IRIs are built on the request's host.
        assert any(str(s).startswith("http://localhost/data/dataset/") for s in graph.subjects())
        etag = response.headers["ETag"]
        again = client.get("/data/dcat.rdf", headers={"Accept": accept,
                                                        "If-None-Match": etag})
        assert again.status_code == 304
    assert client.get("/data/dcat.ttl").mimetype == "text/turtle"
    assert client.get("/data/dcat.jsonld").mimetype == "application/ld+json"


def test_json_access_log_has_no_query_and_no_personnummer(site) -> None:  # type: ignore[no-untyped-def]
    app = create_app(site.settings, backend=site.backend)
    app.config["DIARIUM_LOG_FORMAT"] = "json"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        client = app.test_client()
        client.get("/?q=811228-9874+Kalle", environ_base={"REMOTE_ADDR": "192.0.2.44"})
        client.get("/handling/811228", headers={"Authorization": "Bearer hemligt"})
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["route"] for line in lines] == [
        "/", "/handling/<int(max=9223372036854775807):doc_id>"]
    assert lines[0]["status"] == 200 and lines[0]["path"] == "/"
    raw = stream.getvalue()
    for secret in ("811228-9874", "Kalle", "192.0.2.44", "hemligt", "q="):
        assert secret not in raw


def test_json_formatter_scrubs_messages() -> None:
    assert scrub("GET /?q=Kalle+Anka HTTP/1.1") == "GET /?… HTTP/1.1"
    assert "9874" not in scrub("Sökande 811228-9874 har skrivit")
    record = logging.LogRecord("x", logging.ERROR, __file__, 1,
                               "failed for %s", ("19811228-9874",), None)
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "error" and "9874" not in line["message"]
    options = server_options("127.0.0.1", 8000, 2, 4, "json")
    assert options["accesslog"] is None
    # The formatter gunicorn is told to use is ours (the serve test below runs it).
    import importlib

    module, _, name = options["logconfig_dict"]["formatters"]["json"]["()"].rpartition(".")
    assert getattr(importlib.import_module(module), name) is JsonFormatter


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_gunicorn_workers_share_metrics_and_log_json(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    server = subprocess.Popen(
        [sys.executable, "-m", "diarium.cli", "--data", str(site.settings.data_dir), "serve",
         "--port", str(port), "--workers", "2", "--threads", "2", "--log-format", "json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True, env=env)
    try:
        deadline = time.time() + 90
        while True:
            try:
                status, _ = _get(port, "/healthz")
                break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    raise AssertionError(server.stderr.read().decode()) from None  # type: ignore[union-attr]
                time.sleep(0.3)
        assert status == 200
        for _ in range(20):                      # new connections: spread over both workers
            assert _get(port, "/?q=811228-9874")[0] == 200
        _status, body = _get(port, "/metrics")
        text = body.decode()
        line = next(x for x in text.splitlines()
                    if x.startswith('diarium_http_requests_total{method="GET",route="/",'))
        assert float(line.rsplit(" ", 1)[1]) == 20.0      # both workers' requests
        assert 'diarium_search_duration_seconds_count{engine="embedded"} 20.0' in text
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        _out, err = server.communicate(timeout=30)
    lines = [json.loads(x) for x in err.decode().splitlines() if x.startswith("{")]
    assert any(x.get("route") == "/" and x.get("status") == 200 for x in lines)
    assert any(x["logger"] == "gunicorn.error" for x in lines)
    assert "811228-9874" not in err.decode() and "q=" not in err.decode()


def test_readyz_fails_when_changes_wait_too_long(site) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    settings = dataclasses.replace(site.settings, raw={**site.settings.raw,
                                                       "ops": {"max_index_lag_seconds": 600}})
    client = create_app(settings, backend=site.backend).test_client()
    with Store(settings.store_path) as store, store.transaction() as conn:
        store.record_change(site.doc_ids["beslut"])
        conn.execute("UPDATE index_state SET updated_at = '2026-01-01T00:00:00Z' "
                     "WHERE name = 'embedded'")
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json["checks"]["index"]["waiting"] == 1
        text = client.get("/metrics").get_data(as_text=True)
        lag = next(x for x in text.splitlines()
                   if x.startswith('diarium_index_lag_seconds{index="embedded"}'))
        assert float(lag.rsplit(" ", 1)[1]) > 600
    finally:
        with Store(settings.store_path) as store:
            index(store, settings, site.backend)
    assert client.get("/readyz").status_code == 200
