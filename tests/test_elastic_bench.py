"""Smoke test of benchmarks/bulk_bench.py at tiny sizes: it runs end to end, prints its
figures and leaves no index behind."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bench_indices(es_url: str) -> set[str]:
    with urllib.request.urlopen(f"{es_url}/_cat/indices?format=json", timeout=30) as answer:
        return {i["index"] for i in json.loads(answer.read()) if i["index"].startswith("bench-")}


def test_bulk_bench_smoke(es_url: str) -> None:
    # Indices another benchmark left on a shared node (one killed mid-run) are not this
    # run's: only new ones count.
    before = _bench_indices(es_url)
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bulk_bench.py"), "--url", es_url,
         "--docs", "40", "--reindex-docs", "50"],
        capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    for line in ("streaming_bulk, defaults", "diarium bulk pipeline", "ratio tuned",
                 "diarium reindex (store -> alias)", "count 50 == store 50"):
        assert line in done.stdout, done.stdout
    assert _bench_indices(es_url) - before == set()
