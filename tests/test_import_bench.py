"""Smoke test: the import benchmark runs at a tiny size and prints its ratio."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_bench_runs_tiny() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "import_bench.py"), "--rows", "300",
         "--files", "10"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "300 rows, 10 files" in result.stdout
    assert "ratio import / bare" in result.stdout


def test_import_bench_rejects_nonsense_sizes() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "import_bench.py"), "--rows", "0"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "--rows must be at least 10" in result.stderr


def test_import_bench_xml_against_csv_runs_tiny() -> None:
    for export in ("erms", "noark5"):
        result = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "import_bench.py"), "--erms",
             "--export", export, "--rows", "300", "--files", "10"],
            capture_output=True, text=True, timeout=180,
        )
        assert result.returncode == 0, result.stderr
        assert "vs CSV: 300 documents" in result.stdout
        assert "ratio XML / CSV" in result.stdout and "peak RSS" in result.stdout
