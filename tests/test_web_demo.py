"""The site over a diary built by the product's own pipeline: the sample diary of
Exempelby kommun imported, extracted (real PDF/DOCX/ODT/e-mail files) and indexed by
`diarium.demo.prepare`. Every document page is fetched: none shows a personnummer, secret
ones show only their register entry, and every offered download is the stored file."""

from __future__ import annotations

import hashlib

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from diarium import personnummer
from diarium.config import Settings, load_settings
from diarium.demo import prepare
from diarium.store import Store
from diarium.web.app import create_app


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data = tmp_path_factory.mktemp("demo") / "data"
    prepare(data, size="small", workers=2)
    return load_settings(data)


@pytest.fixture(scope="module")
def client(demo: Settings) -> FlaskClient:
    return create_app(demo).test_client()  # the backend opened from the settings


def test_every_document_page_is_safe(client: FlaskClient, demo: Settings) -> None:
    with Store(demo.store_path) as store:
        rows = store.conn.execute(
            "SELECT d.id, d.sekretess, d.publicerad, d.rubrik FROM documents d").fetchall()
    assert len(rows) >= 200
    secret = [r for r in rows if r["sekretess"].strip()]
    unpublished = [r for r in rows if not r["publicerad"] and not r["sekretess"].strip()]
    assert secret and unpublished, "the sample has both kinds"
    downloads = 0
    for row in rows:
        response = client.get(f"/handling/{row['id']}")
        assert response.status_code == 200
        text = BeautifulSoup(response.get_data(as_text=True), "html.parser").get_text(" ")
        assert not personnummer.find(text), f"personnummer on /handling/{row['id']}"
        if row["sekretess"].strip():
            assert "Sekretess enligt" in text
            if len(row["rubrik"]) > 12:
                assert row["rubrik"] not in text
            assert "Handlingens text" not in text
        if row in unpublished:
            assert "Handlingens text" not in text
        if "Ladda ner handlingen" in text:
            downloads += 1
            file = client.get(f"/handling/{row['id']}/fil")
            assert file.status_code == 200
            with Store(demo.store_path) as store:
                sha = store.conn.execute(
                    "SELECT sha256 FROM document_files WHERE document_id = ? AND "
                    "role = 'original'", (row["id"],)).fetchone()[0]
            assert hashlib.sha256(file.data).hexdigest() == sha
        elif row in secret or row in unpublished:
            assert client.get(f"/handling/{row['id']}/fil").status_code == 404
    assert downloads > 100


def test_search_pages_over_the_sample(client: FlaskClient) -> None:
    page = BeautifulSoup(client.get("/?q=bygglov").get_data(as_text=True), "html.parser")
    assert page.select("ol.hits li.hit")
    assert page.select(".snippet mark")
    assert not personnummer.find(page.get_text(" "))
    empty = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser")
    facets = {s["aria-labelledby"] for s in empty.select(".facet")}
    assert {"facet-organisation", "facet-handlingstyp", "facet-riktning",
            "facet-year"} <= facets
    feed = client.get("/bevakning.atom")
    assert feed.status_code == 200 and not personnummer.find(feed.get_data(as_text=True))
    export = client.get("/export.csv?max=10000").get_data(as_text=True)
    assert export.count("\n") >= 200 and not personnummer.find(export)


def test_case_pages_over_the_sample(client: FlaskClient, demo: Settings) -> None:
    with Store(demo.store_path) as store:
        cases = [int(r[0]) for r in store.conn.execute("SELECT id FROM cases")]
    for case_id in cases:
        response = client.get(f"/arende/{case_id}")
        assert response.status_code == 200
        page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        numbers = [int(tr.td.get_text()) for tr in page.select("table.documents tbody tr")]
        assert numbers == sorted(numbers) and numbers
        assert not personnummer.find(page.get_text(" "))

