"""Import speed: rows/s of `diarium import` on a generated manifest, against a bare
`executemany` insert of the same rows into the same schema (our overhead), measured side by
side in one run.

    .venv/bin/python benchmarks/import_bench.py               # 100,000 rows
    .venv/bin/python benchmarks/import_bench.py --rows 2000   # a quick look

The manifest comes from tests/manifests.py: about five documents per case, two
organisations, a file on every tenth row (--files distinct small files). The bare baseline
reads the same CSV with the csv module and inserts organisations, cases and documents with
`executemany` in one transaction: no validation, no diarienummer parsing, no hashing, no
files, no change log. Both write to a fresh store on the same disk.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import manifests  # noqa: E402  (the tests' generator, shared so both measure one thing)

from diarium.config import load_settings  # noqa: E402
from diarium.pipeline.importing import import_manifest  # noqa: E402
from diarium.store import Store  # noqa: E402

T = TypeVar("T")


def bare_insert(manifest: Path, store_path: Path) -> None:
    """Read the CSV and executemany its rows into a fresh store."""
    with Store(store_path) as store, store.transaction() as conn:
        orgs: dict[str, int] = {}
        cases: dict[tuple[int, str], int] = {}
        docs = []
        with manifest.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                org = orgs.setdefault(row["organisation"], len(orgs) + 1)
                case = cases.setdefault((org, row["diarienummer"]), len(cases) + 1)
                docs.append((case, int(row["lopnummer"]), row["datum"], row["riktning"],
                             row["handlingstyp"], row["rubrik"], row["part"], row["sekretess"],
                             row["publicerad"] == "ja", row["fil"], "{}", ""))
        conn.executemany("INSERT INTO organisations (id, slug) VALUES (?, ?)",
                         [(i, slug) for slug, i in orgs.items()])
        conn.executemany("INSERT INTO cases (id, organisation_id, diarienummer, dnr_key) "
                         "VALUES (?, ?, ?, ?)",
                         [(i, org, dnr, dnr) for (org, dnr), i in cases.items()])
        conn.executemany(
            "INSERT INTO documents (case_id, lopnummer, datum, riktning, handlingstyp, rubrik, "
            "part, sekretess, publicerad, fil, extra, row_hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", docs)


def timed(func: Callable[[], T]) -> tuple[T, float, float]:
    """func's result, wall-clock seconds and this process's CPU seconds. CPU time is shown
    too because on a shared machine wall-clock time also measures the neighbours."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = func()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="manifest rows")
    parser.add_argument("--files", type=int, default=1000, help="distinct document files")
    args = parser.parse_args(argv)
    if args.rows < 10 or args.files < 1:
        parser.error("--rows must be at least 10 and --files at least 1")

    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        work = Path(tmp)
        files = manifests.make_files(work / "files", min(args.files, args.rows))
        manifest = manifests.write_csv(work / "manifest.csv", manifests.rows(args.rows, files))

        _, bare, bare_cpu = timed(lambda: bare_insert(manifest, work / "bare.sqlite"))
        settings = load_settings(work / "data")
        with Store(settings.store_path) as store:
            first, wall1, cpu1 = timed(
                lambda: import_manifest(store, settings, manifest, work / "files"))
            again, wall2, cpu2 = timed(
                lambda: import_manifest(store, settings, manifest, work / "files"))
        assert first.inserted == args.rows and again.changes == 0

    def line(name: str, wall: float, cpu: float) -> None:
        print(f"  {name:<22} {wall:7.2f} s {args.rows / wall:9,.0f} rows/s   "
              f"cpu {cpu:6.2f} s {args.rows / max(cpu, 1e-9):9,.0f} rows/s")

    print(f"import benchmark: {args.rows:,} rows, {first.files_stored:,} files")
    line("bare executemany", bare, bare_cpu)
    line("diarium import", wall1, cpu1)
    line("re-import (0 changes)", wall2, cpu2)
    print(f"  ratio import / bare      {wall1 / bare:5.1f} x wall   {cpu1 / bare_cpu:5.1f} x cpu")
    print(f"  ratio re-import / bare   {wall2 / bare:5.1f} x wall   {cpu2 / bare_cpu:5.1f} x cpu")
    return 0


if __name__ == "__main__":
    sys.exit(main())
