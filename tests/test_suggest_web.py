"""Spelling suggestions on the search page, in the JSON API and in `diarium search`.

Over the web tests' small real diary (tests/web_site.py: real store, real files, real
embedded index) through Flask's test client, pages parsed with BeautifulSoup; the
suggestion itself is tested on every engine in tests/test_suggest.py.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from click.testing import CliRunner
from flask.testing import FlaskClient
from web_site import SECRET_TITLE, Site, hit_titles, soup

from diarium.cli import main


def _notice(page):  # type: ignore[no-untyped-def]
    return page.select_one("p.notice-suggestion")


def test_the_search_page_offers_the_corrected_search(client: FlaskClient) -> None:
    page = soup(client.get("/?q=planbeskd"))
    assert page.select_one(".result-count").get_text(strip=True) == "Inga träffar"
    notice = _notice(page)
    assert notice is not None and notice["role"] == "status"
    assert " ".join(notice.get_text().split()) == "Menade du: planbesked? (1 träff)"
    link = notice.find("a")
    assert link.get_text() == "planbesked" and link["href"] == "?q=planbesked"
    followed = soup(client.get("/" + link["href"]))
    assert hit_titles(followed) == ["Ansökan om planbesked för hamnen"]
    assert _notice(followed) is None


def test_the_link_keeps_the_filters_dates_and_sort(client: FlaskClient) -> None:
    page = soup(client.get("/?q=bygglof+taxor&handlingstyp=Protokoll&from=2022-01-01"
                           "&to=2022-12-31&sort=oldest"))
    notice = _notice(page)
    assert notice is not None
    link = notice.find("a")
    assert link.get_text() == "bygglov taxor"
    params = parse_qs(urlsplit(link["href"]).query)
    assert params == {"q": ["bygglov taxor"], "handlingstyp": ["Protokoll"],
                      "from": ["2022-01-01"], "to": ["2022-12-31"], "sort": ["oldest"]}
    followed = soup(client.get("/" + link["href"]))
    count = followed.select_one(".result-count").get_text(strip=True)
    assert count == "15 träffar" and "(15 träffar)" in notice.get_text()


def test_the_case_number_box_stays_in_the_link(client: FlaskClient) -> None:
    notice = _notice(soup(client.get("/?q=Planbeskd&dnr=KS+2023%2F123")))
    assert notice is not None
    params = parse_qs(urlsplit(notice.find("a")["href"]).query)
    assert params == {"q": ["Planbesked"], "dnr": ["KS 2023/123"]}


def test_no_suggestion_for_hits_case_numbers_or_hidden_words(client: FlaskClient) -> None:
    for query in ("/?q=bygglov", "/?dnr=KS+2099%2F1", "/?q=KS+2099%2F1",
                  # only in a secret document, only in an unpublished document's text
                  "/?q=Hemligson", "/?q=Hemligssson+hamnen", "/?q=opublicerat"):
        page = soup(client.get(query))
        assert _notice(page) is None, query
        assert "Menade du" not in page.get_text(), query
    assert SECRET_TITLE.split()[-1] not in client.get("/?q=Hemligson").get_data(as_text=True)


def test_the_api_returns_the_suggestion(client: FlaskClient) -> None:
    data = client.get("/api/v1/search?q=bygglof&handlingstyp=Remiss").get_json()
    assert data["total"] == 0
    suggestion = data["suggestion"]
    assert suggestion["query"] == "bygglov" and suggestion["q"] == "bygglov"
    assert suggestion["corrections"] == [{"from": "bygglof", "to": "bygglov"}]
    url = urlsplit(suggestion["url"])
    assert url.path == "/api/v1/search"
    assert parse_qs(url.query) == {"q": ["bygglov"], "handlingstyp": ["Remiss"]}
    again = client.get(f"{url.path}?{url.query}").get_json()
    assert again["total"] == suggestion["total"] == 15 and again["suggestion"] is None
    assert client.get("/api/v1/search?q=bygglov").get_json()["suggestion"] is None
    spec = client.get("/api/openapi.json").get_json()
    assert "suggestion" in spec["components"]["schemas"]["SearchResult"]["properties"]


def test_the_cli_prints_the_suggestion(site: Site) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["--data", str(site.settings.data_dir), "search",
                                  "planbeskd", "--no-semantic"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == ["0 träffar", "Menade du: planbesked? (1 träff)"]
    found = runner.invoke(main, ["--data", str(site.settings.data_dir), "search", "bygglov",
                                 "--no-semantic"])
    assert found.exit_code == 0 and "Menade du" not in found.output
