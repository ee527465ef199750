"""The search page: hits, snippets, facets, dates, sorting, paging, the case-number box.

Through Flask's test client over a real store, real files and a real embedded
index (tests/web_site.py; the `site` and `client` fixtures are in conftest.py).
Pages are parsed with BeautifulSoup."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from flask.testing import FlaskClient
from web_site import (
    Site,
    hit_titles,
    soup,
)

from diarium.search import FACET_NAMES


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


def test_document_links_from_search_carry_the_query(client: FlaskClient) -> None:
    page = soup(client.get("/?q=planuppdrag"))
    link = page.find("a", string="Beslut om planuppdrag för hamnen")["href"]
    assert unquote(link).split("?q=")[1].startswith("planuppdrag")
