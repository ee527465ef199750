"""Privacy read out of the indexes themselves, on all three engines (issue 13).

One store, indexed by the real indexing service into the embedded engine (tantivy: every
term of every text field in the index's own schema, every stored record), Elasticsearch
and OpenSearch (every `_source`, the terms of every indexed field and sub-field of the
mapping through `_termvectors`, and term queries). It holds every written form of a
personnummer and a samordningsnummer (spaces, spaced dashes, typographic dashes, line
breaks) in register fields, text, pages and file names; a private person's name (policy
"hide"); a sensitive matter; and a name under `show_days` that is shown and searchable
on the first run and, after its window closes, gone from terms and stored fields on the
next incremental `index` run, as withdrawn content is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tantivy import Query
from test_public import add_document, valid_number

from diarium.config import Settings, load_settings
from diarium.indexer.embedded import EmbeddedBackend
from diarium.pipeline.indexing import index
from diarium.search import SearchRequest
from diarium.store import Store

PNR = valid_number("850709", "123")            # 8507091232
SAM = valid_number("910375", "456")            # samordningsnummer, day 15 + 60
H, T = PNR[:6], PNR[6:]
SH, ST = SAM[:6], SAM[6:]
FORMS = [f"{H} {T}", f"{H} - {T}", f"19{H} {T}", f"19{H} - {T}", f"{H}\u2013{T}",
         f"{H}\u00a0{T}", f"{H}-\n{T}", f"{H}\n{T}", f"{SH} {ST}", f"19{SH} - {ST}",
         f"{SH}\u2011{ST}", f"{H}-{T}", f"{H}{T}", f"19{H}{T}", f"{H}+{T}"]
HIDDEN_DIGITS = [T, ST, PNR, SAM]
# Names that must be nowhere: a private person (hidden), a sensitive matter's party and
# title words (its document type stays, as a secret entry's does).
HIDDEN_NAMES = ["ottilia", "grönkvist", "gronkvist", "vilgot", "hammarsköld",
                "hammarskold", "gällande", "gallande"]
EXPIRING = ["ebbe", "frostenson"]              # show_days: shown first, hidden later
TOML = """
[organisations.exkommun]
name = "Exempelkommunen"

[organisations.soc]
name = "Socialförvaltningen"
[[organisations.soc.sensitive]]
namnd = ["Socialnämnden"]
text = "Ärende inom socialtjänsten"

