"""The embedding step of `diarium index` and `diarium embed`: stored embeddings brought up
to date with the public projection (diarium.embeddings), then the vector file beside the
embedded index rebuilt from them when they changed (diarium.vectors).

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
from diarium.store import Store


@dataclass(frozen=True)
class SemanticReport:
    """What the step did: the embedding run, and the vector file's rows when rebuilt
    (None: it was up to date)."""

    embedded: EmbedReport
    vector_rows: int | None


def refresh(store: Store, settings: Settings, engine: str = "embedded",
            rebuild: bool = False,
            progress: Callable[[EmbedProgress], None] | None = None,
            today: date | None = None) -> SemanticReport | None:
    """Embed what changed and rebuild a stale vector file (`engine` is the engine indexed);
    returns a SemanticReport, or None when semantic search is off (`[semantic] enabled
    = false`) or the model is not installed."""
    semantic = embeddings.semantic_settings(settings)
    if not semantic.enabled:
        return None
    model = embeddings.load_model(semantic.threads)
    if model is None:
        return None
    report = embeddings.update(store, settings, model, rebuild=rebuild, progress=progress,
                               today=today)
    # The vector file is built whatever the engine: the embedded engine searches it, and
    # every engine's "Liknande handlingar" reads it (diarium.hybrid.related_documents).
    rows = None
    folder = vectors_dir(settings)
    if report.changed or not vectors.is_current(store, model.id, folder):
        rows = vectors.build(store, model.id, folder)
    return SemanticReport(report, rows)
