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
   neutral reader; Debian poppler-utils): word-multiset and word-pair Jaccard;
5. the two documents whose pages the per-page check flags (a plan drawing, a table
   annex): pdfium with pdfminer.six for the flagged pages (the fallback before) against
   pdfium with the geometric reader (extractors/pdf_layout.py), CPU and closeness to
   poppler side by side (`--flagged`: only this section).

    .venv/bin/python benchmarks/extract_bench.py --end-to-end --es-url http://127.0.0.1:9250

--end-to-end instead measures files to searchable Elasticsearch documents, as FSCrawler
was measured in issue 19: each run a fresh process and data folder (init, import of the
corpus files with a generated register manifest, extract with OCR off, index into a new
index on the node, deleted afterwards), runs alternating between the --e2e-workers
counts and the --e2e-modes (sequential: extract, then index; overlap: both at once,
diarium.pipeline.overlap), medians per stage: CPU of the process and its children, wall
seconds, the node's own CPU, the load average, and the ratio to FSCrawler's figures, for
the whole process and up to the moment the documents are searchable (no clean-up).

    .venv/bin/python benchmarks/extract_bench.py --end-to-end \
        --fscrawler /work/fscrawler-dist/fscrawler-distribution-3.0-SNAPSHOT

--fscrawler measures FSCrawler in the same run, one run before diarium's in each round,
on the same node and files (built by benchmarks/fscrawler/build.sh, never in CI; settings
from benchmarks/fscrawler/_settings.yaml.template), and prints the ratios from this run's
medians; without it, the ratios use issue 19's figures for FSCrawler, labelled as such.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from diarium.indexer.base import SearchBackend

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import extraction_fixtures as fx  # noqa: E402

