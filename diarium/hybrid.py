"""Hybrid ranking: keyword and vector results fused, the same for every engine.

An engine runs its keyword query (the query plan) and its vector query (the query's
words embedded, nearest documents by their best passage), both under the same filters,
date range, required parts and exclusions, and hands the two ranked lists to `fuse`:

- reciprocal rank fusion (RRF, k=60): a document's score is the sum of 1/(k + rank) over
  the lists it is in, so one found by both rises and either list alone still counts; a
  graceful-AND keyword result (`partial`: no record held every word) counts only after
  the documents found by meaning;
- an exact query (a diarienummer, a quoted phrase, an identifier such as `AFS 2023:1`, a
  field filter on a text field) keeps the keyword order: its keyword hits stay on top
  and vector-only documents come after them;
- a document only the vector side found is a related result (`Hit.semantic`, shown as
  "Liknande träffar"), and only when its similarity reaches the threshold and stands out
  from the query's similarity to all passages (SemanticSettings.related), so a query no
  document is about adds nothing.

Fusion covers the first WINDOW results of a relevance-sorted search; deeper pages and
newest/oldest sorting are keyword-only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from diarium import query as q
from diarium.config import Settings
from diarium.embeddings import Model, SemanticSettings, load_model, semantic_settings
from diarium.query_plan import QueryPlan
from diarium.vectors import VectorHit, VectorIndex

if TYPE_CHECKING:
    from diarium.indexer.base import SearchBackend
    from diarium.search import Hit

RRF_K = 60
WINDOW = 100          # fused positions (keyword hits fetched, vector candidates kept)
RELATED = 5           # "Liknande handlingar" on a document page


@dataclass(frozen=True)
class Fused:
    doc_id: str
    score: float
    semantic: bool          # found by the vector side only
    position: int | None    # best passage of a vector hit (0: the title)


def query_text(plan: QueryPlan) -> str:
    """The words of a query to embed: its positive words, prefixes and phrases, in the
    order typed (filters, diarienummer and exclusions carry no meaning to embed); "" when
    no letter is left. A query of numbers only (a phone number, a personnummer, a
    reference number) means nothing to the model: on the real corpus "640823-3234" and
    "0300835409" each brought one unrelated document as a related result."""
    text = " ".join(q.terms(plan.node)).strip()
    return text if any(ch.isalpha() for ch in text) else ""


def is_exact(plan: QueryPlan, identifiers: Sequence[str] = ()) -> bool:
    """Whether the query asks for something exact, whose keyword hits stay on top."""
    if identifiers:
        return True

    def walk(node: q.Node) -> bool:
        if isinstance(node, q.Diarienummer | q.Phrase):
            return True
        if isinstance(node, q.Field):
            return node.name in q.TEXT_FIELDS
        if isinstance(node, q.And | q.Or):
            return any(walk(c) for c in node.children)
        return False

    return walk(plan.node)


def fuse(keyword: Sequence[str], vector: Sequence[VectorHit], exact: bool,
         accept: Callable[[VectorHit], bool], partial: bool = False) -> list[Fused]:
    """The fused ranking of keyword doc ids (best first) and vector hits (module doc).
    `partial`: the keyword hits are graceful AND's (no record held every word); their
    rank then counts for nothing and they follow the documents found by meaning, in
    their keyword order (measured on the real corpus: a partial match on one stray word,
    "for" in an English query, otherwise outranks the document the query is about)."""
    weight = 0.0 if partial else 1.0
    scores: dict[str, float] = {}
    for rank, doc in enumerate(keyword):
        scores[doc] = scores.get(doc, 0.0) + weight / (RRF_K + rank + 1)
    in_keyword = set(keyword)
    positions: dict[str, int] = {}
    for rank, hit in enumerate(vector):
        if hit.doc_id not in in_keyword and not accept(hit):
            continue
        positions[hit.doc_id] = hit.position
        scores[hit.doc_id] = scores.get(hit.doc_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    if exact and not partial:
        order = list(keyword) + sorted((d for d in scores if d not in in_keyword),
                                       key=lambda d: -scores[d])
    else:
        order = sorted(scores, key=lambda d: -scores[d])    # stable: ties in keyword order
    return [Fused(d, scores[d], d not in in_keyword, positions.get(d)) for d in order]


class SemanticSearch:
    """What an engine needs for hybrid search: the model (queries), the settings and,
    for the embedded engine, the vector index. Query vectors are cached."""

    def __init__(self, model: Model, semantic: SemanticSettings,
                 index: VectorIndex | None = None) -> None:
        self.model = model
        self.settings = semantic
        self.index = index
        self._cache: dict[str, np.ndarray] = {}

    def acceptor(self) -> Callable[[VectorHit], bool]:
        """Whether a vector hit may be shown as a related result (SemanticSettings), for
        the vector index as it is now."""
        rows = self.index.rows if self.index is not None else 0
        return lambda hit: self.settings.related(hit.score, hit.z, rows)

    def query_vector(self, text: str) -> np.ndarray:
        vector = self._cache.get(text)
        if vector is None:
            vector = self.model.queries([text])[0]
            if len(self._cache) > 1000:
                self._cache.clear()
            self._cache[text] = vector
        return vector


def vectors_dir(settings: Settings) -> Path:
    """The embedded engine's vector index folder, beside its tantivy index."""
    return settings.index_dir / "vectors"


def semantic_search(settings: Settings, with_index: bool = True) -> SemanticSearch | None:
    """The SemanticSearch of these settings, or None when `[semantic] enabled = false`
    or the model is not installed (search is then keyword-only, no error)."""
    semantic = semantic_settings(settings)
    if not semantic.enabled:
        return None
    model = load_model(semantic.threads)
    if model is None:
        return None
    return SemanticSearch(model, semantic,
                          VectorIndex(vectors_dir(settings)) if with_index else None)


_SHARED: dict[Path, SemanticSearch | None] = {}
_SHARED_LOCK = threading.Lock()


def shared(settings: Settings) -> SemanticSearch | None:
    """One SemanticSearch per data folder and process (the web's), or None when off."""
    folder = vectors_dir(settings)
    with _SHARED_LOCK:
        if folder not in _SHARED:
            _SHARED[folder] = semantic_search(settings)
        return _SHARED[folder]


def related_documents(semantic: SemanticSearch | None, backend: SearchBackend,
                      doc_id: str, limit: int = RELATED) -> list[Hit]:
    """"Liknande handlingar": the records nearest a document's own vector (the mean of its
    passages), itself left out, those under the related-results threshold too; each one
    read back through the backend, so only what the index holds (public records) is
    shown. [] without a model or a vector index. The vector index is the one beside the
    embedded index, built by every `diarium index` whatever the engine."""
    from diarium.indexer.embedded.hybrid import passage_snippet
    from diarium.search import Hit

    if semantic is None or semantic.index is None:
        return []
    vector = semantic.index.document_vector(doc_id)
    if vector is None:
        return []
    found = semantic.index.search(vector, limit, semantic.settings.threshold,
                                  exclude=[doc_id])
    hits = []
    accepts = semantic.acceptor()
    for hit in found:
        if not accepts(hit):
            continue
        record = backend.get(hit.doc_id)
        if record is not None and not record.secret:
            hits.append(Hit(record=record, score=hit.score, semantic=True,
                            snippets=passage_snippet(record, hit.position, semantic)))
    return hits
