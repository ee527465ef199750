"""The vector index of the embedded engine: a memory-mapped matrix beside the tantivy index.

Files in the folder (settings.index_dir / "vectors"), all of one `<generation>`:
`vectors-<g>.npy` (float32, one L2-normalised row per passage; not float16: numpy
multiplies float16 without BLAS), `docs-<g>.npy` (int64 document id and passage position
per row), `lists-<g>.npz` (the rows' mean and covariance, for the spread of a query's
similarities without a full scan; above EXACT_ROWS rows also the lists: the centroids of
a spherical k-means, about sqrt(rows) of them, and where each list's rows start, the
matrix being stored list by list) and `current.json` (format, generation, model, counts,
file names), replaced atomically after every file is written.

Search: up to EXACT_ROWS rows (or without lists) one exact matrix-vector product. Beyond,
an inverted-file search: the PROBE lists whose centroids are nearest the query are
scanned exactly (contiguous slices, ~4% of the matrix at 200,000 rows, where the full
scan is memory-bandwidth bound: 23 ms here), then every passage of the documents
returned is scored exactly, so a returned score is the exact cosine of the document's
best passage. What the probing misses: benchmarks/README.md (semantic_eval.py). A search
restricted to given documents (`allowed`) scans their rows exactly. An index of the
previous format (2, no lists) is searched exactly and rebuilt by the next `diarium index`.
"""

from __future__ import annotations

import json
import math
import mmap
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from diarium import vector_lists
from diarium.embeddings import stored_vectors
from diarium.store import Store

CURRENT = "current.json"
FORMAT = 3            # 3: + lists and moments (2: float32 rows, 1: float16)
EXACT_ROWS = 20_000   # up to this many rows no lists: the scan is exact (30 MB, ~2 ms)
PROBE = 16            # lists scanned per search (of ~450 at 200,000 rows), at least

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


def list_count(rows: int) -> int:
    """The number of lists of an index of `rows` rows (0: none, exact scan)."""
    return 0 if rows <= EXACT_ROWS else int(math.sqrt(rows))


def write(folder: Path, model_id: str, docs: Sequence[int], positions: Sequence[int],
          matrix: np.ndarray, lists: int | None = None) -> int:
    """Write rows (document id, passage position, vector) as the folder's next generation
    and switch to it; returns the number of rows. `lists`: how many (list_count)."""
    folder.mkdir(parents=True, exist_ok=True)
    previous = _current(folder)
    generation = int(str(previous.get("generation", 0))) + 1
    ids = np.array([list(docs), list(positions)], dtype=np.int64).reshape(2, len(docs)).T
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    lists = list_count(len(matrix)) if lists is None else min(lists, len(matrix))
    mean, covariance = vector_lists.moments(matrix)
    extra: dict[str, np.ndarray] = {}
    if lists > 0:
        centroids, assigned = vector_lists.kmeans(matrix, lists)
        order = np.argsort(assigned, kind="stable")
        matrix, ids = matrix[order], ids[order]
        extra = {"centroids": centroids, "starts": np.searchsorted(
            assigned[order], np.arange(lists + 1)).astype(np.int64)}
    names = {"vectors": f"vectors-{generation}.npy", "docs": f"docs-{generation}.npy",
             "lists": f"lists-{generation}.npz"}
    _save(folder / names["vectors"], matrix=matrix)
    _save(folder / names["docs"], ids=ids)
    _save(folder / names["lists"], mean=mean, covariance=covariance, **extra)
    meta = {"format": FORMAT, "generation": generation, "model": model_id,
            "dim": int(matrix.shape[1]), "rows": len(docs), "documents": len(set(docs)),
            "list_count": lists, **names}
    tmp = folder / f"{CURRENT}.tmp"
    tmp.write_text(json.dumps(meta), "utf-8")
    os.replace(tmp, folder / CURRENT)
    for old in [*folder.glob("*.npy"), *folder.glob("*.npz")]:
        if old.name not in names.values():
            old.unlink(missing_ok=True)
    return len(docs)


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
                    for k in ("vectors", "docs", "lists")))


