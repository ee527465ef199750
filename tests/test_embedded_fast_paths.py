"""The embedded backend's fast paths (issue 18) give the same answers as the slow ones:
stored records rebuilt without the dataclass __init__, facet counts cached per searcher
generation, and the one-band recency tie-breaker."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from diarium.indexer.embedded import EmbeddedBackend
from diarium.indexer.embedded.records import record_from_json, record_to_json
from diarium.public import PublicRecord
from diarium.search import SearchRequest
from diarium.synthetic import generate_records, make_record


@pytest.fixture()
def backend(tmp_path: Path) -> EmbeddedBackend:
    engine = EmbeddedBackend(tmp_path / "index")
    engine.setup()
    engine.index(generate_records(120, seed=7))
    return engine


def test_stored_records_rebuild_equal_to_the_indexed_ones() -> None:
    for record in generate_records(60, seed=3):
        again = record_from_json(record_to_json(record))
        assert again == record and type(again) is PublicRecord
        assert again.pages == record.pages and isinstance(again.pages, tuple)
        assert hash(again) == hash(record)
    # a record whose text is not its pages joined keeps its own text
    odd = replace(make_record("odd"), text="helt annan text", pages=("sida ett",))
    assert record_from_json(record_to_json(odd)) == odd


def test_fast_constructors_make_what_the_dataclass_makes() -> None:
    """fast_constructor's objects equal, hash, print and stay frozen as the dataclass's;
    a class whose fields differ from the names given gets its own constructor."""
    import dataclasses

    from diarium.indexer.embedded.records import fast_constructor
    from diarium.search import FacetValue, Hit, Mark, Snippet

    record = next(iter(generate_records(1, seed=3)))
    marks = (Mark(0, 4), Mark(7, 9))
    for cls, values in ((Mark, (3, 8)), (Snippet, ("Beslut om", marks, "text", 2)),
                        (Hit, (record, 1.5, (), True)), (FacetValue, ("Beslut", 12))):
        names = tuple(f.name for f in dataclasses.fields(cls))
        made, plain = fast_constructor(cls, names)(*values), cls(*values)
        assert type(made) is cls and made == plain and hash(made) == hash(plain)
        assert repr(made) == repr(plain)
        with pytest.raises(dataclasses.FrozenInstanceError):
            made.__setattr__(names[0], values[0])
    assert fast_constructor(Mark, ("end", "start")) is Mark


@pytest.mark.parametrize("fragment", ["Beslut om bygglov", "Åtgärd på ön: räddningstjänst",
                                      "ärende – 2021-0133 “citat” ö"])
def test_marks_count_characters_of_the_byte_ranges(fragment: str) -> None:
    """tantivy's ranges are UTF-8 byte offsets; the marks count characters, each one
    the characters of its bytes (in order, and out of order)."""
    from types import SimpleNamespace

    from diarium.indexer.embedded.snippets import _marks
    from diarium.search import Mark

    words = [(m.start(), m.end()) for m in re.finditer(r"\w+", fragment)]
    as_bytes = [SimpleNamespace(start=len(fragment[:a].encode()), end=len(fragment[:b].encode()))
                for a, b in words]
    assert _marks(fragment, as_bytes) == tuple(Mark(a, b) for a, b in words)
    backwards = list(reversed(as_bytes))
    assert _marks(fragment, backwards) == tuple(Mark(a, b) for a, b in reversed(words))


def test_a_stored_record_of_another_shape_still_rebuilds() -> None:
    """An object missing a field with a default (an older index) or holding an unknown
    key goes through the dataclass __init__."""
    record = make_record("old", file_name="a.pdf", media_type="application/pdf")
    data = json.loads(record_to_json(record))
    del data["media_type"]
    data["from_the_future"] = 1
    again = record_from_json(json.dumps(data).encode())
    assert again == replace(record, media_type="")


def test_paging_counts_facets_once(backend: EmbeddedBackend) -> None:
    first = backend.search(SearchRequest("beslut", filters={"riktning": ("Inkommande",)}))
    misses = backend.facet_cache.misses
    second = backend.search(SearchRequest("beslut", filters={"riktning": ("Inkommande",)},
                                          page=2, sort="newest"))
    assert backend.facet_cache.misses == misses and backend.facet_cache.hits >= 1
    assert second.facets == first.facets
    # other filters or another query are counted anew
    other = backend.search(SearchRequest("beslut", filters={"riktning": ("Utgående",)}))
    assert backend.facet_cache.misses == misses + 1
    assert other.total != first.total or other.facets != first.facets


def test_cached_counts_equal_fresh_counts(backend: EmbeddedBackend) -> None:
    for request in (SearchRequest(""), SearchRequest("", filters={"organisation": ("norrby",)}),
                    SearchRequest("tillsyn", date_from="2018-01-01")):
        cached = [backend.search(request).facets for _ in range(2)]
        backend.facet_cache.clear()
        assert backend.search(request).facets == cached[0] == cached[1]


def test_a_commit_invalidates_the_cached_counts(backend: EmbeddedBackend,
                                                tmp_path: Path) -> None:
    landing = backend.search(SearchRequest(""))
    organisations = dict((v.value, v.count) for v in landing.facets["organisation"])
    # another process (here another backend object on the same directory) writes
    writer = EmbeddedBackend(tmp_path / "index")
    writer.setup()
    writer.index([make_record("nytt-1", organisation="nyby", datum="2024-05-05")])
    backend.index_obj.reload()
    after = backend.search(SearchRequest(""))
    counted = dict((v.value, v.count) for v in after.facets["organisation"])
    assert after.total == landing.total + 1
    assert counted.get("nyby") == 1 and organisations.get("nyby") is None
    # and a delete through this backend too
    backend.delete(["nytt-1"])
    assert "nyby" not in {v.value for v in backend.search(SearchRequest("")).facets[
        "organisation"]}


def test_the_cache_is_bounded(tmp_path: Path) -> None:
    engine = EmbeddedBackend(tmp_path / "small")
    engine.setup()
    engine.index(generate_records(20, seed=1))
    engine.facet_cache.size = 3
    for word in ("beslut", "tillsyn", "bygglov", "avtal", "remiss"):
        engine.search(SearchRequest(word))
    assert len(engine.facet_cache) == 3


def test_recent_record_still_wins_a_tie(tmp_path: Path) -> None:
    engine = EmbeddedBackend(tmp_path / "tie")
    engine.setup()
    from datetime import date, timedelta
    recent = (date.today() - timedelta(days=30)).isoformat()
    engine.index([
        make_record("old", rubrik="Ekorrhägn", text="Ekorrhägn vid parken.",
                    pages=("Ekorrhägn vid parken.",), datum="2016-01-01"),
        make_record("new", rubrik="Ekorrhägn", text="Ekorrhägn vid parken.",
                    pages=("Ekorrhägn vid parken.",), datum=recent),
    ])
    hits = [h.record.doc_id for h in engine.search(SearchRequest("ekorrhägn")).hits]
    assert hits == ["new", "old"]


@pytest.fixture()
def segmented(tmp_path: Path) -> EmbeddedBackend:
    """Records in three commits (three segments), a third of them dated within the
    recency band, so ties and segment order matter."""
    from datetime import date, timedelta

    engine = EmbeddedBackend(tmp_path / "segmented", writer_heap=15_000_000,
                             writer_threads=1)
    engine.setup()
    records = list(generate_records(150, seed=11))
    recent = (date.today() - timedelta(days=40)).isoformat()
    records = [replace(r, datum=recent) if n % 3 == 0 else r for n, r in enumerate(records)]
    for start in (0, 50, 100):
        engine.index(records[start:start + 50])
    return engine


def test_landing_page_two_searches_rank_as_one_query(segmented: EmbeddedBackend) -> None:
    """The empty query adds the recency band by two searches (_recent_first): the same
    hits, in the same order, with the same 32-bit scores as the one banded query, on
    every page; so does any query the merge is forced on."""
    searcher = segmented.index_obj.searcher()
    assert searcher.num_segments >= 2
    from diarium.indexer.embedded.compiler import must
    from diarium.indexer.embedded.facets import filters

    def key(hits: list) -> list:  # type: ignore[type-arg]
        return [(score, a.segment_ord, a.doc) for score, a in hits]

    for text, flt in (("", {}), ("", {"riktning": ("Inkommande",)}), ("beslut", {}),
                      ("bygglov OR tillsyn", {"organisation": ("norrby", "exkommun")})):
        _, compiler, main = segmented._compiled(text)
        queries, _ = filters(SearchRequest(text, filters=flt))
        combined = must([main, *queries.values()])
        bare = text == "" and not flt
        for limit, offset in ((20, 0), (7, 45), (20, 140)):
            one = segmented._page(searcher, compiler, combined, None, limit, offset)
            two = segmented._page(searcher, compiler, combined, None, limit, offset,
                                  merge=True, match_all=bare)
            assert key(one[0]) == key(two[0]) and one[1] == two[1], (text, flt, offset)
    # the landing page: the records of the band (two years) first
    from datetime import date, timedelta

    from diarium.indexer.ranking import RECENCY_BANDS
    cutoff = (date.today() - timedelta(days=RECENCY_BANDS[0][0])).isoformat()
    shown = [h.record.datum >= cutoff
             for h in segmented.search(SearchRequest("", per_page=100)).hits]
    assert 50 <= sum(shown) < 100 and shown == sorted(shown, reverse=True)


def test_split_facet_counts_equal_one_request(segmented: EmbeddedBackend) -> None:
    """Facets of a query without words or of a case number are counted one request
    per group (facets.facet_counts split=True): the same counts as the one request."""
    from diarium.indexer.embedded.facets import facet_counts, filters

    searcher = segmented.index_obj.searcher()
    record = next(iter(generate_records(150, seed=11)))
    for text in ("", record.diarienummer, "beslut"):
        _, _, main = segmented._compiled(text)
        for request in (
                SearchRequest(text, filters={"organisation": ("norrby", "exkommun"),
                                             "handlingstyp": ("Beslut", "Yttrande")}),
                SearchRequest(text, filters={"riktning": ("Inkommande",)},
                              date_from="2018-01-01"),
                SearchRequest(text, filters={"has_file": ("ja",), "year": ("2019", "2021"),
                                             "status": ("Avslutat",)})):
            queries, terms = filters(request)
            one = facet_counts(searcher, main, queries, terms)
            split = facet_counts(searcher, main, queries, terms, split=True,
                                 match_all=text == "")
            assert split == one, (text, request.filters)


def test_compiled_queries_are_kept_per_text_and_bounded(tmp_path: Path) -> None:
    from diarium.indexer.embedded import backend as module

    engine = EmbeddedBackend(tmp_path / "compiled")
    engine.setup()
    engine.index(generate_records(30, seed=2))
    first = engine.search(SearchRequest("beslut"))
    assert engine._compiled("beslut") is engine._compiled("beslut")
    again = engine.search(SearchRequest("beslut"))
    assert [h.record.doc_id for h in again.hits] == [h.record.doc_id for h in first.hits]
    for number in range(module.COMPILED + 5):
        engine._compiled(f"ord{number}")
    assert len(engine._compiled_cache) == module.COMPILED


def test_snippet_queries_of_prefixes_are_kept_per_generation(backend: EmbeddedBackend,
                                                             tmp_path: Path) -> None:
    """A prefix query's snippet query (its commonest expansions) is kept per index
    generation: the same snippets from the kept one, new expansions after a commit."""
    first = backend.search(SearchRequest("besl*"))
    assert len(backend._marked_cache) == 1
    again = backend.search(SearchRequest("besl*"))
    assert [h.snippets for h in again.hits] == [h.snippets for h in first.hits]
    assert len(backend._marked_cache) == 1
    backend.index([make_record("besl-1", rubrik="Beslutsunderlag", text="Beslutsunderlag.",
                               pages=("Beslutsunderlag.",))])
    backend.search(SearchRequest("besl*"))
    assert len(backend._marked_cache) == 2
    backend.search(SearchRequest("beslut"))      # no prefix: nothing kept
    assert len(backend._marked_cache) == 2
    backend.clear_caches()
    assert len(backend._marked_cache) == len(backend._compiled_cache) == 0
    assert len(backend.facet_cache) == 0


def test_nested_facet_counts_equal_filter_aggregations(tmp_path: Path) -> None:
    """Facets with filters of their own are counted as terms aggregations nested per
    filtered facet, restricted by `include` to the field values the filter matches
    (facets._nested_counts): the same counts, in the same order (count, then value), as
    `filter` aggregations of the `kw` terms and as one request per group, for values
    written in other letter cases, a filter matching nothing and up to three filters."""
    from diarium.indexer.embedded import facets

    engine = EmbeddedBackend(tmp_path / "nested", writer_heap=15_000_000, writer_threads=1)
    engine.setup()
    records = list(generate_records(150, seed=13))
    # other letter cases of the same filter value ("beslut" matches both)
    records = [replace(r, handlingstyp=r.handlingstyp.upper()) if n % 7 == 0 else r
               for n, r in enumerate(records)]
    for start in (0, 75):
        engine.index(records[start:start + 75])
    searcher = engine.index_obj.searcher()
    cases = [
        {"organisation": ("norrby", "exkommun"), "handlingstyp": ("Beslut", "Yttrande")},
        {"handlingstyp": ("beslut",)},
        {"riktning": ("Inkommande",), "year": ("2019", "2021"), "status": ("avslutat",)},
        {"has_file": ("ja",), "organisation": ("NORRBY",)},
        {"organisation": ("ingen sådan",), "riktning": ("Utgående",)},
    ]
    nested_used = 0
    for text in ("", "beslut", "bygglov OR tillsyn"):
        _, _, main = engine._compiled(text)
        for flt in cases:
            request = SearchRequest(text, filters=flt, date_from="2016-01-01")
            queries, terms = facets.filters(request)
            own = {name: values for name, values in terms.items()}
            base = facets.must([main, queries["datum"]])
            reference = facets._filtered_counts(searcher, base, own)
            per_group = facets._split_counts(searcher, main, queries, list(own), False)
            assert {k: list(v) for k, v in per_group.items()} == {
                k: list(v) for k, v in reference.items()}
            nested = facets._nested_counts(searcher, base, own)
            if nested is None:
                assert "ingen sådan" in flt.get("organisation", ())
                continue
            nested_used += 1
            assert {k: list(v) for k, v in nested.items()} == {
                k: list(v) for k, v in reference.items()}, (text, flt)
            assert facets.facet_counts(searcher, main, queries, terms) == nested
    assert nested_used == 12
    upper = engine.search(SearchRequest("", filters={"handlingstyp": ("beslut",)}))
    assert {v.value for v in upper.facets["handlingstyp"]} >= {"Beslut", "BESLUT"}


@pytest.mark.parametrize("rare", [256, 0])
def test_snippet_precheck_gives_the_same_snippets(backend: EmbeddedBackend, rare: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A stemmed body field's snippet is skipped on the page's hits the index holds
    none of the query's terms for (snippets.Snippets.holders, by the records holding
    rare terms or by the page's doc_ids): the same snippets as trying every field on
    every hit, and the check does skip hits."""
    from diarium.indexer.embedded import snippets

    monkeypatch.setattr(snippets, "_RARE", rare)
    searcher = backend.index_obj.searcher()
    record = next(iter(generate_records(120, seed=7)))
    skipped = 0
    prefix, year, serial = record.dnr_key.split("|")
    typed = f"{prefix.lower()} {year}-{int(serial):04d}"     # as search_bench types it
    checked_fields: set[str] = set()
    skipped_anywhere = 0
    for text in (record.diarienummer, f"{record.organisation} {record.diarienummer}",
                 typed, "beslut", "bygglov OR tillsyn", '"beslut om"', "föresk*", "kommun",
                 "ks", '"beslut om bygglov" strandskydd', "bun 2021-0133"):
        planned, compiler, main = backend._compiled(text)
        # the query's terms are read: every term it names is one of them
        read = snippets._read(repr(main))
        assert read is not None, text
        named = set(re.findall(r'Term\(field=\d+, type=Str, "([^"]*)"\)', repr(main)))
        assert named == {t for terms in read.single.values() for t in terms} | {
            t for listed in read.phrases.values() for p in listed for t in p}, text
        found = searcher.search(compiler.ranked(main, None), 40).hits
        records = [backend._record(searcher, address) for _, address in found]
        pairs = list(zip([address for _, address in found], records, strict=True))
        checked = snippets.Snippets(searcher, main, planned.has_words,
                                    page=[(address, hit.doc_id) for address, hit in pairs])
        # the page checked for every field at once first (a query matching through
        # fields without snippets: a case number, an identifier)
        direct = snippets.Snippets(searcher, main, planned.has_words, direct=True,
                                   page=[(address, hit.doc_id) for address, hit in pairs])
        plain = snippets.Snippets(searcher, main, planned.has_words)
        for address, hit in pairs:
            assert checked.of(hit, address) == plain.of(hit), (text, hit.doc_id)
            assert direct.of(hit, address) == plain.of(hit), (text, hit.doc_id)
        if (anywhere := direct.holding.get(snippets._ANY)) is not None:
            skipped_anywhere += len(direct.keys) - len(anywhere)
        skipped += sum(len(checked.keys) - len(holding)
                       for holding in checked.holding.values() if holding is not None)
        checked_fields |= {f for f, holding in checked.holding.items() if holding is not None}
    assert skipped > 0 and skipped_anywhere > 0
    # the exact body field and the title fields are checked too (a case number's page)
    assert {"text", "text_exact", snippets._TITLES} <= checked_fields, checked_fields
    # a query tantivy describes with a type the reader does not know is not read
    assert snippets._read("Query(RegexQuery { regex: \"a.*\" })") is None
    assert snippets._read(repr(main)) is not None


