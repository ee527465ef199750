"""Extraction speed and quality over the real corpus, the old path and the new side by side.

    .venv/bin/python benchmarks/extract_bench.py              # the whole corpus
    .venv/bin/python benchmarks/extract_bench.py --limit 40   # every n-th file

In one run, OCR off throughout:
1. per format, in this process: CPU seconds per file and per page of the new path
   (pdfium first, pdfminer.six for the pages the per-page check flags) and of the old one
   (pdfminer.six for every page, as diarium read PDFs before); other formats have one path;
2. the corpus through the pipeline with one worker (worker CPU) against pdfminer.six alone
   with its defaults (`extract_text`) on the same PDFs; the goal is at most 0.35x;
3. the pipeline with all cores (parallel efficiency), and the corpus's longest PDF alone
   on all cores with and without splitting it into page ranges;
4. per document, how close each path's text comes to poppler's `pdftotext` (a third,
   neutral reader; Debian poppler-utils): word-multiset and word-pair Jaccard.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import extraction_fixtures as fx  # noqa: E402
from diarium.extractors.base import ExtractOptions, extension_of  # noqa: E402
from diarium.extractors.normalize import normalize  # noqa: E402
from diarium.extractors.pdf import read_pdfminer  # noqa: E402
from diarium.extractors.registry import extract_file  # noqa: E402

from diarium.config import load_settings  # noqa: E402
from diarium.pipeline.extracting import ExtractConfig, default_workers, extract  # noqa: E402
from diarium.store import Store  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "real"
FORMATS = ROOT.parent / "shared" / "corpus" / "formats"
_WORD = re.compile(r"[^\W_]+")
OPTIONS = ExtractOptions(ocr=False)


def corpus_files(corpus: Path, limit: int | None) -> tuple[list[Path], dict[str, str]]:
    with open(corpus / "MANIFEST.csv", encoding="utf-8") as fh:
        formats = {row["file"]: row["format"].lower() for row in csv.DictReader(fh)}
    names = sorted(formats)
    if limit:
        # Every n-th file keeps the mix of formats and sizes in a small sample.
        step = max(1, len(names) // limit)
        names = names[::step][:limit]
    return [corpus / n for n in names], formats


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------- 1. per format


def old_pdf_path(path: Path) -> tuple[str, int]:
    """(text, pages) as diarium read PDFs before: pdfminer.six layout analysis per page."""
    from diarium.extractors.pdf import PdfExtractor

    pages, meta = read_pdfminer(path)
    result = PdfExtractor().result([p.text for p in pages], meta, "application/pdf")
    return result.text, len(pages)


def per_format(paths: list[Path], formats: dict[str, str]) -> dict[str, dict[str, str]]:
    """Prints the per-format table; returns {file: {"old": text, "new": text}} for PDFs."""
    rows: dict[str, list[float]] = {}
    texts: dict[str, dict[str, str]] = {}
    for path in paths:
        fmt = formats.get(path.name) or extension_of(path)
        cpu = time.process_time()
        try:
            result = extract_file(path, OPTIONS)
            new_text, pages = result.text, result.page_count
        except Exception:  # noqa: BLE001 - a failed file counts its time, not its pages
            new_text, pages = "", 0
        new_cpu = time.process_time() - cpu
        old_cpu = float("nan")
        if fmt == "pdf":
            cpu = time.process_time()
            try:
                old_text, _ = old_pdf_path(path)
            except Exception:  # noqa: BLE001
                old_text = ""
            old_cpu = time.process_time() - cpu
            texts[path.name] = {"old": old_text, "new": new_text}
        row = rows.setdefault(fmt, [0, 0, 0.0, 0.0])
        row[0] += 1
        row[1] += pages
        row[2] += new_cpu
        row[3] += old_cpu
    print("\n1. per format, one process (CPU ms; 'old' = pdfminer.six on every page)")
    print("  format  files  pages   new ms/file  new ms/page   old ms/file  old ms/page  "
          "new/old")
    for fmt in sorted(rows):
        files, pages, new, old = rows[fmt]
        per_page = f"{1000 * new / pages:11.1f}" if pages else f"{'-':>11s}"
        if old == old:  # not NaN: the format has an old path to compare
            old_cols = (f"{1000 * old / files:12.1f} {1000 * old / max(pages, 1):12.1f}  "
                        f"{new / old:7.3f}x")
        else:
            old_cols = f"{'(same path)':>25s}"
        print(f"  {fmt:6s} {int(files):6d} {int(pages):6d} {1000 * new / files:12.1f} "
              f"{per_page}  {old_cols}")
    return texts


# --------------------------------------------------------------------------- 2./3. pipeline


def run_pipeline(paths: list[Path], workers: int, split_pages: int = 100) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="diarium-bench-") as tmp:
        settings = load_settings(tmp)
        with Store(settings.store_path) as store:
            fx.register_files(store, settings, paths)
            cpu0 = children_cpu()
            start = time.perf_counter()
            report = extract(store, settings, ExtractConfig(
                workers=workers, timeout=1800, ocr=False, split_pages=split_pages))
            wall = time.perf_counter() - start
            cpu = children_cpu() - cpu0
    return {"wall": wall, "cpu": cpu, "pages": float(report.pages),
            "failed": float(report.failed)}


def pdfminer_alone(pdfs: list[Path]) -> float:
    """CPU seconds of pdfminer.six's `extract_text` with its defaults over the PDFs."""
    from pdfminer.high_level import extract_text

    cpu = time.process_time()
    for path in pdfs:
        # A file pdfminer cannot read costs what it cost.
        with contextlib.suppress(Exception):
            extract_text(str(path))
    return time.process_time() - cpu


