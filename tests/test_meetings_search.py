"""Meetings in search (issue 16): the notice and minutes of a meeting carry the public field
`sammantrade` ("<nämnd> <YYYY-MM-DD>[ <HH:MM>]"), indexed as the facet "Sammanträde" in the
embedded engine, Elasticsearch and OpenSearch alike: filters, counts, the search page, the
API and the exports. A real register and meetings manifest are imported and extracted."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from extraction_fixtures import make_pdf
from manifests import write_csv as write_register_csv

from diarium.config import Settings, load_settings
from diarium.indexer.embedded import EmbeddedBackend
from diarium.meetings import folder_key
from diarium.pipeline import indexing
from diarium.pipeline.extracting import config_from_settings, extract
from diarium.pipeline.importing import import_manifest
from diarium.public import MEETING_KEY_PREFIX, PublicRecord, public_records
from diarium.search import SearchRequest, SearchResult, result_to_json
from diarium.store import Store

MAY = "Samhällsbyggnadsnämnden 2024-05-06 18:30"
JUNE = "Samhällsbyggnadsnämnden 2024-06-10"


@dataclass
class Diary:
    settings: Settings
    root: Path


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    header = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def diary(tmp_path_factory: pytest.TempPathFactory) -> Diary:
    """Two register documents and two meetings of Samhällsbyggnadsnämnden: 6 May (notice
    and minutes) and 10 June (minutes with a secret item, so not published), extracted."""
    root = tmp_path_factory.mktemp("meetsearch")
    settings = load_settings(root / "data")
    base = {"organisation": "sbn", "arendemening": "Bygglov Storgatan 4", "status": "avslutat",
            "namnd": "Samhällsbyggnadsnämnden", "riktning": "Inkommande",
            "handlingstyp": "Ansökan", "rubrik": "Ansökan om bygglov", "publicerad": "ja"}
    register = write_register_csv(root / "register.csv", [
        {**base, "diarienummer": "SBN 2024/45", "lopnummer": "1", "datum": "2024-03-02"},
        {**base, "diarienummer": "SBN 2024/46", "lopnummer": "1", "datum": "2024-03-04",
         "arendemening": "Strandskyddsdispens", "handlingstyp": "Protokoll"},
    ])
    folder = root / "mote"
    folder.mkdir()
    make_pdf(folder / "kallelse.pdf", ["Kallelse till sammanträde 6 maj 2024"])
    make_pdf(folder / "protokoll.pdf", ["Protokoll 6 maj 2024. § 45 Bygglov Storgatan 4."])
    make_pdf(folder / "protokoll-juni.pdf", ["Protokoll 10 juni 2024. § 60 Strandskydd."])
    may = {"organisation": "sbn", "namnd": "Samhällsbyggnadsnämnden", "datum": "2024-05-06",
           "tid": "18.30", "justerat": "2024-05-10", "anslagsdatum": "2024-05-13",
           "kallelse": "kallelse.pdf", "protokoll": "protokoll.pdf"}
    june = {"organisation": "sbn", "namnd": "Samhällsbyggnadsnämnden", "datum": "2024-06-10",
            "justerat": "2024-06-12", "anslagsdatum": "2024-06-14",
            "protokoll": "protokoll-juni.pdf"}
    meetings = _write_csv(folder / "sammantraden.csv", [
        {**may, "paragraf": "45", "rubrik": "Bygglov Storgatan 4",
         "diarienummer": "SBN 2024/45", "beslut": "Nämnden beviljar bygglov.", "typ": "beslut"},
        {**june, "paragraf": "60", "rubrik": "Strandskyddsdispens",
         "diarienummer": "SBN 2024/46", "beslut": "Dispens ges.", "typ": "beslut"},
        {**june, "paragraf": "61", "rubrik": "Orosanmälan", "beslut": "Hemligt",
         "sekretess": "26 kap. 1 § OSL"},
    ])
    with Store(settings.store_path) as store:
        assert import_manifest(store, settings, register, root).rejected == 0
        report = import_manifest(store, settings, meetings)
        assert (report.inserted, report.rejected) == (3, 0), report.rejections
        extract(store, settings, config_from_settings(settings, workers=1))
    return Diary(settings, root)


def _records(diary: Diary) -> list[PublicRecord]:
    with Store(diary.settings.store_path) as store:
        return list(public_records(store, diary.settings))


def test_projection_names_the_meeting_of_notices_and_minutes(diary: Diary) -> None:
    by_field = {(r.handlingstyp, r.diarienummer): r for r in _records(diary)}
    assert by_field[("Kallelse", MAY)].sammantrade == MAY
    assert by_field[("Protokoll", MAY)].sammantrade == MAY
    june = by_field[("Protokoll", JUNE)]
    # Minutes held back for a secret item keep their register entry, meeting included.
    assert june.sammantrade == JUNE and june.text == "" and not june.has_file
    # Register documents belong to no meeting, a register "Protokoll" neither.
    assert by_field[("Ansökan", "SBN 2024/45")].sammantrade == ""
    assert by_field[("Protokoll", "SBN 2024/46")].sammantrade == ""


def test_folder_keys_start_as_the_projection_expects() -> None:
    assert folder_key("Kommunstyrelsen", date(2024, 5, 6), "13:00").startswith(
        MEETING_KEY_PREFIX)


def _counts(result: SearchResult, name: str = "sammantrade") -> dict[str, int]:
    return {v.value: v.count for v in result.facets.get(name, ())}


def _check_engine(backend: Any, diary: Diary) -> None:
    """Index the diary through the indexing service, then filter and count by meeting."""
    with Store(diary.settings.store_path) as store:
        report = indexing.index(store, diary.settings, backend)
    assert report.count == 5
    everything = backend.search(SearchRequest(per_page=20))
    assert _counts(everything) == {MAY: 2, JUNE: 1}
    may = backend.search(SearchRequest(filters={"sammantrade": (MAY,)}))
    assert sorted(h.record.handlingstyp for h in may.hits) == ["Kallelse", "Protokoll"]
    assert {h.record.sammantrade for h in may.hits} == {MAY}
    # Case-insensitive like every facet filter; values of one facet OR, facets AND.
    lower = backend.search(SearchRequest(filters={"sammantrade": (MAY.casefold(),)}))
    assert lower.total == 2
    both = backend.search(SearchRequest(filters={"sammantrade": (MAY, JUNE),
                                                 "handlingstyp": ("Protokoll",)}))
    assert sorted(h.record.sammantrade for h in both.hits) == [MAY, JUNE]
    # The register's own "Protokoll" has no meeting: counted by type, not by meeting.
    minutes = backend.search(SearchRequest(filters={"handlingstyp": ("Protokoll",)}))
    assert minutes.total == 3 and _counts(minutes) == {MAY: 1, JUNE: 1}
    words = backend.search(SearchRequest(query="bygglov"))
    assert _counts(words).get(MAY) == 1
    assert backend.search(SearchRequest(filters={"sammantrade": ("Kommunstyrelsen",)})
                          ).total == 0
    data = result_to_json(may)
    assert {h["sammantrade"] for h in data["hits"]} == {MAY}
    # A facet's own filter leaves its counts alone (the other meetings stay choosable).
    assert {v["value"]: v["count"] for v in data["facets"]["sammantrade"]} == {MAY: 2, JUNE: 1}
    assert {v["value"]: v["count"] for v in data["facets"]["handlingstyp"]} == {
        "Kallelse": 1, "Protokoll": 1}


def test_embedded_facet(diary: Diary, tmp_path: Path) -> None:
    backend = EmbeddedBackend(tmp_path / "embedded")
    backend.setup()
    try:
        _check_engine(backend, diary)
    finally:
        backend.close()


@pytest.mark.parametrize("engine", ["elasticsearch", "opensearch"])
def test_engine_facet(diary: Diary, make_elastic: Any, engine: str) -> None:
    _check_engine(make_elastic(engine), diary)


@pytest.mark.parametrize("engine", ["elasticsearch", "opensearch"])
def test_index_of_an_older_mapping_gets_the_field_on_setup(diary: Diary, make_elastic: Any,
                                                          engine: str) -> None:
    """An index created before the facet (strict mapping without `sammantrade`) would
    refuse current records; setup adds the field, and the records indexed after it can be
    filtered by meeting."""
    from diarium.indexer.elastic.settings import index_body

    backend = make_elastic(engine, setup=False)
    body = index_body(backend.profile(), 1, 0)
    del body["mappings"]["properties"]["sammantrade"]
    old = f"{backend.alias}-v1-old"
    backend.conn.request("PUT", f"/{old}", body=body)
    backend.move_alias(old)
    backend.setup()
    mapping = backend.conn.request("GET", f"/{old}/_mapping")
    assert mapping[old]["mappings"]["properties"]["sammantrade"] == {"type": "keyword"}
    backend.setup()  # nothing more to add: safe to repeat
    _check_engine(backend, diary)
    assert backend.alias_targets() == [old]


# --- the site ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(diary: Diary, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from diarium.web.app import create_app

    backend = EmbeddedBackend(tmp_path_factory.mktemp("meetsearch-web") / "embedded")
    backend.setup()
    with Store(diary.settings.store_path) as store:
        indexing.index(store, diary.settings, backend)
    app = create_app(diary.settings, backend=backend)
    app.config["TESTING"] = True
    with app.test_client() as test_client:
        yield test_client
    backend.close()


def test_search_page_shows_the_facet(client: Any) -> None:
    page = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser")
    section = page.select_one("#facet-sammantrade")
    assert section is not None and section.get_text(strip=True) == "Sammanträde"
    links = {a.get_text(" ", strip=True): a["href"]
             for a in page.select('#facet-sammantrade ~ ul a.facet-value')}
    assert set(links) == {f"{MAY} 2", f"{JUNE} 1"}
    chosen = BeautifulSoup(client.get("/" + links[f"{MAY} 2"]).get_data(as_text=True),
                           "html.parser")
    assert len(chosen.select("ol.hits li.hit")) == 2
    assert "Sammanträde" in chosen.select_one(".active-filters").get_text()


def test_api_and_exports_carry_the_meeting(client: Any) -> None:
    found = client.get("/api/v1/search", query_string={"sammantrade": MAY}).get_json()
    assert found["total"] == 2 and {h["sammantrade"] for h in found["hits"]} == {MAY}
    doc = client.get(f"/api/v1/documents/{found['hits'][0]['doc_id']}").get_json()
    assert doc["sammantrade"] == MAY
    rows = list(csv.DictReader(io.StringIO(
        client.get("/export.csv", query_string={"sammantrade": MAY}).get_data(as_text=True)
        .lstrip("\ufeff"))))
    assert [r["sammanträde"] for r in rows] == [MAY, MAY]
    exported = json.loads(client.get("/export.json", query_string={"sammantrade": JUNE})
                          .get_data(as_text=True))
    assert [r["sammantrade"] for r in exported["records"]] == [JUNE]
