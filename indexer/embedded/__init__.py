"""The embedded search backend (tantivy); see `backend` for the engine."""

from diarium.indexer.embedded.backend import (
    ANALYZERS,
    SCHEMA,
    SCHEMA_FILE,
    SCHEMA_VERSION,
    EmbeddedBackend,
)

__all__ = ["ANALYZERS", "SCHEMA", "SCHEMA_FILE", "SCHEMA_VERSION", "EmbeddedBackend"]
