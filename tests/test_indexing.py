"""The indexing service on the real embedded (tantivy) backend: incremental runs follow
the changes table, deleted and newly secret documents leave the index, rebuilds, and the
`diarium index` command."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from test_public import add_document

from diarium.cli import main
from diarium.config import Settings
from diarium.indexer.embedded import EmbeddedBackend
from diarium.pipeline import indexing
from diarium.pipeline.indexing import IndexProgress, index, last_seq, pending
from diarium.search import SearchRequest
from diarium.store import Store


@pytest.fixture
def store(settings: Settings) -> Store:
    s = Store(settings.store_path)
    yield s  # type: ignore[misc]
    s.close()


@pytest.fixture
def backend(settings: Settings) -> EmbeddedBackend:
    b = EmbeddedBackend(settings.index_dir / "embedded", writer_heap=50_000_000)
    b.setup()
    yield b  # type: ignore[misc]
    b.close()


def _total(backend: EmbeddedBackend, query: str) -> int:
    return backend.search(SearchRequest(query=query, with_facets=False)).total


def _three(store: Store) -> list[int]:
    return [
        add_document(store, lopnummer=1, rubrik="Ansökan om bygglov för garage",
                     files=[{"name": "a.pdf", "text": "Garaget byggs vid Tallvägen"}]),
        add_document(store, lopnummer=2, rubrik="Beslut om strandskydd",
                     files=[{"name": "b.pdf", "text": "Dispens från strandskyddet"}]),
        add_document(store, org="norrby", dnr="TN-2022-0042", dnr_key="TN|2022|42",
                     rubrik="Remiss om trafiksäkerhet", part="Trafikverket"),
    ]


def test_first_run_indexes_everything_and_remembers_the_head(
        store: Store, settings: Settings, backend: EmbeddedBackend) -> None:
    _three(store)
    assert pending(store, "embedded") == 3
    report = index(store, settings, backend)
    assert report.rebuild                     # never indexed: a full run
    assert (report.indexed, report.deleted, report.count) == (3, 0, 3)
    head = store.conn.execute("SELECT MAX(seq) FROM changes").fetchone()[0]
    assert report.last_seq == head == last_seq(store, "embedded")
    assert pending(store, "embedded") == 0
    assert _total(backend, "garage") == 1
    assert _total(backend, "Tallvägen") == 1

    again = index(store, settings, backend)
    assert not again.rebuild
    assert (again.indexed, again.deleted, again.count) == (0, 0, 3)


def test_incremental_run_takes_only_changed_documents(
        store: Store, settings: Settings, backend: EmbeddedBackend) -> None:
    first, second, _ = _three(store)
    index(store, settings, backend)
    with store.transaction() as conn:
        conn.execute("UPDATE documents SET rubrik = 'Ansökan om rivningslov' WHERE id = ?",
                     (first,))
        store.record_change(first)
    assert pending(store, "embedded") == 1
    report = index(store, settings, backend)
    assert (report.rebuild, report.indexed, report.deleted) == (False, 1, 0)
    assert _total(backend, "rivningslov") == 1
    assert _total(backend, "rubrik:bygglov") == 0
    assert backend.get(str(first)).rubrik == "Ansökan om rivningslov"  # type: ignore[union-attr]
    assert _total(backend, "strandskydd") == 1


def test_newly_added_document_is_indexed(
        store: Store, settings: Settings, backend: EmbeddedBackend) -> None:
    _three(store)
    index(store, settings, backend)
    add_document(store, lopnummer=7, rubrik="Protokoll från nämndsammanträde")
    report = index(store, settings, backend)
    assert (report.indexed, report.count) == (1, 4)
    assert _total(backend, "nämndsammanträde") == 1


def test_document_that_became_secret_loses_its_text_in_the_index(
        store: Store, settings: Settings, backend: EmbeddedBackend) -> None:
    first, _, _ = _three(store)
    index(store, settings, backend)
    assert _total(backend, "Tallvägen") == 1
    with store.transaction() as conn:
        conn.execute("UPDATE documents SET sekretess = '26 kap. 1 § OSL' WHERE id = ?",
                     (first,))
        store.record_change(first)
    index(store, settings, backend)
    assert _total(backend, "Tallvägen") == 0
    assert _total(backend, "garage") == 0
    record = backend.get(str(first))
    assert record is not None and record.secret
    assert record.rubrik == "Sekretess enligt 26 kap. 1 § OSL" and record.text == ""


def _terms(backend: EmbeddedBackend, *fields: str) -> set[str]:
    searcher = backend.index_obj.searcher()
    return {t for name in fields for t, _ in searcher.terms_with_prefix(name, "")}


def test_withdrawn_content_leaves_the_index_files_too(
        settings: Settings, store: Store) -> None:
    # One writer thread: all documents share one segment, where a replaced document's
    # terms stay until a merge unless the run purges them.
    backend = EmbeddedBackend(settings.index_dir / "embedded", writer_heap=15_000_000,
                              writer_threads=1)
    backend.setup()
    first, _, _ = _three(store)
    index(store, settings, backend)
    assert "tallväg" in _terms(backend, "text")
    with store.transaction() as conn:
        conn.execute("UPDATE documents SET sekretess = 'OSL' WHERE id = ?", (first,))
        store.record_change(first)
    report = index(store, settings, backend)
    assert report.purged and report.count == 3
    assert "tallväg" not in _terms(backend, "text", "text_exact", "folded")
    assert "garage" not in _terms(backend, "rubrik_exact")
    assert _total(backend, "strandskydd") == 1          # the others are all still there


def test_purge_leaves_no_old_segment_behind_after_many_commits(
        settings: Settings, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # A commit per document: many segments, merged in the background as they pile up.
    monkeypatch.setattr(indexing, "CHUNK", 1)
    backend = EmbeddedBackend(settings.index_dir / "embedded", writer_heap=15_000_000)
    backend.setup()
    first, _, _ = _three(store)
    for n in range(4, 16):
        add_document(store, lopnummer=n, rubrik=f"Protokoll nummer {n}",
                     files=[{"name": f"p{n}.pdf", "text": f"Sammanträde {n} om budget"}])
    index(store, settings, backend)
    with store.transaction() as conn:
        conn.execute("DELETE FROM document_files WHERE document_id = ?", (first,))
        conn.execute("DELETE FROM documents WHERE id = ?", (first,))
        store.record_change(first, "delete")
    report = index(store, settings, backend)
    assert report.purged and report.count == 14
    assert not {"tallväg", "garag"} & _terms(backend, "text", "rubrik", "folded")
    assert _total(backend, "budget") == 12


def test_new_secret_or_textless_documents_do_not_purge(
        store: Store, settings: Settings, backend: EmbeddedBackend) -> None:
    _three(store)
    index(store, settings, backend)
    add_document(store, lopnummer=8, sekretess="OSL", rubrik="Hemlig")
    add_document(store, lopnummer=9, files=[{"name": "x.pdf", "text": "", "state": "pending"}])
    report = index(store, settings, backend)
    assert (report.indexed, report.purged) == (2, False)


def test_an_ordinary_update_does_not_purge(
        store: Store, settings: Settings, backend: EmbeddedBackend) -> None:
    first, _, _ = _three(store)
    index(store, settings, backend)
    with store.transaction() as conn:
        conn.execute("UPDATE documents SET handlingstyp = 'Beslut' WHERE id = ?", (first,))
        store.record_change(first)
    assert not index(store, settings, backend).purged


def test_document_whose_clearance_was_withdrawn_loses_its_text(
        store: Store, settings: Settings, backend: EmbeddedBackend) -> None:
    first, _, _ = _three(store)
    index(store, settings, backend)
    with store.transaction() as conn:
        conn.execute("UPDATE documents SET publicerad = 0 WHERE id = ?", (first,))
        store.record_change(first)
    index(store, settings, backend)
    assert _total(backend, "Tallvägen") == 0
    assert _total(backend, "garage") == 1       # the register entry stays searchable


def test_extraction_result_reaches_the_index(
        store: Store, settings: Settings, backend: EmbeddedBackend) -> None:
    doc = add_document(store, files=[{"name": "s.pdf", "text": "", "state": "pending"}])
    index(store, settings, backend)
    sha = store.conn.execute("SELECT sha256 FROM document_files WHERE document_id = ?",
                             (doc,)).fetchone()[0]
    with store.transaction() as conn:
        conn.execute("INSERT INTO extractions (sha256, extractor, text, pages) "
                     "VALUES (?, 'test', 'Avloppsanläggning', '[\"Avloppsanläggning\"]')",
                     (sha,))
        conn.execute("UPDATE files SET state = 'extracted' WHERE sha256 = ?", (sha,))
        store.record_file_change(sha)
    report = index(store, settings, backend)
    assert report.indexed == 1
    assert _total(backend, "avloppsanläggning") == 1


@pytest.mark.parametrize("with_delete_change", [True, False])
def test_deleted_document_leaves_the_index(
        store: Store, settings: Settings, backend: EmbeddedBackend,
        with_delete_change: bool) -> None:
    first, second, third = _three(store)
    index(store, settings, backend)
    with store.transaction() as conn:
        conn.execute("DELETE FROM document_files WHERE document_id = ?", (second,))
        conn.execute("DELETE FROM documents WHERE id = ?", (second,))
        # whatever kind of change was recorded, the store's state decides
        store.record_change(second, "delete" if with_delete_change else "upsert")
    report = index(store, settings, backend)
    assert (report.indexed, report.deleted, report.count) == (0, 1, 2)
    assert report.purged
    assert backend.get(str(second)) is None
    assert _total(backend, "strandskydd") == 0


def test_rebuild_clears_what_the_store_does_not_have(
        store: Store, settings: Settings, backend: EmbeddedBackend) -> None:
    first, _, _ = _three(store)
    index(store, settings, backend)
    stray = backend.get(str(first))
    assert stray is not None
    from dataclasses import replace
    backend.index([replace(stray, doc_id="99999", rubrik="Kvarglömd")])
    assert _total(backend, "kvarglömd") == 1
    report = index(store, settings, backend, rebuild=True)
    assert report.rebuild and (report.indexed, report.count) == (3, 3)
    assert _total(backend, "kvarglömd") == 0


def test_interrupted_rebuild_is_redone_on_the_next_run(
        store: Store, settings: Settings, backend: EmbeddedBackend,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _three(store)
    index(store, settings, backend)
    monkeypatch.setattr(indexing, "CHUNK", 1)          # a commit per document
    monkeypatch.setattr(indexing, "PROGRESS_EVERY", 1)

    def stop_after_one(p: IndexProgress) -> None:
        if p.done >= 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        index(store, settings, backend, rebuild=True, progress=stop_after_one)
    assert last_seq(store, "embedded") is None      # not mistaken for up to date
    report = index(store, settings, backend)
    assert report.rebuild and report.count == 3


def test_rebuild_keeps_the_index_complete_while_it_runs(
        store: Store, settings: Settings, backend: EmbeddedBackend,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _three(store)
    add_document(store, lopnummer=9, rubrik="Protokoll")
    index(store, settings, backend)
    monkeypatch.setattr(indexing, "CHUNK", 1)          # a commit per document
    monkeypatch.setattr(indexing, "PROGRESS_EVERY", 1)
    counts: list[int] = []
    report = index(store, settings, backend, rebuild=True,
                   progress=lambda p: counts.append(backend.count()))
    assert report.rebuild and report.indexed == 4
    assert counts and min(counts) == 4


def test_emptied_index_is_rebuilt(store: Store, settings: Settings,
                                  backend: EmbeddedBackend) -> None:
    _three(store)
    index(store, settings, backend)
    backend.clear()                       # e.g. the index folder was recreated
    report = index(store, settings, backend)
    assert report.rebuild and report.count == 3


def test_progress_reports_documents_per_second(
        store: Store, settings: Settings, backend: EmbeddedBackend) -> None:
    with store.transaction():
        org_id = store.organisation_id("exkommun", "Exempelkommunen")
        store.conn.execute(
            "INSERT INTO cases (organisation_id, diarienummer, dnr_key) VALUES (?, ?, ?)",
            (org_id, "KS 2023/1", "KS|2023|1"))
        store.conn.executemany(
            "INSERT INTO documents (case_id, lopnummer, datum, riktning, rubrik, row_hash) "
            "VALUES (1, ?, '2023-01-02', 'Inkommande', ?, 'h')",
            [(i, f"Handling {i} om bygglov") for i in range(1, 2501)])
        store.conn.execute("INSERT INTO changes (document_id, kind) "
                           "SELECT id, 'upsert' FROM documents")
    seen: list[IndexProgress] = []
    report = index(store, settings, backend, progress=seen.append)
    assert report.count == 2500
    assert [p.done for p in seen] == [1000, 2000, 2500]
    assert all(p.total == 2500 for p in seen)
    assert seen[-1].docs_per_second > 0 and report.docs_per_second > 0


def test_cli_index(data_dir: Path, settings: Settings) -> None:
    with Store(settings.store_path) as store:
        _three(store)
    runner = CliRunner()
    result = runner.invoke(main, ["--data", str(data_dir), "index"])
    assert result.exit_code == 0, result.output
    assert "Byggde om indexet (embedded): 3 indexerade" in result.output
    result = runner.invoke(main, ["--data", str(data_dir), "index"])
    assert result.exit_code == 0, result.output
    assert "Uppdaterade indexet (embedded): 0 indexerade, 0 borttagna, 3 handlingar" in (
        result.output)
    result = runner.invoke(main, ["--data", str(data_dir), "index", "--rebuild", "-q"])
    assert result.exit_code == 0 and "Byggde om indexet" in result.output
    result = runner.invoke(main, ["--data", str(data_dir), "search", "strandskydd"])
    assert result.exit_code == 0 and "1 träffar" in result.output


def test_cli_index_rejects_an_unknown_engine(data_dir: Path) -> None:
    result = CliRunner().invoke(main, ["--data", str(data_dir), "index", "--engine", "solr"])
    assert result.exit_code == 2 and "solr" in result.output


@pytest.mark.engines
@pytest.mark.parametrize("engine", ["elasticsearch", "opensearch"])
def test_incremental_indexing_on_elasticsearch_and_opensearch(
        store: Store, settings: Settings, make_elastic, engine: str) -> None:  # type: ignore[no-untyped-def]
    backend = make_elastic(engine)
    first, second, _ = _three(store)
    report = index(store, settings, backend)
    name = f"{engine}:{backend.alias}"
    assert (report.state_name, report.rebuild, report.count) == (name, True, 3)
    assert last_seq(store, name) == report.last_seq
    assert last_seq(store, "embedded") is None       # each index keeps its own place
    with store.transaction() as conn:
        conn.execute("UPDATE documents SET sekretess = 'OSL' WHERE id = ?", (first,))
        store.record_change(first)
        conn.execute("DELETE FROM documents WHERE id = ?", (second,))
        store.record_change(second, "delete")
    report = index(store, settings, backend)
    assert (report.rebuild, report.indexed, report.deleted, report.count) == (False, 1, 1, 2)
    assert backend.search(SearchRequest(query="Tallvägen", with_facets=False)).total == 0
    assert backend.get(str(second)) is None
    record = backend.get(str(first))
    assert record is not None and record.rubrik == "Sekretess enligt OSL"
