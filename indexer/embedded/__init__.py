"""The embedded search backend: tantivy in an index directory beside the store.

One module per job: `schema` (analyzers, fields, SCHEMA_VERSION), `records` (a record's
tantivy document and stored JSON), `compiler` (the query plan as tantivy queries),
`facets` (filters and facet counts), `snippets`, and `backend` (EmbeddedBackend).
"""

from diarium.indexer.embedded.backend import WRITER_HEAP, EmbeddedBackend
from diarium.indexer.embedded.schema import ANALYZERS, SCHEMA, SCHEMA_FILE, SCHEMA_VERSION

__all__ = ["ANALYZERS", "SCHEMA", "SCHEMA_FILE", "SCHEMA_VERSION", "WRITER_HEAP",
           "EmbeddedBackend"]
