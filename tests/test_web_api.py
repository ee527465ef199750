"""The JSON API and its OpenAPI description.

Through Flask's test client over a real store, real files and a real embedded
index (tests/web_site.py; the `site` and `client` fixtures are in conftest.py).
Pages are parsed with BeautifulSoup."""

from __future__ import annotations

import json

from flask.testing import FlaskClient
from web_site import (
    SECRET_TITLE,
    Site,
)

from diarium.search import FACET_NAMES


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
                                  "/api/v1/documents/{doc_id}", "/api/v1/meetings",
                                  "/api/v1/meetings/{meeting_id}",
                                  "/api/v1/cases/{case_id}/meetings"}
    names = {p["name"] for p in spec["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert set(FACET_NAMES) | {"q", "dnr", "from", "to", "sort", "page", "per_page",
                               "exakt"} == names
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