from diarium.config import load_settings  # noqa: E402
from diarium.extractors.base import ExtractOptions, extension_of  # noqa: E402
from diarium.extractors.normalize import normalize  # noqa: E402
from diarium.extractors.pdf import read_pdfminer  # noqa: E402
from diarium.extractors.registry import extract_file  # noqa: E402
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
    """CPU seconds of this process's waited-for children (a finished subprocess)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def descendants_cpu() -> float:
    """CPU seconds of every descendant of this process, finished or alive: the waited-for
    children (getrusage) and each live descendant's own and waited-for CPU (psutil). The
    extraction workers are children of the pool's fork server, which lives as long as
    this process (diarium.pipeline.extracting.pool_context), so getrusage alone never
    sees them."""
    import psutil

    total = children_cpu()
    for proc in psutil.Process().children(recursive=True):
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def reap_pool() -> None:
    """End the extraction pool's fork server and wait for it, so that its CPU (with its
    workers') is in this process's getrusage children when this process exits, as a
    parent measuring it with getrusage expects."""
    import psutil

    for proc in psutil.Process().children():
        try:
            if "forkserver" in " ".join(proc.cmdline()):
                proc.terminate()
                os.waitpid(proc.pid, 0)
        except (psutil.Error, ChildProcessError):
            continue


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
            cpu0 = descendants_cpu()
            start = time.perf_counter()
            report = extract(store, settings, ExtractConfig(
                workers=workers, timeout=1800, ocr=False, split_pages=split_pages))
            wall = time.perf_counter() - start
            cpu = descendants_cpu() - cpu0
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


def _jaccard(a: list[Any], b: list[Any]) -> float:
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
        olds = [r[1][index] for r in table]
        news = [r[2][index] for r in table]
        better = sum(1 for o, n in zip(olds, news, strict=True) if n >= o - 0.005)
        print(f"  {label:10s} old median {statistics.median(olds):.3f} mean "
              f"{statistics.mean(olds):.3f} | new median {statistics.median(news):.3f} mean "
              f"{statistics.mean(news):.3f} | new as close or closer (±0.005): "
              f"{better}/{len(table)}")
    print(f"  per document, the {rows} where the paths differ most (all: --quality-rows 0):")
    print(f"  {'document':64s} words old  new   pairs old  new")
    ordered = sorted(table, key=lambda r: -abs(r[2][1] - r[1][1]))
    for name, old, new in ordered if rows == 0 else ordered[:rows]:
        print(f"  {name[:64]:64s} {old[0]:9.3f} {new[0]:5.3f} {old[1]:11.3f} {new[1]:5.3f}")


# --------------------------------------------------------------------------- 5. flagged

FLAGGED = ("livsmedelsverket__LIVSFS-2006_22bil1.pdf", "marks-kommun__melltorp_plankarta.pdf")


def pdfminer_fallback_path(path: Path) -> tuple[str, int]:
    """(text, flagged pages) as before the geometric reader: pdfium's text per page and
    pdfminer.six for every page the check flags."""
    import pypdfium2 as pdfium

    from diarium.extractors.pdf import _GLUED_NUMBER, PdfExtractor, _better, suspect_reason

    pdf = pdfium.PdfDocument(str(path))
    texts: list[str] = []
    flagged: list[int] = []
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            text = _GLUED_NUMBER.sub(r"\1\2 ", textpage.get_text_range().replace("\r\n", "\n"))
            textpage.close()
            page.close()
            texts.append(text)
            if suspect_reason(text):
                flagged.append(index)
    finally:
        pdf.close()
    from diarium.extractors.pdf import PdfPage

    mined = {p.number - 1: p for p in read_pdfminer(path, flagged)[0]} if flagged else {}
    pages = [_better(PdfPage(i + 1, t, "pdfium"), mined.get(i)).text
             for i, t in enumerate(texts)]
    result = PdfExtractor().result([t.replace("\ufffe", "-\n") for t in pages], {},
                                   "application/pdf")
    return result.text, len(flagged)


def flagged_documents(corpus: Path) -> None:
    """The two documents whose pages the check flags: CPU and closeness to poppler of the
    pdfminer fallback (before) and of the geometric reader (now), side by side."""
    print("\n5. the flagged documents: pdfium + pdfminer.six fallback (before) vs pdfium + "
          "geometric reader (now), one process, CPU s; closeness to pdftotext")
    print(f"  {'document':42s} flagged  before s  now s  ratio | words before now | "
          "pairs before now")
    for name in FLAGGED:
        path = corpus / name
        if not path.is_file():
            continue
        cpu = time.process_time()
        before, flagged = pdfminer_fallback_path(path)
        before_cpu = time.process_time() - cpu
        cpu = time.process_time()
        now = extract_file(path, OPTIONS).text
        now_cpu = time.process_time() - cpu
        reference = poppler_text(path)
        b = closeness(before, reference) if reference is not None else (float("nan"),) * 2
        n = closeness(now, reference) if reference is not None else (float("nan"),) * 2
        print(f"  {name[:42]:42s} {flagged:7d} {before_cpu:9.2f} {now_cpu:6.2f} "
              f"{before_cpu / max(now_cpu, 1e-9):5.1f}x | {b[0]:12.3f} {n[0]:.3f} | "
              f"{b[1]:12.3f} {n[1]:.3f}")
    reader_on_unflagged(corpus)


def reader_on_unflagged(corpus: Path, count: int = 15) -> None:
    """How the geometric reader would do on documents it is never given: every page of a
    sample of unflagged PDFs (every 9th) through pdfium's text, the reader and pdfminer.six,
    each against poppler."""
    import pypdfium2 as pdfium

    from diarium.extractors.pdf import _GLUED_NUMBER, PdfExtractor
    from diarium.extractors.pdf_layout import page_text

    paths, formats = corpus_files(corpus, None)
    sample = [p for p in paths if formats.get(p.name) == "pdf" and p.name not in FLAGGED]
    sample = sample[::9][:count]
    rows = []
    for path in sample:
        reference = poppler_text(path)
        if reference is None:
            continue
        pdf = pdfium.PdfDocument(str(path))
        plain: list[str] = []
        laid: list[str] = []
        try:
            for index in range(len(pdf)):
                textpage = pdf[index].get_textpage()
                text = textpage.get_text_range().replace("\r\n", "\n")
                plain.append(_GLUED_NUMBER.sub(r"\1\2 ", text))
                laid.append(page_text(textpage.raw))
                textpage.close()
        finally:
            pdf.close()
        mined = [p.text for p in read_pdfminer(path)[0]]

        def doc(pages: list[str]) -> str:
            return PdfExtractor().result([t.replace("\ufffe", "-\n") for t in pages], {},
                                         "application/pdf").text

        rows.append([closeness(doc(v), reference) for v in (plain, laid, mined)])
    if not rows:
        return
    print(f"  the reader on every page of {len(rows)} unflagged PDFs (never its job; "
          "against pdftotext):")
    for index, label in enumerate(("pdfium text", "geometric reader", "pdfminer.six")):
        words = [r[index][0] for r in rows]
        pairs = [r[index][1] for r in rows]
        print(f"    {label:17s} words median {statistics.median(words):.3f} mean "
              f"{statistics.mean(words):.3f} | pairs median {statistics.median(pairs):.3f} "
              f"mean {statistics.mean(pairs):.3f}")


# --------------------------------------------------------------------------- end to end

# FSCrawler (dadoonet/fscrawler 3.0-SNAPSHOT built from source: Apache Tika, PDFBox), the
# 197 corpus files to searchable documents on the same Elasticsearch 9.2.0 node, OCR off:
# medians of five alternating runs, as stated in issue 19 (not measured by this script).
# Used only without --fscrawler, which measures FSCrawler in the same run instead.
FSCRAWLER_CPU_S = 26.9
FSCRAWLER_WALL_S = 19.6
FSCRAWLER_SOURCE = "issue 19: FSCrawler, 197 corpus files, OCR off, ES 9.2.0, median of 5"
FSCRAWLER_SETTINGS = ROOT / "benchmarks" / "fscrawler" / "_settings.yaml.template"
STAGES = ("start", "init", "import", "extract", "index", "extract+index", "other")


def self_and_children_cpu() -> float:
    """CPU seconds (user + system) of this process and all its descendants."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime + descendants_cpu()


