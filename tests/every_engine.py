"""One set of records indexed on every engine, for module fixtures that compare or query
all three (tests/test_parity.py, tests/test_suggest.py)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest


def index_on_every_engine(request: pytest.FixtureRequest, folder: Path, name: str,
                          records: Iterable[Any]) -> dict[str, Any]:
    """The records indexed on the embedded engine (in `folder`) and on both test nodes
    (a new index named after `name`, deleted when the requesting fixture ends), by
    engine name: for module fixtures that compare or query every engine."""
    import uuid

    from diarium.config import DEFAULT_SYNONYMS
    from diarium.indexer.elastic import ElasticBackend, load_config
    from diarium.indexer.embedded import EmbeddedBackend

    embedded = EmbeddedBackend(folder / "embedded", writer_heap=50_000_000, writer_threads=1)
    embedded.setup()
    records = list(records)
    embedded.index(records)
    found: dict[str, Any] = {"embedded": embedded}
    made: list[ElasticBackend] = []
    for engine, fixture in (("elasticsearch", "es_url"), ("opensearch", "os_url")):
        url = request.getfixturevalue(fixture)
        backend = ElasticBackend(load_config(None, engine, {
            "url": url, "index": f"test-{name}-{uuid.uuid4().hex[:8]}"}),
            synonyms=[DEFAULT_SYNONYMS])
        made.append(backend)
        backend.setup()
        assert backend.index(records) == len(records)
        found[engine] = backend

    def cleanup() -> None:
        for backend in made:
            for index in backend.versioned_indices():
                backend.delete_index(index)
            backend.close()

    request.addfinalizer(cleanup)
    return found
