"""What routing by organisation costs and gains through diarium's own backend
(indexer/elastic/routing.py, docs/scale.md).

The same synthetic register, spread over --bodies organisations (sizes falling off as
rank^-0.8, as in layout_bench.py), is written by `ElasticBackend.index` into two indices
of 3 primary shards side by side: `routing = "none"` and `routing = "organisation"`.
Routed writes look up copies stored under another routing before each 1,000 documents
(one search over every shard); the benchmark measures that overhead on the first load,
on a rewrite of every record (nothing moved), and on a rewrite where --moved of the
records changed organisation (their old copies deleted in the same bulk request), with
the client's CPU seconds and the wall time. Then `diarium`-shaped searches (a word, all
facets) for the whole register, a large and a small body: `org:` routes through the
body's alias (one shard) on the routed index and filters over three on the other.

    source var/engines/env.sh
    .venv/bin/python benchmarks/routing_bench.py                  # 5,000 documents
    .venv/bin/python benchmarks/routing_bench.py --docs 1000 --repeat 3   # smoke

Wall times on a shared machine are noisy: the two layouts run alternately, and the
client CPU is the steadier figure. Every index it creates is deleted at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "benchmarks"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from layout_bench import bodies, percentiles  # noqa: E402

LAYOUTS = ("none", "organisation")


def shard_work(backend: Any) -> tuple[int, int]:
    """Shard-level query and fetch requests and their milliseconds so far on the
    backend's indices (the engine's own count: steadier than wall time under load)."""
    stats = backend.conn.request("GET", f"/{backend.alias}/_stats/search")
    search = stats["_all"]["primaries"]["search"]
    return (int(search["query_total"]) + int(search["fetch_total"]),
            int(search["query_time_in_millis"]) + int(search["fetch_time_in_millis"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("elasticsearch", "opensearch"),
                        default="opensearch")
    parser.add_argument("--url", default="")
    parser.add_argument("--docs", type=int, default=5_000, help="at most 10,000")
    parser.add_argument("--bodies", type=int, default=60)
    parser.add_argument("--moved", type=float, default=0.1,
                        help="share of records that change organisation (default 0.1)")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    url = args.url or os.environ.get(
        "DIARIUM_TEST_ES_URL" if args.engine == "elasticsearch" else "DIARIUM_TEST_OS_URL", "")
    if not url:
        sys.exit("no engine: source var/engines/env.sh or pass --url")
    if min(args.docs, args.bodies, args.repeat) < 1 or args.docs > 10_000 \
            or not 0 <= args.moved <= 1:
        parser.error("--docs in 1-10,000, --bodies and --repeat 1 or more, --moved in "
                     "[0, 1]")

    from diarium.indexer.elastic import ElasticBackend, load_config, routing
    from diarium.search import SearchRequest
    from diarium.synthetic import generate_records

    names, weights = bodies(args.bodies)
    rng = random.Random(9)
    recs = [replace(r, organisation=org, organisation_name=f"Myndighet {org}")
            for r in generate_records(args.docs, seed=11)
            for org in [rng.choices(names, weights)[0]]]
    counts: dict[str, int] = {}
    for r in recs:
        counts[r.organisation] = counts.get(r.organisation, 0) + 1
    large = max(counts, key=lambda o: counts[o])
    small = min(counts, key=lambda o: counts[o])
    moved = [replace(r, organisation=rng.choice([n for n in names if n != r.organisation]))
             for r in rng.sample(recs, round(args.moved * len(recs)))]
    prefix = f"routing-{uuid.uuid4().hex[:6]}"
    backends = {layout: ElasticBackend(load_config(None, args.engine, {
        "url": url, "index": f"{prefix}-{layout}", "shards": 3, "routing": layout}))
        for layout in LAYOUTS}
    print(f"routing benchmark on {args.engine} at {url}: {args.docs:,} documents over "
          f"{len(counts)} bodies (largest {large}: {counts[large]:,}, smallest {small}: "
          f"{counts[small]}), 3 shards, {len(moved):,} moved", flush=True)

    def write(layout: str, batch: list[Any]) -> tuple[float, float]:
        backend = backends[layout]
        wall, cpu = time.perf_counter(), time.process_time()
        for at in range(0, len(batch), 1000):
            backend.index(batch[at:at + 1000])
        return time.perf_counter() - wall, time.process_time() - cpu

    # Where the routed writes' extra time goes: the copy lookups and new body aliases.
    spent: dict[str, list[float]] = {"misplaced": [], "ensure_bodies": []}

    def clocked(name: str) -> Any:
        original = getattr(routing, name)

        def call(*a: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*a)
            finally:
                spent[name].append(time.perf_counter() - start)
        return call

    for name in spent:
        setattr(routing, name, clocked(name))

    rows: list[tuple[str, str, float, float, str]] = []
    try:
        for backend in backends.values():
            backend.setup()
        for step, batch in (("first load", recs), ("rewrite, none moved", recs),
                            (f"rewrite of {len(moved):,}, all moved", moved)):
            for layout in (LAYOUTS if len(rows) % 4 == 0 else LAYOUTS[::-1]):
                marks = {k: len(v) for k, v in spent.items()}
                wall, cpu = write(layout, batch)
                extra = ", ".join(f"{k} {len(v) - marks[k]}x {sum(v[marks[k]:]):.2f}s"
                                  for k, v in spent.items() if len(v) > marks[k])
                rows.append((step, layout, wall, cpu, extra))
        for backend in backends.values():
            if backend.count() != args.docs:
                raise SystemExit(f"{backend.alias}: {backend.count()} documents, "
                                 f"expected {args.docs}")
        routed = backends["organisation"]
        stored = routed.conn.request("POST", f"/{routed.alias}/_search", body={
            "size": 10_000, "_source": ["organisation"], "query": {"match_all": {}}})
        stray = sum(1 for h in stored["hits"]["hits"]
                    if h.get("_routing") != h["_source"]["organisation"].casefold())
        print(f"\n{'write':28} {'layout':13} {'wall s':>7} {'client CPU s':>12} "
              f"{'docs/s':>7}  of which")
        for step, layout, wall, cpu, extra in rows:
            n = len(moved) if "moved" in step and "none" not in step else args.docs
            print(f"{step:28} {layout:13} {wall:7.2f} {cpu:12.2f} {n / wall:7,.0f}  {extra}")
        by = {(s, la): (w, c) for s, la, w, c, _ in rows}
        for step in dict.fromkeys(s for s, _, _, _, _ in rows):
            (w0, c0), (w1, c1) = by[(step, "none")], by[(step, "organisation")]
            print(f"  {step}: routed/unrouted wall {w1 / w0:.2f}x, client CPU "
                  f"{c1 / c0:.2f}x")
        print(f"after the moves: {args.docs:,} documents in each index, {stray} stored "
              "under another routing than their organisation")

        print(f"\n{'query':26} {'layout':13} {'shards':>6} {'hits':>6} {'p50 ms':>7} "
              f"{'p95 ms':>7} {'shard reqs':>11} {'shard ms/query':>14}")
        for label, query in (("all bodies", "beslut"),
                             (f"large ({large})", f"org:{large} beslut"),
                             (f"small ({small})", f"org:{small} beslut")):
            samples: dict[str, list[float]] = {layout: [] for layout in LAYOUTS}
            hits: dict[str, int] = {}
            work: dict[str, list[int]] = {layout: [0, 0] for layout in LAYOUTS}
            for run in range(args.repeat + 2):
                for layout in (LAYOUTS if run % 2 else LAYOUTS[::-1]):
                    before = shard_work(backends[layout])
                    start = time.perf_counter()
                    result = backends[layout].search(SearchRequest(query=query))
                    if run >= 2:
                        samples[layout].append((time.perf_counter() - start) * 1000)
                        after = shard_work(backends[layout])
                        work[layout][0] += after[0] - before[0]
                        work[layout][1] += after[1] - before[1]
                    hits[layout] = result.total
            for layout in LAYOUTS:
                backend = backends[layout]
                path = routing.search_path(backend, SearchRequest(query=query))
                shards = backend.conn.request("POST", f"/{path}/_search", body={
                    "size": 0})["_shards"]["total"]
                p50, p95 = percentiles(samples[layout])
                queries, millis = work[layout]
                print(f"{label:26} {layout:13} {shards:6} {hits[layout]:6,} {p50:7.1f} "
                      f"{p95:7.1f} {queries / args.repeat:11.1f} "
                      f"{millis / args.repeat:14.1f}")
            if hits["none"] != hits["organisation"]:
                raise SystemExit(f"{label}: {hits} differ between the layouts")
    finally:
        for backend in backends.values():
            for name in backend.versioned_indices():
                backend.delete_index(name)
            backend.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