class NodeCpu:
    """The Elasticsearch node's own CPU seconds: /proc/<pid>/stat when the node runs on
    this machine and is readable (pid from _nodes/_local/process), otherwise
    process.cpu.total_in_millis of _nodes/_local/stats/process. The node is shared, so
    other clients' requests in the same seconds count too."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.stat: Path | None = None
        self.source = "_nodes/stats process.cpu.total_in_millis"
        with contextlib.suppress(OSError, ValueError, KeyError, StopIteration):
            nodes = self._get("/_nodes/_local/process?filter_path=nodes.*.process.id")
            pid = int(next(iter(nodes["nodes"].values()))["process"]["id"])
            stat = Path(f"/proc/{pid}/stat")
            stat.read_text()
            self.stat = stat
            self.source = f"/proc/{pid}/stat utime+stime"

    def _get(self, path: str) -> Any:
        return _es(self.url, "GET", path, timeout=30)

    def seconds(self) -> float:
        if self.stat is not None:
            try:
                # Fields after the parenthesised command: utime and stime are 14 and 15.
                fields = self.stat.read_text().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, IndexError, ValueError):
                self.stat = None
                self.source = "_nodes/stats process.cpu.total_in_millis"
        stats = self._get("/_nodes/_local/stats/process?filter_path=nodes.*.process.cpu")
        return float(next(iter(stats["nodes"].values()))["process"]["cpu"]["total_in_millis"]
                     ) / 1000


def write_register(path: Path, names: list[str]) -> Path:
    """A register manifest with one published, non-secret document per corpus file (the
    corpus's own MANIFEST.csv lists files, not register entries); returns its path."""
    import manifests

    rows = manifests.rows(len(names))
    for row, name in zip(rows, names, strict=True):
        row.update(fil=name, publicerad="ja", sekretess="")
    return manifests.write_csv(path, rows)


def end_to_end_run(corpus: Path, limit: int | None, workers: int, es_url: str,
                   engine: str, started_cpu: float, mode: str = "sequential"
                   ) -> dict[str, Any]:
    """One run in this (fresh) process; returns per-stage figures and counts. `mode`
    "sequential": extract, then index; "overlap": both at once (diarium.pipeline.overlap:
    the index created and filled while the files are read)."""
    from diarium.config import write_default_config
    from diarium.pipeline.extracting import start_pool
    from diarium.pipeline.importing import import_manifest
    from diarium.pipeline.indexing import index as run_index
    from diarium.pipeline.overlap import extract_and_index
    from diarium.search import SearchRequest

    paths, _ = corpus_files(corpus, limit)
    node = NodeCpu(es_url) if engine == "elasticsearch" else None
    stages: dict[str, dict[str, float]] = {}
    stages["start"] = {"cpu": started_cpu, "wall": float("nan"), "node": float("nan")}
    out: dict[str, Any] = {"workers": workers, "mode": mode, "files": len(paths),
                           "stages": stages, "node_source": node.source if node else ""}

    class Stage:
        def __init__(self, name: str) -> None:
            self.name = name

        def __enter__(self) -> None:
            self.node = node.seconds() if node else float("nan")
            self.cpu = self_and_children_cpu()
            self.wall = time.perf_counter()

        def __exit__(self, *exc: object) -> None:
            wall = time.perf_counter() - self.wall
            cpu = self_and_children_cpu() - self.cpu
            used = node.seconds() - self.node if node else float("nan")
            stages[self.name] = {"cpu": cpu, "wall": wall, "node": used}

    with tempfile.TemporaryDirectory(prefix="diarium-e2e-") as tmp:
        data = Path(tmp) / "data"
        register = write_register(Path(tmp) / "register.csv", [p.name for p in paths])
        backend = None
        try:
            with Stage("init"):   # diarium init: data folder, diarium.toml, empty store
                config = write_default_config(data)
                # Embeddings are not part of FSCrawler's job (nor of this comparison).
                with config.open("a", encoding="utf-8") as fh:
                    fh.write("\n[semantic]\nenabled = false\n")
                settings = load_settings(data)
                store = Store(settings.store_path)
            with store:
                with Stage("import"):   # diarium import register.csv --files CORPUS
                    # As diarium sync: the workers' fork server starts with the import.
                    start_pool()
                    imported = import_manifest(store, settings, register, corpus)
                def opened() -> SearchBackend:
                    if engine == "elasticsearch":
                        from diarium.indexer.elastic import open_elastic

                        return open_elastic(settings, engine, {
                            "url": es_url, "index": f"bench-e2e-{uuid.uuid4().hex[:12]}"})
                    from diarium.indexer import open_backend

                    return open_backend(settings, engine)

                config = ExtractConfig(workers=workers, timeout=1800, ocr=False)
                if mode == "overlap":
                    # extract and index at once: searchable when it returns
                    with Stage("extract+index"):
                        both = extract_and_index(store, settings, config=config,
                                                 open_backend=opened)
                    backend = both.backend
                    report, indexed = both.extracted, both.indexed
                    out["index_runs"] = both.index_runs
                else:
                    with Stage("extract"):   # diarium extract (OCR off)
                        report = extract(store, settings, config)
                    with Stage("index"):   # diarium index: searchable when it returns
                        backend = opened()
                        indexed = run_index(store, settings, backend)
            # Files to searchable documents ends here (this process's CPU with its
            # workers, the wall clock for the parent to compare with its start).
            out["searchable"] = {"cpu": self_and_children_cpu(), "at": time.time()}
            # Not timed: the documents are searchable (their text too).
            hits = backend.search(SearchRequest(query="och", semantic=False,
                                                with_facets=False, per_page=1)).total
            out.update(inserted=imported.inserted, rejected=imported.rejected,
                       extracted=report.extracted, needs_ocr=report.needs_ocr,
                       failed=report.failed, pages=report.pages,
                       indexed=indexed.indexed, in_index=backend.count(), hits_och=hits)
        finally:
            if backend is not None:
                if engine == "elasticsearch":
                    for name in backend.versioned_indices():
                        backend.delete_index(name)
                backend.close()
    return out


def _es(url: str, method: str, path: str, timeout: float = 60) -> Any:
    request = urllib.request.Request(url.rstrip("/") + path, method=method)
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read() or b"null")