[organisations.bygg]
name = "Byggnadsnämnden"
show_days = 30
"""
FIRST_DAY, LATER_DAY = date(2026, 1, 10), date(2026, 2, 15)


def _build_store(root: Path) -> tuple[Settings, Store, dict[str, int]]:
    (root / "diarium.toml").write_text(TOML, encoding="utf-8")
    settings = load_settings(root)
    store = Store(settings.store_path)
    ids = {
        "numbers": add_document(
            store, rubrik=f"Ansökan från {FORMS[0]} och {FORMS[8]}",
            part=f"Trafikverket {FORMS[2]}", arendemening=f"Bygglov {FORMS[3]}",
            handlaggare=f"Anna Lindqvist {FORMS[9]}", klassificering=FORMS[4],
            files=[{"name": f"ansokan {FORMS[1]}.pdf",
                    "text": "\n".join(f"Rad {f} slut" for f in FORMS),
                    "pages": [f"Sida {f} slut" for f in FORMS]},
                   {"name": f"bilaga {FORMS[10]}.txt", "text": f"Kopia {FORMS[10]}",
                    "role": "attachment", "position": 1}]),
        "person": add_document(
            store, dnr="KS 2023/200", dnr_key="KS|2023|200", lopnummer=1,
            rubrik="Klagomål från Ottilia Grönkvist", part="Ottilia Grönkvist",
            arendemening="Klagomål på buller, Grönkvist, Ottilia",
            files=[{"name": "Ottilia_Gronkvist.pdf",
                    "text": "Jag heter Ottilia Grönkvist och klagar på bullret."}]),
        "sensitive": add_document(
            store, org="soc", dnr="SN 2023/77", dnr_key="SN|2023|77", namnd="Socialnämnden",
            handlingstyp="Orosanmälan", rubrik="Orosanmälan gällande Vilgot Hammarsköld",
            part="Vilgot Hammarsköld", arendemening="Vilgot Hammarsköld, orosanmälan",
            files=[{"name": "anmalan.pdf", "text": "Vilgot Hammarsköld far illa."}]),
        "expiring": add_document(
            store, org="bygg", dnr="BN 2026/3", dnr_key="BN|2026|3", datum="2026-01-01",
            rubrik="Ansökan om bygglov, Ebbe Frostenson", part="Ebbe Frostenson",
            files=[{"name": "ansokan.pdf", "text": "Sökande Ebbe Frostenson, Lillgatan 2"}]),
    }
    return settings, store, ids


# ---------------------------------------------------------------------------------------
# Reading each engine's index


class Engine:
    """One engine's index, read directly: every term and every stored document."""

    def __init__(self, name: str, backend: Any) -> None:
        self.name = name
        self.backend = backend

    def terms(self) -> list[tuple[str, str]]:
        if self.name == "embedded":
            searcher = self.backend.index_obj.searcher()
            meta = json.loads((self.backend.path / "meta.json").read_text("utf-8"))
            names = [f["name"] for f in meta["schema"] if f["type"] == "text"]
            return [(n, t) for n in names for t, _ in searcher.terms_with_prefix(n, "")]
        conn, alias = self.backend.conn, self.backend.alias
        fields = _mapped_fields(conn.request("GET", f"/{alias}/_mapping"))
        found = []
        for source in self.backend.raw_sources():
            answer = conn.request("POST", f"/{alias}/_termvectors/{source['doc_id']}", body={
                "fields": fields, "positions": False, "offsets": False,
                "term_statistics": False, "field_statistics": False})
            for name, data in (answer.get("term_vectors") or {}).items():
                found.extend((name, term) for term in data.get("terms", {}))
        return found

    def stored(self) -> list[str]:
        """Every stored document as one JSON text."""
        if self.name == "embedded":
            searcher = self.backend.index_obj.searcher()
            out = []
            for _, address in searcher.search(Query.all_query(), 1000).hits:
                raw = searcher.doc(address).to_dict()
                out.append(bytes(raw["record"][0]).decode("utf-8"))
            return out
        return [json.dumps(s, ensure_ascii=False) for s in self.backend.raw_sources()]

    def term_hits(self, word: str) -> int:
        """Hits of a term query for `word` on every indexed field (Elasticsearch and
        OpenSearch; the embedded engine's terms are read whole by terms())."""
        conn, alias = self.backend.conn, self.backend.alias
        fields = _mapped_fields(conn.request("GET", f"/{alias}/_mapping"))
        body = {"query": {"bool": {"should": [{"term": {f: word}} for f in fields]}}}
        return int(conn.request("POST", f"/{alias}/_search", body=body)["hits"]["total"]
                   ["value"])

    def deleted_docs(self) -> int:
        if self.name == "embedded":
            return 0
        stats = self.backend.conn.request("GET", f"/{self.backend.alias}/_stats/docs")
        return int(stats["_all"]["primaries"]["docs"]["deleted"])

    def total(self, query: str) -> int:
        return int(self.backend.search(SearchRequest(query=query, with_facets=False)).total)


def _mapped_fields(mapping: dict[str, Any]) -> list[str]:
    """Every indexed text/keyword field of a mapping, sub-fields included (a.folded)."""
    out: list[str] = []

    def walk(props: dict[str, Any], prefix: str) -> None:
        for name, spec in props.items():
            path = f"{prefix}{name}"
            if spec.get("type") in ("text", "keyword") and spec.get("index", True):
                out.append(path)
            for sub, sub_spec in (spec.get("fields") or {}).items():
                if sub_spec.get("type") in ("text", "keyword"):
                    out.append(f"{path}.{sub}")
            if "properties" in spec:
                walk(spec["properties"], f"{path}.")

    for index_mapping in mapping.values():
        walk(index_mapping["mappings"].get("properties", {}), "")
    return sorted(set(out))


