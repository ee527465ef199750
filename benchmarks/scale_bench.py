"""Cost curves: how indexing, reindexing, index size, memory and query time grow with the
register, on the embedded engine and on Elasticsearch/OpenSearch (issue 18).

For each size a store of synthetic documents with extracted text (diarium.synthetic, the
store written directly, as benchmarks/bulk_bench.py does) is built in a temporary data
directory, then, per engine, as separate processes (peak memory is each process's own
ru_maxrss, read with os.wait4):

- `diarium index --rebuild` (first full index): docs/s, wall and CPU seconds, peak RSS;
- a full reindex: `diarium index --rebuild` again (embedded: every record written over
  its old version) or `diarium reindex` (Elasticsearch: a new index, the alias moved);
- the index size on disk (embedded: the index directory; Elasticsearch: store size of
  the primaries from _stats);
- a web worker: `create_app` with the engine, the landing page and a JSON API search, then
  the search benchmark's shapes (benchmarks/search_bench.py) through the query service,
  p50/p95 each, and the facet cost (the same shapes without facets); its peak RSS.

    .venv/bin/python benchmarks/scale_bench.py                      # 2,000 docs, embedded
    .venv/bin/python benchmarks/scale_bench.py --sizes 10000,100000 --engines embedded,elasticsearch
    .venv/bin/python benchmarks/scale_bench.py --sizes 10000,100000,1000000 \\
        --engines embedded,elasticsearch                           # the full curve (hours)

Elasticsearch/OpenSearch: the node URL comes from --url, else DIARIUM_TEST_ES_URL /
DIARIUM_TEST_OS_URL, else var/engines/env.sh; every index it creates is deleted.

To compare query times across sizes under the same machine load (a million documents
take an hour to build on two cores, and the load of the machine drifts meanwhile), build
once and keep the data folders, then time only the web worker of every size back to back
(embedded engine only: an Elasticsearch index is deleted after its row):

    .venv/bin/python benchmarks/scale_bench.py --sizes 10000,100000,1000000 \\
        --keep /work/bench-runs/scale
    .venv/bin/python benchmarks/scale_bench.py --sizes 10000,100000,1000000 \\
        --keep /work/bench-runs/scale --queries-only
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
for extra in (ROOT, BENCH):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

ENGINES = ("embedded", "elasticsearch", "opensearch")


def _url(engine: str, given: str | None) -> str:
    from bulk_bench import _url as bulk_url

    return bulk_url(engine, given)


def run_child(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a process to its end; wall, CPU seconds and peak RSS (MB) of it alone.

    Raises RuntimeError with its stderr when it fails."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:6])} … exited {child.returncode}:\n"
                           f"{stderr[-3000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024, "stdout": stdout}


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def worker(data: Path, engine: str, docs: int, repeat: int) -> int:
    """The web worker process: prints one JSON line of query timings and its peak RSS."""
    import resource

    from search_bench import percentiles, shapes, typed_dnr

    from diarium.config import load_settings
    from diarium.indexer import open_backend
    from diarium.search import search
    from diarium.synthetic import generate_records
    from diarium.web.app import create_app

    settings = load_settings(data)
    backend = open_backend(settings, engine)
    app = create_app(settings, backend)
    client = app.test_client()
    for path in ("/", "/api/v1/search?q=beslut"):
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
    dnr = ""
    for number, record in enumerate(generate_records(docs, seed=11)):
        if number == docs // 2:
            dnr = typed_dnr(record)
            break
    out: dict[str, Any] = {"shapes": {}}
    for label, request in shapes(dnr):
        # the facet cache (embedded) would hide the counting cost: a new query each run
        timings: dict[str, list[float]] = {"with": [], "without": [], "cpu": []}
        for run in range(repeat + 2):
            for kind, with_facets in (("with", True), ("without", False)):
                cache = getattr(backend, "facet_cache", None)
                if cache is not None:
                    cache.clear()
                asked = type(request)(**{**request.__dict__, "with_facets": with_facets})
                start, cpu = time.perf_counter(), time.process_time()
                result = search(settings, asked, backend=backend)
                if run >= 2:
                    timings[kind].append((time.perf_counter() - start) * 1000)
                    if with_facets:
                        timings["cpu"].append((time.process_time() - cpu) * 1000)
        p50, p95 = percentiles(timings["with"])
        bare50, _ = percentiles(timings["without"])
        cpu50, cpu95 = percentiles(timings["cpu"])
        out["shapes"][label] = {"hits": result.total, "p50": p50, "p95": p95,
                                "cpu_p50": cpu50, "cpu_p95": cpu95,
                                "facets_ms": max(0.0, p50 - bare50)}
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))
    return 0


def bench_engine(engine: str, data: Path, docs: int, args: argparse.Namespace,
                 env: dict[str, str]) -> dict[str, Any]:
    diarium = [str(Path(sys.executable).with_name("diarium")), "--data", str(data)]
    row: dict[str, Any] = {"engine": engine, "docs": docs}
    alias = ""
    if engine != "embedded":
        prefix = "DIARIUM_ES_" if engine == "elasticsearch" else "DIARIUM_OS_"
        alias = f"scale-{uuid.uuid4().hex[:8]}"
        env = {**env, prefix + "URL": _url(engine, args.url), prefix + "INDEX": alias}
    try:
        if args.queries_only:
            return _queries_only(row, engine, data, docs, args, env)
        first = run_child([*diarium, "index", "--rebuild", "--engine", engine], env)
        row["index_s"], row["index_cpu"], row["index_rss"] = (
            first["wall"], first["cpu"], first["rss_mb"])
        again = run_child([*diarium, "index", "--rebuild", "--engine", engine] if
                          engine == "embedded" else [*diarium, "reindex", "--engine", engine],
                          env)
        row["reindex_s"], row["reindex_rss"] = again["wall"], again["rss_mb"]
        row["size_mb"] = (dir_mb(data / "index") if engine == "embedded"
                          else _es_size(engine, env, alias))
        web = run_child([sys.executable, __file__, "--worker", str(data), "--engine-of-worker",
                         engine, "--docs-of-worker", str(docs), "--repeat", str(args.repeat)],
                        env)
        answer = json.loads(web["stdout"].strip().splitlines()[-1])
        row["web_rss"] = answer["rss_mb"]
        row["shapes"] = answer["shapes"]
    finally:
        if alias:
            _es_cleanup(engine, env, alias)
    return row


def _queries_only(row: dict[str, Any], engine: str, data: Path, docs: int,
                  args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    """The web worker alone on a kept, already indexed data folder (--queries-only)."""
    if not (data / "index").is_dir():
        raise SystemExit(f"--queries-only: no index in {data}; run once with --keep and "
                         "without --queries-only first")
    web = run_child([sys.executable, __file__, "--worker", str(data), "--engine-of-worker",
                     engine, "--docs-of-worker", str(docs), "--repeat", str(args.repeat)], env)
    answer = json.loads(web["stdout"].strip().splitlines()[-1])
    row.update({"index_s": float("nan"), "index_cpu": float("nan"), "index_rss": float("nan"),
                "reindex_s": float("nan"), "size_mb": dir_mb(data / "index"),
                "web_rss": answer["rss_mb"], "shapes": answer["shapes"],
                "load": os.getloadavg()[0]})
    return row


def _es_backend(engine: str, env: dict[str, str], alias: str) -> Any:
    from diarium.indexer.elastic import ElasticBackend, load_config

    return ElasticBackend(load_config(None, engine, {"index": alias}, environ=env))


def _es_size(engine: str, env: dict[str, str], alias: str) -> float:
    backend = _es_backend(engine, env, alias)
    try:
        stats = backend.conn.request("GET", f"/{alias}/_stats/store")
        return float(stats["_all"]["primaries"]["store"]["size_in_bytes"]) / 1e6
    finally:
        backend.close()


def _es_cleanup(engine: str, env: dict[str, str], alias: str) -> None:
    backend = _es_backend(engine, env, alias)
    try:
        for name in backend.versioned_indices():
            backend.delete_index(name)
    finally:
        backend.close()


def print_table(rows: list[dict[str, Any]]) -> None:
    print("\n| engine | docs | index docs/s | index s (cpu) | full reindex s | index MB "
          "| index RSS MB | web RSS MB | query p50 / p95 ms (median shape) | query CPU p50 / "
          "p95 ms (median shape) | worst p95 ms | facets ms (median) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        shapes = row["shapes"].values()
        p50 = statistics.median(s["p50"] for s in shapes)
        p95 = statistics.median(s["p95"] for s in shapes)
        cpu50 = statistics.median(s["cpu_p50"] for s in shapes)
        cpu95 = statistics.median(s["cpu_p95"] for s in shapes)
        worst = max(s["p95"] for s in shapes)
        facets = statistics.median(s["facets_ms"] for s in shapes)
        if row.get("index_s") == row.get("index_s"):      # not NaN: indexed in this run
            built = (f"{row['docs'] / row['index_s']:,.0f} | {row['index_s']:.1f} "
                     f"({row['index_cpu']:.1f}) | {row['reindex_s']:.1f}")
            index_rss = f"{row['index_rss']:.0f}"
        else:                                             # --queries-only: a kept index
            built, index_rss = "- | - | -", "-"
        print(f"| {row['engine']} | {row['docs']:,} | {built} | {row['size_mb']:.1f} "
              f"| {index_rss} | {row['web_rss']:.0f} | {p50:.1f} / {p95:.1f} "
              f"| {cpu50:.1f} / {cpu95:.1f} | {worst:.1f} | {facets:.2f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000",
                        help="comma-separated document counts (2000; the full curve is "
                             "10000,100000,1000000)")
    parser.add_argument("--engines", default="embedded",
                        help=f"comma-separated, of {', '.join(ENGINES)} (embedded)")
    parser.add_argument("--url", default=None, help="the Elasticsearch/OpenSearch node")
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per shape (10)")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep each size's data folder (store and embedded index) in "
                             "DIR/<size> and reuse a kept store instead of filling it again")
    parser.add_argument("--queries-only", action="store_true",
                        help="with --keep: only the web worker's query timings on the kept "
                             "indices (embedded engine), every size back to back")
    parser.add_argument("--worker", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--engine-of-worker", default="embedded", help=argparse.SUPPRESS)
    parser.add_argument("--docs-of-worker", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        return worker(args.worker, args.engine_of_worker, args.docs_of_worker, args.repeat)
    try:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes must be comma-separated numbers, not {args.sizes!r}")
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if not sizes or min(sizes) < 10:
        parser.error("--sizes: each size must be 10 or more")
    if unknown := [e for e in engines if e not in ENGINES]:
        parser.error(f"--engines: unknown {', '.join(unknown)}; use {', '.join(ENGINES)}")
    if args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    if args.queries_only and (args.keep is None or engines != ["embedded"]):
        parser.error("--queries-only needs --keep and --engines embedded")

    from bulk_bench import fill_store

    from diarium.config import load_settings

    env = {**os.environ, "DIARIUM_SEMANTIC": "0",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    rows = []
    print(f"scale benchmark: sizes {', '.join(f'{s:,}' for s in sizes)}; engines "
          f"{', '.join(engines)}", flush=True)
    for docs in sizes:
        if args.keep is not None:
            data = args.keep / str(docs)
            data.mkdir(parents=True, exist_ok=True)
        else:
            data = Path(tempfile.mkdtemp(prefix=f"scale-{docs}-"))
        try:
            settings = load_settings(data)
            done_marker = data / "store-filled"
            if done_marker.exists():
                print(f"{docs:,} documents: kept store in {data}", flush=True)
            elif args.queries_only:
                raise SystemExit(f"--queries-only: no kept store of {docs:,} documents in {data}")
            else:
                settings.store_path.unlink(missing_ok=True)   # a fill that did not finish
                start = time.perf_counter()
                fill_store(settings.store_path, docs)
                print(f"{docs:,} documents: store filled in {time.perf_counter() - start:.1f}s "
                      f"({settings.store_path.stat().st_size / 1e6:.0f} MB)", flush=True)
                if args.keep is not None:
                    done_marker.touch()
            for engine in engines:
                row = bench_engine(engine, data, docs, args, env)
                rows.append(row)
                if args.queries_only:
                    print(f"  {engine}: queries timed on the kept index ({row['size_mb']:.0f} MB), "
                          f"web RSS {row['web_rss']:.0f} MB, load {row['load']:.1f}", flush=True)
                else:
                    print(f"  {engine}: indexed {docs / row['index_s']:,.0f} docs/s, reindex "
                          f"{row['reindex_s']:.1f}s, {row['size_mb']:.0f} MB, RSS index "
                          f"{row['index_rss']:.0f} MB / web {row['web_rss']:.0f} MB",
                          flush=True)
                if args.json is not None:  # each row as it is measured: a 1M run takes hours
                    args.json.write_text(json.dumps(rows, indent=1))
        finally:
            if args.keep is None:
                shutil.rmtree(data, ignore_errors=True)
    print_table(rows)
    print("\nper shape (p50 / p95 ms, facets ms):")
    for row in rows:
        print(f"  {row['engine']} {row['docs']:,}: " + "; ".join(
            f"{label} {s['p50']:.1f}/{s['p95']:.1f}/{s['facets_ms']:.1f}"
            for label, s in row["shapes"].items()))
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
