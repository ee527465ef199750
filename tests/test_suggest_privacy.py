"""Spelling suggestions never reveal hidden text, on every engine.

A store holds a complaint from a private person (the public projection shows her as
"Privatperson"), a secret document and a document not cleared for publication, each with
words found nowhere else; indexed by the real indexing service into the embedded engine,
Elasticsearch and OpenSearch. A misspelling of a hidden word gets no suggestion (nothing
in any index is near it), while a misspelling of a public word of the same documents
does: suggestions come from the indexes, which hold only public records.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_public import add_document

from diarium.config import DEFAULT_SYNONYMS, load_settings
from diarium.indexer.base import SearchBackend
from diarium.indexer.elastic import ElasticBackend, load_config
from diarium.indexer.embedded import EmbeddedBackend
from diarium.pipeline.indexing import index
from diarium.search import SearchRequest, search
from diarium.store import Store

# Misspellings of hidden words: a private person's name (Ottilia Grönkvist), a secret
# document's title and party (Hemligsson, skyddsplacering), an unpublished file's text.
HIDDEN = ["Grönkvisst", "Gronkvist", "Ottilja", "Hemligson", "skyddsplaceringg",
          "opubliceradd"]


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory,
            request: pytest.FixtureRequest) -> Iterator[dict[str, SearchBackend]]:
    root: Path = tmp_path_factory.mktemp("suggest-privacy")
    settings = load_settings(root)
    store = Store(settings.store_path)
    add_document(store, dnr="KS 2023/200", dnr_key="KS|2023|200",
                 rubrik="Klagomål från Ottilia Grönkvist", part="Ottilia Grönkvist",
                 files=[{"name": "klagomal.pdf",
                         "text": "Jag heter Ottilia Grönkvist och klagar på bullret."}])
    add_document(store, dnr="KS 2023/201", dnr_key="KS|2023|201",
                 rubrik="Skyddsplacering för Kalle Hemligsson", part="Kalle Hemligsson",
                 sekretess="26 kap. 1 § OSL",
                 files=[{"name": "utredning.pdf", "text": "Hemligsson skyddsplacering."}])
    add_document(store, dnr="KS 2023/202", dnr_key="KS|2023|202", rubrik="Remissvar",
                 part="Trafikverket", publicerad=False,
                 files=[{"name": "svar.pdf", "text": "Opublicerad remisstext."}])
    found: dict[str, SearchBackend] = {}
    embedded = EmbeddedBackend(root / "embedded", writer_heap=15_000_000, writer_threads=1)
    found["embedded"] = embedded
    for engine, fixture in (("elasticsearch", "es_url"), ("opensearch", "os_url")):
        found[engine] = ElasticBackend(load_config(None, engine, {
            "url": request.getfixturevalue(fixture),
            "index": f"test-suggest-privacy-{uuid.uuid4().hex[:8]}"}),
            synonyms=[DEFAULT_SYNONYMS])
    try:
        for backend in found.values():
            backend.setup()
            assert index(store, settings, backend).indexed == 3
        yield found
    finally:
        store.close()
        for backend in found.values():
            if isinstance(backend, ElasticBackend):
                for versioned in backend.versioned_indices():
                    backend.delete_index(versioned)
            backend.close()


def test_public_words_of_the_same_documents_are_suggested(
        engines: dict[str, SearchBackend]) -> None:
    for name, backend in engines.items():
        for typed, expected in (("bulllret", "bullret"), ("klagomål", None),
                                ("Klagoml", "Klagomål"), ("Trafikvreket", "Trafikverket")):
            result = search(None, SearchRequest(typed, semantic=False), backend=backend)
            got = result.suggestion.query if result.suggestion else None
            assert got == expected, (name, typed)


@pytest.mark.parametrize("typed", HIDDEN)
def test_a_hidden_word_is_never_suggested(engines: dict[str, SearchBackend],
                                          typed: str) -> None:
    for name, backend in engines.items():
        result = search(None, SearchRequest(typed, semantic=False), backend=backend)
        assert result.total == 0 and result.suggestion is None, (name, typed)
        # Nor among the candidates an engine looks up: no index holds the hidden word.
        hidden = {"grönkvist", "ottilia", "hemligsson", "skyddsplacering", "opublicerad"}
        near = backend.near_terms([typed.lower()])[0]
        assert not hidden & {term for term, _ in near}, (name, typed, near)


def test_a_withdrawn_word_is_never_suggested(engines: dict[str, SearchBackend]) -> None:
    """A record's text withdrawn (made secret, unpublished) is written again without it:
    its old words may linger in the term dictionaries until segments merge (tantivy and
    Lucene count deleted documents in them), so a replacement is suggested only when a
    live record finds it."""
    from diarium.synthetic import make_record

    shown = make_record("9001", rubrik="Remissvar", text="Zebrafinkarnas häckning i parken.")
    for name, backend in engines.items():
        backend.index([shown])
        found = search(None, SearchRequest("Zebrafinkarns", semantic=False), backend=backend)
        assert found.suggestion is not None, name
        assert found.suggestion.query == "Zebrafinkarnas", name
        backend.index([make_record("9001", rubrik="Remissvar", text="")])
        gone = search(None, SearchRequest("Zebrafinkarns", semantic=False), backend=backend)
        assert gone.total == 0 and gone.suggestion is None, name
        assert backend.word_counts(["zebrafinkarnas"]) == [0], name
        backend.delete(["9001"])
