"""Zero-downtime reindex for Elasticsearch and OpenSearch, and rollback.

`reindex()` builds a new versioned index `<alias>-v<schema>-<timestamp>` from the store
through the public projection (no re-extraction), with refreshes and replicas off while
it loads, counts it against the store, then moves the alias in one atomic request.
Searches go through the alias, so they see the old index until the new one is complete,
then the new one: never a half-built index. The previous index is kept for `rollback()`;
older ones are deleted. With `routing = "organisation"` the new index is routed and the
body aliases move in the same request (routing.py); a rollback moves them back.

Where a run is lives in the new index's own `_meta` (`state`: building / live / previous,
`checkpoint`: the last document id written, `head`: the store's change sequence when the
run began). A run killed at any point (even SIGKILL) leaves a `building` index behind; the
next run continues it from its checkpoint (documents are written by id, so writing a few
again is harmless). The store is only read, never changed, except index_state and
privacy_state (diarium.privacy.state), written after the alias moved so that incremental
`diarium index` continues from `head` and re-projects only what changed with time or
policy since the day the run began projecting (`projected_on`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from diarium.config import Settings
from diarium.errors import ConfigError, NotFound, ReindexMismatch
from diarium.indexer.elastic import routing
from diarium.indexer.elastic.admin import new_index_name
from diarium.indexer.elastic.backend import ElasticBackend, open_elastic
from diarium.indexer.elastic.bulk import BulkIndexer
from diarium.indexer.elastic.config import ENGINES
from diarium.indexer.elastic.projecting import TASK, ProjectionPool, Source, recipe_of, sources
from diarium.indexer.elastic.settings import SCHEMA_VERSION
from diarium.pipeline.indexing import save_last_seq
from diarium.privacy import state as privacy_state
from diarium.store import Store

BATCH = 5_000            # documents per checkpoint


@dataclass(frozen=True)
class ReindexProgress:
    """`done` of `total` documents written into `index` after `seconds`."""

    index: str
    done: int
    total: int
    seconds: float

    @property
    def docs_per_second(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left at the current rate, None before the rate is known."""
        rate = self.docs_per_second
        return (self.total - self.done) / rate if rate > 0 else None


@dataclass(frozen=True)
class ReindexReport:
    """What a run did: the alias now points at `index` holding `count` records (equal to
    the store's `store_count`); `previous` is kept for rollback."""

    alias: str
    index: str
    previous: str | None
    count: int
    store_count: int
    written: int
    resumed: bool
    seconds: float
    retries: int = 0

    @property
    def docs_per_second(self) -> float:
        return self.written / self.seconds if self.seconds > 0 else 0.0


def reindex(store: Store, settings: Settings, backend: ElasticBackend,
            progress: Callable[[ReindexProgress], None] | None = None,
            batch: int = BATCH, parallel: int = 2, chunk_docs: int = 1000,
            chunk_bytes: int = 8 * 1024 * 1024, workers: int = 0) -> ReindexReport:
    """Build a new index from the store and move the alias to it (module doc).
    `workers`: processes that project the records and build their documents
    (projecting.py) while this one sends them; 0 builds them here. A store of no more
    than one checkpoint `batch` left to write is always built here.

    Raises EngineUnavailable when the engine fails (the alias is untouched and a rerun
    resumes), ReindexMismatch when the count check fails, ConfigError for analysis.
    """
    started = time.perf_counter()
    backend.info()
    indices = backend.versioned_indices()
    building = [name for name, meta in sorted(indices.items())
                if meta.get("state") == "building" and meta.get("schema") == SCHEMA_VERSION]
    resumed = bool(building)
    if building:
        name = building[-1]
        meta = dict(indices[name])
        for stale in building[:-1]:
            backend.delete_index(stale)
    else:
        head = _head(store)
        name = new_index_name(backend.alias)
        meta = {"state": "building", "schema": SCHEMA_VERSION, "head": head,
                "checkpoint": 0, "started": datetime.now(UTC).isoformat(),
                "projected_on": date.today().isoformat()}
        if backend.config.routing == routing.ORGANISATION:
            meta["routing"] = routing.ORGANISATION      # the layout: routing.py
        backend.create_index(name, meta, bulk_mode=True)
    checkpoint = int(meta.get("checkpoint", 0))
    total = _count(store)
    done = _count(store, up_to=checkpoint)
    clock = time.perf_counter()
    written = 0

    def report() -> None:
        if progress is not None:
            progress(ReindexProgress(name, done, total, time.perf_counter() - clock))

    def chunk_done(n: int) -> None:
        nonlocal done, written
        done += n
        written += n
        report()

    indexer = BulkIndexer(backend.conn, name, chunk_docs=chunk_docs, chunk_bytes=chunk_bytes,
                          parallel=parallel, on_chunk=chunk_done)
    report()
    read = checkpoint

    def next_ids(limit: int) -> list[int]:
        nonlocal read
        ids = [int(r[0]) for r in store.conn.execute(
            "SELECT id FROM documents WHERE id > ? ORDER BY id LIMIT ?", (read, limit))]
        if ids:
            read = ids[-1]
        return ids

    recipe = recipe_of(backend.builder, settings) if workers > 0 else None
    with contextlib.ExitStack() as stack:
        tasks: Iterator[tuple[list[int], Iterable[Source]]]
        if recipe is not None and total - done > batch:
            pool = stack.enter_context(ProjectionPool(recipe, workers))
            tasks = pool.tasks(lambda: next_ids(min(TASK, batch)))
        else:
            tasks = ((ids, sources(store, settings, backend.builder, ids))
                     for ids in iter(lambda: next_ids(batch), []))
        while True:
            last: list[int] = []
            # Written in the layout the index was created with (a resumed run keeps it).
            indexer.index(_checkpoint(tasks, batch, last),
                          route=routing.router(routing.layout_of(meta)))
            if not last:
                break
            checkpoint = last[0]
            meta["checkpoint"] = checkpoint
            backend.set_meta(name, meta)

    backend.end_bulk_mode(name)
    count = backend.count(name)
    store_count = _count(store)
    if count != store_count:
        # Not resumable: the next run starts a new index (this one is deleted then).
        backend.set_meta(name, {**meta, "state": "failed", "count": count})
        raise ReindexMismatch(
            f"the new index {name} holds {count} records but the store has {store_count} "
            f"documents; the alias {backend.alias!r} still points at the old index. Run "
            "`diarium reindex` again: it builds a fresh index.")
    previous = _switch(backend, name, meta)
    save_last_seq(store, backend.state_name, int(meta.get("head", 0)))
    privacy_state.remember(store, settings, backend.state_name, _projected_on(meta))
    return ReindexReport(alias=backend.alias, index=name, previous=previous, count=count,
                         store_count=store_count, written=written, resumed=resumed,
                         seconds=time.perf_counter() - started,
                         retries=indexer.stats.retries)


