"""Index settings, mappings and Swedish analysis profiles for Elasticsearch and OpenSearch.

One module for both engines (they accept the same index bodies). The fields mirror the
embedded backend (indexer/embedded/) so that both answer the same query the same way:

- `rubrik`, `part`, `arendemening`, `text` (text is one value per page): the Swedish
  analyzer of the chosen profile, with an `.exact` sub-field (standard tokenizer and
  lowercase only, å/ä/ö kept) boosted above the stems;
- `folded`: all free text folded in Python (å, ä → a, ö → o) and indexed lowercase; only
  query words typed without å/ä/ö search it, at a low boost. Folding is done in Python
  because `asciifolding` lives in analysis-common, which minimal nodes lack;
- `parts`, `lemma`, `ident`: compound parts, lemmas and normalized identifiers
  ("afs 2023 1") from diarium.swedish (computed in Python, so no word list must be
  installed on the nodes);
- facet fields as `keyword` (values as shown), `kw` ("name=value" lowercased) for
  case-insensitive filters, `dnr_key` and `dnr_year_serial` keywords, `datum` a date;
- every PublicRecord field is in `_source` (pages as the values of `text`, the text
  itself as the unindexed `body`), so hits rebuild the record exactly;
- `passages` (when the cluster has vector fields, `vector_kind`): nested, one object per
  embedded passage of the public projection (`position` 0 the title, as in
  diarium.embeddings) with its `vector` (Elasticsearch `dense_vector`, OpenSearch
  `knn_vector` of the k-NN plugin's Lucene engine; HNSW, cosine), and `vector_model`, the
  model those vectors came from. Searched with kNN by indexer/elastic/vectors.py.

Analysis profiles (DESIGN.md, "Engines"): `snowball` (standard, lowercase, stop _swedish_,
stemmer swedish: needs analysis-common), `hunspell` (lowercase, stop _swedish_, hunspell
sv_SE: needs the dictionary in the nodes' config/hunspell/sv_SE) and `auto`, which picks
snowball when the cluster has analysis-common, else hunspell when the dictionary answers,
else stops with a ConfigError. No profile folds å/ä/ö in the main fields (får ≠ far).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from diarium.errors import ConfigError
from diarium.indexer.ranking import TEXT_FIELDS
from diarium.search import FACETS

# 2: the sammantrade facet (issue 16); an index of an older version gets the new fields
# on setup (IndexAdmin.extend_mapping), its records them on `diarium reindex`.
# 3: derived words changed as in the embedded schema 5 (lemmas, telephone digits), and the
# text stored once when its pages give it back; `diarium reindex` rewrites older records.
SCHEMA_VERSION = 3
PROFILES: tuple[str, ...] = ("auto", "snowball", "hunspell")

_STOP = {"type": "stop", "stopwords": "_swedish_"}

VECTOR_FIELD = "passages"         # nested: {position, vector} per embedded passage
VECTOR_DIMS = 384                 # multilingual-e5-small (diarium.embeddings.E5Model.dim)
KNN_PLUGIN = "opensearch-knn"     # OpenSearch's vector fields come with this plugin


def vector_kind(engine: str, modules: Callable[[], set[str]]) -> str | None:
    """The vector field type of a cluster: `dense_vector` on Elasticsearch (core, no
    licence), `knn_vector` on OpenSearch with the k-NN plugin, else None (no vectors on
    the nodes: hybrid search falls back to the vector file, indexer/elastic/vectors.py)."""
    if engine == "elasticsearch":
        return "dense_vector"
    return "knn_vector" if KNN_PLUGIN in modules() else None


def vector_mapping(kind: str) -> dict[str, Any]:
    """The mapped fields of the passage vectors for a vector_kind (module doc)."""
    if kind == "dense_vector":
        # Plain float HNSW (9.x defaults to int8 quantisation): the same cosines as the
        # embedded engine's exact search, which the related-results threshold is set on.
        vector: dict[str, Any] = {"type": "dense_vector", "dims": VECTOR_DIMS, "index": True,
                                  "similarity": "cosine", "index_options": {"type": "hnsw"}}
    else:
        # The Lucene engine: the plugin's native engines (faiss, nmslib) need JNI
        # libraries that its Maven artifact does not ship.
        vector = {"type": "knn_vector", "dimension": VECTOR_DIMS,
                  "method": {"name": "hnsw", "engine": "lucene",
                             "space_type": "cosinesimil"}}
    return {
        VECTOR_FIELD: {"type": "nested", "properties": {
            "position": {"type": "integer"}, "vector": vector}},
        "vector_model": {"type": "keyword"},
    }


def analysis(profile: str) -> dict[str, Any]:
    """The `analysis` index settings of a concrete profile (snowball or hunspell).

    Raises ConfigError for another name (resolve `auto` first with resolve_profile).
    """
    if profile == "snowball":
        stem_filters: dict[str, Any] = {
            "sv_stop": _STOP,
            "sv_stem": {"type": "stemmer", "language": "swedish"},
        }
    elif profile == "hunspell":
        stem_filters = {
            "sv_stop": _STOP,
            # dedup: one stem per form is enough for matching and keeps the index small.
            "sv_stem": {"type": "hunspell", "locale": "sv_SE", "dedup": True},
        }
    else:
        raise ConfigError(
            f"unknown analysis profile {profile!r}: use one of {', '.join(PROFILES)}"
        )
    # The folded field holds text folded in Python; with a stemmer at hand it is stemmed
    # too (as the embedded engine's folded field), else matched as words.
    folded = ["lowercase", "sv_stem"] if profile == "snowball" else ["lowercase"]
    return {
        "filter": stem_filters,
        "analyzer": {
            "sv_folded": {"type": "custom", "tokenizer": "standard", "filter": folded},
            "sv": {"type": "custom", "tokenizer": "standard",
                   "filter": ["lowercase", "sv_stop", "sv_stem"]},
            "sv_exact": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase"]},
            "sv_words": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase"]},
        },
    }


def mappings() -> dict[str, Any]:
    """The index mappings (see the module doc for the fields)."""
    props: dict[str, Any] = {
        "doc_id": {"type": "keyword"},
        "case_id": {"type": "long"},
        "organisation_name": {"type": "keyword", "index": False},
        "diarienummer": {"type": "keyword"},
        "lopnummer": {"type": "integer", "index": False},
        "datum": {"type": "date", "format": "strict_date"},
        "secret": {"type": "boolean"},
        "sekretess_text": {"type": "keyword", "index": False},
        "handlaggare": {"type": "keyword"},
        "klassificering": {"type": "keyword"},
        "paged": {"type": "boolean", "index": False},
        "body": {"type": "text", "index": False},
        "file_name": {"type": "keyword", "index": False},
        "media_type": {"type": "keyword", "index": False},
        "folded": {"type": "text", "analyzer": "sv_folded"},
        "ident": {"type": "keyword"},
        "parts": {"type": "text", "analyzer": "sv_words"},
        "lemma": {"type": "text", "analyzer": "sv_words"},
        "kw": {"type": "keyword"},
        "dnr_key": {"type": "keyword"},
        "dnr_year_serial": {"type": "keyword"},
    }
    for name in TEXT_FIELDS:
        props[name] = {
            "type": "text", "analyzer": "sv",
            # Positions gap as in the embedded field: a phrase never spans two pages.
            "position_increment_gap": 100,
            "fields": {"exact": {"type": "text", "analyzer": "sv_exact",
                                 "position_increment_gap": 100}},
        }
    for facet in FACETS:
        if facet.kind == "bool":
            props[facet.field] = {"type": "boolean"}
        else:
            props[facet.field] = {"type": "keyword"}
    # `text` holds the pages (one value each); the record's own text is `body`, unindexed.
    return {"dynamic": "strict", "properties": props}


def index_body(profile: str, shards: int = 1, replicas: int = 0,
               vectors: str | None = None) -> dict[str, Any]:
    """The body of a create-index request for a concrete analysis profile; `vectors`: the
    cluster's vector_kind (None: no vector fields)."""
    body: dict[str, Any] = {
        "settings": {
            "index": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                # Deep pages go through search_after; from+size stays within this.
                "max_result_window": 10_000,
            },
            "analysis": analysis(profile),
        },
        "mappings": mappings(),
    }
    if vectors is not None:
        body["mappings"]["properties"].update(vector_mapping(vectors))
        if vectors == "knn_vector":
            body["settings"]["index"]["knn"] = True   # the k-NN plugin's switch, static
    return body


