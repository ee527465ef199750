"""Spelling suggestions ("Menade du: …?", diarium.suggest) on every engine.

The same synthetic register is indexed in the embedded engine, Elasticsearch and
OpenSearch; real misspellings of its words must give the same corrected query, with the
total that query finds, on each. A word the index holds is never corrected, a case
number never, and a search that finds something gets no suggestion. The rules
themselves (distance, candidates, the rewritten text) are tested without an engine.
"""

from __future__ import annotations

import pytest
from every_engine import index_on_every_engine

from diarium import suggest
from diarium.indexer.base import SearchBackend
from diarium.search import SearchRequest, SearchResult, search
from diarium.synthetic import generate_records


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory,
            request: pytest.FixtureRequest) -> dict[str, SearchBackend]:
    return index_on_every_engine(request, tmp_path_factory.mktemp("suggest"), "suggest",
                                 generate_records(600, seed=3))


def run(backend: SearchBackend, query: str, **options: object) -> SearchResult:
    return search(None, SearchRequest(query, semantic=False, **options),  # type: ignore[arg-type]
                  backend=backend)


# -- real misspellings of the register's words, on every engine ---------------------------

MISSPELT = [
    ("bygglof", "bygglov"),                 # a wrong letter
    ("detaljplam", "detaljplan"),
    ("kommunstyrlsen", "kommunstyrelsen"),  # a letter left out
    ("upphandlnig", "upphandling"),         # two letters swapped
    ("nybygnadd", "nybyggnad"),             # two edits in a long word
    ("sophåmtning", "sophämtning"),         # å for ä: a letter of its own, one edit
    ("bygglöv", "bygglov"),                 # ö typed for o is an edit, not folded away
    ("Bygglof", "Bygglov"),                 # the case as typed
]


@pytest.mark.parametrize(("typed", "expected"), MISSPELT)
def test_a_misspelt_word_gets_the_indexed_word(engines: dict[str, SearchBackend],
                                               typed: str, expected: str) -> None:
    for name, backend in engines.items():
        result = run(backend, typed)
        assert result.total == 0, (name, typed)
        assert result.suggestion is not None, (name, typed)
        assert result.suggestion.query == expected, name
        assert result.suggestion.corrections == ((typed.lower(), expected.lower()),)
        corrected = run(backend, expected)
        assert result.suggestion.total == corrected.total > 0, name
        assert corrected.suggestion is None, name


def test_one_misspelt_word_among_others(engines: dict[str, SearchBackend]) -> None:
    for name, backend in engines.items():
        # Graceful AND lists records of "boverket" alone: the words together found none.
        result = run(backend, "boverket bygglof")
        assert result.partial, name
        assert result.suggestion is not None, name
        assert result.suggestion.query == "boverket bygglov", name
        assert result.suggestion.corrections == (("bygglof", "bygglov"),), name
        corrected = run(backend, "boverket bygglov")
        assert not corrected.partial and corrected.total == result.suggestion.total > 0, name


@pytest.mark.parametrize(("typed", "expected"), [
    ('"detaljplam för" OR bygglof', '"detaljplan för" OR bygglov'),
    ("bygglof -detaljplan", "bygglov -detaljplan"),
    ("typ:beslut   bygglof", "typ:beslut   bygglov"),
    ("(Bygglof OR upphandlnig) typ:beslut", "(Bygglov OR upphandling) typ:beslut"),
])
def test_operators_quotes_and_filters_stay_as_typed(engines: dict[str, SearchBackend],
                                                    typed: str, expected: str) -> None:
    for name, backend in engines.items():
        result = run(backend, typed)
        assert result.total == 0 and result.suggestion is not None, (name, typed)
        assert result.suggestion.query == expected, name
        assert result.suggestion.total == run(backend, expected).total > 0, name


