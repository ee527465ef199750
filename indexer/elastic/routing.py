"""Routing by organisation and the per-body aliases (docs/scale.md, "The layout").

With `[elasticsearch] routing = "organisation"` (or `[opensearch]`), every new index
(`diarium reindex`, the first index, purge, clear) is built routed: each document is
written with `routing` = its organisation's slug (casefolded), the mapping requires a
routing value (`_routing.required`), and the index's `_meta` says `routing:
organisation`. The layout belongs to the index, not to the setting: writes follow the
live index's `_meta`, so turning the setting on takes effect at the next reindex, and a
rollback to an index of the other layout keeps working.

On a routed index:

- a body's documents live on one shard. A write first looks for copies of the same ids
  stored under another routing (a record whose organisation changed, or one written
  before the index was routed) and deletes them in the same bulk request, each by its own
  routing and `if_seq_no`/`if_primary_term` (so a copy that turns out to be the new
  version on the same shard is never deleted);
- every body with documents has a filtered alias `<alias>-org-<slug>` (filter: the
  organisation; routing: the slug), created when its first documents are written, and
  moved with the main alias in the one atomic `_aliases` request of a reindex, purge,
  clear or rollback; a body without documents in the new index loses its alias there;
- a search restricted to bodies goes through their aliases (one shard each): `org:` in
  the query, or the organisation filter when the search asks for no facet counts (the
  organisation facet counts the other bodies too, which needs every shard). National
  searches read every shard, as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from diarium import query as q
from diarium.indexer.elastic.connection import EngineRefused
from diarium.query_plan import plan
from diarium.search import SearchRequest

if TYPE_CHECKING:
    from diarium.indexer.elastic.admin import IndexAdmin
    from diarium.indexer.elastic.backend import ElasticBackend
    from diarium.indexer.elastic.bulk import BulkIndexer
    from diarium.public import PublicRecord

ROUTINGS: tuple[str, ...] = ("none", "organisation")
ORGANISATION = "organisation"
LOOKUP_IDS = 1_000          # ids per copy lookup
LOOKUP_CLAUSES = 200        # routing values per copy lookup (bool clause limits)
LOOKUP_SIZE = 10_000        # hits per lookup (max_result_window)
MAX_BODIES = 10_000         # bodies one index may hold (one terms aggregation)
_FORBIDDEN = re.compile(r'[\\/*?"<>| ,#:]')

# A stored copy of a document: (doc id, its routing or None, seq_no, primary_term).
Copy = tuple[str, str | None, int, int]


def route(source: Mapping[str, Any]) -> str:
    """The routing value of a document: its organisation slug, casefolded."""
    return str(source.get("organisation") or "").casefold()


def body_alias(alias: str, org: str) -> str:
    """The filtered alias of one body: `<alias>-org-<slug>` (characters an alias name
    cannot hold become `_`)."""
    return f"{alias}-org-{_FORBIDDEN.sub('_', org.casefold())}"


def body_filter(org: str) -> dict[str, Any]:
    """The filter of a body's alias: the organisation, as `org:` compiles it."""
    return {"term": {"kw": f"organisation={org.casefold()}"}}


# -- reading the layout ---------------------------------------------------------------


def layout_of(meta: Mapping[str, Any]) -> str:
    """An index's layout from its `_meta` ("none" for an index without one)."""
    value = str(meta.get("routing") or "none")
    return value if value in ROUTINGS else "none"


def index_meta(admin: IndexAdmin, name: str) -> dict[str, Any]:
    answer: dict[str, Any] = admin.conn.request("GET", f"/{name}/_mapping")
    body: dict[str, Any] = next(iter(answer.values()), {})
    return dict(body.get("mappings", {}).get("_meta") or {})


