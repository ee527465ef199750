"""`diarium sync --overlap` and `diarium extract --index`: extraction and indexing at once
(diarium.pipeline.overlap) through the command line, with a real store, real corpus
files, the embedded engine and the Elasticsearch / OpenSearch test nodes. The index ends
up as a sequential sync leaves it; exit codes, failures and resumability are unchanged."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from manifests import make_files, write_csv
from opendata_fixtures import TOML, register_rows

from diarium.cli import main
from diarium.config import load_settings
from diarium.indexer import open_backend
from diarium.indexer.base import SearchBackend
from diarium.pipeline.extracting import state_counts
from diarium.pipeline.indexing import index, last_seq
from diarium.public import PublicRecord
from diarium.search import SearchRequest
from diarium.store import Store

REAL = ("regeringen__basic-7.pdf",
        "adda-inkopscentral__mall-for-kontrakt---it-konsulttjanster-2021.docx")
BROKEN = "trasig.pdf"


def _files(folder: Path, count: int = 6) -> list[str]:
    return [*REAL, BROKEN, *make_files(folder / "files", count)[:6]]


@pytest.fixture
def export(tmp_path: Path, corpus_dir: Path) -> Path:
    """40 register rows, 10 of them with a file: two real corpus files, a broken PDF and
    six generated text files."""
    folder = tmp_path / "export"
    files = _files(folder)
    for name in REAL:
        shutil.copyfile(corpus_dir / name, folder / "files" / name)
    (folder / "files" / BROKEN).write_bytes(b"%PDF-1.4 not really a PDF")
    write_csv(folder / "manifest.csv", register_rows(40, files))
    return folder


def _states_ok(store: Store) -> int:
    """Every file extracted but the broken one (nothing pending); returns how many."""
    states = state_counts(store)
    assert states.get("failed") == 1 and "pending" not in states, states
    return sum(states.values()) - 1


def _data(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "diarium.toml").write_text(TOML, encoding="utf-8")
    return folder


def _sync(data: Path, export: Path, *more: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, ["--data", str(data), "sync", str(export / "manifest.csv"),
                                       "--files", str(export / "files"), "--workers", "2",
                                       "--no-dump", "--json", *more], catch_exceptions=False)
    return result.exit_code, json.loads(result.output)


def _head(store: Store) -> int:
    return int(store.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0])


def _records(backend: SearchBackend, store: Store) -> dict[str, PublicRecord | None]:
    ids = [str(r[0]) for r in store.conn.execute("SELECT id FROM documents ORDER BY id")]
    return {i: backend.get(i) for i in ids}


@pytest.fixture(params=["embedded", "elasticsearch", "opensearch"])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _target(engine: str, data: Path, monkeypatch: pytest.MonkeyPatch,
            request: pytest.FixtureRequest, make_elastic) -> SearchBackend | None:  # type: ignore[no-untyped-def]
    """Point the next sync at a fresh alias on the engine's test node; returns a backend
    on it (not set up; its indices are deleted at the end of the test), None for the
    embedded engine."""
    if engine == "embedded":
        return None
    prefix = "DIARIUM_ES_" if engine == "elasticsearch" else "DIARIUM_OS_"
    url = request.getfixturevalue("es_url" if engine == "elasticsearch" else "os_url")
    alias = f"test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv(prefix + "URL", url)
    monkeypatch.setenv(prefix + "INDEX", alias)
    return make_elastic(engine, setup=False, index=alias)  # type: ignore[no-any-return]


def _open(data: Path, remote: SearchBackend | None) -> SearchBackend:
    if remote is None:
        return open_backend(load_settings(data), "embedded")
    remote.setup()
    return remote


def test_overlap_sync_leaves_the_index_a_sequential_sync_leaves(
        tmp_path: Path, export: Path, engine: str, monkeypatch: pytest.MonkeyPatch,
        request: pytest.FixtureRequest, make_elastic) -> None:  # type: ignore[no-untyped-def]
    seen: dict[str, dict[str, PublicRecord | None]] = {}
    summaries: dict[str, dict] = {}  # type: ignore[type-arg]
    for mode in ("--no-overlap", "--overlap"):
        data = _data(tmp_path, mode.strip("-"))
        remote = _target(engine, data, monkeypatch, request, make_elastic)
        code, summary = _sync(data, export, "--engine", engine, mode)
        # The broken file fails (exit 1) and is named; everything else is searchable.
        assert code == 1, summary
        assert summary["import"]["inserted"] == 40 and summary["import"]["rejected"] == 0
        assert summary["extract"]["failed"] == 1
        assert summary["extract"]["failures"] == {"corrupt": 1}
        assert summary["index"]["count"] == 40
        summaries[mode] = summary
        backend = _open(data, remote)
        try:
            with Store(load_settings(data).store_path) as store:
                assert _states_ok(store) == summary["extract"]["extracted"] > 0
                assert last_seq(store, backend.state_name) == _head(store)
                seen[mode] = _records(backend, store)
            hits = backend.search(SearchRequest(query="kontrakt", semantic=False,
                                                with_facets=False, per_page=1)).total
            assert hits >= 1
            # A second sync is a no-op: nothing imported, extracted or indexed.
            code, again = _sync(data, export, "--engine", engine, mode)
            # (exit 0: the failed file is not tried again without --retry-failed)
            assert code == 0 and again["import"]["inserted"] == 0
            assert again["import"]["updated"] == 0
            assert again["extract"]["files"] == 0
            assert again["index"]["indexed"] == 0 and again["index"]["count"] == 40
        finally:
            if remote is None:
                backend.close()
    sequential, overlapped = seen["--no-overlap"], seen["--overlap"]
    assert list(overlapped) == list(sequential) and len(sequential) == 40
    assert all(record is not None for record in sequential.values())
    assert overlapped == sequential
    # The summary's index figures are all the runs' (each document written once).
    assert summaries["--overlap"]["index"] == summaries["--no-overlap"]["index"]


def test_overlap_sync_records_a_failed_file_and_extract_index_retries_it(
        tmp_path: Path, export: Path) -> None:
    data = _data(tmp_path, "data")
    code, summary = _sync(data, export, "--overlap")
    assert code == 1 and summary["extract"]["failed"] == 1
    settings = load_settings(data)
    with Store(settings.store_path) as store:
        row = store.conn.execute(
            "SELECT fl.kind, fl.attempts FROM failures fl JOIN document_files df "
            "ON df.sha256 = fl.sha256 WHERE df.name = ?", (BROKEN,)).fetchone()
        assert tuple(row) == ("corrupt", 1)
    # New documents whose files nobody extracts in a --retry-failed run are still
    # indexed by it (as their register entries), not held back for ever.
    more = make_files(export / "files", 8)[6:]
    rows = register_rows(46, _files(export))
    for i, extra in enumerate(rows[40:]):
        extra["fil"] = more[i % 2]
    write_csv(export / "manifest.csv", rows)
    result = CliRunner().invoke(main, ["--data", str(data), "import",
                                       str(export / "manifest.csv"), "--files",
                                       str(export / "files")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["--data", str(data), "extract", "--retry-failed",
                                       "--index", "--workers", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "1 misslyckade" in result.output and "46 handlingar i indexet" in result.output
    with Store(settings.store_path) as store:
        assert store.conn.execute("SELECT attempts FROM failures").fetchone()[0] == 2
        assert state_counts(store)["pending"] == 2          # not this run's files
        backend = open_backend(settings, "embedded")
        try:
            assert backend.count() == 46
            assert last_seq(store, backend.state_name) == _head(store)
            assert index(store, settings, backend).indexed == 0
        finally:
            backend.close()


def test_unreachable_engine_gives_exit_code_3_and_loses_nothing(
        tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch,
        request: pytest.FixtureRequest, make_elastic) -> None:  # type: ignore[no-untyped-def]
    data = _data(tmp_path, "data")
    monkeypatch.setenv("DIARIUM_ES_URL", "http://127.0.0.1:9")
    code, summary = _sync(data, export, "--engine", "elasticsearch", "--overlap")
    assert code == 3, summary
    assert summary["error"]["stage"] == "index"
    assert summary["skipped"] == ["alerts", "dump"]
    # Imported and extracted, every file committed; the index has no state.
    assert summary["import"]["inserted"] == 40
    assert summary["extract"]["failed"] == 1
    settings = load_settings(data)
    with Store(settings.store_path) as store:
        assert _states_ok(store) == summary["extract"]["extracted"] > 0
        assert store.conn.execute("SELECT COUNT(*) FROM index_state").fetchone()[0] == 0
    # `extract --index` says the same: the text is kept, the engine is the problem.
    result = CliRunner().invoke(main, ["--data", str(data), "extract", "--retry-failed",
                                       "--index", "--engine", "elasticsearch"])
    assert result.exit_code == 3, result.output
    assert "inte indexerad" in result.output and "cannot be reached" in result.output
    # Once the engine answers, the next sync indexes everything and extracts nothing.
    remote = _target("elasticsearch", data, monkeypatch, request, make_elastic)
    code, summary = _sync(data, export, "--engine", "elasticsearch", "--overlap")
    assert code == 0, summary
    assert summary["extract"]["files"] == 0
    assert summary["index"]["count"] == 40
    backend = _open(data, remote)
    with Store(settings.store_path) as store:
        assert last_seq(store, backend.state_name) == _head(store)
        assert backend.count() == 40


def test_engine_without_index_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--data", str(_data(tmp_path, "data")), "extract",
                                       "--engine", "embedded"])
    assert result.exit_code == 2 and "--index" in result.output