def test_the_request_filters_count_in_the_total(engines: dict[str, SearchBackend]) -> None:
    options: dict[str, object] = {"filters": {"organisation": ("exkommun",)},
                                  "date_from": "2016-01-01", "date_to": "2022-12-31"}
    for name, backend in engines.items():
        result = run(backend, "bygglof", **options)
        assert result.suggestion is not None, name
        filtered = run(backend, "bygglov", **options)
        assert result.suggestion.total == filtered.total > 0, name
        assert filtered.total < run(backend, "bygglov").total, name


@pytest.mark.parametrize("word", ["bygglovet", "detaljplaner", "foreskrift", "miljobalken",
                                  "upphandlingar", "kommunstyrelsen"])
def test_a_word_the_index_holds_is_never_corrected(engines: dict[str, SearchBackend],
                                                   word: str) -> None:
    # Asked directly (not only behind the zero-hit check), every engine declines: the
    # word finds records (exactly, stemmed, or folded as `foreskrift`), although another
    # indexed word lies one edit away (bygglovet/bygglovets, detaljplaner/detaljplanen).
    for name, backend in engines.items():
        assert backend.word_counts([word])[0] > 0, (name, word)
        assert suggest.suggest(backend, SearchRequest(word, semantic=False)) is None, name


def test_words_that_exist_in_a_search_that_finds_nothing(
        engines: dict[str, SearchBackend]) -> None:
    for name, backend in engines.items():
        # Both words are in the index, never next to each other: nothing to correct.
        result = run(backend, '"bygglov upphandling"')
        assert result.total == 0 and result.suggestion is None, name


@pytest.mark.parametrize("typed", ["KS 2023/9999", "dnr:KS-2023/99999", "2023/99999",
                                   "KSN-2017-99999"])
def test_a_case_number_gets_no_suggestion(engines: dict[str, SearchBackend],
                                          typed: str) -> None:
    for name, backend in engines.items():
        result = run(backend, typed)
        assert result.total == 0 and result.suggestion is None, (name, typed)
        assert suggest.suggest(backend, SearchRequest(typed, semantic=False)) is None


@pytest.mark.parametrize("typed", ["bygglov", "bygglov OR detaljplam", "typ:beslut"])
def test_a_search_that_finds_something_gets_none(engines: dict[str, SearchBackend],
                                                 typed: str) -> None:
    for name, backend in engines.items():
        result = run(backend, typed)
        assert result.total > 0 and result.suggestion is None, (name, typed)


@pytest.mark.parametrize("typed", ["zzqxkvw", "typ:zzqxkvw", "bygg*lof", "bygglofzz*"])
def test_nothing_near_or_nothing_to_correct(engines: dict[str, SearchBackend],
                                            typed: str) -> None:
    for name, backend in engines.items():
        result = run(backend, typed)
        assert result.total == 0 and result.suggestion is None, (name, typed)


def test_no_suggestion_when_off_or_for_given_records(engines: dict[str, SearchBackend]) -> None:
    for name, backend in engines.items():
        assert run(backend, "bygglof", suggest=False).suggestion is None, name
        # An alert's run over the records changed since its last run: a listing, no search.
        assert run(backend, "bygglof", doc_ids=("1", "2")).suggestion is None, name


def test_the_corrected_query_must_find_records(engines: dict[str, SearchBackend]) -> None:
    for name, backend in engines.items():
        # "bygglov" exists, but not in 2031: a suggestion that finds nothing is none.
        result = run(backend, "bygglof datum:2031")
        assert result.total == 0 and result.suggestion is None, name


def test_the_json_shape(engines: dict[str, SearchBackend]) -> None:
    from diarium.search import result_to_json

    for name, backend in engines.items():
        data = result_to_json(run(backend, "typ:beslut bygglof"))
        assert data["suggestion"] == {
            "query": "typ:beslut bygglov", "total": run(backend, "typ:beslut bygglov").total,
            "corrections": [{"from": "bygglof", "to": "bygglov"}]}, name
        assert result_to_json(run(backend, "bygglov"))["suggestion"] is None, name


