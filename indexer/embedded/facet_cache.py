"""Facet counts kept per searcher generation, so paging through a result and the landing
page (the empty query, the same for every visitor) count facets once per index change.

The key is the request's query and filters (not its page, sort or size: they change
which hits are shown, never the counts). An entry is valid only for the index generation
it was counted on: the generation is the index's `meta.json` (written by every commit)
together with the searcher's document and segment counts, so a commit by another
process (`diarium index` beside a web worker) invalidates the cache as soon as this
process's searcher reloads, and a searcher not reloaded yet never mixes with the new
meta. Entries also expire after `ttl` seconds, bounding what a commit that changes none
of those could leave stale.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path

import tantivy

from diarium.search import FacetValue, SearchRequest

Counts = dict[str, tuple[FacetValue, ...]]


def generation(path: Path, searcher: tantivy.Searcher) -> Hashable:
    """What identifies the index state `searcher` reads: meta.json's identity and the
    searcher's document and segment counts."""
    try:
        meta = os.stat(os.path.join(path, "meta.json"))
        stamp: tuple[int, ...] = (meta.st_ino, meta.st_mtime_ns, meta.st_size)
    except OSError:
        stamp = ()
    return (stamp, int(searcher.num_docs), int(searcher.num_segments))


def request_key(request: SearchRequest, partial: bool) -> Hashable:
    """The part of a request facet counts depend on (`partial`: counted on the relaxed,
    graceful-AND query)."""
    filters = tuple(sorted(
        (name, (values,) if isinstance(values, str) else tuple(values))
        for name, values in request.filters.items()))
    return (request.query, filters, request.date_from, request.date_to, request.doc_ids,
            partial)


class FacetCache:
    """A small LRU of facet counts keyed by (generation, request key); thread-safe."""

    def __init__(self, size: int = 256, ttl: float = 300.0) -> None:
        self.size = size
        self.ttl = ttl
        self._entries: OrderedDict[Hashable, tuple[float, Counts]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_count(self, key: Hashable, count: Callable[[], Counts]) -> Counts:
        """The cached counts of `key`, or `count()` stored under it."""
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now - entry[0] < self.ttl:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry[1]
            self.misses += 1
        counts = count()
        with self._lock:
            self._entries[key] = (now, counts)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return counts

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
