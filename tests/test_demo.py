"""`diarium demo` through the library and the command line: the whole pipeline on the
small sample with the real importer, extraction workers and embedded engine."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from diarium.cli import main
from diarium.config import load_settings
from diarium.demo import DemoProgress, DemoReport, prepare, sample_dir
from diarium.errors import ConfigError
from diarium.search import SearchRequest, search


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoReport, list[str]]:
    data = tmp_path_factory.mktemp("demo") / "data"
    stages: list[str] = []

    def progress(p: DemoProgress) -> None:
        if not stages or stages[-1] != p.stage:
            stages.append(p.stage)

    report = prepare(data, size="small", workers=2, progress=progress)
    return data, report, stages


def test_first_run_generates_imports_extracts_and_indexes(built: tuple[Path, DemoReport,
                                                                       list[str]]) -> None:
    data, report, stages = built
    assert stages == ["generate", "import", "extract", "index"]
    assert report.generated
    assert report.imported == 250 and report.rejected == 0
    # the sample's three deliberately broken files fail with a reason; all others extract
    assert report.failed == 3
    kinds = {kind for _, kind, _ in report.failures}
    assert len(report.failures) == 3 and kinds, report.failures
    assert all(reason for _, _, reason in report.failures)
    assert report.extracted >= 240
    # the documents, and the notice and minutes of the committees' meetings
    assert report.index_count == 250 + report.summary["meeting_documents"]
    assert report.meeting_items == report.summary["meeting_items"] > 0
    assert (data / "diarium.toml").exists()
    assert (sample_dir(data) / "sample.json").exists()


def test_the_demo_index_answers_the_showcase_searches(built: tuple[Path, DemoReport,
                                                                   list[str]]) -> None:
    data, report, _ = built
    settings = load_settings(data)
    show = report.summary["showcase"]

    bygglov = search(settings, SearchRequest(query="bygglov"))
    assert bygglov.total >= 15

    typed = search(settings, SearchRequest(query=show["case"]["typed"]))
    assert typed.total > 0
    assert typed.hits[0].record.diarienummer == show["case"]["diarienummer"]

    secret = search(settings, SearchRequest(query=show["secret"]["diarienummer"]))
    texts = [h.record.sekretess_text for h in secret.hits if h.record.secret]
    assert f"Sekretess enligt {show['secret']['sekretess']}" in texts

    pnr = show["personnummer"]
    assert search(settings, SearchRequest(query=pnr["personnummer"])).total == 0
    found = search(settings, SearchRequest(query=pnr["diarienummer"], per_page=100))
    records = [h.record for h in found.hits if h.record.lopnummer == pnr["lopnummer"]
               and h.record.diarienummer == pnr["diarienummer"]]
    assert records and pnr["masked"] in records[0].text
    assert pnr["personnummer"] not in records[0].text


def test_rerun_reuses_everything(built: tuple[Path, DemoReport, list[str]]) -> None:
    data, first, _ = built
    started = time.perf_counter()
    again = prepare(data, size="small", workers=2)
    took = time.perf_counter() - started
    assert not again.generated
    assert again.imported == 0 and again.unchanged == 250
    assert again.extracted == 0 and again.failed == 0
    assert again.indexed == 0 and again.index_count == first.index_count
    # no timing assertion: the reuse is shown by the zero counts; printed for the record
    print(f"first run {first.total_seconds:.1f} s, rerun {took:.1f} s")


def test_cli_demo_no_serve_reports_and_exits(built: tuple[Path, DemoReport,
                                                          list[str]]) -> None:
    data, report, _ = built
    result = CliRunner().invoke(main, ["--data", str(data), "demo", "--size", "small",
                                       "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "40 ärenden, 250 handlingar (återanvänt)" in result.output
    assert f"{report.index_count} i indexet" in result.output
    assert "avsiktligt trasiga" in result.output
    assert "diarium --data" in result.output and "serve" in result.output


def test_refuses_a_data_folder_that_is_not_the_demos(tmp_path: Path) -> None:
    (tmp_path / "diarium.toml").write_text('[organisations.real]\nname = "Riktig kommun"\n',
                                           encoding="utf-8")
    with pytest.raises(ConfigError, match="not the demo's"):
        prepare(tmp_path, size="small")
    assert not (tmp_path / "sample").exists()
    result = CliRunner().invoke(main, ["--data", str(tmp_path), "demo", "--no-serve"])
    assert result.exit_code == 2
    assert "not the demo's" in result.output


def test_refuses_another_size_in_the_same_folder(built: tuple[Path, DemoReport,
                                                             list[str]]) -> None:
    data, _, _ = built
    with pytest.raises(ConfigError, match="holds the small demo"):
        prepare(data, size="medium")
    summary = json.loads((sample_dir(data) / "sample.json").read_text(encoding="utf-8"))
    assert summary["size"] == "small"


def test_bad_size_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown sample size"):
        prepare(tmp_path, size="enorm")
    result = CliRunner().invoke(main, ["--data", str(tmp_path), "demo", "--size", "enorm"])
    assert result.exit_code == 2
    assert "enorm" in result.output
