"""The extraction pipeline: runs the extractors over the store's files in worker processes.

Each file goes to a worker process with a wall-clock timeout and a memory limit
(RLIMIT_AS), so a pathological file cannot hang or exhaust the run: a worker that hangs is
killed, one that dies is replaced, and the file is recorded as failed (timeout / crashed /
memory) while the batch goes on. Files above the size limit never reach a worker.

Results are written by this (the parent) process only, one small transaction per file:
`extractions` (text, pages, metadata, dnr_hints), `failures` (kind, reason, attempts),
`files.state` and a change record so incremental indexing sees the document. Because
every finished file is committed at once, a killed run resumes where it stopped.
E-mail and Outlook attachments are stored as files of their own (content-addressed),
linked to the same documents with role 'attachment', and extracted in the same run.

A PDF of more than `split_pages` pages (with more than one worker) is split into page
ranges that several workers read at once; the parent joins them in page order and records
the file once. The worker that was sent the file counts its pages (the parent never opens
an untrusted file itself) and answers "split" instead of extracting it. A range that fails,
hangs or crashes its worker fails the whole file, with the pages named in the reason; each
range has the per-file timeout. Pages that still need OCR (scans, garbage text layers) are
recorded per file in `extractions.metadata.ocr_pages` (1-based page numbers).

Which files a run takes:
- default: pending files, plus, when OCR is on, files not yet tried with OCR that need it
  (state needs_ocr, or extracted with pages listed in ocr_pages);
- only_new: pending files only;
- retry_failed: failed files only (both flags: pending and failed).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import multiprocessing.connection
import os
import signal
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diarium.config import Settings
from diarium.errors import ConfigError, DiariumError, ExtractionFailed, UnsupportedFormat
from diarium.extractors.base import MB, Extraction, ExtractOptions
from diarium.extractors.registry import join_pdf_parts
from diarium.store import Store

# How long a worker gets to exit after being asked, before it is killed.
_STOP_GRACE = 2.0
# Jobs a worker holds at once: the one it reads and the next (see _Worker).
_DEPTH = 2
# How long a worker may take to start (imports) on a loaded machine.
_START_TIMEOUT = 120.0
# What the fork server imports once, so that a worker forked from it starts with the
# common path in memory: the worker's own module, the registry, the PDF reader and pdfium,
# and pool_preload (the Swedish word list of the page check, the small format readers).
# pdfminer.six, the fallback of a few pages, is imported by a worker that needs it. On the
# real corpus, side by side (2 workers, overlap, 5 runs each): pool_preload took the
# median from 9.8 to 9.3 CPU-s and from 7.2 to 6.7 s to searchable.
_PRELOAD = ["diarium.pipeline.extracting", "diarium.extractors.registry",
            "diarium.extractors.pdf", "diarium.diarienummer", "pypdfium2",
            "diarium.pipeline.pool_preload"]


def pool_context() -> Any:
    """The multiprocessing context of the worker pool: a fork server where the platform
    has one (Linux), else spawn.

    Both give workers that inherit no SQLite handle, lock or thread of this process.
    Spawn starts a fresh interpreter per worker, which imports this process's main module
    again (the whole CLI) and the extractors: about 0.3 CPU-s and 0.35 s before a worker
    can take a file. The fork server is started once per process, without the main
    module, imports _PRELOAD once, and forks each worker from that: a worker starts in
    milliseconds, and one replaced after a crash or timeout too. The fork server lives
    as long as this process and ends with it (it exits when this process's end of its
    pipe closes; its workers then get their parent-death signal). Its workers inherit the
    environment as it was when the first pool of this process started.

    `start_pool()` may be called earlier (while importing) to have it ready."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


def start_pool() -> None:
    """Start the pool's fork server now (it imports _PRELOAD while the caller goes on), so
    the next extract() forks its workers at once. Does nothing without a fork server."""
    ctx = pool_context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class ExtractConfig:
    """How a run behaves. `ocr=None` means: on when Tesseract with the languages exists."""

    workers: int = field(default_factory=default_workers)
    timeout: float = 300.0           # wall-clock seconds per file
    memory_mb: int = 2048            # address-space limit of each worker
    max_file_mb: int = 256           # larger files fail as too_large without being read
    max_unzipped_mb: int = 500       # DOCX/ODT bomb guard
    ocr: bool | None = None
    ocr_languages: str = "swe"
    split_pages: int = 100           # PDFs longer than this go to several workers at once

    def options(self, ocr: bool) -> ExtractOptions:
        return ExtractOptions(
            max_unzipped_bytes=self.max_unzipped_mb * MB,
            ocr=ocr,
            ocr_languages=self.ocr_languages,
            tool_timeout=max(5.0, self.timeout * 0.9),
        )


