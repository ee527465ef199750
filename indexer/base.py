"""The backend interface every search engine implements, with what each one can do.

The search contract (request, result, facets, validation) is `diarium.search`; this module
only says what an engine must offer on it. A caller reads `capabilities`, never probes a
backend with getattr.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from diarium.config import OrgSettings
from diarium.public import PublicRecord
from diarium.query_plan import QueryPlan
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
    orgs: tuple[OrgSettings, ...]      # how the organisations write diarienummer

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

    def plan(self, text: str) -> QueryPlan:
        """The query plan of `text`, diarienummer read as the organisations write them."""
        ...

    # Spelling suggestions (diarium.suggest decides; an engine only looks words up, in
    # the index alone, so only words of indexed public records ever come back).

    def word_counts(self, words: Sequence[str]) -> list[int]:
        """How many records each word finds as a query word of its own (every form a
        word matches: exact, stem, lemma, compound part, folded, abbreviation)."""
        ...

    def near_terms(self, words: Sequence[str]) -> list[list[tuple[str, int]]]:
        """Per word (lower case), indexed words of the unstemmed free-text fields
        (diarium.suggest.EXACT_FIELDS) that may be within diarium.suggest.max_distance()
        edits of it, as (word, document frequency in the term dictionaries, summed over
        the fields); a superset is fine, diarium.suggest filters and ranks them."""
        ...

    def get(self, doc_id: str) -> PublicRecord | None: ...

    def count(self) -> int: ...

    def close(self) -> None: ...
