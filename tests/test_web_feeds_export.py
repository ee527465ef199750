"""The Atom feed (bevakning) and the CSV and JSON exports of a search.

Through Flask's test client over a real store, real files and a real embedded
index (tests/web_site.py; the `site` and `client` fixtures are in conftest.py).
Pages are parsed with BeautifulSoup."""

from __future__ import annotations

import csv
import io
import json
from xml.etree import ElementTree as ET

from flask.testing import FlaskClient
from web_site import (
    ATOM,
    HOSTILE_PART,
    SECRET_TITLE,
    Site,
    soup,
)


def test_atom_feed_for_a_search(client: FlaskClient, site: Site) -> None:
    page = soup(client.get("/?q=hamnen"))
    feed_link = page.select_one('link[rel="alternate"][type="application/atom+xml"]')["href"]
    response = client.get(feed_link)
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert entries
    updated = [e.findtext(f"{ATOM}updated") for e in entries]
    assert updated == sorted(updated, reverse=True)
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert all(link.startswith("http://localhost/handling/") for link in links)
    assert all(e.findtext(f"{ATOM}id") for e in entries)
    assert SECRET_TITLE not in response.get_data(as_text=True)


def test_csv_export_is_streamed_and_capped(client: FlaskClient) -> None:
    response = client.get("/export.csv?q=budget&max=7")
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["diarienummer", "löpnummer", "datum"]
    assert len(rows) == 1 + 7
    everything = client.get("/export.csv?q=budget&max=10000").get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(everything)))) == 1 + 45
    assert client.get("/export.csv?q=budget&max=10001").status_code == 400


def test_csv_export_neutralises_formulas(client: FlaskClient) -> None:
    text = client.get("/export.csv?q=hamnen&max=100").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    hostile = [r for r in rows if r["rubrik"].startswith("<script>")]
    assert hostile and hostile[0]["part"] == HOSTILE_PART


def test_json_export(client: FlaskClient) -> None:
    response = client.get("/export.json?q=budget&max=30")
    data = json.loads(response.get_data(as_text=True))
    assert data["total"] == 45 and data["limit"] == 30
    assert len(data["records"]) == 30
    assert {"diarienummer", "lopnummer", "datum", "url"} <= set(data["records"][0])