def body_aliases(admin: IndexAdmin) -> dict[str, dict[str, str]]:
    """Index name -> {body alias of `admin.alias` on it: its routing value}."""
    answer = admin.conn.request("GET", f"/_alias/{admin.alias}-org-*", missing={})
    return {name: {alias: str(spec.get("search_routing") or spec.get("index_routing") or "")
                   for alias, spec in sorted(body["aliases"].items())}
            for name, body in answer.items() if body.get("aliases")}


def aliased_bodies(admin: IndexAdmin) -> set[str]:
    """The routing values (organisations) that have a body alias."""
    return {r for aliases in body_aliases(admin).values() for r in aliases.values() if r}


def bodies(admin: IndexAdmin, name: str) -> list[str]:
    """The routing values (organisations) that have documents in index `name`."""
    answer = admin.conn.request("POST", f"/{name}/_search", body={
        "size": 0, "aggs": {"orgs": {"terms": {"field": ORGANISATION, "size": MAX_BODIES}}}})
    agg = answer.get("aggregations", {}).get("orgs", {})
    if agg.get("sum_other_doc_count"):
        raise EngineRefused(f"{name} holds more than {MAX_BODIES} organisations: too many "
                            "for one alias per body", 400, "too_many_bodies")
    return sorted({str(b["key"]).casefold() for b in agg.get("buckets", []) if b["key"]})


# -- moving aliases -------------------------------------------------------------------


def alias_actions(admin: IndexAdmin, target: str
                  ) -> tuple[list[dict[str, Any]], str, set[str]]:
    """The `_aliases` actions that leave the body aliases on `target` only: removed from
    every other index, added on `target` for each body it holds when it is routed.
    Returns (actions, target's layout, the bodies aliased on target)."""
    layout = layout_of(index_meta(admin, target))
    orgs = bodies(admin, target) if layout == ORGANISATION else []
    keep = {body_alias(admin.alias, o) for o in orgs}
    actions: list[dict[str, Any]] = [
        {"remove": {"index": index, "alias": n}}
        for index, names in body_aliases(admin).items() for n in names
        if index != target or n not in keep]
    actions.extend(add_body(admin.alias, target, org) for org in orgs)
    return actions, layout, set(orgs)


def add_body(alias: str, index: str, org: str) -> dict[str, Any]:
    return {"add": {"index": index, "alias": body_alias(alias, org),
                    "filter": body_filter(org), "routing": org.casefold()}}


def ensure_bodies(admin: IndexAdmin, known: set[str], orgs: Iterable[str]) -> None:
    """Give every body in `orgs` its alias on the live index(es) (new bodies only; the
    request is idempotent). Adds them to `known`."""
    new = sorted({o.casefold() for o in orgs if o} - known)
    if not new:
        return
    targets = admin.alias_targets()
    admin.conn.request("POST", "/_aliases", body={"actions": [
        add_body(admin.alias, index, org) for index in targets for org in new]})
    known.update(new)


# -- finding stored copies ------------------------------------------------------------


def misplaced(admin: IndexAdmin, pairs: Sequence[tuple[str, str]]) -> list[Copy]:
    """Stored copies of these (doc id, new routing) pairs under another routing (or none):
    the copies a routed write must delete. Every shard is asked, in few requests."""
    by_route: dict[str, list[str]] = {}
    for doc_id, routing in pairs:
        by_route.setdefault(routing, []).append(doc_id)
    found: list[Copy] = []
    groups = sorted(by_route.items())
    for start in range(0, len(groups), LOOKUP_CLAUSES):
        should = [{"bool": {"filter": [{"terms": {"doc_id": ids}}],
                            "must_not": [{"term": {"_routing": routing}}]}}
                  for routing, ids in groups[start:start + LOOKUP_CLAUSES]]
        found.extend(_copies(admin, {"bool": {"should": should,
                                              "minimum_should_match": 1}}))
    return found


