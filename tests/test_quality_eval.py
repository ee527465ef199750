"""Smoke test of benchmarks/quality_eval.py on a tiny corpus (embedded engine only): it
runs end to end, and each feature lifts the kind of query it exists for."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "quality_eval.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("quality_eval", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["quality_eval"] = module
    spec.loader.exec_module(module)
    return module


def test_quality_eval_smoke(capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    # Elasticsearch/OpenSearch have their own tests; here only the embedded engine runs.
    monkeypatch.delenv("DIARIUM_TEST_ES_URL", raising=False)
    monkeypatch.delenv("DIARIUM_TEST_OS_URL", raising=False)
    figures = _load().main(["--background", "60", "--repeats", "1"])
    out = capsys.readouterr().out
    assert "success@10 / MRR per query kind" in out
    assert "Latency of a result page" in out
    scores = figures["scores"]
    # (success@10, MRR) per kind and configuration
    assert scores["+compounds"]["compound part"][0] > scores["stem"]["compound part"][0]
    assert scores["+lemmas"]["inflected"][0] > scores["stem"]["inflected"][0]
    assert scores["all"]["compound part"][0] >= 0.9
    assert scores["all"]["inflected"][0] >= 0.9
    assert scores["all"]["identifier"][0] == 1.0
    # the graceful AND fallback is what finds the natural queries nobody matches fully
    assert scores["all"]["natural"][0] > scores["all -fallback"]["natural"][0]


def test_quality_eval_rejects_bad_arguments() -> None:
    with pytest.raises(SystemExit):
        _load().main(["--repeats", "0"])


def test_compound_sources_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location(
        "compound_sources", BENCH.parent / "compound_sources.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main([])
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line[:1].strip()}
    assert "25/25 split right" in lines["wordfreq"]
    assert "20/20 kept whole" in lines["wordfreq"]
    assert "hunspell-sv" in lines     # hunspell-sv is in scripts/system-packages.txt
