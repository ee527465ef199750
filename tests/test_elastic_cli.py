"""`diarium index --engine elasticsearch|opensearch` and `diarium reindex [--rollback]`
through the command line, against the real nodes; an unreachable engine gives a clear
message and exit code 3 and leaves the store as it was."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from test_reindex import fill_store

from diarium.cli import main
from diarium.config import Settings
from diarium.store import Store


@pytest.fixture
def filled(settings: Settings) -> Settings:
    with Store(settings.store_path) as store:
        fill_store(store, 30)
    return settings


def _run(settings: Settings, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["--data", str(settings.data_dir), *args], env=env,
                              catch_exceptions=False)


@pytest.mark.parametrize("engine, prefix", [("elasticsearch", "DIARIUM_ES_"),
                                            ("opensearch", "DIARIUM_OS_")])
def test_index_reindex_rollback(engine: str, prefix: str, filled: Settings,
                                make_elastic) -> None:  # type: ignore[no-untyped-def]
    backend = make_elastic(engine, setup=False)     # same alias: cleaned up afterwards
    env = {f"{prefix}URL": backend.config.url, f"{prefix}INDEX": backend.alias}
    done = _run(filled, "index", "--engine", engine, env=env)
    assert done.exit_code == 0, done.output
    assert "30 handlingar i indexet" in done.output
    assert backend.count() == 30
    done = _run(filled, "search", "bygglovet", "--json", "--engine", engine, env=env)
    assert done.exit_code == 0, done.output
    found = json.loads(done.output)
    assert found["total"] > 0 and found["hits"][0]["snippets"][0]["marks"]
    done = _run(filled, "reindex", "--engine", engine, "--workers", "1", env=env)
    assert done.exit_code == 0, done.output
    assert "med 30 handlingar" in done.output and "--rollback" in done.output
    done = _run(filled, "reindex", "--engine", engine, "--rollback", env=env)
    assert done.exit_code == 0, done.output
    assert backend.count() == 30


def test_unreachable_engine_exit_code_and_store_untouched(filled: Settings) -> None:
    with Store(filled.store_path) as store:
        before = store.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    for args in (["index", "--engine", "elasticsearch"],
                 ["reindex", "--engine", "opensearch", "--url", "http://127.0.0.1:1"]):
        done = _run(filled, *args, env={"DIARIUM_ES_URL": "http://user:hemligt@127.0.0.1:1"})
        assert done.exit_code == 3, done.output
        assert "cannot be reached" in done.output and "hemligt" not in done.output
    with Store(filled.store_path) as store:
        assert store.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == before
        assert store.conn.execute("SELECT COUNT(*) FROM index_state").fetchone()[0] == 0


def test_reindex_needs_a_cluster_engine(filled: Settings) -> None:
    done = _run(filled, "reindex")
    assert done.exit_code == 2 and "diarium index" in done.output
