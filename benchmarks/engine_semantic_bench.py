"""Hybrid search on Elasticsearch/OpenSearch against the embedded engine, over the real
corpus: quality per query kind and latency, side by side in one run.

    source var/engines/env.sh
    .venv/bin/python benchmarks/engine_semantic_bench.py [--data var/bench/semantic-real]
        [--engine elasticsearch=URL] [--engine opensearch=URL] [--repeats 3]

The corpus is built and embedded once by benchmarks/semantic_eval.py's `build` (the same
`--data`); each engine gets a fresh index of it (vectors from the store, deleted at the
end). Per engine: whether its vector side runs on the node (kNN) or on the vector file
(fallback), success@10 and MRR per kind of benchmarks/semantic_set.py with hybrid
ranking, how often its first hit is the embedded engine's, and the median and p95 wall
time of keyword-only and hybrid searches (every query, `--repeats` times, interleaved).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["DIARIUM_SEMANTIC"] = "1"

from semantic_eval import KINDS, TOP, build  # noqa: E402
from semantic_set import QUERIES  # noqa: E402

from diarium.indexer import open_backend  # noqa: E402
from diarium.indexer.elastic import ElasticBackend, load_config, vectors  # noqa: E402
from diarium.pipeline.indexing import index  # noqa: E402
from diarium.search import SearchRequest  # noqa: E402
from diarium.store import Store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "var/bench/semantic-real")
    parser.add_argument("--engine", action="append", default=[],
                        help="NAME=URL (default: the test nodes of var/engines/env.sh)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    engines = [tuple(e.split("=", 1)) for e in args.engine] or [
        (name, os.environ[var]) for name, var in (("elasticsearch", "DIARIUM_TEST_ES_URL"),
                                                  ("opensearch", "DIARIUM_TEST_OS_URL"))
        if os.environ.get(var)]
    settings, names = build(args.data, 4, False)
    by_name = {v: k for k, v in names.items()}
    embedded = open_backend(settings, "embedded")
    top_local: dict[str, str | None] = {}
    for query in QUERIES:
        hits = embedded.search(SearchRequest(query=query.query, with_facets=False)).hits
        top_local[query.query] = hits[0].record.doc_id if hits else None
    for name, url in engines:
        backend = ElasticBackend(load_config(settings, name, {
            "url": url, "index": f"bench-semantic-{uuid.uuid4().hex[:8]}"}))
        try:
            backend.setup()
            vectors.attach(backend, settings)
            with Store(settings.store_path) as store:
                index(store, settings, backend)
            backend.semantic = embedded.semantic   # type: ignore[attr-defined]
            assert backend.semantic is not None, "model or vectors missing"
            mode = "kNN on the node" if vectors.native(backend, backend.semantic) \
                else "fallback on the vector file"
            print(f"\n{name} at {url}: {mode}")
            ranks: dict[str, list[int | None]] = {}
            same = 0
            for query in QUERIES:
                targets = {by_name[f] for f in query.files}
                hits = backend.search(SearchRequest(query=query.query, per_page=100,
                                                    with_facets=False)).hits
                ids = [h.record.doc_id for h in hits]
                ranks.setdefault(query.kind, []).append(
                    next((i + 1 for i, d in enumerate(ids) if d in targets), None))
                first = backend.search(SearchRequest(query=query.query,
                                                     with_facets=False)).hits
                same += (first[0].record.doc_id if first else None) == top_local[query.query]
            for kind in KINDS:
                found = ranks.get(kind, [])
                hit = sum(1 for r in found if r is not None and r <= TOP)
                mrr = statistics.fmean([1 / r if r else 0.0 for r in found]) if found else 0.0
                print(f"  {kind:<12} hybrid s@10 {hit}/{len(found)}  MRR {mrr:.2f}")
            print(f"  first hit as the embedded engine's: {same}/{len(QUERIES)}")
            times: dict[str, list[float]] = {"keyword": [], "hybrid": []}
            for _ in range(args.repeats):
                for query in QUERIES:
                    for label in times:
                        started = time.perf_counter()
                        backend.search(SearchRequest(query=query.query,
                                                     semantic=label == "hybrid"))
                        times[label].append(time.perf_counter() - started)
            for label, values in times.items():
                values.sort()
                print(f"  {label:<8} p50 {statistics.median(values) * 1000:7.1f} ms   "
                      f"p95 {values[int(len(values) * 0.95)] * 1000:7.1f} ms")
            ratio = statistics.median(times["hybrid"]) / statistics.median(times["keyword"])
            print(f"  hybrid / keyword at the median: {ratio:.1f}x")
        finally:
            for index_name in backend.versioned_indices():
                backend.delete_index(index_name)
            backend.close()
    embedded.close()


if __name__ == "__main__":
    main()
