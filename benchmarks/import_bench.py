"""Import speed: rows/s of `diarium import` on a generated manifest, against a bare
`executemany` insert of the same rows into the same schema (our overhead), measured side by
side in one run.

    .venv/bin/python benchmarks/import_bench.py               # 100,000 rows
    .venv/bin/python benchmarks/import_bench.py --rows 2000   # a quick look
    .venv/bin/python benchmarks/import_bench.py --erms        # ERMS XML vs CSV, 100,000
    .venv/bin/python benchmarks/import_bench.py --erms --export noark5   # or fgs1

`--erms` compares instead an XML register export (CITS ERMS, written by
tests/xml_exports.py) with the CSV manifest of the same rows: each is imported into a fresh
store by its own child process, side by side in one run, printing rows/s (wall and CPU)
and the child's peak RSS (and that of the XML reader process it starts for a large export;
CPU is both processes'). Targets (issue 12), at 1,000,000 documents: peak RSS at most
300 MB and ERMS rows/s within 1.5x of the CSV import.

The manifest comes from tests/manifests.py: about five documents per case, two
organisations, a file on every tenth row (--files distinct small files). The bare baseline
reads the same CSV with the csv module and inserts organisations, cases and documents with
`executemany` in one transaction: no validation, no diarienummer parsing, no hashing, no
files, no change log. Both write to a fresh store on the same disk.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import manifests  # noqa: E402  (the tests' generator, shared so both measure one thing)
import xml_exports  # noqa: E402

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


# One import in a child process, so that each has its own peak RSS.
CHILD = """
import json, os, resource, sys
from pathlib import Path
from diarium.config import load_settings
from diarium.pipeline.importing import import_manifest
from diarium.store import Store

def peak_rss():
    # VmHWM: this process image's high-water mark in KiB (ru_maxrss would include the
    # benchmark parent's memory at fork time).
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

settings = load_settings(sys.argv[1])
before = os.times()
with Store(settings.store_path) as store:
    report = import_manifest(store, settings, Path(sys.argv[2]), Path(sys.argv[3]),
                             organisation=sys.argv[4] if sys.argv[2].endswith(".xml") else None)
after = os.times()
# CPU of this process and of the XML reader process it ran (a large export is parsed
# by a second process beside the writer), and the reader's peak RSS.
print(json.dumps({"rows": report.rows_read, "inserted": report.inserted,
                  "rejected": report.rejected, "seconds": report.seconds,
                  "cpu": (after.user + after.system) - (before.user + before.system),
                  "reader_cpu": (after.children_user + after.children_system)
                                - (before.children_user + before.children_system),
                  "reader_rss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "rss": peak_rss()}))
"""


def child_import(data: Path, export: Path, files: Path) -> dict[str, float]:
    """The report of one import run by a fresh interpreter (its CPU, peak RSS, reader's)."""
    result = subprocess.run([sys.executable, "-c", CHILD, str(data), str(export), str(files),
                             "ks"], stdout=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"import of {export.name} failed ({result.returncode})")
    return dict(json.loads(result.stdout))


WRITERS = {"erms": ("ERMS export", xml_exports.write_erms),
           "fgs1": ("FGS 1.0 export", xml_exports.write_fgs),
           "noark5": ("Noark 5 export", xml_exports.write_noark5)}


def erms_vs_csv(rows: int, file_count: int, fmt: str = "erms") -> int:
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        work = Path(tmp)
        files = manifests.make_files(work / "files", min(file_count, rows))
        register = [{**row, "organisation": "ks"} for row in manifests.rows(rows, files)]
        (work / "xml").mkdir()
        label, writer = WRITERS[fmt]
        xml = writer(work / "xml" / "export.xml", register)
        manifest = manifests.write_csv(work / "manifest.csv", register)
        results = {}
        for name, export in (("CSV manifest", manifest), (label, xml)):
            report = child_import(work / f"data-{export.suffix[1:]}", export, work / "files")
            assert report["inserted"] == rows and report["rejected"] == 0, report
            results[name] = (report["seconds"], report["cpu"], report["reader_cpu"],
                             report["rss"] / 1024, report["reader_rss"] / 1024)
        size = xml.stat().st_size / 1e6
    print(f"import benchmark, {label} vs CSV: {rows:,} documents, "
          f"{min(file_count, rows):,} files, XML file {size:,.0f} MB")
    for name, (wall, cpu, reader_cpu, rss, reader_rss) in results.items():
        reader = (f"  (reader process: cpu {reader_cpu:5.2f} s, peak RSS {reader_rss:4.0f} MB)"
                  if reader_cpu else "")
        total = cpu + reader_cpu
        print(f"  {name:<14} {wall:7.2f} s {rows / wall:9,.0f} rows/s   cpu {total:6.2f} s "
              f"{rows / max(total, 1e-9):9,.0f} rows/s   peak RSS {rss:4.0f} MB{reader}")
    csv_wall, csv_cpu, _, _, _ = results["CSV manifest"]
    xml_wall, xml_cpu, xml_reader, _, _ = results[label]
    # With a core free for each process, the slower of the two sets the pace.
    print(f"  ratio XML / CSV      {xml_wall / csv_wall:5.2f} x wall   "
          f"{(xml_cpu + xml_reader) / csv_cpu:5.2f} x cpu (both processes)   "
          f"{max(xml_cpu, xml_reader) / csv_cpu:5.2f} x cpu of the busier process")
    print("  targets at 1,000,000 documents: within 1.5 x of CSV, peak RSS <= 300 MB")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="manifest rows")
    parser.add_argument("--files", type=int, default=1000, help="distinct document files")
    parser.add_argument("--erms", action="store_true",
                        help="compare an XML export (ERMS unless --export) with the CSV of "
                             "the same rows")
    parser.add_argument("--export", choices=sorted(WRITERS), default="erms",
                        help="the XML format for --erms")
    args = parser.parse_args(argv)
    if args.rows < 10 or args.files < 1:
        parser.error("--rows must be at least 10 and --files at least 1")
    if args.erms:
        return erms_vs_csv(args.rows, args.files, args.export)

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
