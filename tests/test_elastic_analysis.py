"""Swedish analysis profiles on the real Elasticsearch and OpenSearch test nodes, checked
through `_analyze` on indices created with diarium's own settings."""

from __future__ import annotations

import pytest

from diarium.errors import ConfigError
from diarium.indexer.elastic import index_body

# (engine, profile) pairs the test nodes support: the minimal Elasticsearch distribution
# has no analysis-common module (no stemmer filter), OpenSearch has it installed.
AVAILABLE = [("elasticsearch", "hunspell"), ("opensearch", "hunspell"),
             ("opensearch", "snowball")]

# Inflected forms that must share a token after analysis.
JOIN = [("bygglovens", "bygglov"), ("husen", "hus"), ("föreskrifterna", "föreskrift"),
        ("detaljplanen", "detaljplaner"), ("ansökningarna", "ansökning"),
        ("nämnderna", "nämnd")]
# Words that differ only by å/ä/ö and must stay apart.
APART = [("får", "far"), ("hår", "har"), ("för", "for"), ("två", "tva")]


def _tokens(backend, index: str, analyzer: str, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    answer = backend.conn.request("POST", f"/{index}/_analyze",
                                  body={"analyzer": analyzer, "text": text})
    return [t["token"] for t in answer["tokens"]]


@pytest.fixture
def analysed(make_elastic, request):  # type: ignore[no-untyped-def]
    engine, profile = request.param
    backend = make_elastic(engine, setup=False, profile=profile)
    name = f"{backend.alias}-v1-analysis"
    backend.conn.request("PUT", f"/{name}", body=index_body(profile))
    return backend, name, profile


@pytest.mark.parametrize("analysed", AVAILABLE, indirect=True, ids=lambda p: "-".join(p))
def test_inflections_join(analysed) -> None:  # type: ignore[no-untyped-def]
    backend, name, profile = analysed
    # Hunspell may give several lemmas for a form: sharing one is enough.
    for form, base in JOIN:
        left = set(_tokens(backend, name, "sv", form))
        right = set(_tokens(backend, name, "sv", base))
        assert left & right, f"{profile}: {form} {left} and {base} {right} share no token"


@pytest.mark.parametrize("analysed", AVAILABLE, indirect=True, ids=lambda p: "-".join(p))
def test_swedish_letters_stay(analysed) -> None:  # type: ignore[no-untyped-def]
    backend, name, profile = analysed
    for with_letters, without in APART:
        for analyzer in ("sv", "sv_exact"):
            left = _tokens(backend, name, analyzer, with_letters)
            right = _tokens(backend, name, analyzer, without)
            assert not set(left) & set(right), (profile, analyzer, left, right)
            assert all(any(c in t for c in "åäö") for t in left), (profile, analyzer, left)
    exact = _tokens(backend, name, "sv_exact", "Bygglovet för Åkern")
    assert exact == ["bygglovet", "för", "åkern"]


@pytest.mark.parametrize("analysed", AVAILABLE, indirect=True, ids=lambda p: "-".join(p))
def test_stopwords_removed_from_stemmed_field_only(analysed) -> None:  # type: ignore[no-untyped-def]
    backend, name, _ = analysed
    assert "och" not in _tokens(backend, name, "sv", "skola och förskola")
    assert "och" in _tokens(backend, name, "sv_exact", "skola och förskola")


def test_auto_picks_per_cluster(make_elastic) -> None:  # type: ignore[no-untyped-def]
    es = make_elastic("elasticsearch", setup=False)
    os_ = make_elastic("opensearch", setup=False)
    assert "analysis-common" not in es.modules()
    assert es.profile() == "hunspell"
    assert os_.profile() == "snowball"


def test_snowball_on_minimal_node_is_a_clear_error(make_elastic) -> None:  # type: ignore[no-untyped-def]
    backend = make_elastic("elasticsearch", setup=False, profile="snowball")
    with pytest.raises(ConfigError, match="analysis-common"):
        backend.setup()
