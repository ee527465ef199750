"""Smoke test: the extraction benchmark runs on three corpus files and prints its sections
(figures are read by people, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_extract_bench_runs_tiny() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "extract_bench.py"), "--limit", "3",
         "--no-parallel", "--quality-rows", "2"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "extraction benchmark: 3 files" in result.stdout
    assert "1. per format" in result.stdout
    assert "ratio pipeline" in result.stdout and "goal at most 0.35x" in result.stdout
    assert "4. quality against poppler" in result.stdout or "pdftotext" in result.stdout


def test_extract_bench_rejects_nonsense_limit() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "extract_bench.py"), "--limit", "0"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "--limit must be at least 1" in result.stderr


def test_extract_bench_end_to_end_reports_every_stage(es_url: str) -> None:
    # Three corpus files into a fresh index on the test node (deleted by the benchmark).
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "extract_bench.py"), "--end-to-end",
         "--limit", "3", "--runs", "1", "--e2e-workers", "1", "--es-url", es_url],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "end to end: 3 files" in out
    assert "3 documents imported (0 rejected)" in out and "3 in the index" in out
    for stage in ("start (python, imports)", "init", "import", "extract", "index",
                  "extract+index", "other (check, clean-up, exit)",
                  "to searchable (no clean-up)", "total"):
        assert f"\n    {stage} " in out, stage
    # Both modes side by side: extract then index, and both at once.
    assert "1 worker(s), sequential" in out and "1 worker(s), overlap" in out
    assert "no ratio for this run" in out   # a sample is not compared with FSCrawler
