"""Bulk indexing: chunking by count and bytes, retries with backoff on 429 and lost
connections, splitting on 413, and rejected documents named.

A real node will not answer 429 or 413 on demand (queue sizes and the request size limit
are static node settings), so those paths run against a small fault-injecting HTTP
server speaking the _bulk protocol; everything else runs against the real nodes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from diarium.errors import EngineUnavailable
from diarium.indexer.elastic import BulkIndexer, Connection, EngineRefused, load_config


class FaultServer(ThreadingHTTPServer):
    """Answers POST /<index>/_bulk. `script` is consumed one entry per request:
    "ok", "429" (whole request), "items429" (every other item 429), "drop" (close the
    connection without answering). Bodies above `limit` bytes get 413."""

    def __init__(self, script: list[str], limit: int = 10**9) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script = script
        self.limit = limit
        self.written: list[str] = []
        self.requests = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FaultServer

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        with self.server.lock:
            self.server.requests += 1
            step = self.server.script.pop(0) if self.server.script else "ok"
        if step == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if len(body) > self.server.limit:
            return self._send(413, {"error": {"type": "content_too_long"}})
        if step == "429":
            return self._send(429, {"error": {"type": "es_rejected_execution_exception",
                                              "reason": "queue full"}, "status": 429})
        lines = [json.loads(x) for x in body.splitlines() if x.strip()]
        items = []
        index = 0
        position = 0
        while position < len(lines):
            (op, meta), = lines[position].items()
            position += 1 if op == "delete" else 2
            rejected = step == "items429" and index % 2 == 0
            index += 1
            if rejected:
                items.append({op: {"_id": meta["_id"], "status": 429,
                                   "error": {"type": "es_rejected_execution_exception"}}})
            else:
                with self.server.lock:
                    self.server.written.append(meta["_id"])
                items.append({op: {"_id": meta["_id"], "status": 201}})
        self._send(200, {"errors": step == "items429", "items": items})

    def _send(self, status: int, payload: dict) -> None:  # type: ignore[type-arg]
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def fault() -> Iterator[FaultServer]:
    server = FaultServer([])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _indexer(server: FaultServer, **kwargs: object) -> BulkIndexer:
    # opensearch-py: no product check, so it talks to the fault server as to a node.
    conn = Connection(load_config(None, "opensearch", {"url": server.url, "timeout": 5}),
                      max_retries=0)
    delays: list[float] = []
    indexer = BulkIndexer(conn, "idx", sleep=delays.append, **kwargs)  # type: ignore[arg-type]
    indexer.delays = delays  # type: ignore[attr-defined]
    return indexer


DOCS = [(str(i), {"rubrik": "x" * 200, "n": i}) for i in range(100)]


def test_chunks_by_count_and_bytes(fault: FaultServer) -> None:
    assert _indexer(fault, chunk_docs=30).index(DOCS) == 100
    assert fault.requests == 4 and sorted(fault.written, key=int) == [d for d, _ in DOCS]
    fault.requests = 0
    # Each document is ~250 bytes with its action line: 1,000 bytes hold three.
    assert _indexer(fault, chunk_docs=1000, chunk_bytes=1000).index(DOCS[:9]) == 9
    assert fault.requests == 3


def test_retries_429_with_backoff(fault: FaultServer) -> None:
    fault.script = ["429", "429", "items429", "ok"]
    indexer = _indexer(fault, chunk_docs=100, backoff=0.5)
    assert indexer.index(DOCS) == 100
    assert sorted(fault.written, key=int) == [d for d, _ in DOCS]   # each once
    assert indexer.stats.retries == 3
    delays = indexer.delays  # type: ignore[attr-defined]
    assert 0.25 <= delays[0] <= 0.5 and 0.5 <= delays[1] <= 1.0 and 1.0 <= delays[2] <= 2.0


def test_retries_lost_connections(fault: FaultServer) -> None:
    fault.script = ["drop", "drop", "ok"]
    indexer = _indexer(fault, chunk_docs=100)
    assert indexer.index(DOCS) == 100 and indexer.stats.retries == 2


def test_gives_up_after_max_retries(fault: FaultServer) -> None:
    fault.script = ["429"] * 10
    with pytest.raises(EngineRefused) as caught:
        _indexer(fault, max_retries=3).index(DOCS)
    assert caught.value.status == 429 and fault.requests == 4


def test_splits_on_413(fault: FaultServer) -> None:
    fault.limit = 3000          # about 11 documents per request
    indexer = _indexer(fault, chunk_docs=100)
    assert indexer.index(DOCS) == 100
    assert indexer.stats.splits >= 7
    assert sorted(fault.written, key=int) == [d for d, _ in DOCS]
    fault.limit = 100           # even one document is too large: a clear error
    with pytest.raises(EngineRefused) as caught:
        indexer.index(DOCS[:1])
    assert caught.value.status == 413


@pytest.mark.parametrize("parallel", [1, 3])
def test_parallel_chunks_write_everything(fault: FaultServer, parallel: int) -> None:
    fault.script = ["ok", "items429", "429"]
    indexer = _indexer(fault, chunk_docs=10, parallel=parallel)
    assert indexer.index(DOCS) == 100
    assert sorted(fault.written, key=int) == [d for d, _ in DOCS]


@pytest.mark.parametrize("engine", ["elasticsearch", "opensearch"])
def test_rejected_document_is_named(engine: str, make_elastic) -> None:  # type: ignore[no-untyped-def]
    backend = make_elastic(engine)
    indexer = BulkIndexer(backend.conn, backend.alias)
    with pytest.raises(EngineRefused, match="document bad-1") as caught:
        indexer.index([("ok-1", {"doc_id": "ok-1"}), ("bad-1", {"no_such_field": 1})])
    assert caught.value.status == 400 and "strict_dynamic_mapping" in str(caught.value)


def test_unreachable_bulk_is_engine_unavailable() -> None:
    conn = Connection(load_config(None, "elasticsearch", {"url": "http://127.0.0.1:1"}),
                      max_retries=0)
    with pytest.raises(EngineUnavailable, match="cannot be reached"):
        BulkIndexer(conn, "idx", max_retries=1, sleep=lambda s: None).index(DOCS[:1])