def _checkpoint(tasks: Iterator[tuple[list[int], Iterable[Source]]], batch: int,
                last: list[int]) -> Iterator[Source]:
    """The documents of one checkpoint: tasks taken until they hold `batch` ids or none
    is left; `last` is given the last id of the last task taken."""
    taken = 0
    for ids, found in tasks:
        yield from found
        last[:] = [ids[-1]]
        taken += len(ids)
        if taken >= batch:
            return


def rollback(store: Store, backend: ElasticBackend) -> str:
    """Point the alias back at the previous index (kept by the last reindex); returns its
    name. The index it leaves becomes the previous one, so a second rollback undoes the
    first; the next `diarium index` replays the changes since the target's head and
    projects every record again (privacy rules may have changed since it was built).
    Raises NotFound when there is no previous index."""
    indices = backend.versioned_indices()
    previous = [n for n, m in sorted(indices.items()) if m.get("state") == "previous"]
    if not previous:
        raise NotFound(f"no previous index of {backend.alias!r} to roll back to "
                       "(a reindex keeps one)")
    target = previous[-1]
    current = backend.alias_targets()
    backend.move_alias(target)
    for name in current:
        backend.set_meta(name, {**indices.get(name, {}), "state": "previous"})
    backend.set_meta(target, {**indices[target], "state": "live"})
    # The older index may miss recent changes: let incremental indexing replay them, and
    # project every record again (it was projected on another day, maybe under other
    # privacy policies).
    save_last_seq(store, backend.state_name, int(indices[target].get("head", 0)))
    privacy_state.forget(store, backend.state_name)
    return target


def _projected_on(meta: dict[str, Any]) -> date:
    """The first day this run projected records on (a resumed run began earlier)."""
    for key in ("projected_on", "started"):
        try:
            return date.fromisoformat(str(meta.get(key, ""))[:10])
        except ValueError:
            continue
    return date.today()


def _switch(backend: ElasticBackend, name: str, meta: dict[str, Any]) -> str | None:
    """Move the alias to `name` atomically, keep the index it left as the previous one and
    delete older ones; returns the previous index's name."""
    indices = backend.versioned_indices()
    current = [n for n in backend.alias_targets() if n != name]
    backend.move_alias(name)
    backend.set_meta(name, {**meta, "state": "live",
                            "finished": datetime.now(UTC).isoformat()})
    for old in current:
        backend.set_meta(old, {**indices.get(old, {}), "state": "previous"})
    for old, old_meta in indices.items():
        if old != name and old not in current and old_meta.get("state") != "building":
            backend.delete_index(old)
    return current[-1] if current else None


def _head(store: Store) -> int:
    return int(store.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0])


def _count(store: Store, up_to: int | None = None) -> int:
    if up_to is None:
        return int(store.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
    return int(store.conn.execute("SELECT COUNT(*) FROM documents WHERE id <= ?",
                                  (up_to,)).fetchone()[0])


def open_for_reindex(settings: Settings, engine: str | None,
                     overrides: dict[str, Any] | None = None) -> ElasticBackend:
    """The Elasticsearch/OpenSearch backend to reindex (engine default: settings.engine).

    Raises ConfigError when the engine is not elasticsearch or opensearch.
    """
    chosen = engine or settings.engine
    if chosen not in ENGINES:
        raise ConfigError(
            f"reindex works on Elasticsearch and OpenSearch, not {chosen!r}: pass --engine "
            "elasticsearch or --engine opensearch (the embedded index: diarium index "
            "--rebuild)")
    return open_elastic(settings, chosen, overrides)