_CONFIG_KEYS = {
    "workers": int,
    "timeout": float,
    "memory_mb": int,
    "max_file_mb": int,
    "max_unzipped_mb": int,
    "ocr": bool,
    "ocr_languages": str,
    "split_pages": int,
}


def config_from_settings(settings: Settings, **overrides: Any) -> ExtractConfig:
    """The [extraction] table of diarium.toml, then `overrides` (None values ignored).

    Raises ConfigError naming the key when a value has the wrong type or is not positive.
    """
    values: dict[str, Any] = {}
    for key, value in {**settings.section("extraction"), **overrides}.items():
        if value is None:
            continue
        kind = _CONFIG_KEYS.get(key)
        if kind is None:
            raise ConfigError(
                f"extraction.{key} is not a setting; use one of {', '.join(_CONFIG_KEYS)}"
            )
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(f"extraction.{key} must be a {kind.__name__}, not {value!r}")
        if kind in (int, float) and isinstance(value, int | float) and value <= 0:
            raise ConfigError(f"extraction.{key} must be positive, not {value!r}")
        values[key] = value
    return ExtractConfig(**values)


@dataclass(frozen=True)
class Progress:
    """Where a run stands; passed to the progress callback after every file."""

    done: int
    total: int
    extracted: int
    failed: int
    needs_ocr: int
    pages: int
    elapsed: float

    @property
    def files_per_s(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the current rate, None before the first file is done."""
        if self.done == 0:
            return None
        return (self.total - self.done) / self.files_per_s


@dataclass
class ExtractReport:
    """What a run did."""

    selected: int = 0
    extracted: int = 0
    failed: int = 0
    needs_ocr: int = 0
    attachments: int = 0
    pages: int = 0
    bytes: int = 0
    seconds: float = 0.0
    workers: int = 0
    ocr: bool = False
    failures_by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return self.extracted + self.failed + self.needs_ocr


@dataclass(frozen=True)
class Job:
    sha256: str
    path: str
    name: str
    size: int
    start: int = -1                  # a page range start..stop-1 of a split PDF; -1: whole
    stop: int = -1

    @property
    def is_range(self) -> bool:
        return self.start >= 0

    def describe(self) -> str:
        return f"pages {self.start + 1}-{self.stop}: " if self.is_range else ""


@dataclass
class _Split:
    """A PDF being read in page ranges: the parts received so far."""

    job: Job
    ranges: int
    parts: list[Extraction] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    failed: bool = False


def page_ranges(count: int, workers: int, threshold: int) -> list[tuple[int, int]]:
    """(start, stop) ranges covering `count` pages: about two per worker, so a range that
    happens to be slow (pages read by pdfminer) is not the tail, never below half the
    threshold each."""
    size = max(max(1, threshold // 2), -(-count // (2 * workers)))
    return [(start, min(start + size, count)) for start in range(0, count, size)]


def pool_size(workers: int, jobs: Iterable[Job], split_pages: int) -> int:
    """How many workers to start: one per job up to `workers`, but the whole pool when a
    PDF might be split (split_pages > 0): its ranges then find every worker started, not
    waiting for one to start after the "split" answer (a start is ~0.2-0.3 s)."""
    jobs = list(jobs)
    if split_pages > 0 and any(job.name.lower().endswith(".pdf") for job in jobs):
        return workers
    return min(workers, len(jobs))


# --------------------------------------------------------------------------- selection


def select_jobs(store: Store, settings: Settings, *, retry_failed: bool = False,
                only_new: bool = False, ocr: bool = False) -> list[Job]:
    """The files this run should extract, largest first: a big file started last would
    keep one worker busy while the others idle (longest-first scheduling)."""
    states: list[str] = []
    if only_new or not retry_failed:
        states.append("pending")
    if retry_failed:
        states.append("failed")
    where = f"f.state IN ({', '.join('?' * len(states))})"
    params: list[Any] = list(states)
    if ocr and not only_new and not retry_failed:
        where = (f"({where} OR (f.state = 'needs_ocr' AND NOT EXISTS (SELECT 1 FROM "
                 "extractions e WHERE e.sha256 = f.sha256 AND "
                 "json_extract(e.metadata, '$.ocr') IS NOT NULL)) "
                 "OR (f.state = 'extracted' AND EXISTS (SELECT 1 FROM extractions e "
                 "WHERE e.sha256 = f.sha256 AND json_extract(e.metadata, '$.ocr') IS NULL "
                 "AND json_array_length(e.metadata, '$.ocr_pages') > 0)))")
    rows = store.conn.execute(
        "SELECT f.sha256, f.size, (SELECT MIN(df.name) FROM document_files df "
        f"WHERE df.sha256 = f.sha256) AS name FROM files f WHERE {where} "
        "ORDER BY f.size DESC, f.sha256",
        params,
    ).fetchall()
    return [Job(r["sha256"], str(settings.file_path(r["sha256"])), r["name"] or "",
                int(r["size"])) for r in rows]


# --------------------------------------------------------------------------- worker


def _worker_main(conn: Any, memory_bytes: int, options: ExtractOptions,
                 split_pages: int = 0) -> None:
    """A worker process: extract each job it is sent until told to stop or orphaned."""
    from diarium.extractors.tools import prepare_worker_process

    # If the parent is killed (SIGKILL, OOM), the worker dies with it: none left behind.
    prepare_worker_process(memory_bytes)
    from diarium.diarienummer import find_in_text
    from diarium.extractors.registry import extract_file, extract_pdf_range, pdf_pages_to_split

    conn.send(("ready",))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        sha, path, name, start, stop = job
        try:
            if start >= 0:
                part = extract_pdf_range(Path(path), options, start, stop)
                conn.send(("part", sha, part, [d.written for d in find_in_text(part.text)]))
                continue
            if split_pages > 0:
                count = pdf_pages_to_split(Path(path), name or None, split_pages)
                if count:
                    conn.send(("split", sha, count))
                    continue
            extraction = extract_file(Path(path), options, name=name or None)
            hints = [d.written for d in find_in_text(extraction.text)]
            conn.send(("ok", sha, extraction, hints))
        except MemoryError:
            conn.send(("failed", sha, "memory",
                       f"needed more than the memory limit of {memory_bytes // MB} MB"))
            return  # a worker that ran out of memory is not trusted with the next file
        except UnsupportedFormat as exc:
            conn.send(("failed", sha, "unsupported", str(exc)))
        except ExtractionFailed as exc:
            conn.send(("failed", sha, exc.kind, str(exc)))
        except DiariumError as exc:
            conn.send(("failed", sha, "error", str(exc)))
        except Exception as exc:  # the batch goes on whatever one file does
            conn.send(("failed", sha, "error", f"{type(exc).__name__}: {exc}"[:500]))


class _Worker:
    """One worker process, the job it is busy with and the one sent to follow it.

    A worker reads its jobs in the order sent; its answers come in that order. The next
    job is sent before the current one is answered (`queued`), so the worker never waits
    for this process to hand it work: with the indexing thread of extract_and_index in
    the same process, each hand-over waited for the GIL, and the two workers of the real
    corpus spent 1.5 s each waiting for their next file."""

    def __init__(self, ctx: Any, memory_bytes: int, options: ExtractOptions,
                 split_pages: int = 0) -> None:
        parent_end, child_end = ctx.Pipe(duplex=True)
        self.conn = parent_end
        self.split_pages = split_pages
        self.process = ctx.Process(target=_worker_main,
                                   args=(child_end, memory_bytes, options, split_pages),
                                   daemon=True, name="diarium-extract")
        self.process.start()
        child_end.close()
        self.jobs: deque[Job] = deque()   # sent and not answered: the current one first
        self.ready = False
        self.created = time.monotonic()
        self.started = 0.0                # when the current job began

    @property
    def job(self) -> Job | None:
        """The job the worker is busy with (the first one sent and not answered)."""
        return self.jobs[0] if self.jobs else None

    def send(self, job: Job) -> None:
        self.conn.send((job.sha256, job.path, job.name, job.start, job.stop))
        if not self.jobs:
            self.started = time.monotonic()
        self.jobs.append(job)

    def answered(self) -> Job:
        """The current job, now answered; the next one sent begins."""
        job = self.jobs.popleft()
        self.started = time.monotonic()
        return job

    def take_back(self) -> list[Job]:
        """The jobs sent after the current one, never begun: for another worker."""
        queued = list(self.jobs)[1:]
        while len(self.jobs) > 1:
            self.jobs.pop()
        return queued

    def stop(self) -> None:
        """Ask the worker to exit, kill it if it does not; never leaves it running."""
        with contextlib.suppress(OSError, ValueError, BrokenPipeError):
            if self.process.is_alive() and self.job is None:
                self.conn.send(None)
        self.process.join(_STOP_GRACE if self.job is None else 0)
        if self.process.is_alive():
            self.kill()
        self.conn.close()

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, OSError):
            self.process.kill()
        self.process.join(5)


# --------------------------------------------------------------------------- the run


def extract(store: Store, settings: Settings, config: ExtractConfig | None = None, *,
            retry_failed: bool = False, only_new: bool = False,
            progress: Callable[[Progress], None] | None = None) -> ExtractReport:
    """Extract the selected files of the store; returns what happened.

    Per-file failures are recorded in the store, never raised. Raises ConfigError for
    impossible settings, DiariumError when workers cannot start. Workers start from a fork
    server (pool_context: no inherited SQLite handles or threads), or are spawned where
    there is none; a script calling this needs the usual `if __name__ == "__main__":`
    guard.
    """
    from diarium.extractors.image import ocr_available

    config = config or config_from_settings(settings)
    if config.workers < 1:
        raise ConfigError("workers must be at least 1")
    ocr = ocr_available(config.ocr_languages) if config.ocr is None else config.ocr
    if ocr and not ocr_available(config.ocr_languages):
        raise ConfigError(
            f"OCR was asked for, but Tesseract with language data {config.ocr_languages!r} "
            "is not installed (Debian: tesseract-ocr tesseract-ocr-swe); or use --no-ocr"
        )
    jobs = deque(select_jobs(store, settings, retry_failed=retry_failed, only_new=only_new,
                             ocr=ocr))
    report = ExtractReport(selected=len(jobs), workers=config.workers, ocr=ocr)
    started = time.monotonic()
    total = len(jobs)

    def tick() -> None:
        report.seconds = time.monotonic() - started
        if progress is not None:
            progress(Progress(report.done, total, report.extracted, report.failed,
                              report.needs_ocr, report.pages, report.seconds))

    splits: dict[str, _Split] = {}

    def fail(job: Job, kind: str, reason: str) -> None:
        if job.is_range:
            split = splits[job.sha256]
            if split.failed:
                return  # the file already failed by another of its ranges
            split.failed = True
            reason = job.describe() + reason
            # Its other ranges still waiting are not worth reading any more.
            for queued in [j for j in runnable if j.sha256 == job.sha256]:
                runnable.remove(queued)
        record_failure(store, job.sha256, kind, reason)
        report.failed += 1
        report.failures_by_kind[kind] = report.failures_by_kind.get(kind, 0) + 1
        tick()

    def received(job: Job, message: tuple[Any, ...]) -> list[Job]:
        """Handle a worker's answer; returns new jobs (attachments, page ranges)."""
        if message[0] == "split":
            count = int(message[2])
            ranges = [Job(job.sha256, job.path, job.name, job.size, start, stop)
                      for start, stop in page_ranges(count, config.workers,
                                                     config.split_pages)]
            splits[job.sha256] = _Split(job, len(ranges))
            return ranges
        if job.is_range:
            split = splits[job.sha256]
            if message[0] == "failed":
                fail(job, message[2], message[3])
                return []
            if split.failed:
                return []
            split.parts.append(message[2])
            split.hints.extend(message[3])
            if len(split.parts) < split.ranges:
                return []
            joined = join_pdf_parts(split.parts)
            del splits[job.sha256]
            return _handle(store, settings, split.job, ("ok", job.sha256, joined, split.hints),
                           report)
        return _handle(store, settings, job, message, report)

    # Checks that need no worker: the file is missing or too large.
    runnable: deque[Job] = deque()
    for pending in jobs:
        try:
            size = os.stat(pending.path).st_size
        except FileNotFoundError:
            fail(pending, "missing", f"the stored file is missing: {pending.path}")
            continue
        if size > config.max_file_mb * MB:
            fail(pending, "too_large", f"file is {size / MB:.0f} MB, above the limit of "
                                       f"{config.max_file_mb} MB (extraction.max_file_mb)")
            continue
        runnable.append(pending)
    if not runnable:
        tick()
        return report

    options = config.options(ocr)
    ctx = pool_context()
    split_pages = config.split_pages if config.workers > 1 else 0
    count = pool_size(config.workers, runnable, split_pages)
    report.workers = count
    memory = config.memory_mb * MB
    workers = [_Worker(ctx, memory, options, split_pages) for _ in range(count)]
    start_failures = 0
    try:
        while runnable or any(w.job is not None for w in workers):
            for worker in workers:
                # A second job only while there is more than one for each worker: at the
                # end, a file waiting behind a slow one would keep another worker idle.
                depth = _DEPTH if len(runnable) > len(workers) else 1
                while worker.ready and len(worker.jobs) < depth and runnable:
                    queued = runnable.popleft()
                    try:
                        worker.send(queued)
                    except (BrokenPipeError, OSError):
                        runnable.appendleft(queued)
                        break
            watched = [w for w in workers if w.job is not None or not w.ready]
            now = time.monotonic()
            wait_for = min((w.started + config.timeout - now for w in watched if w.job),
                           default=0.5)
            ready = multiprocessing.connection.wait(
                [w.conn for w in watched] + [w.process.sentinel for w in watched],
                timeout=max(0.01, min(wait_for, 1.0)),
            )
            for index, worker in enumerate(workers):
                job = worker.job
                message = None
                if worker.conn in ready:
                    with contextlib.suppress(EOFError, OSError):
                        message = worker.conn.recv()
                if not worker.ready:
                    # Starting up (imports, limits): not counted against a file's timeout.
                    if message == ("ready",):
                        worker.ready = True
                        start_failures = 0
                    elif not worker.process.is_alive() or (
                        time.monotonic() - worker.created > _START_TIMEOUT
                    ):
                        start_failures += 1
                        if start_failures > 3 * count:
                            raise DiariumError(
                                "extraction workers die while starting (exit code "
                                f"{worker.process.exitcode}); is the memory limit of "
                                f"{config.memory_mb} MB (extraction.memory_mb) too low?"
                            )
                        workers[index] = _replace(worker, ctx, memory, options)
                    continue
                if job is None:
                    if not worker.process.is_alive():
                        workers[index] = _replace(worker, ctx, memory, options)
                    continue
                if message is not None:
                    worker.answered()
                    added = received(job, message)
                    if message[0] == "split":
                        # Ranges first, so the file's pages spread over the whole pool.
                        runnable.extendleft(reversed(added))
                        while len(workers) < config.workers:
                            workers.append(_Worker(ctx, memory, options, split_pages))
                        report.workers = len(workers)
                    else:
                        runnable.extend(added)
                        total += len(added)
                    tick()
                    if message[0] == "failed" and message[2] == "memory":
                        # The worker exits after this answer: its next job was never begun.
                        runnable.extendleft(reversed(worker.jobs))
                        workers[index] = _replace(worker, ctx, memory, options)
                    elif not worker.process.is_alive() and worker.job is None:
                        workers[index] = _replace(worker, ctx, memory, options)
                    # (Dead with a job still sent: its answer may wait in the pipe; read
                    # on the next round, else that job is the one that ended the worker.)
                    continue
                if not worker.process.is_alive():
                    with contextlib.suppress(OSError, ValueError):
                        if worker.conn.poll():
                            continue      # an answer written just before it ended: read it
                    code = worker.process.exitcode
                    runnable.extendleft(reversed(worker.take_back()))
                    fail(job, *_death_reason(code, config.memory_mb))
                    workers[index] = _replace(worker, ctx, memory, options)
                elif time.monotonic() - worker.started > config.timeout:
                    worker.kill()
                    runnable.extendleft(reversed(worker.take_back()))
                    fail(job, "timeout", f"extraction took longer than {config.timeout:.0f} s "
                                         "(extraction.timeout); the worker was stopped")
                    workers[index] = _replace(worker, ctx, memory, options)
    finally:
        for worker in workers:
            worker.stop()
    tick()
    return report


def _replace(worker: _Worker, ctx: Any, memory: int, options: ExtractOptions) -> _Worker:
    worker.jobs.clear()
    worker.stop()
    return _Worker(ctx, memory, options, worker.split_pages)


def _death_reason(code: int | None, memory_mb: int) -> tuple[str, str]:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if -code == signal.SIGKILL:
            return ("crashed", f"the worker was killed ({name}), most likely by the system "
                               f"for using too much memory (limit {memory_mb} MB)")
        return "crashed", f"the extractor crashed the worker ({name})"
    return "crashed", f"the worker exited unexpectedly (exit code {code})"


def _handle(store: Store, settings: Settings, job: Job, message: tuple[Any, ...],
            report: ExtractReport) -> list[Job]:
    """Write one worker result; returns new jobs (attachments to extract)."""
    if message[0] == "ok":
        _, _, extraction, hints = message
        added = record_extraction(store, settings, job.sha256, extraction, hints)
        report.pages += extraction.page_count
        report.bytes += job.size
        report.attachments += len(added)
        if extraction.needs_ocr:
            report.needs_ocr += 1
        else:
            report.extracted += 1
        return added
    _, _, kind, reason = message
    record_failure(store, job.sha256, kind, reason)
    report.failed += 1
    report.failures_by_kind[kind] = report.failures_by_kind.get(kind, 0) + 1
    return []


# --------------------------------------------------------------------------- store writes


def record_extraction(store: Store, settings: Settings, sha256: str, extraction: Extraction,
                      hints: Iterable[str] = ()) -> list[Job]:
    """Store one file's Extraction (and its attachments) in one transaction; returns the
    attachments that still need extracting, as jobs."""
    stored = [(a, _store_bytes(settings, a.data)) for a in extraction.attachments]
    state = "needs_ocr" if extraction.needs_ocr else "extracted"
    metadata = dict(extraction.metadata)
    if extraction.ocr_pages:
        metadata["ocr_pages"] = list(extraction.ocr_pages)
    new_jobs: list[Job] = []
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO extractions (sha256, extractor, text, pages, metadata, dnr_hints) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(sha256) DO UPDATE SET "
            "extractor = excluded.extractor, text = excluded.text, pages = excluded.pages, "
            "metadata = excluded.metadata, dnr_hints = excluded.dnr_hints, "
            "extracted_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
            (sha256, extraction.extractor, extraction.text,
             json.dumps(list(extraction.pages), ensure_ascii=False),
             json.dumps(metadata, ensure_ascii=False, default=str),
             json.dumps(list(dict.fromkeys(hints)), ensure_ascii=False)),
        )
        conn.execute("DELETE FROM failures WHERE sha256 = ?", (sha256,))
        conn.execute("UPDATE files SET state = ?, media_type = ? WHERE sha256 = ?",
                     (state, extraction.media_type, sha256))
        for position, (attachment, (digest, size)) in enumerate(stored, start=1):
            cur = conn.execute(
                "INSERT OR IGNORE INTO files (sha256, size, media_type) VALUES (?, ?, ?)",
                (digest, size, attachment.media_type),
            )
            conn.execute(
                "INSERT OR IGNORE INTO document_files (document_id, sha256, name, role, "
                "position) SELECT DISTINCT document_id, ?, ?, 'attachment', ? "
                "FROM document_files WHERE sha256 = ?",
                (digest, attachment.name, position, sha256),
            )
            if cur.rowcount:
                new_jobs.append(Job(digest, str(settings.file_path(digest)), attachment.name,
                                    size))
        store.record_file_change(sha256)
    return new_jobs


