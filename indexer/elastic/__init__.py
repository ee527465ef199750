"""The Elasticsearch and OpenSearch backend (backend.py, for now the whole former
indexer/elastic.py), its index settings (settings.py), query compiler (compiler.py), bulk
indexing (bulk.py) and zero-downtime reindex (reindex.py, import it from there). This
package re-exports what callers use."""

from __future__ import annotations

from diarium.indexer.elastic.backend import (
    ENGINES,
    Connection,
    DocumentBuilder,
    ElasticBackend,
    ElasticConfig,
    EngineRefused,
    dumps,
    load_config,
    new_index_name,
    open_elastic,
    parse_marked,
    record_from_source,
)
from diarium.indexer.elastic.bulk import BulkIndexer, BulkStats
from diarium.indexer.elastic.compiler import Compiler
from diarium.indexer.elastic.settings import PROFILES, SCHEMA_VERSION, index_body

__all__ = [
    "ENGINES", "PROFILES", "SCHEMA_VERSION", "BulkIndexer", "BulkStats", "Compiler",
    "Connection", "DocumentBuilder", "ElasticBackend", "ElasticConfig", "EngineRefused",
    "dumps", "index_body", "load_config", "new_index_name", "open_elastic",
    "parse_marked", "record_from_source",
]
