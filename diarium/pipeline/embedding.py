"""The embedding step of `diarium index` and `diarium embed`: stored embeddings brought up
to date with the public projection (diarium.embeddings) by worker processes that each load
the model once (diarium.pipeline.embed_workers; `[semantic] workers` and `threads`), then
the vector file beside the embedded index rebuilt from them when they changed
(diarium.vectors).

It runs before the keyword index is written, so an engine that stores vectors in its
documents finds them; a vector of a document the keyword index does not have (yet) is
never shown, since every vector hit passes through the keyword index's filters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from diarium import embeddings, vectors
from diarium.config import Settings
from diarium.embeddings import EmbedProgress, EmbedReport
from diarium.hybrid import vectors_dir
from diarium.pipeline.embed_workers import EmbedPool
from diarium.store import Store


@dataclass(frozen=True)
class SemanticReport:
    """What the step did: the embedding run, the vector file's rows when rebuilt
    (None: it was up to date), and how many worker processes it started."""

    embedded: EmbedReport
    vector_rows: int | None
    workers: int = 0          # worker processes started (0: nothing to embed)


def worker_counts(settings: Settings) -> tuple[int, int]:
    """(worker processes, model threads per worker) of an embedding run: `[semantic]
    workers`, else `[extraction] workers`, else every core; `[semantic] threads`, else
    all cores for a single worker and 1 each for several."""
    from diarium.pipeline.extracting import config_from_settings

    semantic = embeddings.semantic_settings(settings)
    workers = semantic.workers or config_from_settings(settings).workers
    threads = semantic.threads or (0 if workers == 1 else 1)
    return workers, threads


def refresh(store: Store, settings: Settings, engine: str = "embedded",
            rebuild: bool = False,
            progress: Callable[[EmbedProgress], None] | None = None,
            today: date | None = None) -> SemanticReport | None:
    """Embed what changed, in worker processes (diarium.pipeline.embed_workers), and
    rebuild a stale vector file (`engine` is the engine indexed); returns a
    SemanticReport, or None when semantic search is off (`[semantic] enabled = false`,
    DIARIUM_SEMANTIC=0) or the model is not installed. Raises EmbeddingFailed when a
    worker dies (what was committed stays)."""
    semantic = embeddings.semantic_settings(settings)
    if not semantic.enabled:
        return None
    model_id = embeddings.installed_model_id()
    if model_id is None:
        return None
    workers, threads = worker_counts(settings)
    with EmbedPool(model_id, workers, threads, semantic.memory_mb, semantic.timeout) as pool:
        report = embeddings.update(store, settings, pool, rebuild=rebuild,
                                   progress=progress, today=today)
    # The vector file is built whatever the engine: the embedded engine searches it, and
    # every engine's "Liknande handlingar" reads it (diarium.hybrid.related_documents).
    rows = None
    folder = vectors_dir(settings)
    if report.changed or not vectors.is_current(store, model_id, folder):
        rows = vectors.build(store, model_id, folder)
    return SemanticReport(report, rows, workers=pool.started)
