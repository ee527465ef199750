"""Open-data dump and backup speed, each against a bare baseline measured side by side in
one run.

    .venv/bin/python benchmarks/opendata_bench.py               # 20,000 documents
    .venv/bin/python benchmarks/opendata_bench.py --rows 2000   # a quick look

Dump: `write_dump` (public projection, gzipped CSV and JSON Lines, manifest with sha256)
against only reading the public projection of every document (`public_records`), the
floor any dump has to pay; the ratio is what writing, compressing and hashing adds.

Backup: `backup` (SQLite online backup, integrity check, row counts, files copied through
the FileStore and hashed again) against a plain `shutil.copyfile` of the store file and
the files; then a second, incremental run (nothing new to copy).

The register comes from tests/manifests.py (about five documents per case, two
organisations, a small file on every tenth row), imported with `import_manifest`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import manifests  # noqa: E402  (the tests' generator)

from diarium.backup import backup  # noqa: E402
from diarium.config import load_settings  # noqa: E402
from diarium.opendata.dump import write_dump  # noqa: E402
from diarium.pipeline.importing import import_manifest  # noqa: E402
from diarium.public import public_records  # noqa: E402
from diarium.store import Store  # noqa: E402

T = TypeVar("T")


def timed(func: Callable[[], T]) -> tuple[T, float, float]:
    """func's result, wall-clock and CPU seconds of this process (on a shared machine the
    wall clock also measures the neighbours)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = func()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=500)
    args = parser.parse_args()
    if args.rows < 10 or args.files < 1:
        parser.error("--rows must be at least 10 and --files at least 1")
    with tempfile.TemporaryDirectory(prefix="opendata-bench-") as tmp:
        root = Path(tmp)
        data = root / "data"
        data.mkdir()
        export = root / "export"
        names = manifests.make_files(export / "files", args.files)
        manifest = manifests.write_csv(export / "m.csv", manifests.rows(args.rows, names))
        settings = load_settings(data)
        with Store(settings.store_path) as store:
            import_manifest(store, settings, manifest, export / "files")
            _, floor_wall, floor_cpu = timed(
                lambda: sum(1 for _ in public_records(store, settings)))
            report, dump_wall, dump_cpu = timed(lambda: write_dump(store, settings))
        n = report.documents
        print(f"documents {n}, cases {report.cases}, dump {report.bytes / 1e6:.1f} MB "
              f"in {len(report.dump.files)} files")
        print(f"projection only  : {floor_wall:6.2f} s wall {floor_cpu:6.2f} s CPU  "
              f"{n / floor_wall:8.0f} documents/s")
        print(f"write_dump       : {dump_wall:6.2f} s wall {dump_cpu:6.2f} s CPU  "
              f"{n / dump_wall:8.0f} documents/s  ratio {dump_wall / floor_wall:.2f}x wall, "
              f"{dump_cpu / floor_cpu:.2f}x CPU")

        def plain_copy() -> None:
            target = root / "plain"
            target.mkdir()
            shutil.copyfile(settings.store_path, target / "diarium.sqlite")
            shutil.copytree(settings.files_dir, target / "files")

        _, copy_wall, copy_cpu = timed(plain_copy)
        first, backup_wall, backup_cpu = timed(lambda: backup(settings, root / "backup"))
        again, inc_wall, inc_cpu = timed(lambda: backup(settings, root / "backup"))
        store_mb = settings.store_path.stat().st_size / 1e6
        print(f"store {store_mb:.1f} MB, {first.files_copied} files "
              f"({first.bytes_copied / 1e6:.2f} MB)")
        print(f"plain copy       : {copy_wall:6.2f} s wall {copy_cpu:6.2f} s CPU")
        print(f"backup (first)   : {backup_wall:6.2f} s wall {backup_cpu:6.2f} s CPU  "
              f"ratio {backup_wall / copy_wall:.2f}x wall")
        print(f"backup (again)   : {inc_wall:6.2f} s wall {inc_cpu:6.2f} s CPU  "
              f"{again.files_copied} files copied, {again.files_kept} kept")


if __name__ == "__main__":
    main()
