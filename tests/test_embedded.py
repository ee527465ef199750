"""The embedded (tantivy) backend's mechanics: storing, replacing, deleting, facets,
filters, sorting, deep paging, snippets and errors, on a real index in tmp_path."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import tantivy

from diarium.errors import EngineUnavailable, QueryError
from diarium.indexer.embedded import SCHEMA_FILE, EmbeddedBackend
from diarium.public import PublicRecord
from diarium.search import FACETS, SearchRequest
from diarium.synthetic import generate_records, make_record

N = 1200


@pytest.fixture(scope="module")
def records() -> list[PublicRecord]:
    return list(generate_records(N, seed=3))


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory,
            records: list[PublicRecord]) -> EmbeddedBackend:
    engine = EmbeddedBackend(tmp_path_factory.mktemp("emb") / "embedded",
                             writer_heap=50_000_000, writer_threads=1)
    engine.setup()
    assert engine.index(records) == N
    return engine


def small(tmp_path: Path) -> EmbeddedBackend:
    engine = EmbeddedBackend(tmp_path / "embedded", writer_heap=15_000_000, writer_threads=1)
    engine.setup()
    return engine


def test_get_rebuilds_the_record_exactly(backend: EmbeddedBackend,
                                         records: list[PublicRecord]) -> None:
    for record in records[:50] + [r for r in records if r.secret][:5]:
        assert backend.get(record.doc_id) == record
    assert backend.get("no-such-doc") is None
    assert backend.count() == N


def test_reindex_replaces_by_doc_id_and_delete_removes(tmp_path: Path) -> None:
    engine = small(tmp_path)
    engine.index([make_record("1", text="Första versionen om skolskjuts."),
                  make_record("2", text="Annan handling om skolskjuts.")])
    engine.index([make_record("1", text="Andra versionen om färdtjänst.")])
    assert engine.count() == 2
    assert {h.record.doc_id for h in engine.search(SearchRequest("skolskjuts")).hits} == {"2"}
    assert engine.get("1") is not None and "färdtjänst" in engine.get("1").text  # type: ignore[union-attr]
    assert engine.delete(["1", "404"]) == 1
    assert engine.count() == 1
    assert engine.get("1") is None
    assert engine.search(SearchRequest("färdtjänst")).total == 0


def test_setup_is_idempotent_and_another_process_sees_the_data(tmp_path: Path) -> None:
    engine = small(tmp_path)
    engine.setup()
    engine.index([make_record("7", text="Ett protokoll.")])
    again = EmbeddedBackend(tmp_path / "embedded")
    again.setup()
    again.setup()
    assert again.count() == 1
    assert again.get("7") == engine.get("7")


def test_an_index_of_another_schema_version_is_recreated_empty(tmp_path: Path) -> None:
    engine = small(tmp_path)
    engine.index([make_record("7", text="Ett protokoll.")])
    engine.close()
    marker = tmp_path / "embedded" / SCHEMA_FILE
    marker.write_text(json.dumps({"version": 0}), "utf-8")
    reopened = small(tmp_path)
    assert reopened.count() == 0
    assert json.loads(marker.read_text("utf-8"))["version"] != 0


def test_a_busy_writer_is_a_clear_error(tmp_path: Path) -> None:
    engine = small(tmp_path)
    other = tantivy.Index.open(str(tmp_path / "embedded"))
    writer = other.writer(15_000_000, 1)
    try:
        with pytest.raises(EngineUnavailable, match="another process"):
            engine.index([make_record("1", text="x")])
    finally:
        writer.rollback()
        writer.wait_merging_threads()


def test_facet_counts_match_the_records(backend: EmbeddedBackend,
                                        records: list[PublicRecord]) -> None:
    result = backend.search(SearchRequest(""))
    assert result.total == N
    for facet in FACETS:
        expected = Counter(
            ("true" if v else "false") if isinstance(v := getattr(r, facet.field), bool)
            else str(v)
            for r in records if getattr(r, facet.field) != ""
        )
        got = {fv.value: fv.count for fv in result.facets[facet.name]}
        assert got == dict(expected), facet.name


def test_filters_or_within_a_facet_and_across(backend: EmbeddedBackend,
                                              records: list[PublicRecord]) -> None:
    filters = {"handlingstyp": ("Beslut", "yttrande"), "organisation": ("hamnstad",)}
    result = backend.search(SearchRequest("", filters=filters, per_page=100))
    expected = [r for r in records
                if r.handlingstyp in ("Beslut", "Yttrande") and r.organisation == "hamnstad"]
    assert result.total == len(expected) > 0
    # Multi-select facets: the filtered facet still counts its other values (without its
    # own filter), the others count within the whole filter.
    types = {fv.value: fv.count for fv in result.facets["handlingstyp"]}
    assert types["Skrivelse"] == sum(
        1 for r in records if r.handlingstyp == "Skrivelse" and r.organisation == "hamnstad")
    orgs = {fv.value: fv.count for fv in result.facets["organisation"]}
    assert orgs["norrby"] == sum(
        1 for r in records if r.handlingstyp in ("Beslut", "Yttrande")
        and r.organisation == "norrby")
    years = {fv.value: fv.count for fv in result.facets["year"]}
    assert sum(years.values()) == len(expected)


def test_bool_year_and_date_filters(backend: EmbeddedBackend,
                                    records: list[PublicRecord]) -> None:
    with_file = sum(1 for r in records if r.has_file)
    for value in ("true", "ja", "1"):
        assert backend.search(SearchRequest("", filters={"has_file": (value,)})).total == \
            with_file
    assert backend.search(SearchRequest("", filters={"year": ("2019",)})).total == sum(
        1 for r in records if r.datum.startswith("2019"))
    request = SearchRequest("", date_from="2020-03-01", date_to="2020-06-30")
    assert backend.search(request).total == sum(
        1 for r in records if "2020-03-01" <= r.datum <= "2020-06-30")


@pytest.mark.parametrize(("request_", "message"), [
    (SearchRequest("", filters={"färg": ("blå",)}), "unknown filter"),
    (SearchRequest("", filters={"has_file": ("kanske",)}), "yes/no"),
    (SearchRequest("", page=0), "page"),
    (SearchRequest("", per_page=1000), "per_page"),
    (SearchRequest("", page=10_000, per_page=100), "too deep"),
    (SearchRequest("", sort="best"), "sort"),  # type: ignore[arg-type]
    (SearchRequest("", date_from="2023-13-45"), "invalid date"),
])
def test_bad_requests_say_what_is_wrong(backend: EmbeddedBackend, request_: SearchRequest,
                                        message: str) -> None:
    with pytest.raises(QueryError, match=message):
        backend.search(request_)


def test_sort_by_date(backend: EmbeddedBackend) -> None:
    newest = [h.record.datum for h in backend.search(
        SearchRequest("bygglov", sort="newest", per_page=50)).hits]
    oldest = [h.record.datum for h in backend.search(
        SearchRequest("bygglov", sort="oldest", per_page=50)).hits]
    assert newest == sorted(newest, reverse=True) and len(newest) == 50
    assert oldest == sorted(oldest)
    assert newest[0] > oldest[0]


def test_deep_paging_is_consistent(backend: EmbeddedBackend) -> None:
    seen: list[str] = []
    page = 1
    while True:
        result = backend.search(SearchRequest("", sort="oldest", page=page, per_page=100,
                                              with_facets=False))
        if not result.hits:
            break
        seen += [h.record.doc_id for h in result.hits]
        page += 1
    assert len(seen) == len(set(seen)) == N
    # page 50 of 20 is the same slice of the list
    deep = backend.search(SearchRequest("", sort="oldest", page=50, per_page=20))
    assert [h.record.doc_id for h in deep.hits] == seen[980:1000]
    beyond = backend.search(SearchRequest("", page=100, per_page=20))
    assert beyond.hits == () and beyond.total == N


def test_relevance_exact_form_and_title_rank_first(tmp_path: Path) -> None:
    engine = small(tmp_path)
    engine.index([
        make_record("stem", text="Nämnden tog besluten i går om vägen."),
        make_record("exact", text="Nämnden beslutade i går om vägen."),
        make_record("title", rubrik="Vägen", text="Handling om annat, vägen nämns."),
    ])
    assert [h.record.doc_id for h in engine.search(SearchRequest("beslutade")).hits] == [
        "exact", "stem"]
    assert engine.search(SearchRequest("vägen")).hits[0].record.doc_id == "title"


def test_snippets_are_text_with_character_marks_and_the_page(tmp_path: Path) -> None:
    engine = small(tmp_path)
    pages = (
        "Första sidan handlar om vägar och <b>broar</b> i Åsele.",
        "Andra sidan: ingenting särskilt här.",
        "Tredje sidan: Förskoleförvaltningen föreslår att nämnden beslutar om ny förskola.",
    )
    engine.index([make_record("p", text="\n".join(pages), pages=pages)])
    hit = engine.search(SearchRequest("förskola")).hits[0]
    snippet = hit.snippets[0]
    assert snippet.page == 3 and hit.page == 3
    assert [snippet.text[m.start:m.end].lower() for m in snippet.marks] == ["förskola"]
    hit = engine.search(SearchRequest("broar")).hits[0]
    snippet = hit.snippets[0]
    assert snippet.page == 1
    assert "<b>broar</b>" in snippet.text          # the document's own text, not markup
    assert [snippet.text[m.start:m.end] for m in snippet.marks] == ["broar"]


def test_words_of_a_phrase_are_marked_only_where_the_phrase_stands(tmp_path: Path) -> None:
    """tantivy's snippet generator marks each term of a phrase wherever it occurs; a term
    the query names only inside phrases (a typed phrase, a synonym's expansion, a word the
    analyzer splits) keeps its mark only where the whole phrase stands."""
    engine = small(tmp_path)
    engine.index([
        make_record("phrase", text="Frågan om taxan. Ett beslut om bygglov, och om "
                    "strandskydd, fattades i går."),
        make_record("synonym", text="Barn och utbildningsnämnden beslutade. Skolor och "
                    "förskolor får nya lokaler."),
        make_record("digits", text="Mötet hölls 2021-08-31. Se ärende 2021-0133 om lokaler."),
        make_record("stray", text="Beslutet fattades 2021-08-31 och gäller från 2021-09-01."),
    ])

    def marked(query: str, doc_id: str) -> list[str]:
        hit = next(h for h in engine.search(SearchRequest(query)).hits
                   if h.record.doc_id == doc_id)
        return [s.text[m.start:m.end] for s in hit.snippets for m in s.marks]

    assert marked('"beslut om bygglov"', "phrase") == ["beslut", "om", "bygglov"]
    # a word typed on its own is marked wherever it stands
    assert marked('"beslut om bygglov" om', "phrase") == [
        "om", "beslut", "om", "bygglov", "om"]
    assert marked("bun", "synonym") == ["Barn", "och", "utbildningsnämnden"]
    # the split word marked where it stands whole, not the year in the date before it
    assert marked("2021-0133", "digits") == ["2021", "0133"]
    # the year of a split word is not marked in every date of that year
    assert "2021" not in marked("beslutet OR 2021-0133", "stray")
    assert marked("beslutet OR 2021-0133", "stray") == ["Beslutet"]


def test_a_phrase_is_shown_where_it_stands_though_its_words_crowd_elsewhere(
        tmp_path: Path) -> None:
    """tantivy picks the fragment holding the most of the query's terms: a page where
    the phrase's words crowd one place and the phrase stands whole later is shown at the
    phrase, with its words marked there."""
    engine = small(tmp_path)
    crowd = "Beslut om taxan och om avgifter, beslut om ordningen och om bygglovstaxan. " * 6
    filler = "Nämnden går igenom ärendena på sitt sammanträde i slutet av månaden. " * 6
    engine.index([make_record("far", pages=(filler, crowd + filler + "Nämnden fattade "
                                            "ett beslut om bygglov för tillbyggnaden.")),
                  make_record("none", text=crowd)])
    hits = {h.record.doc_id: h for h in engine.search(SearchRequest(
        '"beslut om bygglov"')).hits}
    assert set(hits) == {"far"}
    (snippet,) = hits["far"].snippets
    assert [snippet.text[m.start:m.end] for m in snippet.marks] == ["beslut", "om", "bygglov"]
    assert snippet.page == 2
    # beside a word of its own (BUN), a synonym's expansion crowded out the same way
    engine.index([make_record("bun", pages=(
        "Barn och unga och barn i förskolan och barn i skolan och deras vårdnadshavare. " * 5
        + filler, "Ärendet bereds av barn och utbildningsnämnden i maj."))])
    (snippet,) = next(h for h in engine.search(SearchRequest("bun")).hits
                      if h.record.doc_id == "bun").snippets
    assert [snippet.text[m.start:m.end] for m in snippet.marks] == [
        "barn", "och", "utbildningsnämnden"]
    assert snippet.page == 2


def test_a_register_entry_without_text_gets_a_title_snippet(tmp_path: Path) -> None:
    engine = small(tmp_path)
    engine.index([make_record("r", rubrik="Överklagande av bygglov")])
    snippet = engine.search(SearchRequest("bygglov")).hits[0].snippets[0]
    assert snippet.field == "rubrik" and snippet.page is None
    assert [snippet.text[m.start:m.end] for m in snippet.marks] == ["bygglov"]


@pytest.mark.parametrize("query", ["", "typ:skrivelse", "-bygglov", '-"beslut om"',
                                   "datum:2023", "riktning:inkommande -bygglov"])
def test_a_query_with_nothing_to_mark_gives_hits_without_snippets(tmp_path: Path,
                                                                  query: str) -> None:
    # The query plan's `markable` is false for these, so no snippet is generated; before,
    # `-"beslut om"` marked the excluded phrase's `om` in the hit's text.
    engine = small(tmp_path)
    engine.index([make_record("s", text="Beslut i ärendet om parkering.",
                              handlingstyp="Skrivelse", riktning="Inkommande")])
    result = engine.search(SearchRequest(query))
    assert [h.record.doc_id for h in result.hits] == ["s"]
    assert result.hits[0].snippets == ()


def test_abbreviations_find_what_they_stand_for_and_back(tmp_path: Path) -> None:
    engine = EmbeddedBackend(tmp_path / "embedded", writer_heap=15_000_000, writer_threads=1,
                             synonyms=[{"SBN": "stadsbyggnadsnämnden", "KS": "kommunstyrelsen"}])
    engine.index([
        make_record("long", text="Kommunstyrelsen beslutade i ärendet."),
        make_record("short", text="KS beslutade i ärendet."),
        make_record("sbn", text="Stadsbyggnadsnämnden yttrade sig."),
        make_record("other", text="Nämnden beslutade i ärendet."),
    ])
    def ids(query: str) -> list[str]:
        return [h.record.doc_id for h in engine.search(SearchRequest(query)).hits]

    assert ids("KS") == ["short", "long"]               # as typed first
    assert ids("kommunstyrelsen") == ["long", "short"]
    assert ids("sbn") == ["sbn"]
    plain = EmbeddedBackend(tmp_path / "plain", writer_heap=15_000_000, writer_threads=1,
                            swedish=False)
    plain.index([make_record("long", text="Kommunstyrelsen beslutade.")])
    assert plain.search(SearchRequest("KS")).total == 0


@pytest.mark.parametrize(("text", "pages"), [
    ("a\fb", ("a", "b")), ("whole other", ("a", "b")), ("", ()), ("ab", ("a", "b")),
    ("only text", ()), ("å\n\nä", ("å", "ä")),
])
def test_stored_record_round_trip_of_text_and_pages(tmp_path: Path, text: str,
                                                    pages: tuple[str, ...]) -> None:
    engine = small(tmp_path)
    record = make_record("r", text=text, pages=pages)
    engine.index([record])
    assert engine.get("r") == record


def test_facet_filters_with_quotes_and_backslashes(tmp_path: Path) -> None:
    engine = small(tmp_path)
    odd = 'Beslut "A" \\ (B) OR:C'
    engine.index([
        make_record("1", handlingstyp=odd, organisation="a"),
        make_record("2", handlingstyp=odd, organisation="b"),
        make_record("3", handlingstyp="Skrivelse", organisation="a"),
    ])
    result = engine.search(SearchRequest(
        "", filters={"handlingstyp": (odd.upper(),), "organisation": ("a",)}))
    assert [h.record.doc_id for h in result.hits] == ["1"]
    assert {(v.value, v.count) for v in result.facets["handlingstyp"]} == {
        (odd, 1), ("Skrivelse", 1)}
    assert {(v.value, v.count) for v in result.facets["organisation"]} == {("a", 1), ("b", 1)}
    assert {(v.value, v.count) for v in result.facets["riktning"]} == {("Inkommande", 1)}


def test_words_close_together_rank_first(tmp_path: Path) -> None:
    engine = small(tmp_path)
    filler = " ".join(["Texten fortsätter med annat innehåll."] * 6)
    engine.index([
        make_record("apart", text=f"Bygglov söktes. {filler} Sedan kom en carport."),
        make_record("near", text=f"Bygglov för carport söktes. {filler}"),
    ])
    result = engine.search(SearchRequest("bygglov carport"))
    assert [h.record.doc_id for h in result.hits] == ["near", "apart"]
    assert result.total == 2     # the proximity clause ranks, it does not filter
