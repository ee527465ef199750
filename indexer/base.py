"""The backend interface every search engine implements, with what each one can do.

The search contract (request, result, facets, validation) is `diarium.search`; this module
only says what an engine must offer on it. A caller reads `capabilities`, never probes a
backend with getattr.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

from diarium.public import PublicRecord
from diarium.search import SearchRequest, SearchResult

Purge = Literal["native", "rewrite"]


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do beyond the common interface.

    `purge`: how withdrawn content (a deleted, secret or text-stripped document) leaves
    the index files, not only the results: "native", the backend's purge() does it
    (Elasticsearch/OpenSearch copy live documents into a new index); "rewrite", the
    caller writes every record again and the engine drops segments left with no live
    document (tantivy), purge() then being a no-op.
    `aliases`: the index sits behind an alias and can be rebuilt beside it
    (`diarium reindex`, rollback).
    """

    purge: Purge
    aliases: bool = False


class SearchBackend(Protocol):
    """What every engine implements. `setup()` is idempotent.

    `name` is the engine ("embedded", "elasticsearch", "opensearch"); `state_name` the
    key of this index's progress in the store's index_state ("embedded",
    "elasticsearch:diarium").
    """

    name: str
    capabilities: Capabilities

    @property
    def state_name(self) -> str: ...

    def setup(self) -> None: ...

    def index(self, records: Iterable[PublicRecord]) -> int:
        """Add or replace records by doc_id; returns how many were written."""
        ...

    def delete(self, doc_ids: Iterable[str]) -> int:
        """Remove records by doc_id; returns how many the index held."""
        ...

    def clear(self) -> None:
        """Remove every record at once; searches may see an empty index after it."""
        ...

    def purge(self) -> None:
        """Make withdrawn content leave the files (see Capabilities.purge)."""
        ...

    def search(self, request: SearchRequest) -> SearchResult: ...

    def get(self, doc_id: str) -> PublicRecord | None: ...

    def count(self) -> int: ...

    def close(self) -> None: ...
