"""Fuzz: whatever a visitor types, the parsed and compiled query is accepted by tantivy.

The parser (diarium.query) promises never to raise; this checks the other half: the
embedded compiler never builds a query that tantivy rejects or panics on (a one-word
phrase, an empty phrase prefix, a range without bounds...), on a real index.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diarium.indexer.embedded import EmbeddedBackend
from diarium.search import SearchRequest
from diarium.synthetic import generate_records

PIECES = [
    "bygglov", "får", "far", "Åkern", "beslut", "om", "och", "KS", "2023/123", "47/2017",
    "KS-2023-0123", "dnr:", "typ:", "datum:", "riktning:", "avsändare:", "nämnd:", "org:",
    "2023-01-01..2023-06-30", "..", "OR", "NOT", "AND", "|", "||", "&&", "-", "--", "+",
    "(", ")", '"', "*", "b*", "ö*", ":", "\\", "/", "e-post", "2023:1", "AFS 2023:1",
    "2012/13:144", " ", "  ", "\t", "\n", "é", "ß", "İ", "\u0301", "🙂", "\x00", "'", "~2",
    "^3", "[", "]", "{", "}", "<b>", "a" * 70,
]

query_text = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
    st.lists(st.sampled_from(PIECES), max_size=12).map(" ".join),
    st.text(max_size=80),
)


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedBackend:
    engine = EmbeddedBackend(tmp_path_factory.mktemp("fuzz") / "embedded",
                             writer_heap=15_000_000, writer_threads=1)
    engine.index(generate_records(150, seed=11))
    return engine


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=query_text)
def test_every_query_compiles_and_runs(backend: EmbeddedBackend, text: str) -> None:
    try:
        result = backend.search(SearchRequest(query=text, per_page=5))
    except BaseException as exc:  # a Rust panic is a BaseException, not an Exception
        raise AssertionError(f"query {text!r} failed: {exc!r}") from None
    assert result.total >= len(result.hits)
    for hit in result.hits:
        for snippet in hit.snippets:
            for mark in snippet.marks:
                assert 0 <= mark.start < mark.end <= len(snippet.text)


@pytest.mark.parametrize("text", [
    '"om"', '"och att"', '"a"', "**", "b*", '"2023:1"', "-", "NOT", "OR OR", "()",
    "dnr:", "datum:..", "datum:2023-02-30", "typ:", '"bygg*"', "a" * 70, "-bygglov",
    "(-bygglov)", "-(a OR b)", "x" * 5000, '""', '"e-post"*', "2023:1*",
])
def test_edge_queries_run(backend: EmbeddedBackend, text: str) -> None:
    backend.search(SearchRequest(query=text))