def line(label: str, r: dict[str, float]) -> str:
    wall, cpu, pages = r["wall"], r["cpu"], r["pages"]
    return (f"  {label:34s} {wall:7.1f} s wall  cpu {cpu:7.1f} s  "
            f"{pages / max(cpu, 1e-9):7.1f} pages/cpu-s  {cpu / wall:4.2f} cores busy")


# --------------------------------------------------------------------------- 4. quality


def poppler_text(path: Path) -> str | None:
    if shutil.which("pdftotext") is None:
        return None
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          timeout=300, check=False)
    return normalize(done.stdout.decode("utf-8", "replace")) if done.returncode == 0 else None


def _jaccard(a: list, b: list) -> float:  # type: ignore[type-arg]
    ca, cb = Counter(a), Counter(b)
    union = sum((ca | cb).values())
    return 1.0 if union == 0 else sum((ca & cb).values()) / union


def closeness(text: str, reference: str) -> tuple[float, float]:
    """(word-multiset Jaccard, word-pair Jaccard) of a text against the reference."""
    a = [w.lower() for w in _WORD.findall(text)]
    b = [w.lower() for w in _WORD.findall(reference)]
    return _jaccard(a, b), _jaccard(list(zip(a, a[1:], strict=False)),
                                    list(zip(b, b[1:], strict=False)))