def test_requests_dated_before_the_band_run_without_it(segmented: EmbeddedBackend,
                                                       monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    """A request whose date_to, year filter or required date range ends before the
    recency band starts is ranked without the band (compiler.latest_day): no record it
    matches lies within, so the same hits, scores, totals and facets as with it, graceful
    AND included; a range reaching into the band keeps it."""
    from datetime import date, timedelta

    from diarium.indexer.embedded import backend as module
    from diarium.indexer.embedded import compiler
    from diarium.indexer.ranking import RECENCY_BANDS

    start = date.today() - timedelta(days=RECENCY_BANDS[0][0])
    before = (start - timedelta(days=1)).isoformat()
    requests = [
        (SearchRequest("beslut", date_to="2022-12-31"), False),
        (SearchRequest("bygglov OR tillsyn", date_to=before, per_page=7, page=2), False),
        (SearchRequest("", filters={"year": ("2019", "2021")}), False),
        (SearchRequest("beslut datum:2016-01-01..2021-12-31"), False),
        (SearchRequest(f"datum:..{before}", filters={"riktning": ("Inkommande",)}), False),
        (SearchRequest("beslut zzzordfinnsinte", date_to="2021-06-30"), False),  # partial
        (SearchRequest("beslut", date_to=start.isoformat()), True),
        (SearchRequest("beslut", filters={"year": (str(start.year),)}), True),
        (SearchRequest("beslut OR datum:..2019-12-31"), True),     # not required: no bound
        (SearchRequest("beslut"), True),
    ]
    for request, banded in requests:
        planned, _, _ = segmented._compiled(request.query)
        latest = compiler.latest_day(planned.node, request.date_to,
                                     request.filters.get("year"))
        assert bool(compiler._recency_clauses(date.today(), latest)) == banded, request
        fast = segmented.search(request)
        with monkeypatch.context() as patched:
            patched.setattr(module, "latest_day", lambda *_: None)   # the band always
            segmented.clear_caches()
            slow = segmented.search(request)
        assert [(h.record.doc_id, h.score) for h in fast.hits] == [
            (h.record.doc_id, h.score) for h in slow.hits], request
        assert (fast.total, fast.partial, fast.facets) == (slow.total, slow.partial,
                                                           slow.facets), request
        assert fast.total > 0, request
    assert segmented.search(requests[5][0]).partial
    # a bound that is no date, or no bound at all, keeps the band
    assert compiler.latest_day(planned.node, None, ("20x9",)) is None
    assert compiler.latest_day(planned.node, None, ()) is None
