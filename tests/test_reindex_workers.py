"""`diarium reindex` with worker processes building the documents
(indexer/elastic/projecting.py): the same documents as built in-process, checkpoints in
id order, and a worker that dies stops the run with a clear error, the alias untouched,
the next run resuming."""

from __future__ import annotations

import multiprocessing.forkserver
import os
import signal
from pathlib import Path

import pytest
from test_reindex import fill_store, store  # noqa: F401 - the store fixture

from diarium.config import Settings
from diarium.indexer.elastic.projecting import ProjectionFailed, default_workers
from diarium.indexer.elastic.reindex import ReindexProgress, reindex
from diarium.store import Store


def _sources(backend) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {str(s["doc_id"]): s for s in backend.raw_sources()}


@pytest.mark.parametrize("engine", ["elasticsearch", "opensearch"])
def test_workers_write_the_documents_built_in_process(
        engine: str, make_elastic, store: Store,  # noqa: F811
        settings: Settings) -> None:  # type: ignore[no-untyped-def]
    fill_store(store, 130)
    here, pooled = make_elastic(engine), make_elastic(engine)
    reindex(store, settings, here, batch=40)
    checkpoints: list[int] = []
    seen: list[ReindexProgress] = []

    def progress(p: ReindexProgress) -> None:
        seen.append(p)
        indices = pooled.versioned_indices()
        checkpoints.extend(int(m.get("checkpoint", 0)) for m in indices.values()
                           if m.get("state") == "building")

    report = reindex(store, settings, pooled, batch=40, workers=2, chunk_docs=25,
                     progress=progress)
    assert report.count == report.store_count == 130 == pooled.count()
    assert _sources(pooled) == _sources(here)
    # Checkpoints advance in id order, one per batch of 40 ids (never past what was sent).
    assert checkpoints == sorted(checkpoints) and max(checkpoints) >= 80
    assert seen[-1].done == 130


def _workers_of_the_fork_server() -> list[int]:
    """The pids of the processes the pool's fork server has forked (its children)."""
    server = multiprocessing.forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == server:
                found.append(int(entry.name))
    return found


def test_a_worker_killed_stops_the_run_and_the_next_resumes(
        make_elastic, store: Store, settings: Settings) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    fill_store(store, 600)
    backend = make_elastic("opensearch")
    old = backend.alias_targets()
    killed: list[int] = []

    def kill_workers(p: ReindexProgress) -> None:
        if p.done >= 40 and not killed:
            killed.extend(_workers_of_the_fork_server())
            for pid in killed:
                os.kill(pid, signal.SIGKILL)

    with pytest.raises(ProjectionFailed, match="died.*run `diarium reindex` again"):
        reindex(store, settings, backend, batch=20, workers=2, chunk_docs=20,
                progress=kill_workers)
    assert killed
    assert backend.alias_targets() == old
    building = [m for m in backend.versioned_indices().values()
                if m.get("state") == "building"]
    assert len(building) == 1 and int(building[0]["checkpoint"]) >= 40
    report = reindex(store, settings, backend, workers=2, batch=50)
    assert report.resumed and report.written < 600
    assert report.count == 600 == backend.count()


def test_default_workers_leave_two_cores_alone() -> None:
    workers = default_workers()
    cores = len(os.sched_getaffinity(0))
    assert workers == (0 if cores <= 2 else min(8, cores - 1))


def test_reindex_bench_runs_tiny(os_url: str) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "reindex_bench.py"), "--docs", "300",
         "--workers", "0,1", "--repeat", "1"], capture_output=True, text=True, timeout=300,
        env={**os.environ, "DIARIUM_TEST_OS_URL": os_url})
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line.split() for line in done.stdout.splitlines()
            if line.split() and line.split()[0] in ("0", "1")]
    assert [r[0] for r in rows] == ["0", "1"] and rows[0][-1] == "1.00", done.stdout