def quality(pdfs: list[Path], texts: dict[str, dict[str, str]], rows: int) -> None:
    if shutil.which("pdftotext") is None:
        print("\n4. quality: pdftotext (Debian poppler-utils) is not installed; skipped")
        return
    table = []
    for path in pdfs:
        reference = poppler_text(path)
        if reference is None or path.name not in texts:
            continue
        old = closeness(texts[path.name]["old"], reference)
        new = closeness(texts[path.name]["new"], reference)
        table.append((path.name, old, new))
    if not table:
        return
    print(f"\n4. quality against poppler's pdftotext, {len(table)} PDFs "
          "(Jaccard of words / of word pairs; 1.000 = the same)")
    for label, index in (("words", 0), ("word pairs", 1)):
        old = [r[1][index] for r in table]
        new = [r[2][index] for r in table]
        better = sum(1 for o, n in zip(old, new, strict=True) if n >= o - 0.005)
        print(f"  {label:10s} old median {statistics.median(old):.3f} mean "
              f"{statistics.mean(old):.3f} | new median {statistics.median(new):.3f} mean "
              f"{statistics.mean(new):.3f} | new as close or closer (±0.005): "
              f"{better}/{len(table)}")
    print(f"  per document, the {rows} where the paths differ most (all: --quality-rows 0):")
    print(f"  {'document':64s} words old  new   pairs old  new")
    ordered = sorted(table, key=lambda r: -abs(r[2][1] - r[1][1]))
    for name, old, new in ordered if rows == 0 else ordered[:rows]:
        print(f"  {name[:64]:64s} {old[0]:9.3f} {new[0]:5.3f} {old[1]:11.3f} {new[1]:5.3f}")


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only N corpus files")
    parser.add_argument("--workers", type=int, default=default_workers(),
                        help="workers of the parallel run (default: all cores)")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--formats", type=Path, default=FORMATS,
                        help="folder with .msg files to add to the per-format table")
    parser.add_argument("--quality-rows", type=int, default=15)
    parser.add_argument("--no-parallel", action="store_true",
                        help="skip the all-cores and page-range runs (section 3)")
    args = parser.parse_args()
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    paths, formats = corpus_files(args.corpus, args.limit)
    pdfs = [p for p in paths if formats.get(p.name) == "pdf"]
    messages = sorted(args.formats.glob("*.msg")) if args.formats.is_dir() else []
    total_mb = sum(p.stat().st_size for p in paths) / 1e6
    print(f"extraction benchmark: {len(paths)} files ({len(pdfs)} PDF), {total_mb:.1f} MB, "
          f"+ {len(messages)} .msg; {args.workers} cores, load average "
          f"{os.getloadavg()[0]:.1f}")

    texts = per_format([*paths, *messages], formats)

    print("\n2. the corpus, pipeline with 1 worker vs pdfminer.six alone on its PDFs (CPU)")
    single = run_pipeline(paths, 1)
    alone = pdfminer_alone(pdfs)
    print(line("pipeline, 1 worker, all files", single))
    print(f"  {'pdfminer.six extract_text, PDFs':34s} cpu {alone:7.1f} s")
    print(f"  ratio pipeline (all {len(paths)} files) / pdfminer.six ({len(pdfs)} PDFs): "
          f"{single['cpu'] / max(alone, 1e-9):.3f}x (goal at most 0.35x)")

    if not args.no_parallel and args.workers > 1:
        print(f"\n3. all cores ({args.workers} workers)")
        parallel = run_pipeline(paths, args.workers)
        print(line(f"pipeline, {args.workers} workers", parallel))
        speedup = single["wall"] / parallel["wall"]
        print(f"  speed-up {speedup:.2f}x, parallel efficiency {speedup / args.workers:.0%} "
              f"(load average now {os.getloadavg()[0]:.1f}; neighbours take cores too)")
        # The corpus's longest PDF even when --limit left it out: the case splitting is for.
        every, _ = corpus_files(args.corpus, None)
        longest = max((p for p in every if formats.get(p.name) == "pdf"), key=_page_count,
                      default=None)
        if longest is not None and _page_count(longest) > 100:
            whole = run_pipeline([longest], args.workers, split_pages=10**9)
            split = run_pipeline([longest], args.workers, split_pages=100)
            print(f"  the longest PDF, {longest.name} ({_page_count(longest)} pages), "
                  f"{args.workers} workers:")
            print(line("  one worker reads it whole", whole))
            print(line("  split into page ranges", split))
            print(f"  wall split / whole: {split['wall'] / whole['wall']:.2f}")

    quality(pdfs, texts, args.quality_rows)


def _page_count(path: Path) -> int:
    from diarium.extractors.pdf import page_count

    return page_count(path)


if __name__ == "__main__":
    main()