@dataclass(frozen=True)
class _Loaded:
    matrix: np.ndarray                 # rows x dim float32, memory-mapped
    docs: np.ndarray                   # rows x 2 int64: document id, passage position
    by_doc: np.ndarray                 # row numbers ordered by document
    rows_of: dict[int, tuple[int, int]]  # document -> its slice of by_doc
    mean: np.ndarray | None            # dim float64; None: previous format
    covariance: np.ndarray | None      # dim x dim float64
    centroids: np.ndarray | None       # lists x dim float32; None: exact scan
    starts: np.ndarray | None          # lists + 1: where each list's rows start


class VectorIndex:
    """A reader of the index in `folder`: memory-mapped, reloaded when a new generation
    appears. Every method answers "nothing" when the folder holds no index. `probe`:
    the lists scanned per search, at least (PROBE); `exact`: a full scan always."""

    def __init__(self, folder: Path, probe: int = PROBE, exact: bool = False) -> None:
        self.folder = Path(folder)
        self.probe = probe
        self.exact = exact
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
        only those documents (their rows scanned exactly). `exact`: a full scan whatever
        the lists (what the probing is measured against)."""
        loaded = self._load()
        if loaded is None or not len(loaded.matrix) or limit <= 0:
            return []
        query = np.asarray(query, dtype=np.float32)
        skip = {int(d) for d in exclude if str(d).isdigit()}
        rows_total = len(loaded.matrix)
        mean, spread = _spread(loaded, query)
        if allowed is not None:
            rows = _rows_of_docs(loaded, allowed, skip)
            scores = np.asarray(loaded.matrix[rows] @ query, dtype=np.float32)
        elif exact or self.exact or loaded.centroids is None:
            rows = np.arange(rows_total)
            scores = np.asarray(loaded.matrix @ query, dtype=np.float32)
        else:
            return self._probed(loaded, query, limit, threshold, skip, mean, spread)
        if loaded.mean is None and rows_total >= MIN_ROWS_FOR_SPREAD:
            # an index of the previous format: the spread from a full scan
            every = scores if len(rows) == rows_total else np.asarray(
                loaded.matrix @ query, dtype=np.float32)
            mean, spread = float(every.mean()), float(every.std())
        best = _best_per_document(loaded, rows, scores, limit, threshold, skip)
        return [_hit(loaded, int(rows[i]), float(scores[i]), mean, spread) for i in best]

    def _probed(self, loaded: _Loaded, query: np.ndarray, limit: int, threshold: float,
                skip: set[int], mean: float, spread: float) -> list[VectorHit]:
        assert loaded.centroids is not None and loaded.starts is not None
        near = np.argsort(-(loaded.centroids @ query), kind="stable")
        probe = min(len(near), self.probe)
        while True:
            chosen = np.sort(near[:probe])
            parts = [(int(loaded.starts[c]), int(loaded.starts[c + 1])) for c in chosen]
            rows = np.concatenate([np.arange(a, b) for a, b in parts])
            # einsum, not BLAS: OpenBLAS wakes its threads for each slice of a few hundred
            # rows, measured 2-4x slower (wall) than one thread on a loaded machine
            scores = np.concatenate([np.einsum("ij,j->i", loaded.matrix[a:b], query)
                                     for a, b in parts])
            best = _best_per_document(loaded, rows, scores, limit, threshold, skip)
            # more lists when too few documents came out (a filter's rare documents, a
            # threshold) and the lists scanned still held rows above the threshold
            if len(best) >= limit or probe >= len(near) or not len(scores) or (
                    float(scores.max()) < threshold):
                break
            probe = min(len(near), probe * 4)
        # every passage of the documents found, scored exactly: the best of each is its
        # exact best passage, whichever list holds it
        found = [str(int(loaded.docs[rows[i], 0])) for i in best]
        rows = _rows_of_docs(loaded, found, skip)
        scores = np.asarray(loaded.matrix[rows] @ query, dtype=np.float32)
        best = _best_per_document(loaded, rows, scores, limit, threshold, skip)
        return [_hit(loaded, int(rows[i]), float(scores[i]), mean, spread) for i in best]

    def document_vector(self, doc_id: str) -> np.ndarray | None:
        """The normalised mean of a document's passage vectors, or None."""
        loaded = self._load()
        if loaded is None or not doc_id.isdigit() or int(doc_id) not in loaded.rows_of:
            return None
        rows = _rows_of_docs(loaded, [doc_id], set())
        mean = np.asarray(loaded.matrix[rows], dtype=np.float32).mean(axis=0)
        norm = float(np.linalg.norm(mean))
        return mean / norm if norm > 0 else None

    def size_bytes(self) -> int:
        meta = _current(self.folder)
        return sum((self.folder / str(meta.get(k, ""))).stat().st_size
                   for k in ("vectors", "docs", "lists")
                   if (self.folder / str(meta.get(k, ""))).is_file())