def _es_count(url: str, index: str) -> int | None:
    try:
        return int(_es(url, "GET", f"/{index}/_count", timeout=10)["count"])
    except (OSError, ValueError, KeyError):   # not created yet (404), or a slow answer
        return None


def fscrawler_run(dist: Path, corpus: Path, limit: int | None, es_url: str,
                  indexed_chars: str) -> dict[str, Any]:
    """One FSCrawler run (benchmarks/fscrawler/build.sh builds `dist`): a fresh job with
    fresh indices over a folder holding the same files as diarium's runs (hard links or
    copies, made before the clock starts), `bin/fscrawler JOB --loop 1` (one crawl, then
    exit), OCR off. CPU: the JVM (bin/fscrawler execs it) as this process's waited-for
    child; wall from its start to all documents counted in the index (`_count` polled
    every 0.25 s while it runs; after its exit, a refresh and a count); node CPU as in
    diarium's runs. Its indices and the templates it put are deleted afterwards."""
    paths, _ = corpus_files(corpus, limit)
    node = NodeCpu(es_url)
    nodes = _es(es_url, "GET", "/_nodes/_local?filter_path=nodes.*.version")
    version = next(iter(nodes["nodes"].values()))["version"]
    name = f"bench_fsc_{uuid.uuid4().hex[:10]}"
    docs_index, folder_index = f"{name}_docs", f"{name}_folder"
    out: dict[str, Any] = {"files": len(paths), "node_source": node.source}
    with tempfile.TemporaryDirectory(prefix="diarium-fsc-") as tmp:
        folder = Path(tmp) / "files"
        folder.mkdir()
        for path in paths:   # the same files, and only those (no MANIFEST.csv)
            try:
                os.link(path, folder / path.name)
            except OSError:
                shutil.copyfile(path, folder / path.name)
        job = Path(tmp) / "jobs" / name
        job.mkdir(parents=True)
        from string import Template

        (job / "_settings.yaml").write_text(Template(FSCRAWLER_SETTINGS.read_text(
            encoding="utf-8")).substitute(name=name, url=str(folder), es_url=es_url,
                                          indexed_chars=indexed_chars), encoding="utf-8")
        env = dict(os.environ)
        # The test node has no `GET /` (see benchmarks/fscrawler/build.sh, patch 8).
        env["FS_JAVA_OPTS"] = (env.get("FS_JAVA_OPTS", "") +
                               f" -Dfscrawler.benchmark.es.version={version}").strip()
        log = Path(tmp) / "fscrawler.log"
        command = [str(dist / "bin" / "fscrawler"), "--config_dir", str(job.parent), name,
                   "--loop", "1"]
        seen: list[float] = []
        try:
            node0, cpu0 = node.seconds(), children_cpu()
            wall0 = time.perf_counter()
            with log.open("w", encoding="utf-8") as fh:
                proc = subprocess.Popen(command, stdout=fh, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=env, cwd=tmp)
                while proc.poll() is None:
                    if not seen and (_es_count(es_url, docs_index) or 0) >= len(paths):
                        seen.append(time.perf_counter() - wall0)
                    time.sleep(0.25)
            exited = time.perf_counter() - wall0
            if proc.returncode != 0:
                sys.exit(f"FSCrawler failed (exit {proc.returncode}):\n"
                         + log.read_text(encoding="utf-8", errors="replace")[-4000:])
            _es(es_url, "POST", f"/{docs_index}/_refresh")
            count = _es_count(es_url, docs_index) or 0
            wall = time.perf_counter() - wall0
            cpu, used = children_cpu() - cpu0, node.seconds() - node0
            if count < len(paths):
                sys.exit(f"FSCrawler indexed {count} of {len(paths)} files:\n"
                         + log.read_text(encoding="utf-8", errors="replace")[-4000:])
            out.update(
                total={"cpu": cpu, "wall": wall, "node": used},
                # CPU to the moment of searchability is not separable from the JVM's
                # exit: the whole JVM is counted.
                searchable={"cpu": cpu, "wall": seen[0] if seen else wall, "node": used},
                exited=exited, in_index=count, version=version,
                hits_och=int(_es(es_url, "GET", f"/{docs_index}/_count?q=content:och"
                                 )["count"]))
        finally:
            for index in (docs_index, folder_index):
                with contextlib.suppress(OSError):
                    _es(es_url, "DELETE", f"/{index}")
            for kind in ("_index_template", "_component_template"):
                with contextlib.suppress(OSError):
                    _es(es_url, "DELETE", f"/{kind}/fscrawler_{name}_*")
    return out


