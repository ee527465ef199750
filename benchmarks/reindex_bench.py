"""`diarium reindex` with the documents built in worker processes against built in the
sending process (indexer/elastic/projecting.py), side by side in one run.

A store of --docs synthetic documents with extracted text (written directly, as
cluster_soak.py does) is reindexed into the OpenSearch (or Elasticsearch) test node once
per --workers value, the values taking turns --repeat times. Printed per value: wall
seconds and documents per second, the CPU seconds of the sending process, and the CPU
seconds of the worker processes (read from the pool's fork server, which reaps them).
The sending process's CPU per document is the client's ceiling: with the work moved to
workers on other cores, one sender can feed a cluster that many times faster.

    source var/engines/env.sh
    .venv/bin/python benchmarks/reindex_bench.py --docs 50000 --workers 0,1,2 --repeat 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "benchmarks"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))


def fork_server_children_cpu() -> float:
    """CPU seconds of the processes the multiprocessing fork server forked and reaped
    (0.0 before it runs)."""
    from multiprocessing import forkserver

    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--workers", default="0,1,2",
                        help="comma-separated worker counts to compare (0: in-process)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--engine", choices=("opensearch", "elasticsearch"),
                        default="opensearch")
    args = parser.parse_args(argv)
    counts = [int(w) for w in args.workers.split(",") if w.strip()]
    variable = "DIARIUM_TEST_OS_URL" if args.engine == "opensearch" else "DIARIUM_TEST_ES_URL"
    url = os.environ.get(variable)
    if not url:
        sys.exit(f"{variable} is not set: scripts/engines.sh start && "
                 "source var/engines/env.sh")
    os.environ["DIARIUM_SEMANTIC"] = "0"

    from cluster_soak import fill

    from diarium.config import load_settings
    from diarium.indexer.elastic import ElasticBackend, load_config
    from diarium.indexer.elastic.reindex import BATCH, reindex
    from diarium.store import Store

    data = Path(tempfile.mkdtemp(prefix="reindex-bench-"))
    start = time.perf_counter()
    fill(data / "diarium.sqlite", 0, args.docs)
    print(f"store of {args.docs:,} documents filled in {time.perf_counter() - start:.1f}s "
          f"(cores: {len(os.sched_getaffinity(0))})", flush=True)
    settings = load_settings(data)
    # reindex builds a store of one checkpoint batch or less in-process: a small run
    # takes smaller batches so that its workers run too.
    batch = min(BATCH, max(50, args.docs // 10))
    rows: dict[int, list[tuple[float, float, float]]] = {w: [] for w in counts}
    for turn in range(args.repeat):
        for workers in counts if turn % 2 == 0 else counts[::-1]:
            backend = ElasticBackend(load_config(None, args.engine, {
                "url": url, "index": f"reindex-bench-{os.getpid()}-{workers}"}))
            try:
                with Store(data / "diarium.sqlite") as store:
                    before = fork_server_children_cpu()
                    cpu, wall = time.process_time(), time.perf_counter()
                    report = reindex(store, settings, backend, workers=workers,
                                     batch=batch)
                    wall = time.perf_counter() - wall
                    cpu = time.process_time() - cpu
                    time.sleep(0.5)          # the fork server reaps the workers
                    pooled = fork_server_children_cpu() - before
                assert report.count == args.docs, report
            finally:
                for name in backend.versioned_indices():
                    backend.delete_index(name)
                backend.close()
            rows[workers].append((wall, cpu, pooled))
            print(f"  workers {workers}: {wall:.1f}s wall, sender {cpu:.2f} CPU-s, "
                  f"workers {pooled:.2f} CPU-s", flush=True)
    print(f"\n{'workers':>7} {'wall s':>7} {'docs/s':>7} {'sender CPU s':>12} "
          f"{'ms/doc':>7} {'workers CPU s':>13} {'sender ratio':>12}")
    base = statistics.median(c for _, c, _ in rows[counts[0]])
    for workers in counts:
        wall = statistics.median(w for w, _, _ in rows[workers])
        cpu = statistics.median(c for _, c, _ in rows[workers])
        pooled = statistics.median(p for _, _, p in rows[workers])
        print(f"{workers:>7} {wall:>7.1f} {args.docs / wall:>7,.0f} {cpu:>12.2f} "
              f"{cpu * 1000 / args.docs:>7.3f} {pooled:>13.2f} {cpu / base:>12.2f}")
    import shutil

    shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
