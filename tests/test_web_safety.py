"""Safety of every page: hostile strings, paths, bad parameters, unknown ids, headers, an
engine down, internal errors.

Through Flask's test client over a real store, real files and a real embedded
index (tests/web_site.py; the `site` and `client` fixtures are in conftest.py).
Pages are parsed with BeautifulSoup."""

from __future__ import annotations

import socket
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from web_site import (
    ATOM,
    HOSTILE_CASE,
    HOSTILE_PART,
    HOSTILE_TEXT,
    HOSTILE_TITLE,
    Site,
    soup,
)

from diarium.config import load_settings
from diarium.web.app import create_app


def _assert_inert(html: str) -> None:
    page = BeautifulSoup(html, "html.parser")
    assert not page.find_all("script"), "no script element at all"
    assert not page.find_all("svg") and not page.find_all("img")
    for tag in page.find_all(True):
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), (tag.name, name)
            if name in ("href", "src", "action"):
                assert not str(value).strip().lower().startswith("javascript:"), value


def test_hostile_strings_render_as_text(client: FlaskClient, site: Site) -> None:
    doc, case = site.doc_ids["fientlig"], site.case_ids["tillsyn"]
    for url in ("/?q=hamnen", "/?q=yttrande", f"/handling/{doc}?q=hamnen",
                f"/arende/{case}", "/?q=%3Cscript%3Ealert(1)%3C/script%3E",
                '/?q="><img+src=x+onerror=alert(1)>&dnr="><b>x'):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        _assert_inert(html)
    page = soup(client.get(f"/handling/{doc}"))
    assert page.h1.get_text() == HOSTILE_TITLE  # shown, as text
    assert HOSTILE_TEXT in page.select_one(".page-text").get_text()
    assert HOSTILE_PART in page.get_text()
    assert HOSTILE_CASE in soup(client.get(f"/arende/{case}")).h1.get_text()


