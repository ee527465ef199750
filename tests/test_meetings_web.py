"""Meeting pages (issue 16): the list by month, the meeting page, the case page's
"Behandlad i ..." block with the appeal deadline, the Atom feed of new minutes, the JSON
API, privacy (secret items, personnummer) and the minutes found by search."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from bs4 import BeautifulSoup
from extraction_fixtures import make_pdf
from flask.testing import FlaskClient
from web_site import Site, build_site

from diarium.meetings import appeal_deadline
from diarium.pipeline.extracting import config_from_settings, extract
from diarium.pipeline.importing import import_manifest
from diarium.public import public_records
from diarium.store import Store
from diarium.web.app import create_app

PNR = "19121212-1212"
TODAY = date.today()
# A recent meeting whose appeal time still runs, and an old one whose time is over.
RECENT = TODAY - timedelta(days=9)
RECENT_POSTED = TODAY - timedelta(days=3)
OLD = date(2023, 5, 8)
OLD_POSTED = date(2023, 5, 15)
ATOM = "{http://www.w3.org/2005/Atom}"


def write_meetings(folder: Path) -> Path:
    make_pdf(folder / "kallelse.pdf", ["Kallelse till kommunstyrelsen"])
    make_pdf(folder / "protokoll.pdf", ["Protokoll kommunstyrelsen. Paragraf om hamnen och "
                                        "planuppdraget för kajen."])
    make_pdf(folder / "protokoll-gammalt.pdf", ["Protokoll kommunstyrelsen maj 2023, "
                                                "delårsrapport"])
    recent = {"organisation": "exkommun", "namnd": "Kommunstyrelsen",
              "datum": RECENT.isoformat(), "tid": "13:00", "plats": "Kommunhuset",
              "justerat": (RECENT + timedelta(days=4)).isoformat(),
              "anslagsdatum": RECENT_POSTED.isoformat(), "kallelse": "kallelse.pdf",
              "protokoll": "protokoll.pdf", "protokoll_publicerad": "ja"}
    old = {"organisation": "exkommun", "namnd": "Kommunstyrelsen", "datum": OLD.isoformat(),
           "justerat": "2023-05-12", "anslagsdatum": OLD_POSTED.isoformat(),
           "protokoll": "protokoll-gammalt.pdf"}
    rows = [
        {**recent, "paragraf": "12", "rubrik": "Planuppdrag för hamnen",
         "diarienummer": "KS-2023-0123", "beslut": "Kommunstyrelsen ger planuppdrag.",
         "typ": "beslut"},
        {**recent, "paragraf": "13", "rubrik": "Tillsynsärende Lindgatan",
         "diarienummer": "KS 2023/123", "beslut": "Hemligt beslut om Kalle",
         "sekretess": "26 kap. 1 § OSL"},
        {**recent, "paragraf": "14", "rubrik": f"Skrivelse från {PNR}",
         "beslut": f"Skrivelsen från {PNR} läggs till handlingarna.", "typ": "anmälan"},
        {**old, "paragraf": "40", "rubrik": "Delårsrapport", "diarienummer": "KS 2023/123",
         "beslut": "Kommunstyrelsen godkänner rapporten.", "typ": "beslut"},
    ]
    header = list(dict.fromkeys(k for r in rows for k in r))
    path = folder / "sammantraden.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Site:
    return build_meeting_site(tmp_path_factory.mktemp("meetweb"), corpus_dir)


def build_meeting_site(root: Path, corpus_dir: Path) -> Site:
    """The web tests' diary plus two meetings of Kommunstyrelsen, extracted and indexed."""
    site = build_site(root / "data", corpus_dir, filler=5)
    folder = root / "export"
    folder.mkdir()
    with Store(site.settings.store_path) as store:
        report = import_manifest(store, site.settings, write_meetings(folder))
        assert (report.inserted, report.rejected) == (4, 0), report.rejections
        extract(store, site.settings, config_from_settings(site.settings, workers=1))
        ids = [r[0] for r in store.conn.execute(
            "SELECT id FROM documents WHERE handlingstyp IN ('Kallelse', 'Protokoll')")]
        site.backend.index(list(public_records(store, site.settings, ids)))
        for label, datum in (("recent", RECENT), ("old", OLD)):
            site.case_ids[f"meeting-{label}"] = int(store.conn.execute(
                "SELECT id FROM meetings WHERE datum = ?", (datum.isoformat(),)).fetchone()[0])
    return site


