"""The document page and download: register data, highlighted text by page, the file, secrecy.

Through Flask's test client over a real store, real files and a real embedded
index (tests/web_site.py; the `site` and `client` fixtures are in conftest.py).
Pages are parsed with BeautifulSoup."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient
from web_site import (
    REGISTRY_EMAIL,
    SECRET_LAGRUM,
    SECRET_TITLE,
    Site,
    build_site,
    soup,
)

from diarium.store import Store
from diarium.web.app import create_app


def test_document_page_highlights_the_query(client: FlaskClient, site: Site) -> None:
    doc = site.doc_ids["beslut"]
    page = soup(client.get(f"/handling/{doc}?q=beslut"))
    assert page.h1.get_text(strip=True) == "Beslut om planuppdrag för hamnen"
    marked = [m.get_text() for m in page.select(".page-text mark")]
    assert "beslutar" in marked and "Beslutet" in marked
    assert "Markerat: ord från sökningen" in page.get_text()
    plain = soup(client.get(f"/handling/{doc}"))
    assert not plain.select(".page-text mark")
    # A query none of whose words stand in the text says so instead of "Markerat".
    other = soup(client.get(f"/handling/{doc}?q=zebrafink"))
    assert not other.select(".page-text mark")
    assert "Markerat" not in other.get_text()
    assert "Inga ord från sökningen" in other.get_text()
    register = {dt.get_text(strip=True): dt.find_next("dd").get_text(" ", strip=True)
                for dt in page.select("dl.register dt")}
    assert register["Diarienummer"] == "KS 2023/123"
    assert register["Löpnummer"] == "2" and register["Riktning"] == "Upprättad"


def test_document_pages_are_sections(client: FlaskClient, site: Site) -> None:
    page = soup(client.get(f"/handling/{site.doc_ids['ansokan']}?q=bygglov"))
    assert page.select_one("#sida-2 mark").get_text() == "bygglov"
    assert not page.select("#sida-1 mark")


def test_download_has_type_and_disposition(client: FlaskClient, site: Site) -> None:
    response = client.get(f"/handling/{site.doc_ids['ansokan']}/fil")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "Ans%C3%B6kan%20planbesked.pdf" in disposition  # RFC 5987 filename*
    assert response.data == site.files["pdf"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-cache"  # withdrawn files stop at once
    again = client.get(f"/handling/{site.doc_ids['ansokan']}/fil",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    docx = client.get(f"/handling/{site.doc_ids['beslut']}/fil")
    assert docx.mimetype.endswith("wordprocessingml.document")
    assert docx.data == site.files["docx"]


def test_secret_document_shows_only_the_register_entry(client: FlaskClient,
                                                        site: Site) -> None:
    doc = site.doc_ids["hemlig"]
    response = client.get(f"/handling/{doc}?q=hamnen")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Sekretess enligt {SECRET_LAGRUM}" in text
    for leaked in (SECRET_TITLE, "Kalle", "skulder", "Hemlig text"):
        assert leaked not in text
    page = soup(response)
    assert not page.select(".page-text")
    assert not page.find("a", href=f"/handling/{doc}/fil")
    assert client.get(f"/handling/{doc}/fil").status_code == 404
    mailto = page.find("a", string="Begär ut handlingen")["href"]
    assert mailto.startswith(f"mailto:{REGISTRY_EMAIL}?")
    fields = parse_qs(urlsplit(mailto).query)
    assert "KS 2023/123:3" in fields["subject"][0]
    assert "Löpnummer: 3" in fields["body"][0]


def test_unpublished_document_has_no_text_or_file(client: FlaskClient, site: Site) -> None:
    doc = site.doc_ids["opublicerad"]
    response = client.get(f"/handling/{doc}")
    assert "Opublicerad text" not in response.get_data(as_text=True)
    page = soup(response)
    assert "inte publicerat" in page.select_one(".notice").get_text()
    assert page.find("a", string="Begär ut handlingen")
    assert client.get(f"/handling/{doc}/fil").status_code == 404


def test_store_decides_at_once_when_a_document_turns_secret(tmp_path: Path,
                                                             corpus_dir: Path) -> None:
    """Document pages and downloads read the store through the public projection, so a
    document marked secret is withheld before any reindex."""
    small = build_site(tmp_path / "data", corpus_dir, filler=0)
    client = create_app(small.settings, backend=small.backend).test_client()
    doc = small.doc_ids["ansokan"]
    assert client.get(f"/handling/{doc}/fil").status_code == 200
    with Store(small.settings.store_path) as store, store.transaction() as conn:
        conn.execute("UPDATE documents SET sekretess = '21 kap. 1 § OSL' WHERE id = ?", (doc,))
    assert client.get(f"/handling/{doc}/fil").status_code == 404
    page = client.get(f"/handling/{doc}").get_data(as_text=True)
    assert "Sekretess enligt 21 kap. 1 § OSL" in page
    assert "planbesked" not in page and "Hamnbolaget" not in page
    api = client.get(f"/api/v1/documents/{doc}").get_json()
    assert api["file_url"] is None and api["text"] == ""
