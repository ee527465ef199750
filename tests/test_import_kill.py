"""An import killed with SIGKILL midway and run again ends in the same store as an
uninterrupted import of the same manifest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import manifests
import pytest
from test_import import dump

from diarium.config import load_settings
from diarium.pipeline.importing import import_manifest
from diarium.store import Store

ROWS = 50_000

# Imports the manifest, printing rows read after each committed batch.
CHILD = """
import sys
from pathlib import Path
from diarium.config import load_settings
from diarium.pipeline.importing import import_manifest
from diarium.store import Store
settings = load_settings(sys.argv[1])
with Store(settings.store_path) as store:
    import_manifest(store, settings, Path(sys.argv[2]), Path(sys.argv[3]),
                    progress=lambda p: print(p.rows_read, flush=True))
print("done", flush=True)
"""


@pytest.mark.slow
def test_sigkill_midway_then_rerun_equals_uninterrupted(tmp_path: Path) -> None:
    files_dir = tmp_path / "files"
    files = manifests.make_files(files_dir, 200)
    manifest = manifests.write_csv(tmp_path / "m.csv", manifests.rows(ROWS, files))

    whole = load_settings(tmp_path / "whole")
    with Store(whole.store_path) as store:
        report = import_manifest(store, whole, manifest, files_dir)
        assert (report.inserted, report.rejected) == (ROWS, 0)
        expected = dump(store.conn)

    killed = load_settings(tmp_path / "killed")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(killed.data_dir), str(manifest), str(files_dir)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    for line in child.stdout:
        # Kill once a good part is committed: the next batch is then being written.
        if line.strip() == "done" or int(line) >= ROWS * 2 // 5:
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    with Store(killed.store_path) as store:
        partial = store.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        assert 0 < partial < ROWS, "the kill must land midway"
        rerun = import_manifest(store, killed, manifest, files_dir)
        assert rerun.unchanged == partial
        assert rerun.inserted == ROWS - partial
        assert dump(store.conn) == expected

    def stored(root: Path) -> list[str]:
        return sorted(p.name for p in root.rglob("*") if p.is_file())

    assert stored(killed.files_dir) == stored(whole.files_dir)


def test_half_copied_file_of_a_dead_import_is_removed(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "data")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    orphan = settings.files_dir / "ab" / f".ab12.{dead.stdout.strip()}.tmp"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"half a file")
    manifest = manifests.write_csv(tmp_path / "m.csv", manifests.rows(3))
    with Store(settings.store_path) as store:
        import_manifest(store, settings, manifest)
    assert not orphan.exists()
