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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import manifests  # noqa: E402  (the tests' generator, shared so both measure one thing)

from diarium.config import load_settings  # noqa: E402
from diarium.importer import import_manifest  # noqa: E402
from diarium.store import Store  # noqa: E402


def bare_insert(manifest: Path, store_path: Path) -> float:
    """Seconds to read the CSV and executemany its rows into a fresh store."""
    started = time.perf_counter()
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
    return time.perf_counter() - started


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

        bare = bare_insert(manifest, work / "bare.sqlite")
        settings = load_settings(work / "data")
        with Store(settings.store_path) as store:
            first = import_manifest(store, settings, manifest, work / "files")
            again = import_manifest(store, settings, manifest, work / "files")
        assert first.inserted == args.rows and again.changes == 0

    rate = lambda seconds: args.rows / seconds  # noqa: E731
    print(f"import benchmark: {args.rows:,} rows, {first.files_stored:,} files")
    print(f"  bare executemany      {bare:7.2f} s  {rate(bare):10,.0f} rows/s")
    print(f"  diarium import        {first.seconds:7.2f} s  {rate(first.seconds):10,.0f} rows/s")
    print(f"  re-import (0 changes) {again.seconds:7.2f} s  {rate(again.seconds):10,.0f} rows/s")
    print(f"  ratio import / bare   {first.seconds / bare:7.1f} x")
    print(f"  ratio re-import / bare {again.seconds / bare:6.1f} x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
