"""Bulk indexing into Elasticsearch/OpenSearch: chunked, retried, split when too large.

- Chunks close at `chunk_docs` documents or `chunk_bytes` bytes of request body, which
  ever comes first (a few large documents must not make one huge request).
- A 429 (too many requests) or a lost connection is retried with exponential backoff
  (and jitter), up to `max_retries` times; only the rejected items of a partly rejected
  chunk are sent again.
- A 413 (request too large) splits the chunk in halves, down to single documents.
- Any other item error (a mapping error, say) stops with EngineRefused naming the
  document, so nothing is silently lost.
- On a routed index (routing.py) each item carries its `routing`; `relocate` finds the
  copies stored under another routing, which are deleted in the same chunk, guarded by
  their seq_no (a 409 there means the copy was the document itself, now replaced).
- `parallel` chunks may be in flight at once (threads; the HTTP clients are
  thread-safe), which keeps a small cluster's indexing threads busy.

Turning refresh off during a load, restoring it and the final count check belong to the
caller that owns the index (reindex.py, ElasticBackend.purge).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from diarium.errors import EngineUnavailable
from diarium.indexer.elastic.connection import Connection, EngineRefused, dumps

RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass
class BulkStats:
    """What a bulk run did: documents written, deleted, found missing, bytes sent,
    requests, retries and splits."""

    written: int = 0
    deleted: int = 0
    missing: int = 0
    relocated: int = 0
    bytes: int = 0
    requests: int = 0
    retries: int = 0
    splits: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for key, value in counts.items():
                setattr(self, key, getattr(self, key) + value)


# One bulk item: (action line, source line or None for a delete, document id).
Item = tuple[bytes, bytes | None, str]
# A stored copy to delete: (doc id, its routing or None, seq_no, primary_term).
Copy = tuple[str, str | None, int, int]


class BulkIndexer:
    """Writes documents to one index or alias with the _bulk API."""

    def __init__(self, conn: Connection, index: str, chunk_docs: int = 1000,
                 chunk_bytes: int = 5 * 1024 * 1024, max_retries: int = 8,
                 backoff: float = 0.5, max_backoff: float = 30.0, parallel: int = 1,
                 on_chunk: Callable[[int], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if chunk_docs < 1 or chunk_bytes < 1 or parallel < 1:
            raise ValueError("chunk_docs, chunk_bytes and parallel must be at least 1")
        self.conn = conn
        self.index_name = index
        self.chunk_docs = chunk_docs
        self.chunk_bytes = chunk_bytes
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.parallel = parallel
        self.on_chunk = on_chunk
        self.sleep = sleep
        self.stats = BulkStats()

    # -- public -----------------------------------------------------------------------

    def index(self, docs: Iterable[tuple[str, dict[str, Any]]],
              route: Callable[[dict[str, Any]], str] | None = None,
              relocate: Callable[[list[tuple[str, str]]], list[Copy]] | None = None) -> int:
        """Index (create or replace) (doc_id, source) pairs; returns how many were written.
        `route`: the routing value of a source (a routed index); `relocate`: given
        (doc_id, routing) pairs of `chunk_docs` documents, the copies stored elsewhere,
        deleted after them in the same chunk.

        Raises EngineUnavailable when retries are exhausted, EngineRefused for a document
        the engine rejects.
        """
        before = self.stats.written
        if route is None:
            items: Iterable[Item] = (
                (dumps({"index": {"_id": doc_id}}).encode(), dumps(source).encode(), doc_id)
                for doc_id, source in docs)
        else:
            items = self._routed(docs, route, relocate)
        self._run(items)
        return self.stats.written - before

    def _routed(self, docs: Iterable[tuple[str, dict[str, Any]]],
                route: Callable[[dict[str, Any]], str],
                relocate: Callable[[list[tuple[str, str]]], list[Copy]] | None,
                ) -> Iterator[Item]:
        group: list[tuple[str, str, dict[str, Any]]] = []

        def flush() -> Iterator[Item]:
            # Looked up before the group is written: the lookup sees the stored state.
            found = relocate([(d, r) for d, r, _ in group]) if relocate is not None else []
            self.stats.add(relocated=len(found))
            for doc_id, routing, source in group:
                yield (dumps({"index": {"_id": doc_id, "routing": routing}}).encode(),
                       dumps(source).encode(), doc_id)
            yield from (_delete_item(c) for c in found)

        for doc_id, source in docs:
            group.append((doc_id, route(source), source))
            if len(group) >= self.chunk_docs:
                yield from flush()
                group = []
        if group:
            yield from flush()

    def delete(self, doc_ids: Iterable[str]) -> int:
        """Delete documents by id; returns how many existed."""
        before = self.stats.deleted
        self._run((dumps({"delete": {"_id": i}}).encode(), None, i) for i in doc_ids)
        return self.stats.deleted - before

    def delete_copies(self, found: Iterable[Copy]) -> int:
        """Delete stored copies, each by its routing and seq_no; returns how many went."""
        before = self.stats.deleted
        self._run(_delete_item(c) for c in found)
        return self.stats.deleted - before

    # -- chunking ---------------------------------------------------------------------

    def _chunks(self, items: Iterable[Item]) -> Iterator[list[Item]]:
        chunk: list[Item] = []
        size = 0
        for item in items:
            length = _size(item)
            if chunk and (len(chunk) >= self.chunk_docs or size + length > self.chunk_bytes):
                yield chunk
                chunk, size = [], 0
            chunk.append(item)
            size += length
        if chunk:
            yield chunk

    def _run(self, items: Iterable[Item]) -> None:
        # on_chunk is called in the caller's thread, never in a worker: callers may touch
        # their own SQLite connection or terminal there.
        if self.parallel == 1:
            for chunk in self._chunks(items):
                self._send(chunk)
                self._chunk_done(len(chunk))
            return
        with ThreadPoolExecutor(self.parallel, thread_name_prefix="bulk") as pool:
            pending: set[Future[int]] = set()
            try:
                for chunk in self._chunks(items):
                    if len(pending) >= self.parallel:
                        done, pending = wait(pending, return_when=FIRST_COMPLETED)
                        for future in done:
                            self._chunk_done(future.result())
                    pending.add(pool.submit(self._sent, chunk))
                for future in pending:
                    self._chunk_done(future.result())
            except BaseException:
                for future in pending:
                    future.cancel()
                raise

    def _sent(self, chunk: list[Item]) -> int:
        self._send(chunk)
        return len(chunk)

    def _chunk_done(self, n: int) -> None:
        if self.on_chunk is not None:
            self.on_chunk(n)

    # -- sending ----------------------------------------------------------------------

    def _send(self, chunk: list[Item]) -> None:
        """Send one chunk until every item is written, retrying and splitting."""
        attempt = 0
        todo = chunk
        while todo:
            body = b"".join(_lines(item) for item in todo)
            try:
                self.stats.add(requests=1, bytes=len(body))
                answer = self.conn.request("POST", f"/{self.index_name}/_bulk", ndjson=body)
            except EngineRefused as exc:
                if exc.status == 413 and len(todo) > 1:
                    self.stats.add(splits=1)
                    half = len(todo) // 2
                    self._send(todo[:half])
                    self._send(todo[half:])
                    return
                if exc.status in RETRY_STATUSES and attempt < self.max_retries:
                    attempt = self._wait(attempt)
                    continue
                raise
            except EngineUnavailable:
                if attempt < self.max_retries:
                    attempt = self._wait(attempt)
                    continue
                raise
            todo = self._collect(todo, answer)
            if todo:
                if attempt >= self.max_retries:
                    raise EngineRefused(
                        f"{self.conn.engine} kept rejecting {len(todo)} documents with 429 "
                        f"after {self.max_retries} retries", 429, "rejected")
                attempt = self._wait(attempt)

    def _collect(self, todo: list[Item], answer: dict[str, Any]) -> list[Item]:
        """Count the answer's successes; returns the items to send again (429s)."""
        items = answer.get("items", [])
        retry: list[Item] = []
        written = deleted = missing = 0
        for item, result in zip(todo, items, strict=False):
            (op, info), = result.items()
            status = int(info.get("status", 500))
            if op == "delete":
                if status in (404, 409):      # 409: a guarded copy was replaced
                    missing += 1
                elif status < 300:
                    deleted += 1
                elif status == 429:
                    retry.append(item)
                else:
                    raise _item_error(item, info, status, self.conn.engine)
            elif status < 300:
                written += 1
            elif status == 429:
                retry.append(item)
            else:
                raise _item_error(item, info, status, self.conn.engine)
        self.stats.add(written=written, deleted=deleted, missing=missing)
        return retry

    def _wait(self, attempt: int) -> int:
        delay = min(self.max_backoff, self.backoff * (2 ** attempt))
        self.sleep(delay * (0.5 + random.random() / 2))
        self.stats.add(retries=1)
        return attempt + 1


def _delete_item(copy: Copy) -> Item:
    doc_id, routing, seq_no, primary_term = copy
    action: dict[str, Any] = {"_id": doc_id, "if_seq_no": seq_no,
                              "if_primary_term": primary_term}
    if routing is not None:
        action["routing"] = routing
    return dumps({"delete": action}).encode(), None, doc_id


def _lines(item: Item) -> bytes:
    action, source, _ = item
    return action + b"\n" + (source + b"\n" if source is not None else b"")


def _size(item: Item) -> int:
    action, source, _ = item
    return len(action) + 1 + (len(source) + 1 if source is not None else 0)


def _item_error(item: Item, info: dict[str, Any], status: int, engine: str) -> EngineRefused:
    error = info.get("error") or {}
    reason = f"{error.get('type', '')}: {error.get('reason', '')}" if isinstance(
        error, dict) else str(error)
    return EngineRefused(
        f"{engine} rejected document {item[2]} ({status}): {reason[:300]}", status, reason)
