"""Smoke test: the open-data benchmark runs at a tiny size and prints its ratios."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks" / "opendata_bench.py"


def test_opendata_bench_runs_tiny() -> None:
    result = subprocess.run([sys.executable, str(BENCH), "--rows", "200", "--files", "5"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "documents 200," in result.stdout
    assert "write_dump" in result.stdout and "ratio" in result.stdout
    assert "0 files copied, 5 kept" in result.stdout


def test_opendata_bench_rejects_nonsense_sizes() -> None:
    result = subprocess.run([sys.executable, str(BENCH), "--rows", "0"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--rows must be at least 10" in result.stderr
