"""Swedish search quality end to end on the embedded engine (issue 8).

A real tantivy index per module: 600 generated records as background plus planted records
in the organisation "planted", each holding one word form, so that a hit proves the form
was joined (and a miss that it was kept apart). The same records indexed with the Swedish
extras switched off show each feature is what makes the difference.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from diarium.indexer.embedded import EmbeddedBackend
from diarium.public import PublicRecord
from diarium.search import SearchRequest, SearchResult
from diarium.synthetic import generate_records, make_record

PLANTED = "planted"

DOCS = {
    "bygglovsansokan": "Vi har tagit emot en bygglovsansökan för carport.",
    "bygglov": "Kommunen beviljar bygglov för carport.",
    "forskoleverksamheten": "Förskoleverksamheten i Norrby utökas till hösten.",
    "lakemedel": "Läkemedelsförsörjningen vid äldreboendet ses över.",
    "ramavtalet": "Ramavtalet för städtjänster förlängs ett år.",
    "ansokan": "En ansökan om serveringstillstånd kom in.",
    "foreskrift": "En ny föreskrift om hissar gäller från årsskiftet.",
    "far": "Sökandens far har lämnat fullmakt.",
    "afs": "Arbetsgivaren ska följa AFS 2023:1 om systematiskt arbetsmiljöarbete.",
    "prop": "Se prop. 2012/13:144 om ny kommunallag.",
    "ks-dnr": "Yttrande i ärende KS-1646-2024 om hamnen.",
    "kontroll": "Kontroll av fastighet och ansvar för tillsyn.",
    "two-words": "Bygglov för förskola på tomten.",
    # proximity: the same two words, next to each other or far apart
    # (the near one is the longer record, which BM25 alone would rank lower)
    "near": "Yttrande över planerad brandstation vid hamnen. " + "Ärendet bereds vidare. " * 6,
    "far-apart": "Brandstation planeras. " + "Ärendet bereds vidare. " * 3 + "Vid hamnen.",
    # graceful AND: one record matches two rare words, another one word many times
    "coord-two": "Grävlingar och igelkottar i parken.",
    # everyday words for official terms (diarium.swedish.everyday)
    "avfall": "Hämtning av avfall från villor sker varannan vecka.",
    "dagis-text": "Föräldrarna på dagiset Solrosen vill ha längre öppettider.",
}
# Identical records but for their date: the newer ranks first on equal relevance.
DATED = {"old-twin": "2016-03-01", "new-twin": "2025-03-01"}
TWIN_TEXT = "Anmälan om ekorrhägn i kvarteret Lärkan."


def planted(doc_id: str, text: str, datum: str = "2020-01-01",
            rubrik: str = "Handling") -> PublicRecord:
    return make_record(
        doc_id, text=text, organisation=PLANTED, organisation_name="Planterade kommunen",
        rubrik=rubrik, diarienummer=f"P 2000/{len(doc_id)}", dnr_key="P|2000|1",
        datum=datum,
    )


def _build(path: Path, swedish: bool) -> EmbeddedBackend:
    engine = EmbeddedBackend(path, writer_heap=30_000_000, writer_threads=1, swedish=swedish)
    engine.setup()
    engine.index(generate_records(600, seed=11, pages_per_doc=2))
    engine.index(planted(doc_id, text) for doc_id, text in DOCS.items())
    engine.index(planted(doc_id, TWIN_TEXT, datum) for doc_id, datum in DATED.items())
    # one word, in the title too (weighted above the body), against two words in the body
    engine.index([planted("coord-one", "Igelkottar, igelkottar och fler igelkottar.",
                          rubrik="Igelkottar i parken")])
    return engine


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedBackend:
    return _build(tmp_path_factory.mktemp("sv") / "on", swedish=True)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedBackend:
    return _build(tmp_path_factory.mktemp("sv") / "off", swedish=False)


def run(engine: EmbeddedBackend, query: str) -> SearchResult:
    request = SearchRequest(query=query, filters={"organisation": (PLANTED,)}, per_page=50,
                            with_facets=False)
    return engine.search(request)


def found(engine: EmbeddedBackend, query: str) -> list[str]:
    return [hit.record.doc_id for hit in run(engine, query).hits]


# (query, the planted record it must find, and that the stemmer alone does not find)
JOINED = [
    ("bygglov", "bygglovsansokan"),
    ("förskola", "forskoleverksamheten"),
    ("förskolan", "forskoleverksamheten"),
    ("läkemedel", "lakemedel"),
    ("avtal", "ramavtalet"),
    ("ansökningar", "ansokan"),
]


@pytest.mark.parametrize(("query", "doc_id"), JOINED)
def test_compound_parts_and_lemmas_are_found(backend: EmbeddedBackend,
                                             plain: EmbeddedBackend, query: str,
                                             doc_id: str) -> None:
    assert doc_id in found(backend, query)
    assert doc_id not in found(plain, query), "the stemmer alone should not join these"


def test_whole_word_ranks_above_compound_part(backend: EmbeddedBackend) -> None:
    hits = found(backend, "bygglov")
    assert hits.index("bygglov") < hits.index("bygglovsansokan")


def test_unaccented_typing_and_no_folding_of_typed_letters(backend: EmbeddedBackend) -> None:
    assert "foreskrift" in found(backend, "foreskrift")
    assert "far" not in found(backend, "får")


@pytest.mark.parametrize(
    ("query", "doc_id"),
    [("afs 2023 1", "afs"), ("AFS 2023:1", "afs"), ("2012/13:144", "prop"),
     ("prop 2012/13 144", "prop"), ("ks 1646 2024", "ks-dnr")],
)
def test_identifiers_typed_any_way(backend: EmbeddedBackend, query: str, doc_id: str) -> None:
    assert found(backend, query)[:1] == [doc_id]


@pytest.mark.parametrize("query", ["troll", "kon", "het", "ans"])
def test_false_splits_do_not_match(backend: EmbeddedBackend, query: str) -> None:
    assert "kontroll" not in found(backend, query)


def test_and_without_full_match_falls_back_to_partial(backend: EmbeddedBackend) -> None:
    full = run(backend, "bygglov förskola")
    assert not full.partial and "two-words" in [h.record.doc_id for h in full.hits]
    result = run(backend, "bygglov förskola zebrafink")
    assert result.partial is True
    ids = [hit.record.doc_id for hit in result.hits]
    # the record with two of the three words comes before records with one
    assert ids[0] == "two-words"
    assert {"bygglov", "bygglovsansokan", "forskoleverksamheten"} <= set(ids)


def test_a_query_with_no_word_found_is_empty_not_partial(backend: EmbeddedBackend) -> None:
    result = run(backend, "zebrafink kolibri")
    assert result.total == 0 and not result.hits and result.partial is False


def test_words_close_together_rank_above_words_far_apart(backend: EmbeddedBackend,
                                                         plain: EmbeddedBackend) -> None:
    hits = found(backend, "brandstation hamnen")
    assert hits.index("near") < hits.index("far-apart")
    # without the proximity boost the shorter record wins
    hits = found(plain, "brandstation hamnen")
    assert hits.index("near") > hits.index("far-apart")


def test_recent_record_breaks_a_tie(backend: EmbeddedBackend) -> None:
    for query in ("ekorrhägn", "ekorrhägn lärkan", '"ekorrhägn i kvarteret"'):
        hits = found(backend, query)
        assert hits[:2] == ["new-twin", "old-twin"], query


def test_partial_results_rank_by_number_of_words_matched(backend: EmbeddedBackend,
                                                         plain: EmbeddedBackend) -> None:
    result = run(backend, "grävlingar igelkottar zebrafink")
    assert result.partial
    ids = [hit.record.doc_id for hit in result.hits]
    # two of three words beat one word repeated (which has the higher text score)
    assert ids.index("coord-two") < ids.index("coord-one")
    ids = [hit.record.doc_id for hit in run(plain, "grävlingar igelkottar zebrafink").hits]
    assert ids.index("coord-two") > ids.index("coord-one")


# --- the same behaviour on Elasticsearch and OpenSearch -----------------------------------


def test_everyday_words_find_the_official_terms(backend: EmbeddedBackend,
                                                 plain: EmbeddedBackend) -> None:
    assert "avfall" in found(backend, "sophämtning")
    assert "avfall" not in found(plain, "sophämtning")
    # The word as typed and the official term are found; never the other way round.
    hits = found(backend, "dagis")
    assert "dagis-text" in hits and "forskoleverksamheten" in hits
    assert "dagis-text" not in found(backend, "förskola")


def _planted_records() -> list[PublicRecord]:
    records = [planted(doc_id, text) for doc_id, text in DOCS.items()]
    records += [planted(doc_id, TWIN_TEXT, datum) for doc_id, datum in DATED.items()]
    records.append(planted("coord-one", "Igelkottar, igelkottar och fler igelkottar.",
                           rubrik="Igelkottar i parken"))
    return records


@pytest.fixture(scope="module", params=["elasticsearch", "opensearch"])
def elastic(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    import uuid

    from diarium.indexer.elastic import ElasticBackend, load_config

    url = request.getfixturevalue("es_url" if request.param == "elasticsearch" else "os_url")
    backend = ElasticBackend(load_config(None, request.param, {
        "url": url, "index": f"test-sv-{uuid.uuid4().hex[:10]}"}))
    backend.setup()
    backend.index(generate_records(200, seed=11, pages_per_doc=1))
    backend.index(_planted_records())
    yield backend
    for name in backend.versioned_indices():
        backend.delete_index(name)
    backend.close()


def test_elastic_joins_compounds_lemmas_identifiers(elastic) -> None:  # type: ignore[no-untyped-def]
    for query, doc_id in JOINED:
        assert doc_id in found(elastic, query), query
    for query, doc_id in [("afs 2023 1", "afs"), ("2012/13:144", "prop"),
                          ("ks 1646 2024", "ks-dnr")]:
        assert found(elastic, query)[:1] == [doc_id], query
    assert "foreskrift" in found(elastic, "foreskrift")
    assert "avfall" in found(elastic, "sophämtning")
    hits = found(elastic, "dagis")
    assert "dagis-text" in hits and "forskoleverksamheten" in hits
    assert "dagis-text" not in found(elastic, "förskola")
    assert "far" not in found(elastic, "får")
    for query in ("troll", "kon", "het", "ans"):
        assert "kontroll" not in found(elastic, query), query


def test_elastic_ranks_like_the_embedded_engine(elastic) -> None:  # type: ignore[no-untyped-def]
    hits = found(elastic, "bygglov")
    assert hits.index("bygglov") < hits.index("bygglovsansokan")
    hits = found(elastic, "brandstation hamnen")
    assert hits.index("near") < hits.index("far-apart")
    assert found(elastic, "ekorrhägn")[:2] == ["new-twin", "old-twin"]
    result = run(elastic, "grävlingar igelkottar zebrafink")
    assert result.partial
    ids = [hit.record.doc_id for hit in result.hits]
    assert ids.index("coord-two") < ids.index("coord-one")
