"""The embedded backend's fast paths (issue 18) give the same answers as the slow ones:
stored records rebuilt without the dataclass __init__, facet counts cached per searcher
generation, and the one-band recency tie-breaker."""

from __future__ import annotations

import json
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
