"""Cold-process cost of the Swedish derived fields (compound parts, lemmas, identifiers),
the old code and the new side by side, with a check that they index the same values.

    .venv/bin/python benchmarks/swedish_fields_bench.py --store DATA/diarium.sqlite
    .venv/bin/python benchmarks/swedish_fields_bench.py --limit 40   # extracts the files

The texts are the extracted texts of the real corpus (../shared/corpus/real): read from
the `extractions` table of a diarium store that has extracted it (--store), or extracted
here with OCR off. Each measurement is a fresh Python process that loads the word data and
computes `SwedishExtras.document_fields` (what both engines index) for every text, as
`diarium index` does; it reports CPU seconds for the load, for the fields with cold caches
and for the same fields again (warm), and a SHA-256 of all fields. Runs alternate between:

- `old`: diarium/swedish as of --baseline (a git revision; default the commit before the
  precomputed word data), imported in place of the working tree's package;
- `new, off`: the working tree with DIARIUM_WORD_CACHE=off (the word data decoded
  from the packages, as before, and no per-word memo file: only the faster code);
- `new, first`: the precomputed word data files (built beforehand), an empty per-word
  memo: the first `diarium index` of an installation, or of a corpus of new words;
- `new, rerun`: word data files and the per-word memos the build run left: a reindex,
  or an incremental index that meets few new words.

Medians of --runs runs per path; the checksums must all agree, or the script exits 1.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "real"
DEFAULT_BASELINE = "894bc00"     # before the precomputed word data (issue 19)


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(texts_path: str, baseline_dir: str) -> None:
    """One measurement, in this (fresh) process: prints a JSON line."""
    start = cpu()
    if baseline_dir:
        import importlib.util

        import diarium

        spec = importlib.util.spec_from_file_location(
            "diarium.swedish", Path(baseline_dir) / "__init__.py",
            submodule_search_locations=[baseline_dir])
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["diarium.swedish"] = module
        diarium.swedish = module  # type: ignore[attr-defined]
        spec.loader.exec_module(module)
    from diarium.indexer.derived import SwedishExtras
    from diarium.swedish import lemmas, wordlist

    assert (not baseline_dir) or wordlist.__file__.startswith(baseline_dir)
    texts = json.loads(Path(texts_path).read_text(encoding="utf-8"))
    extras = SwedishExtras()
    imported = cpu()
    wordlist.load()
    lemmas.load()
    loaded = cpu()
    fields = [extras.document_fields(t) for t in texts]
    cold = cpu()
    again = [extras.document_fields(t) for t in texts]
    warm = cpu()
    assert again == fields
    digest = hashlib.sha256(json.dumps(fields, ensure_ascii=False, sort_keys=True)
                            .encode()).hexdigest()
    print(json.dumps({"import": imported - start, "load": loaded - imported,
                      "cold": cold - loaded, "warm": warm - cold, "sha": digest}))


def corpus_texts(store: Path | None, limit: int | None) -> list[str]:
    if store is not None:
        with sqlite3.connect(store) as db:
            rows = db.execute("SELECT text FROM extractions ORDER BY sha256").fetchall()
        texts = [r[0] for r in rows if r[0]]
        return texts[::max(1, len(texts) // limit)][:limit] if limit else texts
    from diarium.extractors.base import ExtractOptions
    from diarium.extractors.registry import extract_file

    with open(CORPUS / "MANIFEST.csv", encoding="utf-8") as handle:
        names = sorted(row["file"] for row in csv.DictReader(handle))
    if limit:
        names = names[::max(1, len(names) // limit)][:limit]
    texts = []
    for name in names:
        try:
            texts.append(extract_file(CORPUS / name, ExtractOptions(ocr=False)).text)
        except Exception as exc:    # a file that fails to extract is not indexed either
            print(f"skipped {name}: {exc}", file=sys.stderr)
    return [t for t in texts if t]


def export_baseline(revision: str, into: Path) -> Path:
    """diarium/swedish at `revision`, written under `into`."""
    folder = into / "swedish"
    folder.mkdir()
    listing = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "--name-only",
                              f"{revision}:diarium/swedish"], check=True,
                             capture_output=True, text=True).stdout.split()
    for name in listing:
        if name.endswith(".py"):
            data = subprocess.run(["git", "-C", str(ROOT), "show",
                                   f"{revision}:diarium/swedish/{name}"],
                                  check=True, capture_output=True).stdout
            (folder / name).write_bytes(data)
    return folder


def measure(texts_path: Path, baseline: str, cache: str) -> dict[str, Any]:
    env = dict(os.environ, DIARIUM_WORD_CACHE=cache)
    out = subprocess.run([sys.executable, __file__, "--child", str(texts_path),
                          "--baseline-dir", baseline], env=env, check=True,
                         capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, help="a diarium.sqlite with the corpus extracted")
    parser.add_argument("--limit", type=int, help="every n-th text only")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="git revision")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--baseline-dir", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.baseline_dir)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        texts = corpus_texts(args.store, args.limit)
        texts_path = work / "texts.json"
        texts_path.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        old_dir = str(export_baseline(args.baseline, work))
        files = work / "word-cache"
        measure(texts_path, "", str(files))     # builds the files and memos, not timed
        tables = [p for p in files.iterdir() if "-memo-" not in p.name]
        assert len(tables) == 2, tables
        print(f"{len(texts)} texts, {sum(map(len, texts)) / 1e6:.1f} M characters; "
              f"median of {args.runs} fresh processes per path, CPU seconds")
        paths = {"old": (old_dir, "off"), "new, off": ("", "off"),
                 "new, first": ("", "first"), "new, rerun": ("", str(files))}
        results: dict[str, list[dict[str, Any]]] = {name: [] for name in paths}
        for run in range(args.runs):
            for name, (baseline, cache) in paths.items():
                if cache == "first":    # the tables, no memo: a folder of its own
                    first = work / f"first-{run}"
                    first.mkdir()
                    for table in tables:
                        shutil.copy(table, first / table.name)
                    cache = str(first)
                results[name].append(measure(texts_path, baseline, cache))
        print(f"{'path':<14}{'load':>7}{'cold':>7}{'total':>7}{'warm':>7}  checksum")
        totals = {}
        for name, runs in results.items():
            med = {k: statistics.median(r[k] for r in runs)
                   for k in ("import", "load", "cold", "warm")}
            totals[name] = med["import"] + med["load"] + med["cold"]
            shas = {r["sha"] for r in runs}
            print(f"{name:<14}{med['import'] + med['load']:7.2f}{med['cold']:7.2f}"
                  f"{totals[name]:7.2f}{med['warm']:7.2f}  {','.join(s[:12] for s in shas)}")
        for name in ("new, first", "new, rerun"):
            print(f"{name} / old: {totals[name] / totals['old']:.2f}x of the cold-process "
                  f"CPU (load + cold fields)")
        all_shas = {r["sha"] for runs in results.values() for r in runs}
        if len(all_shas) != 1:
            print("FIELDS DIFFER between the paths", file=sys.stderr)
            sys.exit(1)
        print("fields identical on every path")


if __name__ == "__main__":
    main()
