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

`--latency-only` skips the quality part; `--before REV` also times hybrid search with
indexer/elastic/{backend,vectors}.py as they were at git revision REV (loaded beside the
current ones, on the same index, interleaved), checks that both give the same hits,
totals and facets, and prints requests and client CPU per search and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import types
import uuid
from pathlib import Path
from typing import Any

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
    parser.add_argument("--latency-only", action="store_true", help="no quality part")
    parser.add_argument("--before", metavar="REV",
                        help="also time hybrid search as at this git revision")
    args = parser.parse_args()
    before = _before(args.before) if args.before else None
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
            if args.latency_only:
                _latency(backend, settings, before, args.repeats)
                continue
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


def _before(rev: str) -> types.ModuleType:
    """indexer/elastic/backend.py as at `rev`, importing vectors.py as at `rev`."""
    def load(name: str, path: str, source: str | None = None) -> types.ModuleType:
        text = source if source is not None else subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{rev}:{path}"], capture_output=True,
            text=True, check=True).stdout
        module = types.ModuleType(name)
        module.__file__ = f"{rev}:{path}"
        sys.modules[name] = module
        exec(compile(text, module.__file__, "exec"), module.__dict__)  # noqa: S102
        return module

    load("before_vectors", "indexer/elastic/vectors.py")
    backend = subprocess.run(["git", "-C", str(ROOT), "show",
                              f"{rev}:indexer/elastic/backend.py"],
                             capture_output=True, text=True, check=True).stdout
    backend = backend.replace("from diarium.indexer.elastic import routing, vectors",
                              "from diarium.indexer.elastic import routing\n"
                              "import before_vectors as vectors")
    return load("before_backend", "indexer/elastic/backend.py", backend)


def _counted(backend: Any) -> list[int]:
    """A one-element list counting the requests `backend` sends from now on."""
    calls = [0]
    send = backend.conn.request

    def request(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return send(*args, **kwargs)

    backend.conn.request = request
    return calls


def _shape(result: Any) -> tuple[Any, ...]:
    return (result.total, result.partial, [(h.record.doc_id, round(h.score, 9), h.semantic,
                                            h.snippets) for h in result.hits], result.facets)


def _latency(backend: ElasticBackend, settings: Any, before: types.ModuleType | None,
             repeats: int) -> None:
    """Keyword-only and hybrid wall time, requests and client CPU per search, with the
    `before` revision's hybrid search beside them on the same index."""
    runs: dict[str, tuple[Any, bool]] = {"keyword": (backend, False),
                                         "hybrid": (backend, True)}
    if before is not None:
        old = before.ElasticBackend(backend.config)
        old.setup()
        before.vectors.attach(old, settings)
        old.semantic = backend.semantic
        runs = {"keyword": (backend, False), "hybrid before": (old, True),
                "hybrid": (backend, True)}
        differ = [q.query for q in QUERIES if _shape(old.search(SearchRequest(
            query=q.query))) != _shape(backend.search(SearchRequest(query=q.query)))]
        print(f"  results differing from {before.__file__.split(':')[0]}'s: "
              f"{len(differ)}/{len(QUERIES)} {differ[:3]}")
    counters = {id(b): _counted(b) for b, _ in runs.values()}
    times: dict[str, list[float]] = {label: [] for label in runs}
    cpu = dict.fromkeys(runs, 0.0)
    sent = dict.fromkeys(runs, 0)
    load = os.getloadavg()[0]
    started_all = time.perf_counter()
    for _ in range(repeats):
        for query in QUERIES:
            for label, (engine, semantic) in runs.items():
                request = SearchRequest(query=query.query, semantic=semantic)
                calls = counters[id(engine)][0]
                cpu_start, started = time.process_time(), time.perf_counter()
                engine.search(request)
                times[label].append(time.perf_counter() - started)
                cpu[label] += time.process_time() - cpu_start
                sent[label] += counters[id(engine)][0] - calls
    wall = time.perf_counter() - started_all
    n = repeats * len(QUERIES)
    for label, values in times.items():
        values.sort()
        print(f"  {label:<13} p50 {statistics.median(values) * 1000:7.1f} ms   "
              f"p95 {values[int(len(values) * 0.95)] * 1000:7.1f} ms   "
              f"{sent[label] / n:.2f} requests, client CPU "
              f"{cpu[label] / n * 1000:5.1f} ms per search")
    print(f"  {n} searches each, {wall:.0f} s wall, load average "
          f"{load:.1f} -> {os.getloadavg()[0]:.1f}")
    if before is not None:
        runs["hybrid before"][0].close()


if __name__ == "__main__":
    main()
