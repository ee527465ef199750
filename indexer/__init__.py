"""Search backends: embedded (tantivy, default), Elasticsearch and OpenSearch.

All implement `diarium.indexer.base.SearchBackend` and return `SearchResult`.
"""
