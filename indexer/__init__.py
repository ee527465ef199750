"""Search backends: embedded (tantivy, default), Elasticsearch and OpenSearch.

All implement `diarium.indexer.base.SearchBackend` and return `SearchResult`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from diarium.errors import ConfigError

if TYPE_CHECKING:
    from diarium.config import Settings
    from diarium.indexer.base import SearchBackend

ENGINES: tuple[str, ...] = ("embedded", "elasticsearch", "opensearch")


def open_backend(settings: Settings, engine: str | None = None) -> SearchBackend:
    """The backend for `engine` (default: settings.engine), set up and ready.

    Raises ConfigError for an unknown engine name, EngineUnavailable when the engine
    cannot be opened or reached.
    """
    chosen = engine or settings.engine
    if chosen == "embedded":
        from diarium.config import DEFAULT_SYNONYMS
        from diarium.hybrid import semantic_search
        from diarium.indexer.embedded import EmbeddedBackend

        tables = [DEFAULT_SYNONYMS] + [o.synonyms for o in settings.organisations.values()]
        backend: SearchBackend = EmbeddedBackend(
            settings.index_dir / "embedded", synonyms=tables,
            orgs=tuple(settings.organisations.values()),
            semantic=semantic_search(settings))
        backend.setup()
        return backend
    if chosen in ("elasticsearch", "opensearch"):
        from diarium.hybrid import semantic_search
        from diarium.indexer.elastic import open_elastic

        elastic = open_elastic(settings, chosen)
        elastic.semantic = semantic_search(settings)   # hybrid: indexer/elastic/vectors.py
        return elastic
    raise ConfigError(f"unknown search engine {chosen!r}: use one of {', '.join(ENGINES)}")
