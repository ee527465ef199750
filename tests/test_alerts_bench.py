"""Smoke test: the alerts benchmark runs at a tiny size and prints CPU seconds and its
ratio; every alert is checked and some digests are queued."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_alerts_bench_runs_tiny() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "alerts_bench.py"), "--alerts", "40",
         "--new", "20", "--base", "100"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "40 alerts, 20 new records over 100" in result.stdout
    assert "ratio run / plain search" in result.stdout
    checked = re.search(r"(\d+) checked, (\d+) digests queued", result.stdout)
    assert checked is not None and checked.group(1) == "40" and int(checked.group(2)) > 0
