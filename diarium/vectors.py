"""The vector index of the embedded engine: a memory-mapped matrix beside the tantivy index.

Files in the folder (settings.index_dir / "vectors"), all of one `<generation>`:

- `vectors-<generation>.npy`: float32 matrix, one L2-normalised row per passage (float32,
  not float16: numpy multiplies float16 without BLAS, 8x slower at 200,000 rows);
- `docs-<generation>.npy`: int64, the document id and passage position of each row (rows
  of a document are adjacent, title first);
- `reduced-<generation>.npy`: float32, each row centred and projected on the REDUCED
  principal axes of the matrix (the compact first stage, a sixth of the bytes);
- `basis-<generation>.npz`: the rows' mean, their covariance (for the spread of a query's
  similarities without a full scan) and those principal axes;
- `current.json`: {"format", "generation", "model", "dim", "rows", "documents", file
  names}, replaced atomically after every file is written, so a reader never sees half
  an index.

Search: at most EXACT_ROWS rows, one exact matrix-vector product (numpy with BLAS).
Beyond, two stages: the query's similarity on the reduced rows (a sixth of the bytes
read, the scan being memory-bandwidth bound: 23 ms for the exact scan of 200,000 rows
here), the best CANDIDATES rows by that re-scored exactly from the float32 matrix, and
every passage of the documents returned scored exactly too, so each returned score is
the exact cosine of the document's best passage. What the first stage can miss is
measured in benchmarks/README.md (semantic_eval.py). A search restricted to given
documents (`allowed`: a filter's few hits) scans their rows exactly. A document is
scored by its best passage. An index of the previous format (no reduced rows) is
searched exactly and rebuilt by the next `diarium index`.
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
FORMAT = 3            # 3: + reduced rows and basis (2: float32 rows, 1: float16)
REDUCED = 64          # principal axes of the first stage
EXACT_ROWS = 20_000   # up to this many rows the scan is exact (30 MB, ~2 ms)
CANDIDATES = 2_000    # rows re-scored exactly per search, at least
PER_DOCUMENT = 20     # rows re-scored exactly per document asked, at least
_CHUNK = 65_536       # rows per step when computing the basis

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
          matrix: np.ndarray, axes: int = REDUCED) -> int:
    """Write rows (document id, passage position, vector; a document's rows adjacent) as
    the folder's next generation and switch to it; returns the number of rows. `axes`:
    the principal axes of the first stage."""
    folder.mkdir(parents=True, exist_ok=True)
    previous = _current(folder)
    generation = int(str(previous.get("generation", 0))) + 1
    ids = np.array([list(docs), list(positions)], dtype=np.int64).reshape(2, len(docs)).T
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    names = {"vectors": f"vectors-{generation}.npy", "docs": f"docs-{generation}.npy",
             "reduced": f"reduced-{generation}.npy", "basis": f"basis-{generation}.npz"}
    _save(folder / names["vectors"], matrix=matrix)
    _save(folder / names["docs"], ids=ids)
    mean, covariance, basis = _basis(matrix, axes)
    _save(folder / names["reduced"], reduced=_reduce(matrix, mean, basis))
    _save(folder / names["basis"], mean=mean, covariance=covariance, axes=basis)
    meta = {"format": FORMAT, "generation": generation, "model": model_id,
            "dim": int(matrix.shape[1]),
            "rows": len(docs), "documents": len(set(docs)), **names}
    tmp = folder / f"{CURRENT}.tmp"
    tmp.write_text(json.dumps(meta), "utf-8")
    os.replace(tmp, folder / CURRENT)
    for old in [*folder.glob("*.npy"), *folder.glob("*.npz")]:
        if old.name not in names.values():
            old.unlink(missing_ok=True)
    return len(docs)


def _basis(matrix: np.ndarray, axes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows' mean, covariance (float64, population) and `axes` principal axes (dim x
    axes float32, the largest variance first), computed in chunks of rows."""
    rows, dim = matrix.shape
    if not rows:
        return np.zeros(dim), np.zeros((dim, dim)), np.zeros((dim, 0), np.float32)
    total = np.zeros(dim)
    gram = np.zeros((dim, dim))
    for start in range(0, rows, _CHUNK):
        chunk = matrix[start:start + _CHUNK].astype(np.float64)
        total += chunk.sum(axis=0)
        gram += chunk.T @ chunk
    mean = total / rows
    covariance = gram / rows - np.outer(mean, mean)
    _, vectors = np.linalg.eigh(covariance)          # ascending eigenvalues
    basis = vectors[:, ::-1][:, :min(axes, dim)]
    return mean, covariance, np.ascontiguousarray(basis, dtype=np.float32)


def _reduce(matrix: np.ndarray, mean: np.ndarray, axes: np.ndarray) -> np.ndarray:
    out = np.empty((len(matrix), axes.shape[1]), np.float32)
    centre = mean.astype(np.float32)
    for start in range(0, len(matrix), _CHUNK):
        out[start:start + _CHUNK] = (matrix[start:start + _CHUNK] - centre) @ axes
    return out


def _save(path: Path, **arrays: np.ndarray) -> None:
    """One array as .npy, or several as .npz, written to a temporary name, synced and
    renamed (current.json names the file only after that)."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        if path.suffix == ".npz":
            np.savez(handle, **arrays)  # type: ignore[arg-type]  # numpy's stub
        else:
            (array,) = arrays.values()
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
    """Whether the folder holds an index of `model_id`, of this format, with as many rows
    as the store (an index of an older format is rebuilt)."""
    from diarium.embeddings import passage_count

    meta = _current(folder)
    return (meta.get("format") == FORMAT and meta.get("model") == model_id
            and meta.get("rows") == passage_count(store, model_id)
            and all((folder / str(meta.get(k, ""))).is_file()
                    for k in ("vectors", "docs", "reduced", "basis")))


@dataclass(frozen=True)
class _Loaded:
    matrix: np.ndarray                 # rows x dim float32, memory-mapped
    docs: np.ndarray                   # rows x 2 int64: document id, passage position
    rows_of: dict[int, tuple[int, int]]
    reduced: np.ndarray | None         # rows x REDUCED float32, memory-mapped; None: old
    mean: np.ndarray | None            # dim float64
    covariance: np.ndarray | None      # dim x dim float64
    axes: np.ndarray | None            # dim x REDUCED float32


class VectorIndex:
    """A reader of the index in `folder`: memory-mapped, reloaded when a new generation
    appears. Every method answers "nothing" when the folder holds no index.
    `exact_rows`: up to this many rows every search is exact (EXACT_ROWS); beyond, the
    first stage's best max(`candidates`, `per_document` x documents asked) rows are
    re-scored exactly."""

    def __init__(self, folder: Path, exact_rows: int = EXACT_ROWS,
                 candidates: int = CANDIDATES, per_document: int = PER_DOCUMENT) -> None:
        self.folder = Path(folder)
        self.exact_rows = exact_rows
        self.candidates = candidates
        self.per_document = per_document
        self._lock = threading.Lock()
        self._generation: object = None
        self._loaded: _Loaded | None = None
        self._stamp: object = None
        self.model_id = ""

    def _load(self) -> _Loaded | None:
        # current.json is replaced (never rewritten in place) by each build: its stat says
        # whether to read it again, so a search costs one stat, not a JSON parse.
        try:
            stat = (self.folder / CURRENT).stat()
            stamp: object = (stat.st_mtime_ns, stat.st_ino, stat.st_size)
        except OSError:
            self._loaded, self._stamp = None, None
            return None
        if stamp == self._stamp and self._loaded is not None:
            return self._loaded
        meta = _current(self.folder)
        if not meta:
            self._loaded = None
            return None
        if meta.get("generation") == self._generation and self._loaded is not None:
            self._stamp = stamp
            return self._loaded
        with self._lock:
            try:
                loaded = _read(self.folder, meta)
            except (OSError, ValueError, KeyError):
                self._loaded = None
                return None
            self._loaded = loaded
            self._generation = meta.get("generation")
            self._stamp = stamp
            self.model_id = str(meta.get("model", ""))
        return loaded

    @property
    def available(self) -> bool:
        loaded = self._load()
        return loaded is not None and len(loaded.matrix) > 0

    @property
    def rows(self) -> int:
        loaded = self._load()
        return 0 if loaded is None else int(len(loaded.matrix))

    @property
    def documents(self) -> int:
        loaded = self._load()
        return 0 if loaded is None else len(loaded.rows_of)

    def search(self, query: np.ndarray, limit: int, threshold: float = -1.0,
               exclude: Iterable[str] = (), allowed: Iterable[str] | None = None,
               exact: bool = False) -> list[VectorHit]:
        """The `limit` documents whose best passage is nearest `query` (cosine), best
        first, those under `threshold` and those in `exclude` left out; with `allowed`,
        only those documents (their rows scanned exactly). `exact`: a full exact scan
        whatever the size (what the two stages are measured against)."""
        loaded = self._load()
        if loaded is None or not len(loaded.matrix) or limit <= 0:
            return []
        query = np.asarray(query, dtype=np.float32)
        skip = {int(d) for d in exclude if str(d).isdigit()}
        rows_total = len(loaded.matrix)
        mean, spread = self._spread(loaded, query)
        if allowed is not None:
            rows = _rows_of_docs(loaded, allowed, skip)
            scores = np.asarray(loaded.matrix[rows] @ query, dtype=np.float32)
        elif exact or loaded.reduced is None or rows_total <= self.exact_rows:
            rows = np.arange(rows_total)
            scores = np.asarray(loaded.matrix @ query, dtype=np.float32)
        else:
            return self._two_stage(loaded, query, limit, threshold, skip, mean, spread)
        if loaded.mean is None and rows_total >= MIN_ROWS_FOR_SPREAD:
            # an index of the previous format: the spread from a full scan
            every = scores if len(rows) == rows_total else np.asarray(
                loaded.matrix @ query, dtype=np.float32)
            mean, spread = float(every.mean()), float(every.std())
        best = _best_per_document(loaded, rows, scores, limit, threshold, skip)
        return [_hit(loaded, int(rows[i]), float(scores[i]), mean, spread) for i in best]

    def _two_stage(self, loaded: _Loaded, query: np.ndarray, limit: int, threshold: float,
                   skip: set[int], mean: float, spread: float) -> list[VectorHit]:
        assert loaded.reduced is not None and loaded.axes is not None
        rough = np.asarray(loaded.reduced @ (query @ loaded.axes), dtype=np.float32)
        take = min(len(rough), max(self.candidates, limit * self.per_document))
        while True:
            if take < len(rough):
                rows = np.sort(np.argpartition(-rough, take - 1)[:take])
            else:
                rows = np.arange(len(rough))
            scores = np.asarray(loaded.matrix[rows] @ query, dtype=np.float32)
            best = _best_per_document(loaded, rows, scores, limit, threshold, skip)
            # more rows when too few documents came out and the last one re-scored still
            # passed the threshold (there may be more beyond)
            if len(best) >= limit or take >= len(rough) or float(scores.min()) < threshold:
                break
            take = min(len(rough), take * 4)
        # every passage of the documents found, scored exactly: the best of each is its
        # exact best passage, whichever of them the first stage kept
        found = [int(loaded.docs[rows[i], 0]) for i in best]
        rows = _rows_of_docs(loaded, [str(d) for d in found], skip)
        scores = np.asarray(loaded.matrix[rows] @ query, dtype=np.float32)
        best = _best_per_document(loaded, rows, scores, limit, threshold, skip)
        return [_hit(loaded, int(rows[i]), float(scores[i]), mean, spread) for i in best]

    @staticmethod
    def _spread(loaded: _Loaded, query: np.ndarray) -> tuple[float, float]:
        """The mean and standard deviation of the query's similarity to every row, from
        the stored mean and covariance (exact: no scan); (0, 0) for a small index or an
        index of the previous format (its search computes them from its full scan)."""
        if loaded.mean is None or loaded.covariance is None or (
                len(loaded.matrix) < MIN_ROWS_FOR_SPREAD):
            return 0.0, 0.0
        q = query.astype(np.float64)
        variance = float(q @ loaded.covariance @ q)
        return float(q @ loaded.mean), variance ** 0.5 if variance > 0 else 0.0

    def document_vector(self, doc_id: str) -> np.ndarray | None:
        """The normalised mean of a document's passage vectors, or None."""
        loaded = self._load()
        if loaded is None:
            return None
        span = loaded.rows_of.get(int(doc_id)) if doc_id.isdigit() else None
        if span is None:
            return None
        mean = np.asarray(loaded.matrix[span[0]:span[1]], dtype=np.float32).mean(axis=0)
        norm = float(np.linalg.norm(mean))
        return mean / norm if norm > 0 else None

    def size_bytes(self) -> int:
        meta = _current(self.folder)
        return sum((self.folder / str(meta.get(k, ""))).stat().st_size
                   for k in ("vectors", "docs", "reduced", "basis")
                   if (self.folder / str(meta.get(k, ""))).is_file())


def _read(folder: Path, meta: dict[str, object]) -> _Loaded:
    matrix = np.load(folder / str(meta["vectors"]), mmap_mode="r")
    ids = np.load(folder / str(meta["docs"]))
    rows_of: dict[int, tuple[int, int]] = {}
    for row, doc in enumerate(ids[:, 0].tolist() if len(ids) else []):
        first, _ = rows_of.get(doc, (row, row))
        rows_of[doc] = (first, row + 1)
    reduced = mean = covariance = axes = None
    if meta.get("format") == FORMAT and "reduced" in meta:
        reduced = np.load(folder / str(meta["reduced"]), mmap_mode="r")
        with np.load(folder / str(meta["basis"])) as basis:
            mean, covariance = basis["mean"], basis["covariance"]
            axes = np.ascontiguousarray(basis["axes"], dtype=np.float32)
        if len(reduced) != len(matrix):
            raise ValueError("reduced rows do not match the matrix")
    return _Loaded(matrix, ids, rows_of, reduced, mean, covariance, axes)


def _rows_of_docs(loaded: _Loaded, doc_ids: Iterable[str], skip: set[int]) -> np.ndarray:
    spans = [loaded.rows_of[d] for d in {int(x) for x in doc_ids if str(x).isdigit()}
             if d in loaded.rows_of and d not in skip]
    if not spans:
        return np.zeros(0, np.int64)
    return np.sort(np.concatenate([np.arange(a, b) for a, b in spans]))


def _best_per_document(loaded: _Loaded, rows: np.ndarray, scores: np.ndarray, limit: int,
                       threshold: float, skip: set[int]) -> list[int]:
    """Indexes into `rows`/`scores` of the best row of each document, best first, at most
    `limit`, under `threshold` and documents in `skip` left out (ties: lower row first)."""
    if not len(rows):
        return []
    keep = np.flatnonzero(scores >= threshold)
    if skip:
        keep = keep[~np.isin(loaded.docs[rows[keep], 0], list(skip))]
    take = min(len(keep), max(limit * 4, 64))
    while True:
        part = keep if take >= len(keep) else keep[np.argpartition(-scores[keep], take - 1)[:take]]
        part = part[np.lexsort((rows[part], -scores[part]))]
        _, first = np.unique(loaded.docs[rows[part], 0], return_index=True)
        best = part[np.sort(first)][:limit]
        if len(best) >= limit or take >= len(keep):
            return [int(i) for i in best]
        take = min(len(keep), take * 4)


def _hit(loaded: _Loaded, row: int, score: float, mean: float, spread: float) -> VectorHit:
    return VectorHit(str(int(loaded.docs[row, 0])), score, int(loaded.docs[row, 1]),
                     (score - mean) / spread if spread > 0 else 0.0)
