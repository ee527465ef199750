"""Extraction speed over the real corpus: the pipeline with 1 worker and with all cores
(parallel efficiency), and the same PDFs through pypdfium2 as the physical reference.

    .venv/bin/python benchmarks/extract_bench.py              # the whole corpus
    .venv/bin/python benchmarks/extract_bench.py --limit 20   # smoke run

Prints wall-clock and CPU figures side by side (on a shared machine the wall clock also
measures the neighbours), a table of counts by format and state, and how close pypdfium2's
text comes to pdfminer.six's (word-set overlap), which decides whether pdfium could be the
fast path. OCR is off: it measures text extraction.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import extraction_fixtures as fx  # noqa: E402

from diarium.config import load_settings  # noqa: E402
from diarium.pipeline.extracting import ExtractConfig, default_workers, extract  # noqa: E402
from diarium.store import Store  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "real"
_WORD = re.compile(r"[^\W\d_]{3,}")


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


def run_pipeline(paths: list[Path], workers: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="diarium-bench-") as tmp:
        settings = load_settings(tmp)
        with Store(settings.store_path) as store:
            fx.register_files(store, settings, paths)
            cpu0 = children_cpu()
            start = time.perf_counter()
            report = extract(store, settings, ExtractConfig(workers=workers, timeout=1800,
                                                            ocr=False))
            wall = time.perf_counter() - start
            cpu = children_cpu() - cpu0
            rows = store.conn.execute(
                "SELECT df.name, f.state, e.text, fl.kind FROM files f "
                "JOIN document_files df ON df.sha256 = f.sha256 "
                "LEFT JOIN extractions e ON e.sha256 = f.sha256 "
                "LEFT JOIN failures fl ON fl.sha256 = f.sha256").fetchall()
            states = {r[0]: (r[1], r[2] or "", r[3]) for r in rows}
    return {"wall": wall, "cpu": cpu, "pages": report.pages, "bytes": report.bytes,
            "report": report, "states": states}


def run_pdfium(paths: list[Path]) -> dict[str, object]:
    import pypdfium2 as pdfium

    pages = 0
    size = 0
    texts: dict[str, str] = {}
    cpu0 = time.process_time()
    start = time.perf_counter()
    for path in paths:
        try:
            pdf = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError:
            continue
        parts = []
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            parts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        pages += len(pdf)
        size += path.stat().st_size
        texts[path.name] = "\n".join(parts)
        pdf.close()
    return {"wall": time.perf_counter() - start, "cpu": time.process_time() - cpu0,
            "pages": pages, "bytes": size, "texts": texts}


def overlap(a: str, b: str) -> float:
    """Share of words (3+ letters, lower-cased) the two texts have in common (Jaccard)."""
    wa = {w.lower() for w in _WORD.findall(a)}
    wb = {w.lower() for w in _WORD.findall(b)}
    if not wa and not wb:
        return 1.0
    return len(wa & wb) / len(wa | wb)


def _merge(parts: list[dict[str, object]]) -> dict[str, object]:
    merged: dict[str, object] = {"wall": 0.0, "cpu": 0.0, "pages": 0, "bytes": 0, "states": {}}
    for part in parts:
        for key in ("wall", "cpu", "pages", "bytes"):
            merged[key] += part[key]  # type: ignore[operator]
        merged["states"].update(part["states"])  # type: ignore[union-attr]
    return merged


def line(label: str, r: dict[str, object]) -> str:
    wall, cpu = float(r["wall"]), float(r["cpu"])  # type: ignore[arg-type]
    pages, size = int(r["pages"]), int(r["bytes"])  # type: ignore[call-overload]
    return (f"  {label:28s} {wall:8.1f} s wall {pages / wall:8.1f} pages/s "
            f"{size / wall / 1e6:6.2f} MB/s   cpu {cpu:7.1f} s {pages / max(cpu, 1e-9):8.1f} "
            f"pages/cpu-s  {cpu / wall:4.2f} cores busy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only N corpus files")
    parser.add_argument("--workers", type=int, default=default_workers(),
                        help="workers of the parallel run (default: all cores)")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--chunks", type=int, default=1,
                        help="alternate the two runs over this many slices of the files "
                             "(for a machine whose load changes; each slice's longest file "
                             "then caps the parallel run)")
    args = parser.parse_args()
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    paths, formats = corpus_files(args.corpus, args.limit)
    pdfs = [p for p in paths if formats.get(p.name) == "pdf"]
    total_mb = sum(p.stat().st_size for p in paths) / 1e6
    print(f"extraction benchmark: {len(paths)} files ({len(pdfs)} PDF), {total_mb:.1f} MB, "
          f"{args.workers} cores")
    # The machine is shared: run both configurations chunk by chunk, alternating which goes
    # first, so that both see the same neighbours and the ratio holds.
    chunks = [paths[i::args.chunks] for i in range(args.chunks)]
    runs: dict[int, list[dict[str, object]]] = {1: [], args.workers: []}
    for index, chunk in enumerate(c for c in chunks if c):
        order = (args.workers, 1) if index % 2 == 0 else (1, args.workers)
        for workers in order:
            runs[workers].append(run_pipeline(chunk, workers))
    single = _merge(runs[1])
    parallel = _merge(runs[args.workers])
    pdf_only = run_pdfium(pdfs)
    print(line("pipeline, 1 worker", single))
    print(line(f"pipeline, {args.workers} workers", parallel))
    speedup = float(single["wall"]) / float(parallel["wall"])  # type: ignore[arg-type]
    print(f"  speed-up {speedup:.2f} x, parallel efficiency {speedup / args.workers:.0%}; "
          f"the machine's load average at the end: {os.getloadavg()[0]:.1f} "
          "(a busy shared machine leaves the pool fewer cores than workers)")
    print(line("pypdfium2, PDFs only, 1 proc", pdf_only))
    states = parallel["states"]  # type: ignore[assignment]
    scored = {p.name: overlap(states[p.name][1], pdf_only["texts"].get(p.name, ""))  # type: ignore
              for p in pdfs if states[p.name][0] == "extracted"}
    scores = list(scored.values())
    if scores:
        print(f"  pdfium vs pdfminer word overlap over {len(scores)} PDFs: median "
              f"{statistics.median(scores):.3f}, 10th percentile "
              f"{sorted(scores)[len(scores) // 10]:.3f}, min {min(scores):.3f}")
        worst = sorted((s, n) for n, s in scored.items())[:3]
        print("  lowest overlap: " + ", ".join(f"{n} {s:.2f}" for s, n in worst))
    table: Counter[tuple[str, str]] = Counter()
    kinds: Counter[str] = Counter()
    for name, (state, _, kind) in states.items():  # type: ignore[union-attr]
        table[(formats.get(name, "?"), state)] += 1
        if kind:
            kinds[kind] += 1
    print("\n  format  files  extracted  needs_ocr  failed")
    for fmt in sorted({f for f, _ in table}):
        counts = [table[(fmt, s)] for s in ("extracted", "needs_ocr", "failed")]
        print(f"  {fmt:6s} {sum(counts):6d} {counts[0]:10d} {counts[1]:10d} {counts[2]:7d}")
    if kinds:
        print("  failures by kind: " + json.dumps(dict(kinds)))


if __name__ == "__main__":
    main()
