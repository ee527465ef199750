"""Backups: restore into an empty folder, reindex with the embedded engine and get the
same search results; incremental for files; verification catches damage."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from opendata_fixtures import build_register

from diarium.backup import BackupError, backup, restore
from diarium.config import Settings, load_settings
from diarium.indexer import open_backend
from diarium.pipeline.indexing import index
from diarium.search import SearchRequest, result_to_json, search
from diarium.store import Store

QUERIES = ("bygglov", "handling", "budget OR avtal", "\"ärende 3\"", "")


def _results(settings: Settings) -> list[object]:
    backend = open_backend(settings, "embedded")
    try:
        with Store(settings.store_path) as store:
            index(store, settings, backend)
        out = []
        for query in QUERIES:
            result = search(settings, SearchRequest(query=query, per_page=50,
                                                    sort="newest"), backend)
            data = result_to_json(result)
            out.append((result.total, [h.record.doc_id for h in result.hits],
                        data.get("facets")))
        return out
    finally:
        backend.close()


@pytest.fixture
def register(tmp_path: Path) -> Settings:
    return build_register(tmp_path / "data", count=40)


def test_restore_reindex_gives_the_same_search_results(register: Settings,
                                                       tmp_path: Path) -> None:
    before = _results(register)
    assert all(total > 0 for total, _ids, _facets in before)  # type: ignore[misc]
    report = backup(register, tmp_path / "backup")
    assert report.counts["documents"] == 40
    assert report.files_copied == report.counts["files"] > 0 and not report.missing
    manifest = json.loads((tmp_path / "backup" / "backup.json").read_text("utf-8"))
    assert manifest["counts"] == report.counts

    restored_dir = tmp_path / "restored"
    restored = restore(tmp_path / "backup", restored_dir)
    assert restored.files_verified == report.files_copied
    assert (restored_dir / "diarium.toml").read_text() == (
        register.data_dir / "diarium.toml").read_text()
    assert not (restored_dir / "index").exists()        # indexes are rebuilt, not copied
    settings = load_settings(restored_dir)
    assert _results(settings) == before
    # The files are all there, byte for byte.
    for path in register.files_dir.rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            copy = restored_dir / "files" / path.relative_to(register.files_dir)
            assert copy.read_bytes() == path.read_bytes()


def test_backup_is_incremental_for_files(register: Settings, tmp_path: Path) -> None:
    first = backup(register, tmp_path / "backup")
    second = backup(register, tmp_path / "backup")
    assert second.files_copied == 0 and second.files_kept == first.files_copied
    assert second.bytes_copied == 0
    # A new file in the store is the only one copied next time.
    sha, size = register.files.add_bytes(b"Ny handling om bygglov.\n")
    with Store(register.store_path) as store, store.transaction() as conn:
        conn.execute("INSERT INTO files (sha256, size) VALUES (?, ?)", (sha, size))
    third = backup(register, tmp_path / "backup", verify_all=True)
    assert third.files_copied == 1 and third.files_verified == first.files_copied + 1
    assert third.counts["files"] == first.counts["files"] + 1


def test_backup_copy_is_a_consistent_single_file(register: Settings, tmp_path: Path) -> None:
    backup(register, tmp_path / "backup")
    copy = tmp_path / "backup" / "diarium.sqlite"
    assert not (tmp_path / "backup" / "diarium.sqlite-wal").exists()
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        conn.close()


def test_restore_refuses_a_folder_with_a_store(register: Settings, tmp_path: Path) -> None:
    backup(register, tmp_path / "backup")
    with pytest.raises(BackupError, match="already has a store"):
        restore(tmp_path / "backup", register.data_dir)
    with pytest.raises(BackupError, match="not a diarium backup"):
        restore(tmp_path / "nothing-here", tmp_path / "new")


def test_restore_catches_a_damaged_file(register: Settings, tmp_path: Path) -> None:
    backup(register, tmp_path / "backup")
    victim = next(p for p in (tmp_path / "backup" / "files").rglob("*") if p.is_file())
    data = victim.read_bytes()
    victim.write_bytes(bytes([data[0] ^ 1]) + data[1:])  # same name and size, other bytes
    with pytest.raises(BackupError, match="does not match its sha256"):
        restore(tmp_path / "backup", tmp_path / "restored")
    victim.write_bytes(b"y")                            # other size: the copy is skipped
    with pytest.raises(BackupError, match="lacks 1 files"):
        restore(tmp_path / "backup", tmp_path / "restored2")


def test_backup_inside_the_data_folder_is_refused(register: Settings) -> None:
    with pytest.raises(BackupError, match="outside the data folder"):
        backup(register, register.data_dir / "backup")


def test_backup_finishes_while_another_process_writes(register: Settings,
                                                      tmp_path: Path) -> None:
    """An import running beside the backup neither blocks it nor makes it restart
    forever; the copy is a consistent snapshot."""
    import threading

    stop, started = threading.Event(), threading.Event()
    written = []

    def writer() -> None:
        with Store(register.store_path) as store:
            n = 0
            while not stop.is_set():
                with store.transaction() as conn:
                    conn.execute("INSERT INTO organisations (slug, name) VALUES (?, ?)",
                                 (f"org-{n}", "Skrivande"))
                n += 1
                written.append(n)
                started.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        started.wait(30)
        report = backup(register, tmp_path / "backup")
    finally:
        stop.set()
        thread.join()
    assert report.counts["documents"] == 40
    conn = sqlite3.connect(tmp_path / "backup" / "diarium.sqlite")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        orgs = conn.execute("SELECT count(*) FROM organisations").fetchone()[0]
    finally:
        conn.close()
    assert orgs == report.counts["organisations"] >= 2
    assert len(written) > 0