# -- the rules without an engine -----------------------------------------------------------


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("bygglov", "bygglov", 0), ("bygglof", "bygglov", 1), ("byglov", "bygglov", 1),
    ("upphandlnig", "upphandling", 1), ("nybygnadd", "nybyggnad", 2), ("får", "far", 1),
    ("abc", "xyzabc", 3), ("", "abc", 3),
    ("ca", "abc", 3),     # optimal string alignment: a swapped pair is not edited again
])
def test_distance(a: str, b: str, expected: int) -> None:
    assert suggest.distance(a, b) == expected == suggest.distance(b, a)


def test_edits1_are_one_edit_away() -> None:
    found = suggest.edits1("lov")
    assert {"lv", "olv", "låv", "lova", "lof"} <= found and "lov" not in found
    assert all(suggest.distance("lov", other) == 1 for other in found)


@pytest.mark.parametrize(("word", "term", "expected"), [
    ("bygglof", "bygglov", 1),
    ("bygg", "bygd", 1),           # short: one edit
    ("bygg", "byta", None),        # short: two edits are too many
    ("nybygnadd", "nybyggnad", 2),
    ("nybygnadd", "mybyggnad", None),  # two edits, one in the half kept as typed
    ("bygglof", "bygglof", None),  # the word itself
    ("bygglof", "bygglo1", None),  # letters only
])
def test_acceptable(word: str, term: str, expected: int | None) -> None:
    assert suggest.acceptable(word, term) == expected


def test_candidates_nearest_then_commonest() -> None:
    terms = [("bygglov", 5), ("bygglovet", 50), ("bygglot", 9), ("bygghof", 7),
             ("byggloft", 2), ("byggluv", 100), ("bygglof", 80)]
    # bygglovet is three edits away; the typed word itself is no candidate.
    assert suggest.candidates("bygglof", terms) == [
        (1, "bygglot"), (1, "bygghof"), (1, "bygglov"), (1, "byggloft"), (2, "byggluv")]


def test_free_words_leave_out_cases_filters_prefixes_and_exclusions() -> None:
    from diarium import query as q

    node = q.parse('bygglof "detaljplam för" -altanen typ:beslutt bygg* KS 2023/12 '
                   'avsändare:Trafikverkt ab OR upphandlnig')
    assert suggest.free_words(node) == ["bygglof", "detaljplam", "upphandlnig"]


@pytest.mark.parametrize(("text", "fixes", "expected"), [
    ("bygglof", {"bygglof": "bygglov"}, "bygglov"),
    ("BYGGLOF, Tallen", {"bygglof": "bygglov"}, "BYGGLOV, Tallen"),
    ('"Detaljplam för"  OR  bygglof*', {"detaljplam": "detaljplan"},
     '"Detaljplan för"  OR  bygglof*'),
    # Also typed in a filter and an exclusion: those stay, so the query is written anew.
    ("bygglof -bygglof rubrik:bygglof", {"bygglof": "bygglov"},
     "bygglov -bygglof rubrik:bygglof"),
    ("bygglov", {"bygglof": "bygglov"}, None),
])
def test_corrected_text(text: str, fixes: dict[str, str], expected: str | None) -> None:
    assert suggest.corrected(text, fixes) == expected


def test_wants_suggestion() -> None:
    from diarium.search import Hit
    from diarium.synthetic import make_record

    related = SearchResult(total=1, hits=(Hit(make_record("1"), 0.5, semantic=True),))
    found = SearchResult(total=1, hits=(Hit(make_record("1"), 0.5),))
    empty = SearchResult(total=0, hits=())
    request = SearchRequest("bygglof")
    assert suggest.wants_suggestion(request, empty)
    assert suggest.wants_suggestion(request, related)           # only found by meaning
    assert suggest.wants_suggestion(request, SearchResult(total=1, hits=found.hits,
                                                          partial=True))
    assert not suggest.wants_suggestion(request, found)
    assert not suggest.wants_suggestion(SearchRequest(""), empty)
    assert not suggest.wants_suggestion(SearchRequest("bygglof", page=2), related)
