"""Embedding in worker processes: the pool behind `diarium embed` and `diarium index`.

Each worker is a spawned process (no inherited SQLite handle or threads) that loads the
model once, with `threads` model threads, and embeds the batches of passage texts it is
sent, one at a time, answering with their vectors and the CPU time the call took. The
parent (diarium.embeddings.update) keeps one batch in flight per worker and writes every
result itself, in a small transaction of its own, so a killed run loses at most the
batches in flight and the next run goes on from the vectors it finds.

The same limits as the extraction workers (diarium.pipeline.extracting): an address-space
limit (RLIMIT_AS, `[semantic] memory_mb`), a wall-clock limit per batch (`[semantic]
timeout`), no core files, and a worker dies with its parent (PR_SET_PDEATHSIG), so a
killed run leaves no process behind. A worker that dies, runs out of memory or overruns
the timeout ends the run with an EmbeddingFailed naming the cause and the documents of
its batch; everything committed before stays (a rerun goes on from there).

Workers start lazily, when there is a batch for them: a run with nothing to embed starts
none, a run with one batch starts one.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import signal
import time
from collections.abc import Sequence
from typing import Any, NoReturn

import numpy as np

from diarium.errors import DiariumError

MB = 1024 * 1024
_STOP_GRACE = 2.0


class EmbeddingFailed(DiariumError):
    """An embedding worker died, ran out of memory or took too long."""


def _worker_main(conn: Any, threads: int, memory_bytes: int) -> None:
    """A worker process: load the model, embed each batch it is sent until told to stop."""
    from diarium.extractors.tools import prepare_worker_process

    prepare_worker_process(memory_bytes)
    try:
        from diarium.embeddings import E5Model

        model = E5Model(threads)
    except MemoryError:
        conn.send(("failed", None, "memory", "not enough memory to load the model"))
        return
    except Exception as exc:  # the parent reports it
        conn.send(("failed", None, "load", f"the model did not load "
                                           f"({type(exc).__name__}: {exc})"[:500]))
        return
    conn.send(("ready", model.id))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        key, texts = job
        try:
            before = time.process_time()
            vectors = model.passages(texts)
            conn.send(("ok", key, vectors, time.process_time() - before))
        except MemoryError:
            conn.send(("failed", key, "memory", "ran out of memory"))
            return
        except Exception as exc:
            conn.send(("failed", key, "error", f"{type(exc).__name__}: {exc}"[:500]))


class _Worker:
    def __init__(self, ctx: Any, threads: int, memory_bytes: int) -> None:
        parent_end, child_end = ctx.Pipe(duplex=True)
        self.conn = parent_end
        self.process = ctx.Process(target=_worker_main,
                                   args=(child_end, threads, memory_bytes),
                                   daemon=True, name="diarium-embed")
        self.process.start()
        child_end.close()
        self.key: int | None = None
        self.what = ""
        self.sent = 0.0

    def stop(self) -> None:
        """Ask the worker to exit, kill it if it does not; never leaves it running."""
        with contextlib.suppress(OSError, ValueError):
            if self.process.is_alive() and self.key is None:
                self.conn.send(None)
        self.process.join(_STOP_GRACE if self.key is None else 0)
        if self.process.is_alive():
            with contextlib.suppress(ProcessLookupError, OSError):
                self.process.kill()
            self.process.join(5)
        self.conn.close()


class EmbedPool:
    """Up to `workers` worker processes, each with the model loaded once (module doc).

    An Embedder for diarium.embeddings.update: `free()` batches it can take now,
    `submit()` one, `wait()` for finished ones. Use it as a context manager: leaving it
    stops every worker. `cpu_seconds` adds up the workers' model calls; `started` counts
    the workers started."""

    def __init__(self, model_id: str, workers: int, threads: int = 1,
                 memory_mb: int = 2048, timeout: float = 600.0) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.id = model_id
        self.workers = workers
        self.threads = threads
        self.memory_mb = memory_mb
        self.timeout = timeout
        self.started = 0
        self.calls = 0
        self.cpu_seconds = 0.0
        self._ctx = multiprocessing.get_context("spawn")
        self._pool: list[_Worker] = []
        self._done: list[tuple[int, np.ndarray, float]] = []

    def __enter__(self) -> EmbedPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for worker in self._pool:
            worker.stop()
        self._pool = []

    def free(self) -> int:
        idle = sum(1 for w in self._pool if w.key is None)
        return idle + self.workers - len(self._pool)

    def busy(self) -> int:
        return sum(1 for w in self._pool if w.key is not None)

    def submit(self, key: int, texts: Sequence[str], what: str = "") -> None:
        """Send one batch to an idle worker (starting one when none is idle); `what`
        names its documents in an error."""
        worker = next((w for w in self._pool if w.key is None), None)
        if worker is None:
            if len(self._pool) >= self.workers:
                raise RuntimeError("no free embedding worker")
            worker = _Worker(self._ctx, self.threads, self.memory_mb * MB)
            self._pool.append(worker)
            self.started += 1
        worker.key, worker.what, worker.sent = key, what, time.monotonic()
        try:
            worker.conn.send((key, list(texts)))
        except (BrokenPipeError, OSError):
            self._died(worker)

    def wait(self) -> list[tuple[int, np.ndarray, float]]:
        """The batches finished since the last call as (key, vectors, CPU seconds);
        blocks until at least one is when any is in flight. Raises EmbeddingFailed when a
        worker fails (module doc)."""
        while not self._done and self.busy():
            busy = [w for w in self._pool if w.key is not None]
            now = time.monotonic()
            left = min(w.sent + self.timeout - now for w in busy)
            ready = multiprocessing.connection.wait(
                [w.conn for w in busy] + [w.process.sentinel for w in busy],
                timeout=max(0.01, min(left, 5.0)))
            for worker in busy:
                if worker.conn in ready:
                    try:
                        message = worker.conn.recv()
                    except (EOFError, OSError):
                        self._died(worker)
                    else:
                        self._received(worker, message)
                elif worker.process.sentinel in ready or not worker.process.is_alive():
                    self._died(worker)
                elif time.monotonic() - worker.sent > self.timeout:
                    with contextlib.suppress(ProcessLookupError, OSError):
                        worker.process.kill()
                    worker.process.join(5)
                    raise EmbeddingFailed(
                        f"embedding {worker.what or 'a batch'} took longer than "
                        f"{self.timeout:.0f} s ([semantic] timeout); the worker was "
                        "stopped. What was computed before is kept: run again to go on.")
        done, self._done = self._done, []
        return done

    def _received(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        if message[0] == "ready":
            if message[1] != self.id:
                raise EmbeddingFailed(f"an embedding worker loaded model {message[1]}, "
                                      f"not {self.id}")
            return
        if message[0] == "ok":
            _, key, vectors, cpu = message
            worker.key = None
            self.calls += 1
            self.cpu_seconds += float(cpu)
            self._done.append((int(key), np.asarray(vectors, dtype=np.float32), float(cpu)))
            return
        _, _, kind, reason = message
        hint = {"memory": f" (limit [semantic] memory_mb = {self.memory_mb} MB)",
                "load": f"; is the limit [semantic] memory_mb = {self.memory_mb} MB too "
                        "low?"}.get(kind, "")
        raise EmbeddingFailed(f"an embedding worker failed on {worker.what or 'a batch'}: "
                              f"{reason}{hint}. What was computed before is kept: run "
                              "again to go on.")

    def _died(self, worker: _Worker) -> NoReturn:
        worker.process.join(5)
        code = worker.process.exitcode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            cause = f"was killed ({name})"
            if -code == signal.SIGKILL:
                cause += (", by another process or by the system for using too much "
                          f"memory (limit [semantic] memory_mb = {self.memory_mb} MB)")
        else:
            cause = f"exited unexpectedly (exit code {code})"
        raise EmbeddingFailed(f"an embedding worker {cause} while embedding "
                              f"{worker.what or 'a batch'}. What was computed before is "
                              "kept: run `diarium embed` again to go on.")


__all__ = ["EmbedPool", "EmbeddingFailed"]
