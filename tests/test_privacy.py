"""Privacy against the real embedded index, built by the indexing service from a store
whose documents carry extracted text (pages, attachments), and read directly: every term
of every field named in the index's own schema, every stored record, every facet value and
snippet. Complements test_search_privacy.py (manifest register fields only) with document
text, a document made secret AFTER it was indexed, and an unpublished document.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tantivy import Query
from test_public import add_document, personnummer_forms, valid_number

from diarium.config import load_settings
from diarium.indexer.embedded import EmbeddedBackend
from diarium.pipeline.indexing import index
from diarium.search import SearchRequest
from diarium.store import Store

PNR = personnummer_forms("850709", "618")          # 10/12 digits, with -, + and none
SAMORDNING = personnummer_forms("910375", "427")   # day 15 + 60
SECRETS = [valid_number("850709", "618"), valid_number("910375", "427")]
# What must never be in the index: the last four digits (they identify the person).
HIDDEN = [n[6:] for n in SECRETS]
SECRET_WORDS = ["Olle", "Ström", "jourhem", "Björkgården", "placerats"]
UNPUBLISHED_WORDS = ["Lönnvägen", "grannarna"]


class Indexed:
    def __init__(self, backend: EmbeddedBackend, ids: dict[str, int]) -> None:
        self.backend = backend
        self.ids = ids

    def total(self, query: str) -> int:
        return self.backend.search(SearchRequest(query=query, with_facets=False)).total

    def field_names(self) -> list[str]:
        meta = json.loads((self.backend.path / "meta.json").read_text("utf-8"))
        return [f["name"] for f in meta["schema"] if f["type"] == "text"]

    def terms(self) -> Iterator[tuple[str, str]]:
        searcher = self.backend.index_obj.searcher()
        for name in self.field_names():
            for term, _ in searcher.terms_with_prefix(name, ""):
                yield name, term

    def stored(self) -> list[dict[str, object]]:
        searcher = self.backend.index_obj.searcher()
        hits = searcher.search(Query.all_query(), 1000).hits
        out = []
        for _, address in hits:
            raw = searcher.doc(address).to_dict()
            out.append({"doc_id": raw["doc_id"],
                        "record": json.loads(bytes(raw["record"][0]).decode("utf-8"))})
        return out


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Indexed]:
    root: Path = tmp_path_factory.mktemp("privacy")
    settings = load_settings(root / "data")
    store = Store(settings.store_path)
    pnr, sam = PNR[0], SAMORDNING[2]
    ids = {
        "personal": add_document(
            store, rubrik=f"Ansökan om bygglov från {pnr}", part=f"Sven Svensson {PNR[3]}",
            arendemening=f"Bygglov för {sam}", handlaggare=f"Anna {SAMORDNING[1]}",
            files=[
                {"name": f"ansokan-{PNR[1]}.pdf", "text": f"Sökande {PNR[2]}, medsökande {sam}",
                 "pages": [f"Sökande {PNR[2]}", f"medsökande {sam} och {PNR[4]}"]},
                {"name": "bilaga.txt", "text": f"Kopia till {SAMORDNING[0]} {SAMORDNING[3]}",
                 "role": "attachment", "position": 1},
            ]),
        # Public first, made secret after it was indexed (below).
        "secret": add_document(
            store, dnr="SN 2023/77", dnr_key="SN|2023|77", namnd="Socialnämnden",
            handlingstyp="Utredning", rubrik="Placering i jourhem för Olle Ström",
            part="Olle Ström", arendemening="Placering Olle Ström",
            files=[{"name": "utredning.pdf",
                    "text": "Olle Ström har placerats på Björkgården."}]),
        "unpublished": add_document(
            store, dnr="MN 2023/5", dnr_key="MN|2023|5", rubrik="Klagomål på buller",
            publicerad=False,
            files=[{"name": "klagomal.pdf", "text": "Lönnvägen: grannarna spelar högt."}]),
    }
    backend = EmbeddedBackend(settings.index_dir / "embedded", writer_heap=15_000_000,
                              writer_threads=1)
    backend.setup()
    index(store, settings, backend)
    assert backend.search(SearchRequest(query="Björkgården")).total == 1   # public so far
    with store.transaction() as conn:
        conn.execute("UPDATE documents SET sekretess = '26 kap. 1 § OSL' WHERE id = ?",
                     (ids["secret"],))
        store.record_change(ids["secret"])
    index(store, settings, backend)
    yield Indexed(backend, ids)
    backend.close()
    store.close()


@pytest.mark.parametrize("typed", PNR + SAMORDNING)
def test_searching_a_personnummer_in_any_written_form_finds_nothing(
        indexed: Indexed, typed: str) -> None:
    assert indexed.total(typed) == 0
    assert indexed.total(f'"{typed}"') == 0
    assert indexed.total(f"{typed}*") == 0


def test_no_term_of_any_field_holds_a_personnummer(indexed: Indexed) -> None:
    terms = list(indexed.terms())
    names = {name for name, _ in terms}
    assert {"rubrik", "text", "text_exact", "part", "folded", "dnr_key"} <= names
    assert any(term == "850709" for _, term in terms)     # the date part stays, masked
    for name, term in terms:
        assert not any(h in term for h in HIDDEN), (name, term)


def test_no_stored_record_holds_a_personnummer(indexed: Indexed) -> None:
    stored = indexed.stored()
    assert len(stored) == 3
    for doc in stored:
        flat = json.dumps(doc, ensure_ascii=False)
        assert not any(h in flat for h in HIDDEN), flat
    personal = next(d["record"] for d in stored
                    if d["doc_id"] == [str(indexed.ids["personal"])])
    assert isinstance(personal, dict)
    assert "850709-****" in personal["rubrik"] and "910375-****" in personal["arendemening"]
    assert personal["has_file"] is False and personal["file_name"] == ""


def test_no_snippet_or_facet_value_holds_a_personnummer(indexed: Indexed) -> None:
    result = indexed.backend.search(SearchRequest(query="850709 OR 910375 OR sökande"))
    assert result.total >= 1
    snippets = [s.text for hit in result.hits for s in hit.snippets]
    assert snippets and any("****" in s for s in snippets)
    for text in snippets:
        assert not any(h in text for h in HIDDEN), text
    facets = indexed.backend.search(SearchRequest(query="")).facets
    assert facets
    for values in facets.values():
        for value in values:
            assert not any(h in value.value for h in HIDDEN), value


@pytest.mark.parametrize("word", SECRET_WORDS)
def test_words_of_a_document_made_secret_find_nothing_and_are_gone(
        indexed: Indexed, word: str) -> None:
    assert indexed.total(word) == 0
    assert indexed.total(f'"{word}"') == 0
    lowered = word.casefold()
    for name, term in indexed.terms():
        assert lowered[:5] not in term.casefold(), (name, term)


@pytest.mark.parametrize("typed", ["SN 2023/77", "SN-2023-0077", "sn 2023/77",
                                   "dnr:SN/2023/77", "2023/77"])
def test_secret_entry_is_found_by_diarienummer_and_shows_the_secrecy_text(
        indexed: Indexed, typed: str) -> None:
    result = indexed.backend.search(SearchRequest(query=typed))
    assert result.total == 1
    record = result.hits[0].record
    assert record.doc_id == str(indexed.ids["secret"])
    assert record.secret and record.rubrik == "Sekretess enligt 26 kap. 1 § OSL"
    assert (record.part, record.arendemening, record.text, record.pages) == ("", "", "", ())
    assert not record.has_file
    assert (record.handlingstyp, record.riktning) == ("Utredning", "Inkommande")
    for snippet in result.hits[0].snippets:
        assert "Olle" not in snippet.text


@pytest.mark.parametrize("word", UNPUBLISHED_WORDS)
def test_text_of_an_unpublished_document_is_not_indexed(indexed: Indexed, word: str) -> None:
    assert indexed.total(word) == 0
    for name, term in indexed.terms():
        assert word.casefold()[:5] not in term.casefold(), (name, term)


def test_unpublished_entry_stays_findable_by_its_title(indexed: Indexed) -> None:
    result = indexed.backend.search(SearchRequest(query="buller"))
    assert result.total == 1
    record = result.hits[0].record
    assert record.rubrik == "Klagomål på buller" and not record.has_file and record.text == ""
