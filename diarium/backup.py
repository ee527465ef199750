"""Backups of a data folder and their restore.

What a backup holds is what cannot be rebuilt: the store (SQLite) and the
content-addressed document files, plus diarium.toml. Indexes and dumps are derived from
the store and are rebuilt after a restore (`diarium index --rebuild`, `diarium dump`).

    DEST/diarium.sqlite     a consistent copy made with SQLite's online backup API while
                            the site and imports keep running (readers and writers are
                            not stopped; the copy is one snapshot)
    DEST/files/aa/<sha256>  every file the snapshot refers to, copied through the one
                            FileStore writer (temporary name, rename)
    DEST/diarium.toml       the settings, when the data folder has them
    DEST/backup.json        when, what schema version, how many rows and files

Incremental for files: a file already in DEST (same name, same size) is not copied again;
names are content addresses, so a file never changes under its name. Verified: the copy
of the store passes `PRAGMA integrity_check` and has the source's row counts, and every
file copied in this run is hashed again at its destination (`verify_all` re-hashes the
ones kept from earlier runs too). A run that fails leaves the previous backup's store in
place (the new copy is written under a temporary name and renamed).

`restore()` does the same in the other direction into a data folder without a store.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from diarium.config import CONFIG_NAME, Settings
from diarium.errors import DiariumError
from diarium.files import FileStore, hash_file
from diarium.store import SCHEMA_VERSION, Store

STORE_NAME = "diarium.sqlite"
MANIFEST_NAME = "backup.json"
COUNTED_TABLES = ("organisations", "cases", "documents", "files", "extractions")
# The whole database in one backup step: one read transaction, which in WAL mode does not
# block writers, and a consistent snapshot. Copied in several steps, SQLite restarts the
# copy whenever another connection writes between two steps, so a busy store (an import
# running) could keep a backup from ever finishing.
PAGES_PER_STEP = 0


class BackupError(DiariumError):
    """A backup or restore cannot be made, or does not verify."""


@dataclass(frozen=True)
class BackupProgress:
    stage: str              # "store" | "files"
    done: int
    total: int


@dataclass
class BackupReport:
    """What a backup or restore did. `files_copied` new files, `files_kept` already
    there; `missing` files the store names that the source does not have."""

    destination: Path
    created: str
    schema_version: int
    counts: dict[str, int]
    files_copied: int = 0
    files_kept: int = 0
    bytes_copied: int = 0
    files_verified: int = 0
    missing: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _copy_store(source: Path, target: Path,
                progress: Callable[[BackupProgress], None] | None) -> dict[str, int]:
    """Copy the SQLite database at `source` to `target` with the online backup API,
    check it and return its row counts. Raises BackupError."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30.0)
        dst = sqlite3.connect(tmp)
        try:
            def step(_status: int, remaining: int, total: int) -> None:
                if progress is not None:
                    progress(BackupProgress("store", total - remaining, total))

            before = _counts(src)
            src.backup(dst, pages=PAGES_PER_STEP, progress=step)
            # A single file without its write-ahead log: the copy is self-contained.
            dst.execute("PRAGMA journal_mode=DELETE")
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the copy of {source} fails its integrity check: {check}")
            counts = _counts(dst)
            # Writes may land while the copy is made; the store only grows (import never
            # deletes), so the copy has at least the rows the source had before it.
            if any(counts[name] < before[name] for name in before):
                raise BackupError(f"the copy of {source} has fewer rows than the source")
        finally:
            dst.close()
            src.close()
        os.replace(tmp, target)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy the store {source}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return counts


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {name: int(conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0])
            for name in COUNTED_TABLES}


def _referenced(store_copy: Path) -> list[tuple[str, int]]:
    """(sha256, size) of every file the copied store knows, from the copy itself, so the
    files match the snapshot."""
    conn = sqlite3.connect(f"file:{store_copy}?mode=ro", uri=True)
    try:
        return [(str(r[0]), int(r[1]))
                for r in conn.execute("SELECT sha256, size FROM files ORDER BY sha256")]
    finally:
        conn.close()


def _copy_files(files: list[tuple[str, int]], source: FileStore, target: FileStore,
                report: BackupReport, verify_all: bool,
                progress: Callable[[BackupProgress], None] | None) -> None:
    problems: list[str] = []
    for n, (sha, size) in enumerate(files, 1):
        if target.has(sha, size):
            report.files_kept += 1
            if verify_all:
                if hash_file(target.path(sha)) != (sha, size):
                    problems.append(f"{target.path(sha)} does not match its name")
                report.files_verified += 1
        elif not source.has(sha, size):
            report.missing.append(sha)
        else:
            target.add_file(source.path(sha), known=(sha, size))
            if hash_file(target.path(sha)) != (sha, size):
                target.path(sha).unlink(missing_ok=True)
                problems.append(f"{source.path(sha)}: the copy does not match its sha256 "
                                "(is the source file damaged?)")
            else:
                report.files_copied += 1
                report.bytes_copied += size
                report.files_verified += 1
        if progress is not None and (n % 200 == 0 or n == len(files)):
            progress(BackupProgress("files", n, len(files)))
    if problems:
        raise BackupError("files failed verification: " + "; ".join(problems[:10])
                          + (f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""))


