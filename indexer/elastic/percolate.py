"""Percolator matching of alerts (issue 15) on Elasticsearch and OpenSearch.

`diarium alerts run` asks, for many stored searches at once, which of the records changed
since their last run match. On the embedded engine every alert's search runs restricted to
those records; here the searches are registered once per run as percolator queries in an
index of their own, `<alias>-alerts` (the main index's analysis and mappings plus a
`percolator` field), and the changed records are percolated against all of them in a few
requests: one request per batch of records answers every alert.

A registered query is the alert's exact query (the query plan compiled as for a search,
`Compiler.exact`: no graceful-AND relaxation, no ranking boosts) with its facet filters
and date range, exactly as `ElasticBackend.search` filters. The index is created afresh
on each run, so it always has the main index's current mappings and holds only the
alerts of that run; it is derived data like every index. A cluster without the
percolator module (`available()` is False) is matched the embedded way instead: one
restricted search per alert (`SearchRequest.doc_ids`, a `terms` filter on doc_id).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from diarium.indexer.elastic.compiler import must
from diarium.indexer.elastic.connection import EngineRefused, dumps
from diarium.indexer.elastic.settings import index_body
from diarium.public import PublicRecord
from diarium.query_plan import plan

if TYPE_CHECKING:
    from diarium.alerts import AlertSpec
    from diarium.indexer.elastic.backend import ElasticBackend

DOCUMENTS_PER_REQUEST = 100     # records percolated in one request
BULK = 2000                     # queries registered per bulk request
PAGE = 10_000                   # matching queries read per page (max_result_window)


class Percolator:
    """Matches records against many alerts' searches on one ElasticBackend."""

    def __init__(self, backend: ElasticBackend) -> None:
        self.backend = backend
        self.index = f"{backend.alias}-alerts"

    def available(self) -> bool:
        """Whether the cluster has the percolator module (every standard distribution
        does; minimal nodes may not: then alerts take the restricted-search path)."""
        return "percolator" in self.backend.modules()

    def _query(self, spec: AlertSpec) -> dict[str, Any]:
        request = spec.request()
        exact = self.backend.compiler.exact(plan(request.query, self.backend.orgs))
        # The search's own filters (facet terms, date range), so both agree by construction.
        filters = self.backend._filters(request)  # noqa: SLF001  (same package)
        return must([exact, *filters.values()])

    def register(self, specs: Mapping[int, AlertSpec]) -> None:
        """Create the percolator index afresh and register every alert's query (by alert
        id). Raises EngineUnavailable, QueryError for an alert with a bad filter."""
        conn = self.backend.conn
        conn.request("DELETE", f"/{self.index}", missing=None)
        body = index_body(self.backend.profile())
        body["mappings"]["properties"]["query"] = {"type": "percolator"}
        body["mappings"]["properties"]["alert_id"] = {"type": "long"}
        conn.request("PUT", f"/{self.index}", body=body)
        items = list(specs.items())
        for start in range(0, len(items), BULK):
            lines = []
            for alert_id, spec in items[start:start + BULK]:
                lines.append(dumps({"index": {"_index": self.index, "_id": str(alert_id)}}))
                lines.append(dumps({"query": self._query(spec), "alert_id": alert_id}))
            answer = conn.request("POST", "/_bulk", ndjson=("\n".join(lines) + "\n").encode(),
                                  params={"refresh": "false"})
            if answer.get("errors"):
                failed = next(i for i in answer["items"] if i["index"].get("error"))
                raise EngineRefused(f"registering alert queries failed: "
                                    f"{failed['index']['error']}", 400)
        conn.request("POST", f"/{self.index}/_refresh")

    def match(self, records: Sequence[PublicRecord]) -> dict[int, list[str]]:
        """alert id -> doc ids of `records` its registered query matches (in the order
        of `records`). Raises EngineUnavailable."""
        found: dict[int, list[str]] = {}
        builder = self.backend.builder
        for start in range(0, len(records), DOCUMENTS_PER_REQUEST):
            batch = records[start:start + DOCUMENTS_PER_REQUEST]
            documents = [builder.source(r, with_vectors=False) for r in batch]
            for alert_id, slots in self._percolate(documents):
                found.setdefault(alert_id, []).extend(batch[s].doc_id for s in slots)
        order = {r.doc_id: i for i, r in enumerate(records)}
        return {a: sorted(set(ids), key=order.__getitem__) for a, ids in found.items()}

    def _percolate(self, documents: list[dict[str, Any]]) -> Iterator[tuple[int, list[int]]]:
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {
                "size": PAGE, "_source": False, "sort": [{"alert_id": "asc"}],
                "fields": ["alert_id"],
                "query": {"percolate": {"field": "query", "documents": documents}}}
            if after is not None:
                body["search_after"] = after
            hits = self.backend.conn.request("POST", f"/{self.index}/_search",
                                             body=body)["hits"]["hits"]
            for hit in hits:
                slots = hit.get("fields", {}).get("_percolator_document_slot", [])
                yield int(hit["sort"][0]), [int(s) for s in slots]
            if len(hits) < PAGE:
                return
            after = hits[-1]["sort"]

    def close(self) -> None:
        """Remove the percolator index (it is rebuilt on the next run)."""
        self.backend.conn.request("DELETE", f"/{self.index}", missing=None)
