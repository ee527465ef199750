from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from diarium.errors import StoreError
from diarium.store import SCHEMA_VERSION, Store, connect


def test_new_store_is_migrated_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_reopening_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Store(path) as store, store.transaction():
        store.organisation_id("ks", "Kommunstyrelsen")
    with Store(path) as store:
        assert store.organisation_id("ks") == 1


def test_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.organisation_id("ks")
            raise RuntimeError("crash mid-batch")
        assert store.conn.execute("SELECT count(*) FROM organisations").fetchone()[0] == 0


def test_newer_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(StoreError, match="newer"):
        connect(path)


def test_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable diarium store"):
        connect(path)
