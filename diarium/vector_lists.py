"""The lists of the vector index (diarium.vectors), computed when it is built: the rows'
moments (the spread of a query's similarities without a scan) and a spherical k-means
(the inverted lists a search probes). Numpy only, in chunks of rows."""

from __future__ import annotations

import numpy as np

TRAIN_PER_LIST = 40   # k-means trained on this many sampled rows per list
ITERATIONS = 12
CHUNK = 32_768        # rows per step of the products


def moments(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows' mean and covariance (float64, population), in chunks of rows."""
    rows, dim = matrix.shape
    if not rows:
        return np.zeros(dim), np.zeros((dim, dim))
    total = np.zeros(dim)
    gram = np.zeros((dim, dim))
    for start in range(0, rows, CHUNK):
        chunk = matrix[start:start + CHUNK].astype(np.float64)
        total += chunk.sum(axis=0)
        gram += chunk.T @ chunk
    mean = total / rows
    return mean, gram / rows - np.outer(mean, mean)


def kmeans(matrix: np.ndarray, lists: int) -> tuple[np.ndarray, np.ndarray]:
    """Spherical k-means (cosine, as the search scores): `lists` unit centroids trained on
    a sample of rows, and the list of every row (its nearest centroid)."""
    rng = np.random.default_rng(0)
    sample = matrix[np.sort(rng.choice(len(matrix), min(len(matrix), lists * TRAIN_PER_LIST),
                                       replace=False))]
    centroids = sample[rng.choice(len(sample), lists, replace=False)].copy()
    for _ in range(ITERATIONS):
        assigned = np.argmax(sample @ centroids.T, axis=1)
        order = np.argsort(assigned, kind="stable")
        filled = np.bincount(assigned, minlength=lists) > 0   # an empty list keeps its
        starts = np.searchsorted(assigned[order], np.flatnonzero(filled))   # centroid
        sums = np.add.reduceat(sample[order], starts, axis=0)
        centroids[filled] = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True),
                                              1e-12)
    assigned = np.concatenate([np.argmax(matrix[s:s + CHUNK] @ centroids.T, axis=1)
                               for s in range(0, len(matrix), CHUNK)])
    return centroids.astype(np.float32), assigned.astype(np.int64)