@pytest.fixture(scope="module")
def client(site: Site) -> Iterator[FlaskClient]:
    app = create_app(site.settings, backend=site.backend)
    app.config["TESTING"] = True
    with app.test_client() as test_client:
        yield test_client


def _soup(client: FlaskClient, path: str, status: int = 200) -> BeautifulSoup:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_meetings_list_by_month(client: FlaskClient, site: Site) -> None:
    page = _soup(client, "/sammantraden")
    assert page.h1.get_text(strip=True) == "Sammanträden"
    committees = [a.get_text(strip=True) for a in page.select(".committee-list a")]
    assert committees == ["Alla nämnder", "Kommunstyrelsen"]
    # Newest year first by default, months headed in Swedish.
    months = [h.get_text(strip=True) for h in page.select(".month h3")]
    assert months and months[0].endswith(str(RECENT.year))
    old = _soup(client, "/sammantraden?namnd=Kommunstyrelsen&organisation=exkommun&ar=2023")
    assert [h.get_text(strip=True) for h in old.select(".month h3")] == ["Maj 2023"]
    entry = old.select_one(".meeting-list li")
    assert "måndag 8 maj 2023" in entry.get_text(" ", strip=True)
    assert entry.a["href"] == f"/sammantraden/{site.case_ids['meeting-old']}"
    feed = old.find("link", rel="alternate")
    assert "protokoll.atom" in feed["href"] and "namnd=Kommunstyrelsen" in feed["href"]


@pytest.mark.parametrize("query", ["ar=tjugo", "ar=1800", "namnd=" + "x" * 300])
def test_bad_list_parameters_are_400(client: FlaskClient, query: str) -> None:
    assert client.get(f"/sammantraden?{query}").status_code == 400
    assert client.get(f"/api/v1/meetings?{query}").status_code == 400


def test_meeting_page(client: FlaskClient, site: Site) -> None:
    page = _soup(client, f"/sammantraden/{site.case_ids['meeting-recent']}")
    text = page.get_text(" ", strip=True)
    assert page.h1.get_text(" ", strip=True) == f"Kommunstyrelsen {RECENT.isoformat()}"
    assert "Kommunhuset" in text and "kl. 13:00" in text
    deadline = appeal_deadline(RECENT_POSTED).isoformat()
    assert f"Besluten kan överklagas till och med {deadline}" in text
    headings = [h.get_text(" ", strip=True) for h in page.select(".agenda h3")]
    assert headings == ["§ 12 Planuppdrag för hamnen", "§ 13 Sekretess enligt 26 kap. 1 § OSL",
                        "§ 14 Skrivelse från 121212-****"]
    link = page.select_one("#p12 a")
    assert link["href"] == f"/arende/{site.case_ids['hamn']}"
    # Notice and minutes: links to their document pages and files.
    hrefs = [a["href"] for a in page.select(".register a")]
    assert any(h.endswith("/fil") for h in hrefs) and any("/handling/" in h for h in hrefs)


def test_secret_item_and_personnummer_never_shown(client: FlaskClient, site: Site) -> None:
    for path in (f"/sammantraden/{site.case_ids['meeting-recent']}",
                 f"/api/v1/meetings/{site.case_ids['meeting-recent']}",
                 f"/arende/{site.case_ids['hamn']}", "/sammantraden/protokoll.atom",
                 f"/api/v1/cases/{site.case_ids['hamn']}/meetings"):
        body = client.get(path).get_data(as_text=True)
        assert "Tillsynsärende Lindgatan" not in body, path
        assert "Hemligt beslut" not in body, path
        assert "1212-1212" not in body, path


