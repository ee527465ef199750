"""The public site through Flask's test client: a real store, real files, a real embedded
index (tests/web_site.py). Pages are parsed with BeautifulSoup."""

from __future__ import annotations

import csv
import io
import json
import socket
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from xml.etree import ElementTree as ET

import pytest
from bs4 import BeautifulSoup
from diarium.web.app import create_app
from flask.testing import FlaskClient
from web_site import (
    HOSTILE_CASE,
    HOSTILE_PART,
    HOSTILE_TEXT,
    HOSTILE_TITLE,
    REGISTRY_EMAIL,
    SECRET_LAGRUM,
    SECRET_TITLE,
    Site,
    build_site,
)

from diarium.config import load_settings
from diarium.search import FACET_NAMES
from diarium.store import Store

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Site:
    return build_site(tmp_path_factory.mktemp("webdata"), corpus_dir)


@pytest.fixture(scope="module")
def client(site: Site) -> FlaskClient:
    return create_app(site.settings, backend=site.backend).test_client()


def soup(response) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def hit_titles(page: BeautifulSoup) -> list[str]:
    return [h.get_text(" ", strip=True) for h in page.select("ol.hits li.hit h3")]


# -- search page ---------------------------------------------------------------------------


def test_search_shows_count_hits_snippets_and_page_of_hit(client: FlaskClient) -> None:
    response = client.get("/?q=bygglov")
    assert response.status_code == 200
    page = soup(response)
    assert page.html["lang"] == "sv"
    count = page.select_one(".result-count").get_text(" ", strip=True)
    assert "träffar" in count
    assert page.select("ol.hits li.hit")
    marks = page.select(".snippet mark")
    assert marks, "snippets carry <mark> highlights"
    assert all("bygglov" in m.get_text().lower() for m in marks)
    # The planbesked application has "kajen" on its second page only.
    page = soup(client.get("/?q=kajen"))
    link = page.find("a", string="Ansökan om planbesked för hamnen")
    assert link is not None and link["href"].endswith("?q=kajen#sida-2")
    assert "Sida 2" in page.select_one(".snippet .page-ref").get_text()


def test_empty_search_lists_newest_first(client: FlaskClient, site: Site) -> None:
    page = soup(client.get("/"))
    assert "Senast registrerade" in page.select_one(".result-count").get_text()
    dates = [t["datetime"] for t in page.select("ol.hits .meta time")]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == "2024-03-03"


def test_sort_oldest_and_newest(client: FlaskClient) -> None:
    oldest = [t["datetime"] for t in soup(client.get("/?q=budget&sort=oldest"))
              .select("ol.hits .meta time")]
    newest = [t["datetime"] for t in soup(client.get("/?q=budget&sort=newest"))
              .select("ol.hits .meta time")]
    assert oldest == sorted(oldest) and newest == sorted(newest, reverse=True)
    assert oldest[0] < newest[0]


def test_facets_have_counts_and_combine(client: FlaskClient) -> None:
    page = soup(client.get("/?q=budget"))
    facet_names = {s["aria-labelledby"].removeprefix("facet-") for s in page.select(".facet")}
    assert {"handlingstyp", "riktning", "year"} <= facet_names <= set(FACET_NAMES)
    protokoll = page.select_one('#facet-handlingstyp ~ ul a[href*="handlingstyp=Protokoll"]')
    assert protokoll is not None
    count = int(protokoll.select_one(".count").get_text().replace("\u00a0", ""))
    assert count == 15
    # Follow the facet link, then add a second facet: both filters stay in the URL.
    page2 = soup(client.get("/" + protokoll["href"]))
    assert len(page2.select("ol.hits li.hit")) == 15
    assert page2.select_one(".active-filters")
    inkommande = page2.select_one('#facet-riktning ~ ul a[href*="riktning=Inkommande"]')
    href = inkommande["href"]
    params = parse_qs(urlsplit(href).query)
    assert params["handlingstyp"] == ["Protokoll"] and params["riktning"] == ["Inkommande"]
    page3 = soup(client.get("/" + href))
    assert len(page3.select("ol.hits li.hit")) == 15  # every Protokoll is Inkommande here
    # A selected value's link switches it off again.
    selected = page3.select_one('#facet-handlingstyp ~ ul a.selected')
    assert "handlingstyp=" not in selected["href"]
    assert selected["aria-current"] == "true"


