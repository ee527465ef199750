"""The case page: register data and the case's documents in order.

Through Flask's test client over a real store, real files and a real embedded
index (tests/web_site.py; the `site` and `client` fixtures are in conftest.py).
Pages are parsed with BeautifulSoup."""

from __future__ import annotations

from flask.testing import FlaskClient
from web_site import (
    SECRET_TITLE,
    Site,
    soup,
)


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