def _mapped(path: Path) -> np.ndarray:
    """The .npy matrix at `path` memory-mapped read-only, its pages mapped in at once
    (MAP_POPULATE where the system has it: no page fault per row touched later, which
    costs a probed search more than its arithmetic)."""
    with open(path, "rb") as handle:
        version = np.lib.format.read_magic(handle)
        read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = read(handle)
        offset = handle.tell()
        if fortran or dtype != np.float32 or len(shape) != 2 or not shape[0]:
            return np.load(path, mmap_mode="r")
        mapped = mmap.mmap(handle.fileno(), 0, flags=mmap.MAP_SHARED | getattr(
            mmap, "MAP_POPULATE", 0), prot=mmap.PROT_READ)
    return np.frombuffer(mapped, dtype=np.float32, count=shape[0] * shape[1],
                         offset=offset).reshape(shape)


def _read(folder: Path, meta: dict[str, object]) -> _Loaded:
    matrix = _mapped(folder / str(meta["vectors"]))
    ids = np.load(folder / str(meta["docs"]))
    if len(ids) != len(matrix):
        raise ValueError("the document ids do not match the matrix")
    by_doc = np.argsort(ids[:, 0], kind="stable") if len(ids) else np.zeros(0, np.int64)
    sorted_docs = ids[by_doc, 0]
    docs, starts = np.unique(sorted_docs, return_index=True)
    ends = np.append(starts[1:], len(sorted_docs))
    rows_of = {int(d): (int(a), int(b))
               for d, a, b in zip(docs.tolist(), starts.tolist(), ends.tolist(),
                                      strict=True)}
    mean = covariance = centroids = list_starts = None
    if meta.get("format") == FORMAT and "lists" in meta:
        with np.load(folder / str(meta["lists"])) as lists:
            mean, covariance = lists["mean"], lists["covariance"]
            if "centroids" in lists:
                centroids = np.ascontiguousarray(lists["centroids"], dtype=np.float32)
                list_starts = lists["starts"]
        if list_starts is not None and int(list_starts[-1]) != len(matrix):
            raise ValueError("the lists do not match the matrix")
    return _Loaded(matrix, ids, by_doc, rows_of, mean, covariance, centroids, list_starts)


def _spread(loaded: _Loaded, query: np.ndarray) -> tuple[float, float]:
    """The mean and standard deviation of the query's similarity to every row, from the
    stored mean and covariance (exact: no scan); (0, 0) for a small index or an index of
    the previous format (its search computes them from its full scan)."""
    if loaded.mean is None or loaded.covariance is None or (
            len(loaded.matrix) < MIN_ROWS_FOR_SPREAD):
        return 0.0, 0.0
    q = query.astype(np.float64)
    variance = float(q @ loaded.covariance @ q)
    return float(q @ loaded.mean), variance ** 0.5 if variance > 0 else 0.0


def _rows_of_docs(loaded: _Loaded, doc_ids: Iterable[str], skip: set[int]) -> np.ndarray:
    spans = [loaded.rows_of[d] for d in {int(x) for x in doc_ids if str(x).isdigit()}
             if d in loaded.rows_of and d not in skip]
    if not spans:
        return np.zeros(0, np.int64)
    return np.sort(np.concatenate([loaded.by_doc[a:b] for a, b in spans]))


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
