"""Index layouts for many organisations on one cluster (issue 18, docs/scale.md).

The same synthetic register, its records spread over --bodies organisations (sizes
falling off like a real country's: a few large municipalities, many small bodies), is
loaded into the three-node cluster of `scripts/engines.sh cluster` in three layouts:

- `single`: one index of 3 primary shards (1 replica), organisation as a filter;
- `routed`: the same, documents routed by organisation (a query for one body reads one
  shard: `routing=<org>` plus the filter);
- `groups`: one index per organisation group (--groups indices of 1 primary shard each,
  1 replica) with a filtered alias per organisation (600 aliases).

For each: query p50/p95 (a word query with three facet aggregations, the shape of a
diarium search page) across all bodies and for one large and one small body, shards
touched, and the load rate. Then the heap a shard costs: the cluster's heap in use before
and after creating --empty-indices more indices (1 shard, 1 replica), after a GC hint.

    scripts/engines.sh cluster && source var/engines/cluster.env
    .venv/bin/python benchmarks/layout_bench.py                     # 20,000 documents
    .venv/bin/python benchmarks/layout_bench.py --docs 2000 --repeat 5   # smoke

Every index and alias it creates is deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
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


def bodies(n: int, seed: int = 5) -> tuple[list[str], list[float]]:
    """Organisation slugs and their weights (rank^-0.8: Stockholm to a small agency)."""
    names = [f"org{i:03d}" for i in range(n)]
    weights = [1 / (rank + 1) ** 0.8 for rank in range(n)]
    random.Random(seed).shuffle(names)
    return names, weights


def group_of(org: str, groups: int) -> int:
    return int(org[3:]) % groups


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (statistics.median(ordered),
            ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))])


def query_body(org: str | None) -> dict[str, Any]:
    must: list[Any] = [{"multi_match": {"query": "beslutade", "fields": [
        "rubrik^3", "part^2", "arendemening^2", "text"]}}]
    filters = [{"term": {"organisation": org}}] if org else []
    return {"size": 20, "track_total_hits": True, "_source": ["doc_id", "rubrik"],
            "query": {"bool": {"must": must, "filter": filters}},
            "aggs": {name: {"terms": {"field": name, "size": 20}}
                     for name in ("organisation", "handlingstyp", "riktning")}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--bodies", type=int, default=600)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--empty-indices", type=int, default=30)
    parser.add_argument("--urls", default=os.environ.get("DIARIUM_CLUSTER_URLS", ""))
    args = parser.parse_args(argv)
    if not args.urls:
        sys.exit("no cluster: run scripts/engines.sh cluster and source var/engines/cluster.env")
    if min(args.docs, args.bodies, args.groups, args.repeat) < 1:
        parser.error("--docs, --bodies, --groups and --repeat must be 1 or more")

    from diarium.indexer.elastic import ElasticBackend, load_config
    from diarium.indexer.elastic.settings import index_body
    from diarium.synthetic import generate_records

    prefix = f"layout-{uuid.uuid4().hex[:6]}"
    backend = ElasticBackend(load_config(None, "opensearch", {"url": args.urls,
                                                              "index": prefix}))
    conn = backend.conn
    profile = backend.profile()
    names, weights = bodies(args.bodies)
    rng = random.Random(9)
    sources: list[tuple[str, str, dict[str, Any]]] = []
    for record in generate_records(args.docs, seed=11):
        org = rng.choices(names, weights)[0]
        record = replace(record, organisation=org, organisation_name=f"Myndighet {org}")
        sources.append((record.doc_id, org, backend.builder.source(record)))
    counts: dict[str, int] = {}
    for _, org, _ in sources:
        counts[org] = counts.get(org, 0) + 1
    large = max(counts, key=lambda o: counts[o])
    small = min(counts, key=lambda o: counts[o])
    print(f"layout benchmark: {args.docs:,} documents over {len(counts)} of {args.bodies} "
          f"bodies (largest {large}: {counts[large]:,}, smallest {small}: "
          f"{counts[small]}), {args.groups} groups, cluster at {args.urls}", flush=True)

    def bulk(index_of: Any, routed: bool) -> float:
        start = time.perf_counter()
        for at in range(0, len(sources), 1000):
            lines = []
            for doc_id, org, source in sources[at:at + 1000]:
                action: dict[str, Any] = {"_index": index_of(org), "_id": doc_id}
                if routed:
                    action["routing"] = org
                lines.append(json.dumps({"index": action}))
                lines.append(json.dumps(source, ensure_ascii=False))
            answer = conn.request("POST", "/_bulk", ndjson=("\n".join(lines) + "\n").encode())
            assert not answer.get("errors"), str(answer)[:500]
        conn.request("POST", f"/{prefix}-*/_refresh")
        return time.perf_counter() - start

    def create(name: str, shards: int) -> None:
        conn.request("PUT", f"/{name}", index_body(profile, shards, 1))

    def timed(path: str, body: dict[str, Any], params: dict[str, Any] | None = None
              ) -> tuple[float, float, int, int]:
        samples = []
        answer: dict[str, Any] = {}
        for run in range(args.repeat + 3):
            start = time.perf_counter()
            answer = conn.request("POST", path, body, params=params)
            if run >= 3:
                samples.append((time.perf_counter() - start) * 1000)
        p50, p95 = percentiles(samples)
        return p50, p95, int(answer["_shards"]["total"]), int(answer["hits"]["total"]["value"])

    rows = []
    try:
        create(f"{prefix}-single", 3)
        create(f"{prefix}-routed", 3)
        for g in range(args.groups):
            create(f"{prefix}-group{g:02d}", 1)
        conn.request("GET", "/_cluster/health?wait_for_status=green&timeout=300s")
        loads = {
            "single": bulk(lambda org: f"{prefix}-single", False),
            "routed": bulk(lambda org: f"{prefix}-routed", True),
            "groups": bulk(lambda org: f"{prefix}-group{group_of(org, args.groups):02d}",
                           False),
        }
        actions = [{"add": {"index": f"{prefix}-group{group_of(org, args.groups):02d}",
                            "alias": f"{prefix}-{org}",
                            "filter": {"term": {"organisation": org}}}} for org in names]
        start = time.perf_counter()
        conn.request("POST", "/_aliases", {"actions": actions})
        alias_s = time.perf_counter() - start
        print(f"{len(actions)} filtered aliases created in {alias_s:.1f}s", flush=True)
        for layout in ("single", "routed", "groups"):
            everything = (f"/{prefix}-group*/_search" if layout == "groups"
                          else f"/{prefix}-{layout}/_search")
            for label, org in (("all bodies", None), (f"large ({large})", large),
                               (f"small ({small})", small)):
                params = None
                if org is None:
                    path, body = everything, query_body(None)
                elif layout == "groups":
                    path, body = f"/{prefix}-{org}/_search", query_body(None)
                else:
                    path, body = everything, query_body(org)
                    if layout == "routed":
                        params = {"routing": org}
                p50, p95, shards, hits = timed(path, body, params)
                rows.append((layout, label, p50, p95, shards, hits))
        print(f"\n{'layout':8} {'load docs/s':>11} {'query':22} {'hits':>7} {'shards':>6} "
              f"{'p50 ms':>7} {'p95 ms':>7}")
        for layout, label, p50, p95, shards, hits in rows:
            print(f"{layout:8} {args.docs / loads[layout]:11,.0f} {label:22} {hits:7,} "
                  f"{shards:6} {p50:7.1f} {p95:7.1f}")

        def heap_mb() -> float:
            samples = []
            for _ in range(3):
                stats = conn.request("GET", "/_nodes/stats/jvm")
                samples.append(sum(n["jvm"]["mem"]["heap_used_in_bytes"]
                                   for n in stats["nodes"].values()) / 1e6)
                time.sleep(1)
            return min(samples)

        before = heap_mb()
        shards_before = len(conn.request("GET", "/_cat/shards", params={"format": "json"}))
        for i in range(args.empty_indices):
            create(f"{prefix}-empty{i:03d}", 1)
        conn.request("GET", "/_cluster/health?wait_for_status=green&timeout=300s")
        after = heap_mb()
        shards_after = len(conn.request("GET", "/_cat/shards", params={"format": "json"}))
        added = shards_after - shards_before
        print(f"\nheap in use (min of 3 samples, 3 nodes): {before:.0f} MB with "
              f"{shards_before} shard copies, {after:.0f} MB with {shards_after}: "
              f"{(after - before) / max(added, 1):.2f} MB per empty shard copy")
    finally:
        conn.request("DELETE", f"/{prefix}-*")
        backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
