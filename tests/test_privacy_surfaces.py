"""Every public surface, for every written form of a personnummer (issue 13).

A small real diary: one document per written form (its own number each, in the title,
the party, the case title, the unit (a facet), the text and its pages, and the file
name), a document whose file's metadata holds a number, a clean document whose file name
holds one, a private person's document and a sensitive matter; files stored through the
FileStore; an embedded index built by the indexing service. The Flask test client then
fetches the search page (hits, snippets, facets), the document and case pages, the Atom
feed, the CSV and JSON exports, the JSON API (search, document, case), the downloads,
and the open-data dump; none may hold the last four digits of any number or the hidden
name, in any escaping.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import pytest
from flask.testing import FlaskClient
from test_public import add_document, valid_number

from diarium import personnummer
from diarium.config import Settings, load_settings
from diarium.indexer.embedded import EmbeddedBackend
from diarium.pipeline.indexing import index
from diarium.store import Store

# One number per form, each with its own last four digits (serials 97x: no year, page or
# id on the pages looks like them).
GAPS = [" ", " - ", "- ", " -", "\u2013", "\u2011", "\u2212", "\u00a0", "  ", "\t", "-\n",
        "\n", "\r\n- ", "", "-", "+", " + "]
NUMBERS = [valid_number(f"8507{day:02d}", f"97{i % 10}") for i, day in
           enumerate(range(1, len(GAPS) + 1))]
FORMS = [(("19" if i % 3 == 0 else "") + n[:6] + gap + n[6:])
         for i, (n, gap) in enumerate(zip(NUMBERS, GAPS, strict=True))]
SAMORDNING = valid_number("910375", "986")
FORMS.append(f"19{SAMORDNING[:6]} {SAMORDNING[6:]}")
NUMBERS.append(SAMORDNING)
TAILS = [n[6:] for n in NUMBERS]
HIDDEN_NAME = ["Ottilia", "Grönkvist", "Gronkvist"]
SENSITIVE_WORDS = ["Vilgot", "Hammarsköld", "Hammarskold"]
TOML = """
[organisations.exkommun]
name = "Exempelkommunen"
base_url = "https://diarium.example.se"
[[organisations.exkommun.sensitive]]
namnd = ["Socialnämnden"]
text = "Ärende inom socialtjänsten"
"""


@dataclass
class Diary:
    settings: Settings
    client: FlaskClient
    doc_ids: dict[str, int] = field(default_factory=dict)
    case_ids: list[int] = field(default_factory=list)


def _store_files(store: Store, settings: Settings, doc_id: int) -> None:
    """Write each file of a document at its content address through the FileStore:
    add_document names a file by the hash of "doc_id:name:text", so those bytes are it."""
    rows = store.conn.execute(
        "SELECT df.sha256, df.name, COALESCE(e.text, '') AS text FROM document_files df "
        "LEFT JOIN extractions e ON e.sha256 = df.sha256 WHERE df.document_id = ?",
        (doc_id,)).fetchall()
    for row in rows:
        sha, _ = settings.files.add_bytes(f"{doc_id}:{row['name']}:{row['text']}".encode())
        assert sha == row["sha256"]


@pytest.fixture(scope="module")
def diary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Diary]:
    from diarium.web.app import create_app

    root: Path = tmp_path_factory.mktemp("surfaces")
    (root / "diarium.toml").write_text(TOML, encoding="utf-8")
    settings = load_settings(root)
    store = Store(settings.store_path)
    ids: dict[str, int] = {}
    for i, form in enumerate(FORMS):
        ids[f"form{i}"] = add_document(
            store, dnr=f"KS 2023/{i + 1}", dnr_key=f"KS|2023|{i + 1}", lopnummer=1,
            rubrik=f"Ansökan från {form} om bygglov", part=f"Trafikverket {form}",
            arendemening=f"Bygglov {form}", enhet=f"Enhet {form}", status="pågående",
            files=[{"name": f"ansokan {form}.pdf", "text": f"Sökande {form} ansöker.",
                    "pages": [f"Sökande {form}", "ansöker."]}])
    ids["metadata"] = add_document(
        store, dnr="KS 2023/90", dnr_key="KS|2023|90", rubrik="Yttrande om detaljplan",
        files=[{"name": "yttrande.pdf", "text": "Ett yttrande utan nummer."}])
    ids["clean_file"] = add_document(
        store, dnr="KS 2023/91", dnr_key="KS|2023|91", rubrik="Beslut om bygglov",
        files=[{"name": f"beslut {FORMS[0]}.pdf", "text": "Beslutet gäller bygglov."}])
    ids["person"] = add_document(
        store, dnr="KS 2023/92", dnr_key="KS|2023|92", rubrik="Klagomål från Ottilia Grönkvist",
        part="Ottilia Grönkvist", arendemening="Klagomål om bygglov, Grönkvist, Ottilia",
        files=[{"name": "Ottilia_Gronkvist.pdf",
                "text": "Jag heter Ottilia Grönkvist och klagar på bygglovet."}])
    ids["sensitive"] = add_document(
        store, dnr="SN 2023/77", dnr_key="SN|2023|77", namnd="Socialnämnden",
        rubrik="Ansökan om bistånd, Vilgot Hammarsköld", part="Vilgot Hammarsköld",
        arendemening="Bistånd Vilgot Hammarsköld",
        files=[{"name": "ansokan.pdf", "text": "Vilgot Hammarsköld ansöker om bistånd."}])
    with store.transaction() as conn:
        conn.execute(
            "UPDATE extractions SET metadata = ? WHERE sha256 = (SELECT sha256 FROM "
            "document_files WHERE document_id = ?)",
            (json.dumps({"author": f"Handläggare {FORMS[1]}",
                         "attachments": [f"bilaga {FORMS[2]}.pdf"]}), ids["metadata"]))
    for doc_id in ids.values():
        _store_files(store, settings, doc_id)
    case_ids = sorted({int(r[0]) for r in store.conn.execute("SELECT case_id FROM documents")})
    backend = EmbeddedBackend(settings.index_dir / "embedded", writer_heap=15_000_000,
                              writer_threads=1)
    backend.setup()
    index(store, settings, backend)
    store.close()
    client = create_app(settings, backend=backend).test_client()
    yield Diary(settings, client, ids, case_ids)
    backend.close()


def _leaks(body: str) -> list[str]:
    """What of the hidden values a response body holds, in any escaping (JSON \\u,
    URL %-escapes, HTML entities are plain digits and letters here)."""
    texts = [body, unquote(body)]
    with contextlib.suppress(ValueError):
        texts.append(json.dumps(json.loads(body), ensure_ascii=False))
    found = []
    for text in texts:
        found += [t for t in TAILS if t in text]
        found += [w for w in HIDDEN_NAME + SENSITIVE_WORDS if w.casefold() in text.casefold()]
        found += [text[a:b] for a, b in personnummer.find(text)]
    return sorted(set(found))


SEARCHES = ["", "ansökan", "bygglov", "Trafikverket", "850701", "sökande", "yttrande",
            "klagomål", "bistånd", "enhet"]


def _urls(diary: Diary) -> list[str]:
    urls = []
    for q in SEARCHES:
        urls += [f"/?q={q}", f"/?q={q}&per_page=100", f"/bevakning.atom?q={q}",
                 f"/export.csv?q={q}&max=1000", f"/export.json?q={q}&max=1000",
                 f"/api/v1/search?q={q}&per_page=100"]
    urls += [f"/handling/{d}" for d in diary.doc_ids.values()]
    urls += [f"/handling/{d}?q=ansökan" for d in diary.doc_ids.values()]
    urls += [f"/api/v1/documents/{d}" for d in diary.doc_ids.values()]
    urls += [f"/arende/{c}" for c in diary.case_ids]
    urls += [f"/api/v1/cases/{c}" for c in diary.case_ids]
    urls += [f"/?enhet=Enhet {FORMS[0][:6]}-****", "/?namnd=Socialnämnden"]
    return urls


def test_no_surface_shows_a_number_or_a_hidden_name(diary: Diary) -> None:
    checked = 0
    for url in _urls(diary):
        response = diary.client.get(url)
        assert response.status_code in (200, 302), (url, response.status_code)
        body = response.get_data(as_text=True)
        assert not _leaks(body), (url, _leaks(body))
        headers = json.dumps(dict(response.headers), ensure_ascii=False)
        assert not _leaks(headers), (url, headers)
        checked += 1
    assert checked > 80


def test_surfaces_show_the_masked_forms(diary: Diary) -> None:
    """The checks above would pass on an empty site: the masked values are there."""
    page = diary.client.get("/?q=sökande&per_page=100").get_data(as_text=True)
    for n in NUMBERS:
        assert f"{n[:6]}-****" in page or f"{n[:6]}+****" in page, n
    api = diary.client.get("/api/v1/search?q=&per_page=100").get_json()
    facets = json.dumps(api["facets"], ensure_ascii=False)
    assert "Enhet 850701-****" in facets
    csv_text = diary.client.get("/export.csv?q=&max=1000").get_data(as_text=True)
    assert "Privatperson" in csv_text and "Ärende inom socialtjänsten" in csv_text
    doc = diary.client.get(f"/api/v1/documents/{diary.doc_ids['person']}").get_json()
    assert doc["part"] == "Privatperson"


@pytest.mark.parametrize("label", ["form0", "form5", "form10", "form16", "metadata",
                                   "person", "sensitive"])
def test_no_download_of_an_original_that_cannot_be_masked(diary: Diary, label: str) -> None:
    doc_id = diary.doc_ids[label]
    assert diary.client.get(f"/handling/{doc_id}/fil").status_code == 404
    page = diary.client.get(f"/handling/{doc_id}").get_data(as_text=True)
    assert f"/handling/{doc_id}/fil" not in page


def test_clean_original_downloads_under_a_masked_name(diary: Diary) -> None:
    doc_id = diary.doc_ids["clean_file"]
    response = diary.client.get(f"/handling/{doc_id}/fil")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    # the masked name, its stars dropped as no download name may hold them
    assert f"beslut {NUMBERS[0][:6]}-" in unquote(disposition)
    assert not _leaks(disposition)


def test_open_data_dump_holds_no_number(diary: Diary) -> None:
    from diarium.opendata.dump import read_rows, write_dump

    with Store(diary.settings.store_path) as store:
        report = write_dump(store, diary.settings)
    dump = report.dump
    rows = 0
    for entry in dump.files:
        for row in read_rows(dump, entry):
            flat = json.dumps(row, ensure_ascii=False)
            assert not _leaks(flat), (entry.path, _leaks(flat))
            rows += 1
    assert rows > 2 * len(FORMS)
    assert re.search(r"850701-\*\*\*\*", json.dumps(
        [r for e in dump.files for r in read_rows(dump, e)], ensure_ascii=False))
