"""`diarium demo --overlap`: the small sample extracted and indexed at once (diarium.
pipeline.overlap) with semantic search on, as the demo runs it: the real extraction
workers, the embedded engine and the embedding model. The keyword index holds the same
records as a sequential build; every document's stored passages are those of its final
projection; a rerun does nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from diarium import embeddings, vectors
from diarium.cli import main
from diarium.config import load_settings
from diarium.demo import COMBINED, DemoProgress, DemoReport, prepare
from diarium.hybrid import vectors_dir
from diarium.indexer import open_backend
from diarium.public import PublicRecord, public_records
from diarium.search import SearchRequest, search
from diarium.store import Store


def _records(data: Path) -> dict[str, PublicRecord | None]:
    settings = load_settings(data)
    backend = open_backend(settings, "embedded")
    try:
        with Store(settings.store_path) as store:
            ids = [str(r[0]) for r in store.conn.execute("SELECT id FROM documents ORDER BY id")]
        return {i: backend.get(i) for i in ids}
    finally:
        backend.close()


@pytest.fixture(scope="module")
def overlapped(tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[tuple[Path, DemoReport, list[DemoProgress]]]:
    data = tmp_path_factory.mktemp("demo-overlap") / "data"
    seen: list[DemoProgress] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DIARIUM_SEMANTIC", "1")        # as the demo runs (conftest: off)
        if embeddings.installed_model_id() is None:
            pytest.fail("the embedding model is not installed (./dev setup)")
        report = prepare(data, size="small", workers=2, progress=seen.append, overlap=True)
        yield data, report, seen


def test_one_combined_stage_timed_as_one(overlapped: tuple[Path, DemoReport,
                                                            list[DemoProgress]]) -> None:
    _, report, seen = overlapped
    stages = list(dict.fromkeys(p.stage for p in seen))
    assert stages == ["generate", "import", COMBINED]
    assert list(report.seconds) == ["generate", "import", COMBINED]
    # The stage ends once, after its last index run: the last word, not the last file.
    ends = [p for p in seen if p.stage == COMBINED and p.ended]
    assert len(ends) == 1 and ends[0] is seen[-1]
    assert ends[0].seconds >= max(p.seconds for p in seen if p.stage == COMBINED)
    assert report.failed == 3 and len(report.failures) == 3
    assert report.index_count == 250 + report.summary["meeting_documents"]
    assert report.indexed >= report.index_count


def test_the_index_is_the_sequential_builds(overlapped: tuple[Path, DemoReport,
                                                               list[DemoProgress]],
                                            tmp_path: Path) -> None:
    data, report, _ = overlapped
    sequential = tmp_path / "data"
    alone = prepare(sequential, size="small", workers=2, overlap=False)   # semantic off
    assert alone.index_count == report.index_count
    assert alone.extracted == report.extracted and alone.failed == report.failed
    expected, got = _records(sequential), _records(data)
    assert list(got) == list(expected) and None not in expected.values()
    assert got == expected


def test_every_document_is_embedded_from_its_final_text(
        overlapped: tuple[Path, DemoReport, list[DemoProgress]]) -> None:
    data, _, _ = overlapped
    settings = load_settings(data)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DIARIUM_SEMANTIC", "1")
        model_id = embeddings.installed_model_id()
        assert model_id is not None
        semantic = embeddings.semantic_settings(settings)
        with Store(settings.store_path) as store:
            stored: dict[int, list[tuple[int, str]]] = {}
            for row in store.conn.execute(
                    "SELECT document_id, position, text_hash FROM document_passages "
                    "WHERE model = ? ORDER BY document_id, position", (model_id,)):
                stored.setdefault(int(row[0]), []).append((int(row[1]), str(row[2])))
            embedded = 0
            for record in public_records(store, settings):
                wanted = [(p.position, p.hash) for p in embeddings.passages(record, semantic)]
                assert stored.get(int(record.doc_id), []) == wanted, record.doc_id
                embedded += bool(wanted)
            # The demo embeds titles only (max_passages = 0); texts: test_extract_overlap.
            assert embedded > 300
            assert vectors.is_current(store, model_id, vectors_dir(settings))
        # Hybrid search answers from the vectors (a semantic hit for a paraphrase).
        found = search(settings, SearchRequest(query="ansökan om att bygga ett hus"))
        assert found.total > 0


def test_rerun_does_nothing_and_the_cli_names_the_stage(
        overlapped: tuple[Path, DemoReport, list[DemoProgress]]) -> None:
    data, report, _ = overlapped
    result = CliRunner().invoke(main, ["--data", str(data), "demo", "--size", "small",
                                       "--no-serve", "--overlap"])
    assert result.exit_code == 0, result.output
    assert "Extraherar text och indexerar:" in result.output
    assert "extract+index" in result.output and "extraktion: 0 klara" in result.output
    assert f"0 indexerade, {report.index_count} i indexet" in result.output