def copies(admin: IndexAdmin, doc_ids: Sequence[str]) -> Iterator[Copy]:
    """Every stored copy of these ids, whatever its routing (a routed delete)."""
    for start in range(0, len(doc_ids), LOOKUP_IDS):
        yield from _copies(admin, {"terms": {"doc_id": list(doc_ids[start:start + LOOKUP_IDS])}})


def _copies(admin: IndexAdmin, query: dict[str, Any]) -> list[Copy]:
    answer = admin.conn.request("POST", f"/{admin.alias}/_search", body={
        "query": query, "size": LOOKUP_SIZE, "_source": False, "track_total_hits": True,
        "seq_no_primary_term": True})
    hits = answer["hits"]["hits"]
    if int(answer["hits"]["total"]["value"]) > len(hits):
        raise EngineRefused(f"looking up stored copies in {admin.alias!r}: more than "
                            f"{LOOKUP_SIZE} copies of {LOOKUP_IDS} documents", 400,
                            "too_many_copies")
    return [(str(h["_id"]), h.get("_routing"), int(h["_seq_no"]), int(h["_primary_term"]))
            for h in hits]


# -- writing --------------------------------------------------------------------------


def router(layout: str) -> Callable[[dict[str, Any]], str] | None:
    """The routing function of writes into an index of `layout` (None: unrouted)."""
    return route if layout == ORGANISATION else None


def write(backend: ElasticBackend, indexer: BulkIndexer,
          records: Iterable[PublicRecord]) -> int:
    """Write records into the routed live index: each under its organisation, copies
    stored under another routing deleted, new bodies given their alias."""
    orgs: set[str] = set()

    def docs() -> Iterator[tuple[str, dict[str, Any]]]:
        for record in records:
            source = backend.builder.source(record)
            orgs.add(route(source))
            yield record.doc_id, source

    written = indexer.index(docs(), route=route,
                            relocate=lambda pairs: misplaced(backend, pairs))
    ensure_bodies(backend, backend.known_bodies, orgs)
    return written


# -- searching ------------------------------------------------------------------------


def restricted_orgs(backend: ElasticBackend, request: SearchRequest) -> list[str]:
    """The bodies a search is restricted to, when a routed read gives the same answer
    ([] when every shard must be read; see the module doc)."""
    node = plan(request.query, backend.orgs).node
    parts = node.children if isinstance(node, q.And) else (node,)
    for part in parts:
        orgs = _org_values(part)
        if orgs:
            return orgs
    if not request.with_facets:
        values = request.filters.get(ORGANISATION) or ()
        values = (values,) if isinstance(values, str) else tuple(values)
        if values and all(values):
            return sorted({v.casefold() for v in values})
    return []


def _org_values(node: q.Node) -> list[str]:
    if isinstance(node, q.Field) and node.name == ORGANISATION:
        return [node.value.strip().casefold()]
    if isinstance(node, q.Or) and node.children:
        values = [_org_values(c) for c in node.children]
        if all(values):
            return sorted({v for vs in values for v in vs})
    return []


def search_path(backend: ElasticBackend, request: SearchRequest) -> str:
    """Where a search goes: the body aliases of a restricted search on a routed index
    (each reads one shard), else the main alias."""
    if backend.layout != ORGANISATION or not backend.known_bodies:
        return backend.alias
    orgs = restricted_orgs(backend, request)
    if not orgs or not set(orgs) <= backend.known_bodies:
        # A body without documents: the main alias answers (with nothing from it).
        return backend.alias
    return ",".join(body_alias(backend.alias, o) for o in orgs)


def search(backend: ElasticBackend, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """POST a search to `path`; a body alias gone meanwhile (another process rebuilt the
    index without that body) falls back to the main alias."""
    try:
        return dict(backend.conn.request("POST", f"/{path}/_search", body=body))
    except EngineRefused as exc:
        if exc.status != 404 or path == backend.alias:
            raise
        backend.known_bodies.clear()
        return dict(backend.conn.request("POST", f"/{backend.alias}/_search", body=body))
