"""Smoke test: the suggestion benchmark runs end to end at a tiny size, with a word list,
and prints a row with its suggestion for every query."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_suggest_bench_runs_tiny(tmp_path: Path) -> None:
    words = tmp_path / "words.dic"
    words.write_text("3\nhäckning/A\nzebrafink/B\nparken\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "suggest_bench.py"), "--docs", "300",
         "--repeat", "2", "--words", str(words), "--extra-words", "3"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = {line.split("  ")[0].strip(): line for line in done.stdout.splitlines()}
    assert rows["bygglof"].endswith(")") and " bygglov (" in rows["bygglof"]
    assert rows["zzqxkvw"].endswith(" -")
    assert "typ:beslut bygglov (" in rows["typ:beslut bygglof"]
