"""What a snippet marks, the same on every engine: a hit found by its case number whose
text holds none of the query's words has no snippet (the year's dates are not marked as
the split number's "2021")."""

from __future__ import annotations

import pytest

from diarium.indexer.base import SearchBackend
from diarium.search import SearchRequest
from diarium.synthetic import make_record

RECORDS = [
    make_record("plain", diarienummer="BUN 2021/133", dnr_key="BUN|2021|133",
                text="Mötet hölls 2021-08-31. Skolan får nya lokaler.", rubrik="Lokaler"),
    make_record("named", diarienummer="BUN 2021/133", dnr_key="BUN|2021|133",
                text="Beslut i ärende 2021-0133 om lokaler.", rubrik="Beslut"),
]


@pytest.fixture(params=["embedded", "elasticsearch", "opensearch"])
def backend(request: pytest.FixtureRequest, make_engine) -> SearchBackend:  # type: ignore[no-untyped-def]
    engine: SearchBackend = make_engine(request.param)
    engine.index(RECORDS)
    return engine


def test_a_case_number_hit_without_its_words_in_the_text_has_no_snippet(
        backend: SearchBackend) -> None:
    hits = {h.record.doc_id: h for h in backend.search(SearchRequest("bun 2021-0133")).hits}
    assert set(hits) == {"plain", "named"}
    assert hits["plain"].snippets == ()
    # Where the number stands whole, the embedded engine and OpenSearch mark it;
    # Elasticsearch 9's highlighter marks only what matches a whole alternative of the
    # query (here "bun" AND the number), so it shows no snippet.
    marked = [s.text[m.start:m.end] for s in hits["named"].snippets for m in s.marks]
    assert marked == ([] if backend.name == "elasticsearch" else ["2021", "0133"])
