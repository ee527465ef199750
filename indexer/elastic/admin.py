"""Cluster and index administration for Elasticsearch/OpenSearch: the cluster check, the
analysis profile, versioned indices and the alias that points at one of them.

diarium searches and writes through an alias (default `diarium`) that points at one
versioned index `<alias>-v<schema>-<timestamp>`; `diarium reindex` (reindex.py) builds a
new one and moves the alias atomically, purge() and clear() start a fresh one. Each index
keeps its state (live, building, previous) in its mapping's `_meta`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from diarium.errors import ConfigError, EngineUnavailable
from diarium.indexer.elastic import routing
from diarium.indexer.elastic.config import ElasticConfig
from diarium.indexer.elastic.connection import Connection, EngineRefused
from diarium.indexer.elastic.settings import (
    SCHEMA_VERSION,
    index_body,
    mappings,
    resolve_profile,
    vector_kind,
)


def new_index_name(alias: str, now: datetime | None = None) -> str:
    """A fresh versioned index name: `<alias>-v<schema>-<UTC timestamp>`."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S%f")
    return f"{alias}-v{SCHEMA_VERSION}-{stamp}"


class IndexAdmin:
    """The cluster behind one alias (`config.index`): checks, indices, the alias.
    ElasticBackend is one, with searching and writing on top."""

    def __init__(self, config: ElasticConfig, connection: Connection | None = None) -> None:
        self.config = config
        self.name = config.engine
        self.alias = config.index
        self.conn = connection or Connection(config)
        self._profile: str | None = None
        # The live index's layout (routing.py) and the bodies with an alias on it; read
        # by ensure_alias(), kept by move_alias().
        self.layout = "none"
        self.known_bodies: set[str] = set()

    # -- cluster ----------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """The cluster's root answer (name, version). Raises EngineUnavailable."""
        answer: dict[str, Any] = {}
        if self.name == "elasticsearch":
            # The nodes info API first: minimal Elasticsearch nodes (the integ-test
            # distribution) lack the module serving "/", and a 405 there would make the
            # client mark the node dead for a second.
            try:
                nodes = self.conn.request("GET", "/_nodes/_local",
                                          params={"filter_path": "nodes.*.version"})
                first: dict[str, Any] = next(iter(nodes.get("nodes", {}).values()), {})
                if first.get("version"):
                    answer = {"version": {"number": first["version"]}}
            except EngineRefused as exc:
                if exc.status in (401,):
                    raise
        if not answer:
            answer = self.conn.request("GET", "/")
        version = answer.get("version", {})
        distribution = version.get("distribution", "elasticsearch")
        if self.name == "opensearch" and distribution != "opensearch":
            raise EngineUnavailable(
                f"{self.config.safe_url} is Elasticsearch, not OpenSearch: use "
                "--engine elasticsearch")
        if self.name == "elasticsearch":
            import elasticsearch

            major = str(version.get("number", "0")).split(".")[0]
            client_major = str(elasticsearch.__versionstr__).split(".")[0]
            if major != client_major:
                raise EngineUnavailable(
                    f"Elasticsearch {version.get('number')} at {self.config.safe_url} needs "
                    f"the {major}.x client, but elasticsearch {elasticsearch.__versionstr__} "
                    f"is installed: pip install 'elasticsearch>={major},<{int(major) + 1}'")
        return dict(answer)

    def modules(self) -> set[str]:
        """Names of the modules and plugins on the cluster's nodes."""
        answer = self.conn.request("GET", "/_nodes/plugins")
        names: set[str] = set()
        for node in answer.get("nodes", {}).values():
            for kind in ("modules", "plugins"):
                names.update(item.get("name", "") for item in node.get(kind, []))
        return names

    def hunspell_works(self) -> bool:
        """Whether the nodes have the sv_SE hunspell dictionary (one _analyze call)."""
        try:
            self.conn.request("POST", "/_analyze", body={
                "tokenizer": "standard",
                "filter": ["lowercase", {"type": "hunspell", "locale": "sv_SE"}],
                "text": "husen"})
        except EngineRefused:
            return False
        return True

    def profile(self) -> str:
        """The concrete analysis profile for this cluster (auto resolved once)."""
        if self._profile is None:
            self._profile = resolve_profile(self.config.profile, self.modules,
                                            self.hunspell_works)
        return self._profile

    # -- indices and the alias --------------------------------------------------------

    def create_index(self, name: str, meta: Mapping[str, Any] | None = None,
                     bulk_mode: bool = False) -> None:
        """Create a versioned index. `bulk_mode`: no refreshes and no replicas until
        end_bulk_mode(). Built in the configured layout (`routing`: routing.py), which
        its `_meta` records. Raises EngineRefused when it exists."""
        body = index_body(self.profile(), self.config.shards,
                          0 if bulk_mode else self.config.replicas,
                          vector_kind(self.name, self.modules))   # vector fields, if any
        if bulk_mode:
            body["settings"]["index"]["refresh_interval"] = "-1"
        body["mappings"]["_meta"] = dict(meta or {})
        if self.config.routing == routing.ORGANISATION:
            body["mappings"]["_meta"]["routing"] = routing.ORGANISATION
            body["mappings"]["_routing"] = {"required": True}
        self.conn.request("PUT", f"/{name}", body=body)

    def end_bulk_mode(self, name: str) -> None:
        """Restore refreshes and replicas after a bulk load, then refresh."""
        self.conn.request("PUT", f"/{name}/_settings", body={"index": {
            "refresh_interval": None, "number_of_replicas": self.config.replicas}})
        self.refresh(name)

    def refresh(self, name: str | None = None) -> None:
        self.conn.request("POST", f"/{name or self.alias}/_refresh")

    def alias_targets(self) -> list[str]:
        """The indices the alias points at (one, normally; none before setup)."""
        return sorted(self.conn.request("GET", f"/_alias/{self.alias}", missing={}))

    def versioned_indices(self) -> dict[str, dict[str, Any]]:
        """This alias's versioned indices with their `_meta` ({} when none)."""
        answer = self.conn.request("GET", f"/{self.alias}-v*/_mapping", missing={})
        return {name: (body.get("mappings", {}).get("_meta") or {})
                for name, body in answer.items()}

    def set_meta(self, name: str, meta: Mapping[str, Any]) -> None:
        """Replace an index's `_meta` (reindex state and checkpoints live there)."""
        self.conn.request("PUT", f"/{name}/_mapping", body={"_meta": dict(meta)})

    def move_alias(self, target: str) -> None:
        """Point the alias at `target` only, with the body aliases of a routed target
        (routing.py), in one atomic request."""
        actions: list[dict[str, Any]] = [
            {"remove": {"index": old, "alias": self.alias}}
            for old in self.alias_targets() if old != target
        ]
        actions.append({"add": {"index": target, "alias": self.alias,
                                "is_write_index": True}})
        body_actions, self.layout, known = routing.alias_actions(self, target)
        self.conn.request("POST", "/_aliases", body={"actions": actions + body_actions})
        self.known_bodies = known

    def new_live_index(self, bulk_mode: bool = False) -> str:
        """Create a fresh versioned index marked live (the alias does not move yet);
        returns its name."""
        name = new_index_name(self.alias)
        self.create_index(name, {"state": "live", "schema": SCHEMA_VERSION}, bulk_mode)
        return name

    def ensure_alias(self) -> None:
        """Create the first versioned index and point the alias at it, unless the alias
        exists. Raises ConfigError when the alias name is taken by a plain index."""
        if self.alias_targets():
            metas = self.extend_mapping()
            self.layout = routing.ORGANISATION if any(
                routing.layout_of(m) == routing.ORGANISATION for m in metas) else "none"
            if self.layout == routing.ORGANISATION:
                self.known_bodies = routing.aliased_bodies(self)
            return
        if self.conn.request("GET", f"/{self.alias}/_settings", missing=None,
                             params={"filter_path": "*.settings.index.uuid"}) is not None:
            raise ConfigError(
                f"{self.alias!r} on {self.config.safe_url} is an index, not an alias: "
                "choose another index name ([" + self.name + "] index) or delete it")
        self.move_alias(self.new_live_index())

    def extend_mapping(self) -> list[dict[str, Any]]:
        """Add to the alias's indices the fields of the current mappings they lack (an
        index written by an older diarium, before the `sammantrade` facet): the mapping is
        strict, so writes of current records would fail. Adding a field is always
        allowed; records indexed before keep no value in it until `diarium reindex`.
        Returns the indices' `_meta`."""
        wanted = mappings()["properties"]
        answer = self.conn.request("GET", f"/{self.alias}/_mapping")
        metas = [dict(b.get("mappings", {}).get("_meta") or {}) for b in answer.values()]
        for name, body in answer.items():
            have = body.get("mappings", {}).get("properties", {})
            missing = {field: spec for field, spec in wanted.items() if field not in have}
            if missing:
                self.conn.request("PUT", f"/{name}/_mapping", body={"properties": missing})
        return metas

    def count(self, name: str | None = None) -> int:
        """How many documents the alias (or the index `name`) holds."""
        return int(self.conn.request("GET", f"/{name or self.alias}/_count")["count"])

    def delete_index(self, name: str) -> None:
        self.conn.request("DELETE", f"/{name}", missing=None)
