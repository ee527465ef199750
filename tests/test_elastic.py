"""The Elasticsearch/OpenSearch backend against the real test nodes: indexing, the query
language, facets, highlights, paging, errors and connection settings."""

from __future__ import annotations

import pytest

from diarium.config import load_settings
from diarium.errors import (
    ConfigError,
    EngineUnavailable,
    ExitStatus,
    QueryError,
    exit_status,
)
from diarium.indexer.elastic import ElasticBackend, load_config, parse_marked
from diarium.search import SearchRequest
from diarium.synthetic import make_record

ENGINES = ["elasticsearch", "opensearch"]

RECORDS = [
    make_record("1", rubrik="Ansökan om bygglov för enbostadshus", part="Byggbolaget Öst AB",
                handlingstyp="Ansökan", datum="2023-02-01",
                pages=("Första sidan handlar om annat.",
                       "Bygglovet avser nybyggnad av ett enbostadshus på fastigheten Eken 12.")),
    make_record("2", rubrik="Beslut om bygglov", handlingstyp="Beslut", riktning="Utgående",
                datum="2023-03-15", text="Nämnden beviljar bygglovet. Avgiften får betalas."),
    make_record("3", rubrik="Föreskrifter om avfallshantering", handlingstyp="Beslut",
                namnd="Tekniska nämnden", datum="2022-11-30",
                text="Föreskriften gäller sophämtning i hela kommunen."),
    make_record("4", rubrik="Skrivelse om far och mor", handlingstyp="Skrivelse",
                datum="2021-06-01", text="Det gäller min far som har en fråga."),
    make_record("5", rubrik="Detaljplan för kvarteret Tallen", diarienummer="KS 2022/77",
                dnr_key="KS|2022|77", handlingstyp="Remiss", riktning="Inkommande",
                datum="2022-05-05", text="Samrådet om detaljplanen pågår.",
                has_file=True),
    make_record("6", rubrik="Upphandling av skolskjuts", handlingstyp="Avtal",
                enhet="Upphandlingsenheten", datum="2024-01-10",
                text="Upphandlingen av skolskjuts avser åren 2024 till 2026."),
]


@pytest.fixture(params=ENGINES)
def backend(request, make_elastic) -> ElasticBackend:  # type: ignore[no-untyped-def]
    backend = make_elastic(request.param)
    assert backend.index(RECORDS) == len(RECORDS)
    return backend


def ids(backend: ElasticBackend, query: str, **kwargs: object) -> list[str]:
    result = backend.search(SearchRequest(query=query, **kwargs))  # type: ignore[arg-type]
    return sorted(h.record.doc_id for h in result.hits)


def test_records_round_trip(backend: ElasticBackend) -> None:
    assert backend.count() == len(RECORDS)
    for record in RECORDS:
        assert backend.get(record.doc_id) == record
    assert backend.get("999") is None


def test_query_language(backend: ElasticBackend) -> None:
    assert ids(backend, "bygglov") == ["1", "2"]            # bygglovet joins bygglov
    assert ids(backend, "föreskrift") == ["3"]              # föreskrifter, föreskriften
    assert ids(backend, "foreskrift") == ["3"]              # typed without ö: folded field
    # `far` typed without å also reaches `får` through the low-boost folded field, but
    # the exact word ranks first; `får` never reaches `far`.
    far = backend.search(SearchRequest(query="far"))
    assert far.hits[0].record.doc_id == "4"
    assert ids(backend, "får") == ["2"]                     # never far
    assert ids(backend, '"beviljar bygglovet"') == ["2"]
    assert ids(backend, '"bygglovet beviljar"') == []
    assert ids(backend, "bygglov -beslut") == ["1"]
    assert ids(backend, "skolskjuts OR detaljplanen") == ["5", "6"]
    assert ids(backend, "upphandl*") == ["6"]
    assert ids(backend, "typ:beslut") == ["2", "3"]
    assert ids(backend, "riktning:utgående") == ["2"]
    assert ids(backend, 'avsändare:"Byggbolaget Öst AB"') == ["1"]
    assert ids(backend, "datum:2022-01-01..2022-12-31") == ["3", "5"]
    assert ids(backend, "dnr:KS-2022/77") == ["5"]
    assert ids(backend, "KS 2022/77") == ["5"]


