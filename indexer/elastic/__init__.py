"""The Elasticsearch and OpenSearch backend, one module per job:

- `settings.py`: index settings, mappings and the Swedish analysis profiles;
- `config.py`: ElasticConfig and load_config (options, environment, diarium.toml);
- `connection.py`: Connection (JSON over either engine's client) and the mapping of
  client failures to EngineUnavailable / EngineRefused;
- `routing.py`: the opt-in layout routed by organisation, with an alias per body;
- `documents.py`: DocumentBuilder (record → document) and record_from_source (back);
- `compiler.py`: the query plan (diarium.query_plan) → query DSL;
- `snippets.py`: what to highlight and the snippets rebuilt from marked fragments;
- `admin.py`: the cluster check, versioned indices and the alias (IndexAdmin);
- `bulk.py`: BulkIndexer (chunked, retried, split _bulk requests);
- `backend.py`: ElasticBackend (SearchBackend: writing, purging, searching, facets) and
  open_elastic;
- `reindex.py`: zero-downtime reindex, rollback, open_for_reindex (import it from there:
  it reads the store, which the backend itself never does).

A module imports only modules listed above it (no cycles); this package re-exports what
callers use.
"""

from __future__ import annotations

from diarium.indexer.elastic.admin import IndexAdmin, new_index_name
from diarium.indexer.elastic.backend import ElasticBackend, open_elastic
from diarium.indexer.elastic.bulk import BulkIndexer, BulkStats
from diarium.indexer.elastic.compiler import Compiler
from diarium.indexer.elastic.config import ENGINES, ElasticConfig, load_config
from diarium.indexer.elastic.connection import Connection, EngineRefused, dumps
from diarium.indexer.elastic.documents import DocumentBuilder, record_from_source
from diarium.indexer.elastic.settings import PROFILES, SCHEMA_VERSION, index_body
from diarium.indexer.elastic.snippets import parse_marked

__all__ = [
    "ENGINES", "PROFILES", "SCHEMA_VERSION", "BulkIndexer", "BulkStats", "Compiler",
    "Connection", "DocumentBuilder", "ElasticBackend", "ElasticConfig", "EngineRefused",
    "IndexAdmin", "dumps", "index_body", "load_config", "new_index_name", "open_elastic",
    "parse_marked", "record_from_source",
]