def record_failure(store: Store, sha256: str, kind: str, reason: str) -> None:
    """Record (or count again) a failure of one file, in one transaction."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO failures (sha256, kind, reason) VALUES (?, ?, ?) "
            "ON CONFLICT(sha256) DO UPDATE SET kind = excluded.kind, reason = excluded.reason, "
            "attempts = failures.attempts + 1, "
            "failed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
            (sha256, kind, reason),
        )
        conn.execute("DELETE FROM extractions WHERE sha256 = ?", (sha256,))
        conn.execute("UPDATE files SET state = 'failed' WHERE sha256 = ?", (sha256,))
        store.record_file_change(sha256)


def _store_bytes(settings: Settings, data: bytes) -> tuple[str, int]:
    """Write bytes content-addressed (atomically); returns (sha256, size)."""
    return settings.files.add_bytes(data)


def failures(store: Store, limit: int = 50) -> list[sqlite3.Row]:
    """The most recent failures with a file name, for display."""
    return store.conn.execute(
        "SELECT fl.sha256, fl.kind, fl.reason, fl.attempts, fl.failed_at, "
        "(SELECT MIN(name) FROM document_files df WHERE df.sha256 = fl.sha256) AS name "
        "FROM failures fl ORDER BY fl.failed_at DESC, fl.sha256 LIMIT ?",
        (limit,),
    ).fetchall()


def state_counts(store: Store) -> dict[str, int]:
    """How many files are in each extraction state."""
    return {r[0]: r[1] for r in
            store.conn.execute("SELECT state, COUNT(*) FROM files GROUP BY state")}


__all__ = [
    "ExtractConfig",
    "ExtractReport",
    "Progress",
    "config_from_settings",
    "extract",
    "failures",
    "record_extraction",
    "record_failure",
    "state_counts",
]
