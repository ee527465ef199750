"""Smoke test: the search benchmark runs end to end at a tiny size and prints its table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_search_bench_runs_tiny(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "search_bench.py"), "--docs", "300",
         "--repeat", "2", "--keep", str(tmp_path / "bench")],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "raw tantivy add_document" in out and "ratio" in out
    shape_lines = [line for line in out.splitlines()
                   if line.split() and line.split()[0] in
                   ("word", "phrase", "boolean", "prefix", "diarienummer")]
    # 20 shapes in the table against raw + aggregations, 20 against the same page
    assert len(shape_lines) == 40
    same_page = out.split("== the same page by raw tantivy", 1)[1]
    page_lines = [line for line in same_page.splitlines()[2:] if line.split()
                  and not line.startswith(("ratio", "peak"))]
    assert len(page_lines) == 22
    # the raw page is the one diarium gives: the same hits, count and facet counts
    assert all(line.split()[-1] == "same" for line in page_lines), same_page
    assert "ratio diarium / same page over the 22 shapes" in out
    assert any(line.startswith("empty query") for line in out.splitlines())
    assert any(line.startswith("filters only") for line in out.splitlines())
    assert "p95 ratio diarium/(raw+aggs) over the 22 shapes" in out
    assert "peak memory" in out
    assert (tmp_path / "bench" / "embedded").is_dir()


def test_search_bench_rejects_bad_sizes() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "search_bench.py"), "--docs", "0"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2 and "--docs" in done.stderr


def test_search_bench_queries_only_reuses_its_index(tmp_path: Path) -> None:
    for expected in ("indexed 200 documents", "reusing the index"):
        done = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "search_bench.py"), "--docs", "200",
             "--repeat", "1", "--queries-only", "--keep", str(tmp_path / "bench")],
            capture_output=True, text=True, timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert expected in done.stdout and "p95 ratio" in done.stdout