def test_hostile_strings_in_feed_and_api(client: FlaskClient, site: Site) -> None:
    feed = client.get("/bevakning.atom?q=yttrande").data
    root = ET.fromstring(feed)  # still well-formed XML
    titles = [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
    assert any(HOSTILE_TITLE in t for t in titles)
    assert b"<script>" not in feed
    api = client.get(f"/api/v1/documents/{site.doc_ids['fientlig']}")
    assert api.mimetype == "application/json"
    assert api.get_json()["rubrik"] == HOSTILE_TITLE


@pytest.mark.parametrize("url", [
    "/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py",
    "/static/org/../diarium.toml", "/static/org/..%2fdiarium.toml",
    "/static/org/%2e%2e/%2e%2e/etc/passwd", "/static//etc/passwd",
    "/handling/1/../../diarium.toml", "/handling/..%2f..%2fdiarium.toml/fil",
    "/handling/1%2f..%2f..%2fdiarium.sqlite/fil", "/static/org/../../../../../etc/passwd",
])
def test_no_path_traversal(client: FlaskClient, url: str) -> None:
    response = client.get(url, follow_redirects=True)  # "//" is merged by a redirect
    assert response.status_code in (400, 404), url
    body = response.get_data()
    assert b"[organisations" not in body and b"root:" not in body and b"SQLite" not in body


@pytest.mark.parametrize("query, message", [
    ({"q": "x" * 501}, "för lång"),
    ({"page": "501"}, "djupt"),
    ({"page": "0"}, "page"),
    ({"page": "abc"}, "heltal"),
    ({"per_page": "101"}, "per_page"),
    ({"sort": "random"}, "Sortering"),
    ({"from": "2023-02-30"}, "ÅÅÅÅ-MM-DD"),
    ({"from": "igår"}, "ÅÅÅÅ-MM-DD"),
    ({"from": "2024-01-01", "to": "2023-01-01"}, "efter"),
    ({"year": "tjugo"}, "årtal"),
    ({"has_file": "kanske"}, "true eller false"),
    ({"dnr": "1" * 81}, "för långt"),
    ({"handlingstyp": [f"v{i}" for i in range(31)]}, "För många"),
])
def test_malformed_parameters_are_400_with_a_message(client: FlaskClient, query: dict,
                                                     message: str) -> None:
    response = client.get("/", query_string=query)
    assert response.status_code == 400
    assert message in soup(response).select_one(".notice-error").get_text()
    assert "Traceback" not in response.get_data(as_text=True)


def test_repeated_single_parameter_is_400(client: FlaskClient) -> None:
    assert client.get("/?sort=newest&sort=oldest").status_code == 400


@pytest.mark.parametrize("url", ["/handling/999999", "/arende/999999", "/handling/abc",
                                 "/handling/99999999999999999999999999",
                                 "/arende/-1", "/handling/999999/fil", "/finns-inte"])
def test_unknown_ids_are_404(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert "Sidan finns inte" in soup(response).h1.get_text()


def test_post_is_refused(client: FlaskClient) -> None:
    assert client.post("/", data={"q": "x"}).status_code == 405


def test_security_headers_on_pages_and_errors(client: FlaskClient, site: Site) -> None:
    for url in ("/", "/finns-inte", "/?page=x", "/static/diarium.css",
                f"/handling/{site.doc_ids['ansokan']}/fil", "/api/v1/search"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert headers["X-Frame-Options"] == "DENY"


def test_engine_down_gives_a_friendly_503_and_recovers(tmp_path: Path, site: Site) -> None:
    data = tmp_path / "down"
    data.mkdir()
    settings = type(site.settings)(data_dir=data, organisations=site.settings.organisations)
    # The embedded index's folder is a plain file: the engine cannot open it.
    settings.index_dir.mkdir(parents=True)
    blocker = settings.index_dir / "embedded"
    blocker.write_text("not an index")
    client = create_app(settings).test_client()
    for url in ("/", "/?q=hamnen", "/bevakning.atom", "/export.csv"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert response.headers["Retry-After"] == "30"
        assert "tillfälligt otillgänglig" in response.get_data(as_text=True)
        assert "Traceback" not in response.get_data(as_text=True)
    api = client.get("/api/v1/search?q=hamnen")
    assert api.status_code == 503 and api.get_json()["error"]["status"] == 503
    # The engine comes back: the same app serves again without a restart.
    blocker.unlink()
    assert client.get("/").status_code == 200


def test_internal_error_never_shows_a_stack_trace(tmp_path: Path, site: Site) -> None:
    data = tmp_path / "broken"
    data.mkdir()
    (data / "diarium.sqlite").write_bytes(b"this is not a database" * 100)
    settings = type(site.settings)(data_dir=data, organisations=site.settings.organisations)
    client = create_app(settings, backend=site.backend).test_client()
    response = client.get(f"/handling/{site.doc_ids['ansokan']}")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Något gick fel" in text
    assert "Traceback" not in text and "sqlite" not in text.lower()


def test_elasticsearch_down_gives_503(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real Elasticsearch backend, pointed at a port where nothing listens."""
    for name in ("URL", "API_KEY", "USERNAME", "PASSWORD", "INDEX", "PROFILE", "CA_CERT"):
        monkeypatch.delenv(f"DIARIUM_ES_{name}", raising=False)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends
    (tmp_path / "diarium.toml").write_text(
        f'[search]\nengine = "elasticsearch"\n\n[elasticsearch]\n'
        f'url = "http://127.0.0.1:{port}"\ntimeout = 2\n', encoding="utf-8")
    client = create_app(load_settings(tmp_path)).test_client()
    response = client.get("/?q=bygglov")
    assert response.status_code == 503
    assert "tillfälligt otillgänglig" in response.get_data(as_text=True)
    assert client.get("/api/v1/search?q=x").get_json()["error"]["status"] == 503
