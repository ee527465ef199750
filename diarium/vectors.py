"""The vector index of the embedded engine: a memory-mapped matrix beside the tantivy index.

Files in the folder (settings.index_dir / "vectors"):

- `vectors-<generation>.npy`: float32 matrix, one L2-normalised row per passage (float32,
  not float16: numpy multiplies float16 without BLAS, 8x slower at 200,000 rows);
- `docs-<generation>.npy`: int64, the document id of each row (rows of a document are
  adjacent, title first);
- `current.json`: {"generation", "model", "dim", "rows", "documents"}, replaced
  atomically after both files are written, so a reader never sees half an index.

Search is exact: one matrix-vector product over the memory-mapped rows (numpy with
BLAS), a document scored by its best passage: about 23 ms CPU at 200,000 passages here
(1.5 KB each at 384 dimensions); beyond a few hundred thousand passages an ANN index
would be needed. The index is derived data, rebuilt from the store's embeddings
(diarium.embeddings) by `diarium index` whenever they changed.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from diarium.embeddings import stored_vectors
from diarium.store import Store

CURRENT = "current.json"
FORMAT = 2            # 2: float32 rows (1 was float16); another format is rebuilt


# Below this many passages the spread of a query's similarities says nothing: `z` is 0.
MIN_ROWS_FOR_SPREAD = 50


@dataclass(frozen=True)
class VectorHit:
    """A document found by its vectors: best passage `position`, its cosine `score` and
    how far that stands out from the query's similarity to every passage (`z`, standard
    deviations above the mean; 0 for an index under MIN_ROWS_FOR_SPREAD passages).
    multilingual-e5 puts almost any two texts at a cosine of 0.75-0.85, so the spread
    tells a passage about the query from one that is merely in the same language."""

    doc_id: str
    score: float
    position: int
    z: float = 0.0


def build(store: Store, model_id: str, folder: Path) -> int:
    """Write the index of every stored passage vector of `model_id` into `folder` as a new
    generation and switch to it; returns the number of rows. Older generations are
    removed (a reader that has one mapped keeps reading it until it reloads)."""
    docs: list[int] = []
    positions: list[int] = []
    rows: list[np.ndarray] = []
    for doc, position, vector in stored_vectors(store, model_id):
        docs.append(doc)
        positions.append(position)
        rows.append(vector.astype(np.float32))
    dim = len(rows[0]) if rows else 0
    matrix = np.stack(rows) if rows else np.zeros((0, dim), np.float32)
    return write(folder, model_id, docs, positions, matrix)


def write(folder: Path, model_id: str, docs: Sequence[int], positions: Sequence[int],
          matrix: np.ndarray) -> int:
    """Write rows (document id, passage position, vector; a document's rows adjacent) as
    the folder's next generation and switch to it; returns the number of rows."""
    folder.mkdir(parents=True, exist_ok=True)
    previous = _current(folder)
    generation = int(str(previous.get("generation", 0))) + 1
    ids = np.array([list(docs), list(positions)], dtype=np.int64).reshape(2, len(docs)).T
    vectors_name, docs_name = f"vectors-{generation}.npy", f"docs-{generation}.npy"
    _save(folder / vectors_name, np.ascontiguousarray(matrix, dtype=np.float32))
    _save(folder / docs_name, ids)
    meta = {"format": FORMAT, "generation": generation, "model": model_id,
            "dim": int(matrix.shape[1]),
            "rows": len(docs), "documents": len(set(docs)), "vectors": vectors_name,
            "docs": docs_name}
    tmp = folder / f"{CURRENT}.tmp"
    tmp.write_text(json.dumps(meta), "utf-8")
    os.replace(tmp, folder / CURRENT)
    for old in folder.glob("*.npy"):
        if old.name not in (vectors_name, docs_name):
            old.unlink(missing_ok=True)
    return len(docs)


def _save(path: Path, array: np.ndarray) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as handle:
        np.save(handle, array)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _current(folder: Path) -> dict[str, object]:
    try:
        value = json.loads((folder / CURRENT).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def is_current(store: Store, model_id: str, folder: Path) -> bool:
    """Whether the folder holds an index of `model_id` with as many rows as the store."""
    from diarium.embeddings import passage_count

    meta = _current(folder)
    return (meta.get("format") == FORMAT and meta.get("model") == model_id
            and meta.get("rows") == passage_count(store, model_id)
            and (folder / str(meta.get("vectors", ""))).exists())


class VectorIndex:
    """A reader of the index in `folder`: memory-mapped, reloaded when a new generation
    appears. Every method answers "nothing" when the folder holds no index."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._lock = threading.Lock()
        self._generation: object = None
        self._matrix: np.ndarray | None = None
        self._docs: np.ndarray | None = None
        self._rows_of: dict[int, tuple[int, int]] = {}
        self._stamp: object = None
        self.model_id = ""

    def _load(self) -> bool:
        # current.json is replaced (never rewritten in place) by each build: its stat says
        # whether to read it again, so a search costs one stat, not a JSON parse.
        try:
            stamp: object = (self.folder / CURRENT).stat()
            stamp = (stamp.st_mtime_ns, stamp.st_ino, stamp.st_size)  # type: ignore[attr-defined]
        except OSError:
            self._matrix, self._stamp = None, None
            return False
        if stamp == self._stamp and self._matrix is not None:
            return True
        meta = _current(self.folder)
        if not meta:
            self._matrix = None
            return False
        if meta.get("generation") == self._generation and self._matrix is not None:
            self._stamp = stamp
            return True
        with self._lock:
            try:
                matrix = np.load(self.folder / str(meta["vectors"]), mmap_mode="r")
                ids = np.load(self.folder / str(meta["docs"]))
            except (OSError, ValueError, KeyError):
                self._matrix = None
                return False
            rows_of: dict[int, tuple[int, int]] = {}
            for row, doc in enumerate(ids[:, 0].tolist() if len(ids) else []):
                first, _ = rows_of.get(doc, (row, row))
                rows_of[doc] = (first, row + 1)
            self._matrix, self._docs, self._rows_of = matrix, ids, rows_of
            self._generation = meta.get("generation")
            self._stamp = stamp
            self.model_id = str(meta.get("model", ""))
        return True

    @property
    def available(self) -> bool:
        return self._load() and self._matrix is not None and len(self._matrix) > 0

    @property
    def rows(self) -> int:
        return 0 if not self._load() or self._matrix is None else int(len(self._matrix))

    def search(self, query: np.ndarray, limit: int, threshold: float = -1.0,
               exclude: Iterable[str] = ()) -> list[VectorHit]:
        """The `limit` documents whose best passage is nearest `query` (cosine), best
        first, those under `threshold` left out."""
        if not self._load() or self._matrix is None or not len(self._matrix):
            return []
        assert self._docs is not None
        scores = np.asarray(self._matrix @ query.astype(np.float32), dtype=np.float32)
        mean, spread = 0.0, 0.0
        if len(scores) >= MIN_ROWS_FOR_SPREAD:
            mean, spread = float(scores.mean()), float(scores.std())
        skip = [int(d) for d in exclude]
        # Best passage per document: take the top rows, enough to fill `limit` documents
        # in almost every case, and widen when passages of a few documents crowd them.
        take = min(len(scores), max(limit * 4, 64))
        while True:
            top = np.argpartition(-scores, take - 1)[:take] if take < len(scores) else (
                np.arange(len(scores)))
            top = top[np.argsort(-scores[top], kind="stable")]
            top = top[scores[top] >= threshold]
            docs = self._docs[top, 0]
            # the first (best) row of each document, in score order
            _, first = np.unique(docs, return_index=True)
            best = top[np.sort(first)]
            if skip:
                best = best[~np.isin(self._docs[best, 0], skip)]
            best = best[:limit]
            if len(best) >= limit or take >= len(scores) or len(top) < take:
                return [VectorHit(str(int(self._docs[row, 0])), float(scores[row]),
                                  int(self._docs[row, 1]),
                                  (float(scores[row]) - mean) / spread if spread > 0 else 0.0)
                        for row in best.tolist()]
            take = min(len(scores), take * 4)

    def document_vector(self, doc_id: str) -> np.ndarray | None:
        """The normalised mean of a document's passage vectors, or None."""
        if not self._load() or self._matrix is None:
            return None
        span = self._rows_of.get(int(doc_id)) if doc_id.isdigit() else None
        if span is None:
            return None
        mean = np.asarray(self._matrix[span[0]:span[1]], dtype=np.float32).mean(axis=0)
        norm = float(np.linalg.norm(mean))
        return mean / norm if norm > 0 else None

    def size_bytes(self) -> int:
        meta = _current(self.folder)
        return sum((self.folder / str(meta.get(k, ""))).stat().st_size
                   for k in ("vectors", "docs") if (self.folder / str(meta.get(k, ""))).is_file())
