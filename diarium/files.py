"""The content-addressed file store: every writer of files under `<data>/files/` uses it.

A file lives at `files/<first two hex digits>/<sha256>`. It is written to a temporary
name in the same folder (`.<sha256>.<pid>.tmp`) and renamed into place, so a killed
writer never leaves a half file under a final name; `remove_orphans()` deletes the
temporary files of writers that are gone. Files are copied, not moved or linked, so the
store stays complete when the source folder moves.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

CHUNK = 1 << 20


class FileStore:
    """Content-addressed files under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        """Where the file with this sha256 lives (whether or not it is there)."""
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str, size: int | None = None) -> bool:
        """Whether the file is stored (and, given `size`, whole)."""
        target = self.path(sha256)
        return target.is_file() and (size is None or target.stat().st_size == size)

    def add_file(self, source: Path, known: tuple[str, int] | None = None) -> tuple[str, int]:
        """Copy `source` into the store unless it is there already; returns
        (sha256, size). `known` skips hashing when the caller has hashed it. Raises
        OSError when the source cannot be read or the store written."""
        sha, size = known if known is not None else hash_file(source)
        if not self.has(sha, size):
            self._write(sha, lambda tmp: shutil.copyfile(source, tmp))
        return sha, size

    def add_bytes(self, data: bytes) -> tuple[str, int]:
        """Store `data` unless it is there already; returns (sha256, size)."""
        sha = hashlib.sha256(data).hexdigest()
        if not self.has(sha, len(data)):
            self._write(sha, lambda tmp: tmp.write_bytes(data))
        return sha, len(data)

    def remove_orphans(self) -> int:
        """Delete temporary files left by killed writers (their process is gone);
        returns how many were deleted."""
        removed = 0
        for tmp in self.root.glob("*/.*.tmp"):
            try:
                pid = int(tmp.name.rsplit(".", 2)[-2])
            except ValueError:
                continue
            if pid != os.getpid() and not process_alive(pid):
                tmp.unlink(missing_ok=True)
                removed += 1
        return removed

    def _write(self, sha: str, fill: Callable[[Path], object]) -> None:
        target = self.path(sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{sha}.{os.getpid()}.tmp")
        try:
            fill(tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)


def hash_file(path: Path) -> tuple[str, int]:
    """(sha256, size) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with Path(path).open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def process_alive(pid: int) -> bool:
    """Whether a process with this pid exists (also one of another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