def resolve_profile(profile: str, modules: Callable[[], set[str]],
                    hunspell_works: Callable[[], bool]) -> str:
    """The concrete profile for `profile` on a cluster.

    `modules()` gives the names of the cluster's modules and plugins; `hunspell_works()`
    tries an _analyze call with the sv_SE dictionary. Raises ConfigError when `auto`
    finds neither, or when an explicit profile's requirement is missing.
    """
    if profile not in PROFILES:
        raise ConfigError(f"unknown analysis profile {profile!r}: use one of {', '.join(PROFILES)}")
    if profile == "snowball":
        if "analysis-common" not in modules():
            raise ConfigError(
                "the analysis profile snowball needs the analysis-common module, which this "
                "cluster does not have; use profile = \"hunspell\" (with the sv_SE "
                "dictionary in config/hunspell/sv_SE on every node) or \"auto\""
            )
        return "snowball"
    if profile == "hunspell":
        if not hunspell_works():
            raise ConfigError(_NO_HUNSPELL)
        return "hunspell"
    if "analysis-common" in modules():
        return "snowball"
    if hunspell_works():
        return "hunspell"
    raise ConfigError(
        "the cluster has neither the analysis-common module (for Swedish snowball "
        "stemming) nor a Swedish hunspell dictionary. " + _NO_HUNSPELL
    )


_NO_HUNSPELL = (
    "The hunspell profile needs sv_SE.aff and sv_SE.dic (Debian package hunspell-sv) "
    "copied into config/hunspell/sv_SE/ on every node, then a node restart."
)
