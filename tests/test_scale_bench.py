"""Smoke test: the scale benchmark runs end to end at a tiny size (embedded engine) and
reports every column; Elasticsearch too when a test node runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "scale_bench.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True,
                          text=True, timeout=600)


def test_scale_bench_runs_tiny(tmp_path: Path) -> None:
    engines = ["embedded"]
    if os.environ.get("DIARIUM_TEST_ES_URL"):
        engines.append("elasticsearch")
    done = _run("--sizes", "200", "--engines", ",".join(engines), "--repeat", "1",
                "--json", str(tmp_path / "rows.json"))
    assert done.returncode == 0, done.stderr
    rows = json.loads((tmp_path / "rows.json").read_text())
    assert [row["engine"] for row in rows] == engines
    for row in rows:
        assert row["docs"] == 200
        assert row["index_s"] > 0 and row["reindex_s"] > 0 and row["size_mb"] > 0
        assert row["index_rss"] > 0 and row["web_rss"] > 0
        assert len(row["shapes"]) == 22
        assert row["shapes"]["word"]["hits"] > 0
    assert "| embedded | 200 |" in done.stdout


def test_kept_indices_are_timed_again_without_rebuilding(tmp_path: Path) -> None:
    keep = tmp_path / "kept"
    first = _run("--sizes", "150", "--repeat", "1", "--keep", str(keep))
    assert first.returncode == 0, first.stderr
    index = keep / "150" / "index"
    built = {p: p.stat().st_mtime_ns for p in index.rglob("*") if p.is_file()}
    assert built
    again = _run("--sizes", "150", "--repeat", "1", "--keep", str(keep), "--queries-only",
                 "--json", str(tmp_path / "rows.json"))
    assert again.returncode == 0, again.stderr
    assert "kept store" in again.stdout and "store filled" not in again.stdout
    row = json.loads((tmp_path / "rows.json").read_text())[0]
    assert len(row["shapes"]) == 22 and row["shapes"]["word"]["hits"] > 0
    # Nothing was indexed again: the index files are the ones the first run wrote.
    assert {p: p.stat().st_mtime_ns for p in index.rglob("*") if p.is_file()} == built
    missing = _run("--sizes", "300", "--keep", str(keep), "--queries-only")
    assert missing.returncode != 0 and "no kept store" in missing.stderr


@pytest.mark.parametrize("args, message", [
    (["--sizes", "abc"], "--sizes"),
    (["--sizes", "5"], "--sizes"),
    (["--engines", "solr"], "--engines"),
    (["--queries-only"], "--queries-only"),
])
def test_scale_bench_rejects_bad_arguments(args: list[str], message: str) -> None:
    done = _run(*args)
    assert done.returncode == 2 and message in done.stderr