def test_graceful_and_is_partial(backend: ElasticBackend) -> None:
    result = backend.search(SearchRequest(query="bygglov zzzzqqq"))
    assert result.partial and result.total == 2


def test_filters_and_facets(backend: ElasticBackend) -> None:
    result = backend.search(SearchRequest(query="", filters={"handlingstyp": ("beslut",)}))
    assert result.total == 2
    types = {v.value: v.count for v in result.facets["handlingstyp"]}
    # A facet's own filter does not narrow its counts (OR within a facet).
    assert types == {"Beslut": 2, "Ansökan": 1, "Skrivelse": 1, "Remiss": 1, "Avtal": 1}
    years = {v.value: v.count for v in result.facets["year"]}
    assert years == {"2023": 1, "2022": 1}
    assert {v.value: v.count for v in result.facets["has_file"]} == {"false": 2}
    both = backend.search(SearchRequest(filters={"handlingstyp": ("Beslut", "Remiss")},
                                        date_from="2022-01-01", date_to="2022-12-31"))
    assert sorted(h.record.doc_id for h in both.hits) == ["3", "5"]
    # The abbreviation finds the body's name (the site's help: `nämnd:KS`), and back.
    assert ids(backend, "nämnd:TN") == ids(backend, "nämnd:tn") == ["3"]
    assert ids(backend, 'nämnd:"Tekniska nämnden"') == ["3"]
    assert ids(backend, "nämnd:KS") == ["1", "2", "4", "5", "6"]   # Kommunstyrelsen
    with pytest.raises(QueryError, match="unknown filter"):
        backend.search(SearchRequest(filters={"nope": ("x",)}))
    with pytest.raises(QueryError):
        backend.search(SearchRequest(date_from="2022-13-45"))


def test_highlights_are_text_with_marks_and_page(backend: ElasticBackend) -> None:
    result = backend.search(SearchRequest(query="bygglovet", per_page=10))
    hit = next(h for h in result.hits if h.record.doc_id == "1")
    snippet = hit.snippets[0]
    assert "<" not in snippet.text and "\u0002" not in snippet.text
    assert snippet.field == "text" and hit.page == 2
    assert [snippet.text[m.start:m.end] for m in snippet.marks] == ["Bygglovet"]
    folded = backend.search(SearchRequest(query="sophamtning")).hits[0].snippets[0]
    assert [folded.text[m.start:m.end] for m in folded.marks] == ["sophämtning"]


def test_sort_and_deep_paging(backend: ElasticBackend) -> None:
    newest = backend.search(SearchRequest(sort="newest", per_page=6))
    dates = [h.record.datum for h in newest.hits]
    assert dates == sorted(dates, reverse=True)
    expected = [h.record.doc_id for h in newest.hits]
    # Force the search_after path: pages ending beyond the window are walked to.
    backend.window = 2
    deep = [backend.search(SearchRequest(sort="newest", page=p, per_page=2)).hits
            for p in (1, 2, 3)]
    assert [h.record.doc_id for page in deep for h in page] == expected


def test_delete(backend: ElasticBackend) -> None:
    assert backend.delete(["1", "42"]) == 1
    assert backend.count() == len(RECORDS) - 1
    assert ids(backend, "enbostadshus") == []


def test_setup_is_idempotent(backend: ElasticBackend) -> None:
    targets = backend.alias_targets()
    backend.setup()
    assert backend.alias_targets() == targets and backend.count() == len(RECORDS)


def test_parse_marked() -> None:
    text, marks = parse_marked("a \u0002bc\u0003 d \u0002e\u0003")
    assert text == "a bc d e"
    assert [text[m.start:m.end] for m in marks] == ["bc", "e"]


def test_unreachable_engine_is_a_clear_error_without_secrets() -> None:
    config = load_config(None, "elasticsearch", {
        "url": "http://elastic:hemligt@127.0.0.1:1", "password": "hemligt2",
        "api_key": "nyckel"})
    assert "hemligt2" not in repr(config) and "nyckel" not in repr(config)
    backend = ElasticBackend(config)
    with pytest.raises(EngineUnavailable) as caught:
        backend.setup()
    message = str(caught.value)
    assert "cannot be reached" in message and "127.0.0.1:1" in message
    assert "hemligt" not in message and "nyckel" not in message
    assert exit_status(caught.value) == ExitStatus.ENGINE_UNAVAILABLE