def test_case_page_shows_where_it_was_handled(client: FlaskClient, site: Site) -> None:
    page = _soup(client, f"/arende/{site.case_ids['hamn']}")
    block = page.select_one(".case-meetings")
    assert block is not None
    rows = [li.get_text(" ", strip=True) for li in block.select(".decisions > li")]
    # Oldest first; the secret § 13 is not listed.
    assert rows[0].startswith(f"Behandlad i Kommunstyrelsen {OLD.isoformat()} § 40")
    assert "Tiden för överklagande gick ut 2023-06-05" in rows[0]
    assert rows[1].startswith(f"Behandlad i Kommunstyrelsen {RECENT.isoformat()} § 12")
    assert "Beslut: Kommunstyrelsen ger planuppdrag." in rows[1]
    deadline = appeal_deadline(RECENT_POSTED).isoformat()
    assert f"Kan överklagas till och med {deadline}" in rows[1]
    assert len(rows) == 2
    link = block.select("a")[1]["href"]
    assert link == f"/sammantraden/{site.case_ids['meeting-recent']}#p12"


def test_folder_case_links_its_meeting(client: FlaskClient, site: Site) -> None:
    data = client.get(f"/api/v1/meetings/{site.case_ids['meeting-recent']}").get_json()
    page = _soup(client, f"/arende/{data['case_id']}")
    notice = page.select_one(".notice a")
    assert notice["href"] == f"/sammantraden/{site.case_ids['meeting-recent']}"
    types = {td.get_text(strip=True) for td in page.select("table.documents td")}
    assert {"Kallelse", "Protokoll"} <= types


def test_minutes_feed(client: FlaskClient, site: Site) -> None:
    response = client.get("/sammantraden/protokoll.atom?organisation=exkommun"
                          "&namnd=Kommunstyrelsen")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.data)
    titles = [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]
    assert titles == [f"Protokoll Kommunstyrelsen {RECENT.isoformat()}",
                      f"Protokoll Kommunstyrelsen {OLD.isoformat()}"]
    first = root.find(f"{ATOM}entry")
    assert first.findtext(f"{ATOM}updated") == f"{RECENT_POSTED.isoformat()}T00:00:00Z"
    assert "kan överklagas till och med" in first.findtext(f"{ATOM}summary")
    other = client.get("/sammantraden/protokoll.atom?namnd=Byggnadsnämnden")
    assert ET.fromstring(other.data).findall(f"{ATOM}entry") == []


def test_api(client: FlaskClient, site: Site) -> None:
    listing = client.get("/api/v1/meetings?organisation=exkommun").get_json()
    assert [m["datum"] for m in listing["meetings"]] == [RECENT.isoformat(), OLD.isoformat()]
    assert listing["meetings"][1]["appeal_deadline"] == "2023-06-05"
    assert listing["committees"][0]["namnd"] == "Kommunstyrelsen"
    one = client.get(listing["meetings"][0]["api_url"]).get_json()
    assert [i["paragraf"] for i in one["items"]] == [12, 13, 14]
    assert one["items"][1]["secret"] and one["items"][1]["cases"] == []
    assert one["items"][0]["cases"][0]["url"].endswith(f"/arende/{site.case_ids['hamn']}")
    assert one["protokoll"]["handlingstyp"] == "Protokoll" and one["protokoll"]["file_url"]
    decisions = client.get(f"/api/v1/cases/{site.case_ids['hamn']}/meetings").get_json()
    assert [d["paragraf"] for d in decisions["decisions"]] == [40, 12]
    missing = client.get("/api/v1/meetings/999999")
    assert missing.status_code == 404 and missing.get_json()["error"]["status"] == 404
    assert client.get("/api/v1/cases/999999/meetings").status_code == 404
    assert client.get("/sammantraden/999999").status_code == 404


def test_minutes_are_found_by_search(client: FlaskClient) -> None:
    data = client.get("/api/v1/search?q=kajen&handlingstyp=Protokoll").get_json()
    assert data["total"] >= 1
    assert all(h["handlingstyp"] == "Protokoll" for h in data["hits"])
    assert any(h["rubrik"].startswith("Protokoll Kommunstyrelsen") for h in data["hits"])


def test_openapi_describes_the_meetings_api(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    for path in ("/api/v1/meetings", "/api/v1/meetings/{meeting_id}",
                 "/api/v1/cases/{case_id}/meetings"):
        assert spec["paths"][path]["get"]["operationId"]
    page = _soup(client, "/api/")
    assert "/api/v1/meetings/{id}" in page.get_text()