def backup(settings: Settings, destination: Path, *, verify_all: bool = False,
           progress: Callable[[BackupProgress], None] | None = None) -> BackupReport:
    """Back up the data folder of `settings` into `destination` (created if needed; a
    previous backup there is brought up to date). Returns a BackupReport. Raises
    BackupError when the store is missing, the copy does not verify, or `destination`
    is inside the data folder."""
    started = time.perf_counter()
    destination = Path(destination).expanduser().resolve()
    if not settings.store_path.is_file():
        raise BackupError(f"no store to back up at {settings.store_path}")
    if destination == settings.data_dir or settings.data_dir in destination.parents:
        raise BackupError("the backup folder must be outside the data folder "
                          f"{settings.data_dir}")
    with Store(settings.store_path):
        pass                       # migrates an old store, so the backup is current
    try:
        destination.mkdir(parents=True, exist_ok=True)
        counts = _copy_store(settings.store_path, destination / STORE_NAME, progress)
        report = BackupReport(destination=destination, created=_now(),
                              schema_version=SCHEMA_VERSION, counts=counts)
        _copy_files(_referenced(destination / STORE_NAME), settings.files,
                    FileStore(destination / "files"), report, verify_all, progress)
        config = settings.data_dir / CONFIG_NAME
        if config.is_file():
            shutil.copyfile(config, destination / CONFIG_NAME)
        report.seconds = time.perf_counter() - started
        _write_manifest(destination, report)
    except OSError as exc:
        raise BackupError(f"cannot write the backup in {destination}: {exc}") from exc
    return report


def restore(source: Path, data_dir: Path, *,
            progress: Callable[[BackupProgress], None] | None = None) -> BackupReport:
    """Restore the backup in `source` into `data_dir`, which must not hold a store yet.
    Every file is verified against its sha256. Returns a BackupReport (its `destination`
    is `data_dir`). Raises BackupError for a folder that is no backup, a target that has
    a store, or a file that does not verify."""
    started = time.perf_counter()
    source = Path(source).expanduser().resolve()
    data_dir = Path(data_dir).expanduser().resolve()
    manifest = _read_manifest(source)
    store_copy = source / STORE_NAME
    target_store = data_dir / STORE_NAME
    if target_store.exists():
        raise BackupError(f"{data_dir} already has a store; restore into an empty data "
                          "folder (or move the old one away first)")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        counts = _copy_store(store_copy, target_store, progress)
        if counts != manifest.get("counts", counts):
            target_store.unlink(missing_ok=True)
            raise BackupError(f"the store in {source} does not have the rows its "
                              f"{MANIFEST_NAME} lists")
        report = BackupReport(destination=data_dir, created=str(manifest.get("created", "")),
                              schema_version=int(manifest.get("schema_version", 0)),
                              counts=counts)
        _copy_files(_referenced(target_store), FileStore(source / "files"),
                    FileStore(data_dir / "files"), report, True, progress)
        config = source / CONFIG_NAME
        if config.is_file() and not (data_dir / CONFIG_NAME).exists():
            shutil.copyfile(config, data_dir / CONFIG_NAME)
    except OSError as exc:
        raise BackupError(f"cannot restore into {data_dir}: {exc}") from exc
    if report.missing:
        raise BackupError(f"the backup in {source} lacks {len(report.missing)} files the "
                          f"store refers to (first: {report.missing[0]})")
    with Store(target_store):
        pass                       # migrates a backup made by an older diarium
    report.seconds = time.perf_counter() - started
    return report


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _write_manifest(destination: Path, report: BackupReport) -> None:
    data = {
        "format": "diarium-backup/1",
        "created": report.created,
        "schema_version": report.schema_version,
        "counts": report.counts,
        "files": report.files_copied + report.files_kept,
        "missing": report.missing,
    }
    tmp = destination / f".{MANIFEST_NAME}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, destination / MANIFEST_NAME)


def _read_manifest(source: Path) -> dict[str, Any]:
    path = source / MANIFEST_NAME
    if not path.is_file() or not (source / STORE_NAME).is_file():
        raise BackupError(f"{source} is not a diarium backup (no {MANIFEST_NAME} and "
                          f"{STORE_NAME})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != "diarium-backup/1":
        raise BackupError(f"{path} is not a diarium backup manifest")
    return data