@pytest.fixture(params=["embedded", "elasticsearch", "opensearch"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[
        tuple[Engine, Settings, Store, dict[str, int]]]:
    settings, store, ids = _build_store(tmp_path)
    if request.param == "embedded":
        backend: Any = EmbeddedBackend(settings.index_dir / "embedded",
                                       writer_heap=15_000_000, writer_threads=1)
        backend.setup()
    else:
        make: Callable[..., Any] = request.getfixturevalue("make_elastic")
        backend = make(request.param)
    index(store, settings, backend, today=FIRST_DAY)
    yield Engine(request.param, backend), settings, store, ids
    if request.param == "embedded":
        backend.close()
    store.close()


def _offending(terms: list[tuple[str, str]], words: list[str]) -> list[tuple[str, str]]:
    return [(f, t) for f, t in terms
            if any(w in t.casefold() for w in words)]


def test_no_term_and_no_stored_field_holds_a_number_or_hidden_name(engine: Any) -> None:
    eng, _settings, _store, _ids = engine
    terms = eng.terms()
    assert len(terms) > 50
    assert any(t == H for _, t in terms)             # the date part stays, masked
    assert any("trafikverket" in t.casefold() for _, t in terms)
    assert not _offending(terms, HIDDEN_DIGITS + HIDDEN_NAMES)
    stored = eng.stored()
    assert len(stored) == 4
    for text in stored:
        folded = text.casefold()
        assert not any(w in folded for w in HIDDEN_DIGITS + HIDDEN_NAMES), text
    joined = "\n".join(stored)
    assert "Privatperson" in joined and "Ärende inom socialtjänsten" in joined
    if eng.name != "embedded":
        for word in (T, ST, "grönkvist", "ottilia", "vilgot"):
            assert eng.term_hits(word) == 0, word


@pytest.mark.parametrize("typed", FORMS[:8] + ["Ottilia", "Grönkvist", "Vilgot",
                                               "Hammarsköld", T, ST])
def test_searching_finds_nothing(engine: Any, typed: str) -> None:
    eng = engine[0]
    query = " ".join(typed.split())
    assert eng.total(f'"{query}"') == 0
    result = eng.backend.search(SearchRequest(query=query))
    if typed in FORMS:
        # Graceful AND may relax "850709 1232" to its words: the masked date part then
        # finds the masked record, which holds no last four digits.
        for hit in result.hits:
            shown = json.dumps([hit.record.__dict__, [s.text for s in hit.snippets]],
                               ensure_ascii=False)
            assert not any(d in shown for d in HIDDEN_DIGITS), shown
        for values in result.facets.values():
            assert not any(d in v.value for v in values for d in HIDDEN_DIGITS)
    else:
        assert result.total == 0


def test_show_days_name_leaves_the_index_when_its_window_closes(engine: Any) -> None:
    eng, settings, store, ids = engine
    # First run (2026-01-10, nine days after the document): shown and searchable.
    assert _offending(eng.terms(), EXPIRING)
    assert eng.total("Frostenson") == 1
    # Nothing changed in the store; only time passed. The next incremental run notices.
    report = index(store, settings, eng.backend, today=LATER_DAY)
    assert not report.rebuild and report.indexed >= 1 and report.purged
    assert eng.total("Frostenson") == 0 and eng.total("Ebbe") == 0
    assert not _offending(eng.terms(), EXPIRING)
    for text in eng.stored():
        assert "frostenson" not in text.casefold()
    assert eng.deleted_docs() == 0
    record = eng.backend.get(str(ids["expiring"]))
    assert record is not None and record.part == "Privatperson" and not record.has_file
    # The day after, nothing is due any more.
    again = index(store, settings, eng.backend, today=date(2026, 2, 16))
    assert again.indexed == 0 and not again.purged


def test_a_policy_change_reprojects_the_organisation(engine: Any, tmp_path: Path) -> None:
    eng, settings, store, ids = engine
    assert eng.total("Frostenson") == 1
    toml = TOML.replace("show_days = 30", 'private_names = "hide"')
    (tmp_path / "diarium.toml").write_text(toml, encoding="utf-8")
    changed = load_settings(tmp_path)
    report = index(store, changed, eng.backend, today=FIRST_DAY)
    assert report.indexed == 1 and report.purged
    assert eng.total("Frostenson") == 0
    assert not _offending(eng.terms(), EXPIRING)