def test_two_values_of_one_facet_are_or(client: FlaskClient) -> None:
    one = soup(client.get("/?q=budget&handlingstyp=Protokoll"))
    two = soup(client.get("/?q=budget&handlingstyp=Protokoll&handlingstyp=Remiss"))
    assert len(one.select("ol.hits li.hit")) == 15
    assert len(two.select("ol.hits li.hit")) == 20  # first page of 30


def test_date_range_filters(client: FlaskClient) -> None:
    page = soup(client.get("/?from=2023-01-01&to=2023-12-31&sort=oldest"))
    dates = [t["datetime"] for t in page.select("ol.hits .meta time")]
    assert dates and all("2023-01-01" <= d <= "2023-12-31" for d in dates)
    assert page.select_one("#from")["value"] == "2023-01-01"


def test_date_presets_keep_the_query(client: FlaskClient) -> None:
    page = soup(client.get("/?q=budget"))
    links = {a.get_text(): a["href"] for a in page.select("nav.presets a")}
    week = parse_qs(urlsplit(links["Senaste veckan"]).query)
    today = date.today()
    assert week["q"] == ["budget"]
    assert week["from"] == [(today - timedelta(days=6)).isoformat()]
    assert week["to"] == [today.isoformat()]
    chosen = soup(client.get("/" + links["Senaste veckan"]))
    assert chosen.select_one('nav.presets a[aria-current="true"]').get_text() == \
        "Senaste veckan"


def test_form_keeps_the_whole_state(client: FlaskClient) -> None:
    page = soup(client.get("/?q=budget&handlingstyp=Remiss&from=2022-01-01&sort=oldest"))
    form = page.select_one("form.search-form")
    assert form["method"] == "get"
    assert page.select_one("#q")["value"] == "budget"
    assert page.select_one("#sort option[selected]")["value"] == "oldest"
    hidden = {(i["name"], i["value"]) for i in form.select("input[type=hidden]")}
    assert ("handlingstyp", "Remiss") in hidden
    for control in form.select("input:not([type=hidden]), select"):
        assert page.select_one(f'label[for="{control["id"]}"]'), control


def test_deep_paging(client: FlaskClient) -> None:
    page1 = soup(client.get("/?q=budget&sort=oldest"))
    nav = page1.select_one("nav.pagination")
    assert nav["aria-label"] == "Resultatsidor"
    assert nav.select_one('[aria-current="page"]').get_text(strip=True).endswith("1")
    next_link = nav.select_one('a[rel="next"]')["href"]
    page2 = soup(client.get("/" + next_link))
    assert page2.select_one("ol.hits")["start"] == "21"
    assert page2.select_one(".range").get_text() == "Visar 21–40 av 45"
    assert set(hit_titles(page1)).isdisjoint(hit_titles(page2))
    page3 = soup(client.get("/?q=budget&sort=oldest&page=3"))
    assert len(page3.select("ol.hits li.hit")) == 5
    assert not page3.select_one('nav.pagination a[rel="next"]')


def test_page_past_the_end_goes_to_the_last_page(client: FlaskClient) -> None:
    response = client.get("/?q=budget&sort=oldest&page=7")
    assert response.status_code == 302
    assert response.headers["Location"] == "/?q=budget&sort=oldest&page=3"
    assert client.get("/?q=xylofonkonsert&page=2").headers["Location"] == \
        "/?q=xylofonkonsert"


def test_no_results_help(client: FlaskClient) -> None:
    page = soup(client.get("/?q=xylofonkonsert"))
    assert "Inga träffar" in page.get_text()
    assert page.select_one(".no-results li")
    assert not page.select("ol.hits")


def test_partial_results_notice(client: FlaskClient) -> None:
    page = soup(client.get("/?q=planuppdrag+xylofonkonsert"))
    assert page.select("ol.hits li.hit")
    notice = page.select_one('[role="status"]').get_text()
    assert "Ingen handling innehöll alla orden" in notice
    assert not soup(client.get("/?q=planuppdrag")).select('[role="status"]')


@pytest.mark.parametrize("written", ["KS 2023/123", "ks-2023-0123", "KS2023/123",
                                     "Dnr KS 2023/0123"])
def test_case_number_box_accepts_any_written_form(client: FlaskClient, site: Site,
                                                  written: str) -> None:
    page = soup(client.get("/", query_string={"dnr": written}))
    assert page.select("ol.hits li.hit"), written
    cases = {a["href"] for a in page.select("ol.hits a.dnr")}
    assert cases == {f"/arende/{site.case_ids['hamn']}"}
    assert page.select_one(".notice-case a")["href"] == f"/arende/{site.case_ids['hamn']}"