def test_wrong_client_for_the_server(make_elastic, os_url: str) -> None:  # type: ignore[no-untyped-def]
    backend = ElasticBackend(load_config(None, "elasticsearch", {"url": os_url}))
    with pytest.raises(EngineUnavailable, match="opensearch"):
        backend.setup()


def test_config_sources(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "diarium.toml").write_text(
        '[elasticsearch]\nurl = "https://es.example:9200"\nindex = "kommun"\n'
        'profile = "hunspell"\nreplicas = 1\n', encoding="utf-8")
    settings = load_settings(tmp_path)
    config = load_config(settings, "elasticsearch", environ={})
    assert (config.url, config.index, config.profile, config.replicas) == (
        "https://es.example:9200", "kommun", "hunspell", 1)
    env = {"DIARIUM_ES_URL": "http://env:9200", "DIARIUM_ES_API_KEY": "k"}
    config = load_config(settings, "elasticsearch", environ=env)
    assert config.url == "http://env:9200" and config.api_key == "k"
    config = load_config(settings, "elasticsearch", {"url": "http://opt:9200"}, environ=env)
    assert config.url == "http://opt:9200"
    assert load_config(settings, "opensearch", environ={}).url == "http://localhost:9200"


@pytest.mark.parametrize("table, message", [
    ('url = "es:9200"', "http://"),
    ('profile = "english"', "profile"),
    ('index = "Diarium"', "lowercase"),
    ('replicas = "many"', "settings"),
    ('colour = "blue"', "unknown key"),
    ('ca_cert = "/nonexistent/ca.pem"', "ca_cert"),
])
def test_bad_config_is_named(tmp_path, table: str, message: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "diarium.toml").write_text(f"[elasticsearch]\n{table}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(load_settings(tmp_path), "elasticsearch", environ={})


@pytest.mark.parametrize("engine", ENGINES)
def test_secrets_never_logged(engine: str, make_elastic, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    url = make_elastic(engine, setup=False).config.url
    scheme, rest = url.split("://")
    caplog.set_level(logging.DEBUG)
    for overrides in ({"url": f"{scheme}://kalle:hemligt1@{rest}"},
                      {"url": url, "username": "kalle", "password": "hemligt2"},
                      {"url": url, "api_key": "hemligt3"},
                      {"url": "http://kalle:hemligt4@127.0.0.1:1"}):
        backend = ElasticBackend(load_config(None, engine, {**overrides, "index": "nope"}))
        try:
            backend.count()
        except EngineUnavailable as exc:
            assert "hemligt" not in str(exc)
        finally:
            backend.close()
    assert caplog.records and "hemligt" not in caplog.text


def test_one_backend_many_threads(backend: ElasticBackend) -> None:
    from concurrent.futures import ThreadPoolExecutor

    queries = ["bygglov avser", "detaljplanen samrådet", "skolskjuts upphandlingen", "far"]
    expected = {qq: [(h.record.doc_id, h.score) for h in
                     backend.search(SearchRequest(query=qq)).hits] for qq in queries}
    with ThreadPoolExecutor(4) as pool:
        found = list(pool.map(
            lambda qq: (qq, [(h.record.doc_id, h.score) for h in
                             backend.search(SearchRequest(query=qq)).hits]),
            queries * 10))
    assert all(hits == expected[qq] for qq, hits in found)


def test_package_modules_import_no_cycle_and_stay_small() -> None:
    """indexer/elastic/: one module per job, each importing only modules of the package
    that do not import it back (directly or not), none over about 400 lines."""
    import ast
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "indexer" / "elastic"
    prefix = "diarium.indexer.elastic."
    graph: dict[str, set[str]] = {}
    for path in folder.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert source.count("\n") <= 400, path.name
        if path.stem == "__init__":
            continue
        graph[path.stem] = {
            node.module[len(prefix):].split(".")[0]
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.ImportFrom) and node.module
            and node.module.startswith(prefix)
        }
    assert graph["bulk"] == {"connection"}  # bulk and the backend no longer import each other

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n}))
                   for n in graph.get(start, ()))

    assert not [name for name in graph if reaches(name, name, set())]
