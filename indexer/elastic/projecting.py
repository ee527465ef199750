"""Engine documents built in worker processes, for `diarium reindex` (reindex.py).

A full reindex spends nearly all of its client CPU on two steps per document: the public
projection (diarium.public: the store's rows, the privacy rules) and the engine document
(documents.DocumentBuilder: the Swedish derived fields); profiled on 20,000 synthetic
documents, 3.5 and 6.3 of 12.5 CPU seconds, the JSON and the requests 1.5. Both steps
only read the store, so worker processes can do them side by side: each opens its own
connection to the store (and only reads), builds its own DocumentBuilder with the same
Swedish settings and vector source, and sends back the (doc_id, source) pairs of the ids
it was given. The caller keeps sending and checkpointing in id order (ProjectionPool.tasks
yields the tasks in the order their ids were read), so a killed run resumes exactly as a
single-process one does. The sending process then needs 0.24x the CPU per document
(benchmarks/reindex_bench.py, in benchmarks/README.md).

Workers come from diarium.pipeline.extracting's fork server: they inherit no SQLite
handle, lock or thread of the calling process. A worker that dies (killed, out of
memory) is reported as ProjectionFailed, never as a hang.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from diarium.config import Settings
from diarium.errors import DiariumError
from diarium.indexer.derived import SwedishExtras
from diarium.indexer.elastic.documents import DocumentBuilder
from diarium.indexer.elastic.vectors import StoreVectors
from diarium.public import public_records
from diarium.store import Store

Source = tuple[str, dict[str, Any]]      # (doc_id, the engine document's _source)
TASK = 250        # ids a worker projects at a time
# Tasks per worker submitted ahead of the one being sent, so the workers project while
# the engine takes documents (memory: about LOOKAHEAD x workers x TASK documents).
LOOKAHEAD = 2


def default_workers() -> int:
    """The cores this process may use less one (the sending process), at most 8; 0 on two
    cores or fewer, where measured (benchmarks/reindex_bench.py) the workers only took
    the cores from the engine node beside them and the run was no faster."""
    from diarium.pipeline.extracting import default_workers as cores

    available = cores()
    return 0 if available <= 2 else min(8, available - 1)


class ProjectionFailed(DiariumError):
    """A worker process projecting documents died or failed; nothing after the last
    checkpoint was written as done."""


@dataclass(frozen=True)
class _Recipe:
    """What a worker needs to build the caller's documents (all of it picklable)."""

    settings: Settings
    swedish: bool
    synonym_tables: tuple[Mapping[str, str], ...]
    vectors: tuple[str, Any] | None          # (model_id, SemanticSettings) of StoreVectors


def recipe_of(builder: DocumentBuilder, settings: Settings) -> _Recipe | None:
    """The recipe to rebuild `builder` in a worker, or None when it cannot be rebuilt
    there (a vector source other than the store's: the caller then builds in-process)."""
    vectors = builder.vectors
    if vectors is not None and not isinstance(vectors, StoreVectors):
        return None
    return _Recipe(
        settings=settings, swedish=builder.swedish.active,
        synonym_tables=tuple(builder.swedish.synonym_tables),
        vectors=None if vectors is None else (vectors.model_id, vectors.semantic))


# The worker's own store, settings and builder (set by _start in each worker process).
_worker: tuple[Store, Settings, DocumentBuilder] | None = None


def _start(recipe: _Recipe) -> None:
    global _worker
    vectors = None
    if recipe.vectors is not None:
        model_id, semantic = recipe.vectors
        vectors = StoreVectors(recipe.settings.store_path, model_id, semantic)
    builder = DocumentBuilder(SwedishExtras(recipe.swedish, recipe.synonym_tables), vectors)
    _worker = (Store(recipe.settings.store_path), recipe.settings, builder)


def _project(ids: Sequence[int]) -> list[Source]:
    assert _worker is not None, "the pool's initializer sets up every worker"
    return list(sources(*_worker, ids))


def sources(store: Store, settings: Settings, builder: DocumentBuilder,
            ids: Sequence[int]) -> Iterator[Source]:
    """The (doc_id, source) pairs of `ids`, in id order (a worker's job, or the caller's
    own when it builds in-process)."""
    for record in public_records(store, settings, ids):
        yield record.doc_id, builder.source(record)


class ProjectionPool:
    """`workers` processes building the documents of id tasks (module doc). Use as a
    context manager; the processes end with it."""

    def __init__(self, recipe: _Recipe, workers: int) -> None:
        from diarium.pipeline.extracting import pool_context

        if workers < 1:
            raise ValueError("a projection pool needs at least one worker")
        self.workers = workers
        self._executor = ProcessPoolExecutor(workers, mp_context=pool_context(),
                                             initializer=_start, initargs=(recipe,))

    def __enter__(self) -> ProjectionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def tasks(self, next_ids: Callable[[], list[int]]
              ) -> Iterator[tuple[list[int], list[Source]]]:
        """(ids, their sources) task after task, in the order `next_ids` read them ([]
        ends), LOOKAHEAD tasks per worker submitted ahead of the one returned.
        Raises ProjectionFailed when a worker dies or raises."""
        pending: deque[tuple[list[int], Future[list[Source]]]] = deque()

        def read_ahead() -> None:
            while len(pending) <= LOOKAHEAD * self.workers:
                ids = next_ids()
                if not ids:
                    return
                try:
                    pending.append((ids, self._executor.submit(_project, ids)))
                except BrokenProcessPool as exc:
                    raise _died(ids, exc) from exc

        read_ahead()
        while pending:
            ids, part = pending.popleft()
            read_ahead()
            yield ids, _result(ids, part)


def _result(ids: list[int], part: Future[list[Source]]) -> list[Source]:
    try:
        return part.result()
    except BrokenProcessPool as exc:
        raise _died(ids, exc) from exc
    except DiariumError:
        raise
    except Exception as exc:
        raise ProjectionFailed(
            f"projecting documents {ids[0]}-{ids[-1]} failed in a worker process: "
            f"{type(exc).__name__}: {exc}") from exc


def _died(ids: list[int], exc: BrokenProcessPool) -> ProjectionFailed:
    return ProjectionFailed(
        f"a worker process projecting documents {ids[0]}-{ids[-1]} died ({exc}); run "
        "`diarium reindex` again: it continues from its last checkpoint")