def test_unreadable_case_number_gets_a_hint(client: FlaskClient) -> None:
    page = soup(client.get("/?dnr=hamnen"))
    assert "ser inte ut som ett diarienummer" in page.select_one('[role="status"]').get_text()
    readable = soup(client.get("/?dnr=KS+2023/123"))
    assert "ser inte ut som" not in readable.get_text()


# -- case and document pages ---------------------------------------------------------------


def test_case_page_lists_documents_in_order(client: FlaskClient, site: Site) -> None:
    page = soup(client.get(f"/arende/{site.case_ids['hamn']}"))
    assert "KS 2023/123" in page.h1.get_text()
    rows = page.select("table.documents tbody tr")
    assert [r.td.get_text(strip=True) for r in rows] == ["1", "2", "3", "4"]
    cells = [[c.get_text(" ", strip=True) for c in r.select("td")] for r in rows]
    assert cells[0][1:3] == ["2023-02-01", "Inkommande"]
    assert cells[1][2] == "Upprättad" and cells[3][2] == "Utgående"
    assert "Sekretess enligt" in cells[2][4]
    assert SECRET_TITLE not in page.get_text()
    assert page.select_one("table caption")


def test_document_page_highlights_the_query(client: FlaskClient, site: Site) -> None:
    doc = site.doc_ids["beslut"]
    page = soup(client.get(f"/handling/{doc}?q=beslut"))
    assert page.h1.get_text(strip=True) == "Beslut om planuppdrag för hamnen"
    marked = [m.get_text() for m in page.select(".page-text mark")]
    assert "beslutar" in marked and "Beslutet" in marked
    plain = soup(client.get(f"/handling/{doc}"))
    assert not plain.select(".page-text mark")
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


# -- feeds, exports, API -------------------------------------------------------------------


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


def test_api_search_has_the_result_to_json_shape(client: FlaskClient) -> None:
    data = client.get("/api/v1/search?q=bygglov&per_page=5").get_json()
    assert {"total", "hits", "facets"} <= set(data)
    assert len(data["hits"]) == 5
    hit = data["hits"][0]
    assert {"organisation", "diarienummer", "lopnummer", "datum", "riktning",
            "handlingstyp", "rubrik", "snippets", "page"} <= set(hit)
    assert all(isinstance(v, list) for v in data["facets"].values())


def test_api_case_and_document(client: FlaskClient, site: Site) -> None:
    case = client.get(f"/api/v1/cases/{site.case_ids['hamn']}").get_json()
    assert case["url"].endswith(f"/arende/{site.case_ids['hamn']}")
    assert SECRET_TITLE not in json.dumps(case, ensure_ascii=False)
    doc = client.get(f"/api/v1/documents/{site.doc_ids['ansokan']}").get_json()
    assert doc["diarienummer"] == "KS 2023/123" and doc["lopnummer"] == 1
    assert doc["file_url"].endswith(f"/handling/{site.doc_ids['ansokan']}/fil")
    secret = client.get(f"/api/v1/documents/{site.doc_ids['hemlig']}").get_json()
    assert secret["file_url"] is None and secret["text"] == ""
    assert SECRET_TITLE not in json.dumps(secret, ensure_ascii=False)


def test_api_may_be_called_from_other_sites(client: FlaskClient) -> None:
    assert client.get("/api/v1/search").headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in client.get("/").headers


def test_api_errors_are_json(client: FlaskClient) -> None:
    missing = client.get("/api/v1/documents/999999")
    assert missing.status_code == 404 and missing.get_json()["error"]["status"] == 404
    bad = client.get("/api/v1/search?page=x")
    assert bad.status_code == 400 and "page" in bad.get_json()["error"]["message"]