def end_to_end(args: argparse.Namespace) -> None:
    """Runs each worker count and mode `args.runs` times, alternating, each in a fresh
    process; prints the per-run rows and the medians."""
    counts = [int(w) for w in args.e2e_workers.split(",") if w.strip()]
    modes = [m.strip() for m in args.e2e_modes.split(",") if m.strip()]
    if not counts or any(w < 1 for w in counts):
        sys.exit("--e2e-workers takes positive worker counts, e.g. 1,2")
    if not modes or set(modes) - {"sequential", "overlap"}:
        sys.exit("--e2e-modes takes sequential and/or overlap")
    configs = [(w, m) for m in modes for w in counts]
    es_url = args.es_url or os.environ.get("DIARIUM_TEST_ES_URL", "")
    if args.engine == "elasticsearch" and not es_url:
        sys.exit("--end-to-end needs --es-url or DIARIUM_TEST_ES_URL "
                 "(source var/engines/env.sh)")
    dist: Path | None = args.fscrawler
    if dist is not None:
        if args.engine != "elasticsearch":
            sys.exit("--fscrawler needs --engine elasticsearch")
        if not (dist / "bin" / "fscrawler").is_file():
            sys.exit(f"--fscrawler: no bin/fscrawler in {dist} (benchmarks/fscrawler/build.sh "
                     "builds the distribution)")
    paths, _ = corpus_files(args.corpus, args.limit)
    print(f"end to end: {len(paths)} files -> searchable documents ({args.engine}"
          f"{' ' + es_url if args.engine == 'elasticsearch' else ''}), OCR off, "
          f"semantic off; {args.runs} runs of {counts} workers x {modes}"
          f"{' and FSCrawler' if dist else ''} alternating, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    if dist is not None:
        built = dist / "diarium-build.txt"
        print(f"  FSCrawler: {dist}"
              + (f" ({built.read_text(encoding='utf-8').strip()})" if built.is_file() else "")
              + f", indexed_chars {args.fscrawler_indexed_chars}, java "
              + (os.environ.get("JAVA_HOME") or shutil.which("java") or "?"))
    runs: dict[tuple[int, str], list[dict[str, Any]]] = {c: [] for c in configs}
    fsc_runs: list[dict[str, Any]] = []
    for round_ in range(args.runs):
        if dist is not None:
            # FSCrawler first in each round, then diarium's configurations: alternating.
            load = os.getloadavg()[0]
            fsc = fscrawler_run(dist, args.corpus, args.limit, es_url,
                                args.fscrawler_indexed_chars)
            fsc["load"] = (load + os.getloadavg()[0]) / 2
            fsc_runs.append(fsc)
            print(f"  run {round_ + 1}, FSCrawler (JVM, --loop 1)   : total "
                  f"{fsc['total']['cpu']:5.1f} CPU-s {fsc['total']['wall']:5.1f} s wall, "
                  f"searchable at {fsc['searchable']['wall']:5.1f} s | exit at "
                  f"{fsc['exited']:.1f} s, node {fsc['total']['node']:.1f} CPU-s, "
                  f"{fsc['in_index']} in the index | load {load:.1f}-"
                  f"{os.getloadavg()[0]:.1f}")
        for workers, mode in configs:
            command = [sys.executable, str(Path(__file__).resolve()), "--e2e-child",
                       str(workers), "--e2e-modes", mode, "--corpus", str(args.corpus),
                       "--engine", args.engine, "--es-url", es_url]
            if args.limit:
                command += ["--limit", str(args.limit)]
            load = os.getloadavg()[0]
            cpu0, wall0, clock0 = children_cpu(), time.perf_counter(), time.time()
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            wall, cpu = time.perf_counter() - wall0, children_cpu() - cpu0
            if done.returncode != 0:
                sys.exit(f"run failed ({workers} workers, {mode}):\n{done.stderr}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            # The whole process as the parent saw it: interpreter start to exit.
            timed = [s for n, s in result["stages"].items() if n != "start"]
            result["total"] = {"cpu": cpu, "wall": wall,
                               "node": sum(s["node"] for s in timed)}
            # Up to the moment the documents were searchable (no check, no clean-up).
            result["searchable"] = {"cpu": result["searchable"]["cpu"],
                                    "wall": result["searchable"]["at"] - clock0,
                                    "node": result["total"]["node"]}
            # What no stage holds: the searchability check, clean-up, interpreter exit
            # (wall: also the interpreter's start).
            result["stages"]["other"] = {
                "cpu": cpu - sum(s["cpu"] for s in result["stages"].values()),
                "wall": wall - sum(s["wall"] for s in timed), "node": float("nan")}
            result["load"] = (load + os.getloadavg()[0]) / 2
            runs[(workers, mode)].append(result)
            s = result["stages"]
            print(f"  run {round_ + 1}, {workers} worker(s), {mode:10s}: total {cpu:5.1f} "
                  f"CPU-s {wall:5.1f} s wall, searchable at {result['searchable']['wall']:5.1f}"
                  " s | " + "  ".join(f"{n} {s[n]['cpu']:.1f}/{s[n]['wall']:.1f}"
                                      for n in STAGES[1:-1] if n in s)
                  + f" | load {load:.1f}-{os.getloadavg()[0]:.1f}"
                  + (f" | {result['index_runs']} index runs" if "index_runs" in result
                     else ""))
    first = next(iter(runs.values()))[0]
    print(f"  each run: {first['inserted']} documents imported ({first['rejected']} "
          f"rejected), {first['extracted']} extracted, {first['needs_ocr']} needs_ocr, "
          f"{first['failed']} failed, {first['pages']} pages; {first['in_index']} in the "
          f"index, {first['hits_och']} match 'och'")
    if first.get("node_source"):
        print(f"  node CPU from {first['node_source']} (a shared node: others' requests "
              "count too)")
    fsc_med: dict[str, dict[str, float]] = {}
    if fsc_runs:
        print(f"  FSCrawler: {fsc_runs[0]['in_index']} in its index, "
              f"{fsc_runs[0]['hits_och']} match content:och (ES {fsc_runs[0]['version']})")
        print(f"\n  medians of {len(fsc_runs)} runs, FSCrawler   CPU-s (the JVM)   wall s   "
              "node CPU-s")
        for name, label in (("searchable", "to searchable"),
                            ("total", "total (JVM exit, refresh)")):
            fsc_med[name] = {key: statistics.median(r[name][key] for r in fsc_runs)
                             for key in ("cpu", "wall", "node")}
            print(f"    {label:30s} {fsc_med[name]['cpu']:10.1f} "
                  f"{fsc_med[name]['wall']:18.1f} {fsc_med[name]['node']:10.1f}")
        print(f"    load average during the runs: median "
              f"{statistics.median(r['load'] for r in fsc_runs):.1f}")
    for (workers, mode), results in runs.items():
        print(f"\n  medians of {len(results)} runs, {workers} worker(s), {mode}   "
              "CPU-s (this process + children)   wall s   node CPU-s")
        present = [n for n in STAGES if n in results[0]["stages"]]
        for name in (*present, "searchable", "total"):
            def med(key: str, name: str = name, results: list[dict[str, Any]] = results
                    ) -> float:
                return statistics.median(
                    (r[name] if name in ("total", "searchable") else r["stages"][name])[key]
                    for r in results)

            def cell(value: float, width: int) -> str:
                return f"{'-':>{width}s}" if value != value else f"{value:{width}.1f}"

            label = {"start": "start (python, imports)",
                     "other": "other (check, clean-up, exit)",
                     "searchable": "to searchable (no clean-up)"}.get(name, name)
            print(f"    {label:30s} {cell(med('cpu'), 10)} {cell(med('wall'), 18)} "
                  f"{cell(med('node'), 10)}")
        print(f"    load average during the runs: median "
              f"{statistics.median(r['load'] for r in results):.1f}")
        if fsc_med:
            for name in ("total", "searchable"):
                cpu, wall, used = (med(k, name) for k in ("cpu", "wall", "node"))
                f = fsc_med[name]
                print(f"    ratio FSCrawler / diarium, {name} (measured in this run): CPU "
                      f"{f['cpu'] / cpu:.2f}x, wall {f['wall'] / wall:.2f}x, node CPU "
                      f"{f['node'] / used:.2f}x; CPU with the node's "
                      f"{(f['cpu'] + f['node']) / (cpu + used):.2f}x (goal at least 3x)")
            continue
        if args.limit or args.corpus.resolve() != CORPUS.resolve():
            print("    (FSCrawler's figures are for the whole corpus: no ratio for this run)")
            continue
        print(f"    FSCrawler, not measured here ({FSCRAWLER_SOURCE}): {FSCRAWLER_CPU_S} "
              f"CPU-s, {FSCRAWLER_WALL_S} s wall")
        for name in ("total", "searchable"):
            cpu, wall = med("cpu", name), med("wall", name)
            print(f"    ratio FSCrawler (issue 19's constants) / diarium, {name}: CPU "
                  f"{FSCRAWLER_CPU_S / cpu:.2f}x, "
                  f"wall {FSCRAWLER_WALL_S / wall:.2f}x (goal at least 3x: at most "
                  f"{FSCRAWLER_CPU_S / 3:.1f} CPU-s and {FSCRAWLER_WALL_S / 3:.1f} s wall)")


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
    parser.add_argument("--end-to-end", action="store_true",
                        help="only files to searchable documents, against FSCrawler")
    parser.add_argument("--e2e-workers", default="1,2",
                        help="worker counts of --end-to-end, comma-separated (default 1,2)")
    parser.add_argument("--e2e-modes", default="sequential,overlap",
                        help="--end-to-end: 'sequential' (extract, then index) and/or "
                             "'overlap' (both at once); default both")
    parser.add_argument("--runs", type=int, default=3,
                        help="runs of each worker count with --end-to-end (default 3)")
    parser.add_argument("--engine", choices=("elasticsearch", "embedded"),
                        default="elasticsearch", help="engine of --end-to-end")
    parser.add_argument("--es-url", default="",
                        help="Elasticsearch node (default: env DIARIUM_TEST_ES_URL)")
    parser.add_argument("--fscrawler", type=Path, default=None, metavar="DIST",
                        help="--end-to-end: also run FSCrawler from this unpacked "
                             "distribution (benchmarks/fscrawler/build.sh), alternating "
                             "with diarium's runs on the same node and files")
    parser.add_argument("--fscrawler-indexed-chars", default="-1",
                        help="FSCrawler's fs.indexed_chars (default -1: the whole text, "
                             "as diarium; FSCrawler's own default is 100000.0)")
    parser.add_argument("--flagged", action="store_true",
                        help="only section 5: the two flagged documents, before and now")
    parser.add_argument("--e2e-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.e2e_child is not None:
        result = end_to_end_run(args.corpus, args.limit, args.e2e_child, args.es_url,
                                args.engine, self_and_children_cpu(), args.e2e_modes)
        reap_pool()
        print(json.dumps(result))
        return
    if args.end_to_end:
        end_to_end(args)
        return
    if args.flagged:
        flagged_documents(args.corpus)
        return
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
    flagged_documents(args.corpus)


def _page_count(path: Path) -> int:
    from diarium.extractors.pdf import page_count

    return page_count(path)


if __name__ == "__main__":
    main()