def test_openapi_describes_every_route(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {"/api/v1/search", "/api/v1/cases/{case_id}",
                                  "/api/v1/documents/{doc_id}"}
    names = {p["name"] for p in spec["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert set(FACET_NAMES) | {"q", "dnr", "from", "to", "sort", "page", "per_page"} == names
    for path in spec["paths"].values():  # every $ref resolves
        for ref in _refs(path):
            name = ref.removeprefix("#/components/schemas/")
            assert name in spec["components"]["schemas"], ref


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_about_and_accessibility_pages(client: FlaskClient) -> None:
    about = soup(client.get("/om"))
    assert about.h1.get_text() == "Om diariet"
    statement = soup(client.get("/tillganglighet"))
    assert statement.h1.get_text() == "Tillgänglighetsredogörelse"
    assert "WCAG 2.1" in statement.get_text()


# -- safety --------------------------------------------------------------------------------


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


# -- engine down, internal errors, overrides -----------------------------------------------


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


def test_deployment_can_override_templates(tmp_path: Path, site: Site) -> None:
    data = site.settings.data_dir
    (data / "templates").mkdir(exist_ok=True)
    (data / "static").mkdir(exist_ok=True)
    try:
        (data / "templates" / "site_logo.html").write_text(
            '<a href="/" class="site-name"><img src="/static/org/logo.svg" alt="">'
            "Exempelkommunens diarium</a>", encoding="utf-8")
        (data / "static" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
        client = create_app(site.settings, backend=site.backend).test_client()
        page = soup(client.get("/om"))
        assert page.select_one(".site-name").get_text() == "Exempelkommunens diarium"
        logo = client.get("/static/org/logo.svg")
        assert logo.status_code == 200 and logo.mimetype == "image/svg+xml"
    finally:
        (data / "templates" / "site_logo.html").unlink()


def test_an_override_extends_the_builtin_template(site: Site) -> None:
    """As in datasette: <data>/templates/search.html replaces the built-in one, and can
    extend it as "default:search.html" to change one block instead of copying the page."""
    templates = site.settings.data_dir / "templates"
    templates.mkdir(exist_ok=True)
    override = templates / "search.html"
    try:
        override.write_text(
            '{% extends "default:search.html" %}\n'
            "{% block title %}Exempelkommunens diarium{% endblock %}\n"
            '{% block content %}<p class="org-notice">Registraturen har öppet 8–16.</p>'
            "{{ super() }}{% endblock %}\n", encoding="utf-8")
        client = create_app(site.settings, backend=site.backend).test_client()
        page = soup(client.get("/?q=bygglov"))
        assert page.title.get_text().startswith("Exempelkommunens diarium")
        assert page.select_one("main .org-notice + h1").get_text() == "Sök i diariet"
        assert page.select("ol.hits li.hit .snippet mark")     # the built-in page, whole
        assert page.select_one("form.search-form")
    finally:
        override.unlink()


def test_an_override_can_use_the_shared_macros(site: Site) -> None:
    templates = site.settings.data_dir / "templates"
    templates.mkdir(exist_ok=True)
    override = templates / "case.html"
    try:
        override.write_text(
            '{% extends "default:case.html" %}\n'
            '{% from "_macros.html" import record_title, register_row %}\n'
            "{% block content %}{{ super() }}<ul class=\"titles\">{% for d in case.documents %}"
            "<li>{{ record_title(d) }}</li>{% endfor %}</ul>"
            '<dl class="extra">{{ register_row("Tom", "") }}'
            '{{ register_row("Diarium", "KS") }}</dl>'
            "{% endblock %}\n", encoding="utf-8")
        client = create_app(site.settings, backend=site.backend).test_client()
        page = soup(client.get(f"/arende/{site.case_ids['hamn']}"))
        rows = page.select("table.documents tbody tr")
        titles = [li.get_text() for li in page.select("ul.titles li")]
        assert titles == [r.select("td")[4].get_text(" ", strip=True) for r in rows]
        assert [dt.get_text() for dt in page.select("dl.extra dt")] == ["Diarium"]
    finally:
        override.unlink()


def test_record_title_falls_back_to_the_document_type(client: FlaskClient) -> None:
    app = client.application
    with app.test_request_context():
        macros = app.jinja_env.get_template("_macros.html").module
        title = macros.record_title  # type: ignore[attr-defined]
        assert title({"rubrik": "Ansökan <om> bygglov", "handlingstyp": "Ansökan"}) == \
            "Ansökan &lt;om&gt; bygglov"
        assert title({"rubrik": "", "handlingstyp": "Beslut"}) == "Beslut"
        assert title({"rubrik": None, "handlingstyp": ""}) == "Handling"


def test_document_links_from_search_carry_the_query(client: FlaskClient) -> None:
    page = soup(client.get("/?q=planuppdrag"))
    link = page.find("a", string="Beslut om planuppdrag för hamnen")["href"]
    assert unquote(link).split("?q=")[1].startswith("planuppdrag")


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
