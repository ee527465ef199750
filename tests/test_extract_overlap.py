"""Extraction and indexing at once (diarium.pipeline.overlap): real corpus files, the real
embedded engine and Elasticsearch test node, a real store; the index ends up exactly as a
sequential `extract` then `index` would leave it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import extraction_fixtures as fx
import pytest

from diarium.config import Settings, load_settings
from diarium.errors import EngineUnavailable
from diarium.indexer import open_backend
from diarium.indexer.base import SearchBackend
from diarium.pipeline.extracting import ExtractConfig, state_counts
from diarium.pipeline.indexing import index, last_seq
from diarium.pipeline.overlap import extract_and_index
from diarium.public import PRIVATE_PERSON, PublicRecord, public_records, takes_back
from diarium.search import SearchRequest
from diarium.store import Store

FILES = (
    "regeringen__basic-7.pdf",                      # 81 pages
    "livsmedelsverket__LIVSFS-2006_22bil1.pdf",     # 297 pages: split across workers
    "adda-inkopscentral__mall-for-kontrakt---it-konsulttjanster-2021.docx",
)
# A word only the generated text file holds: found only if its text reached the index.
WORD = "Kvarnbäcksutredningen"


def _files(tmp_path: Path, corpus_dir: Path) -> list[Path]:
    note = tmp_path / "anteckning.txt"
    note.write_text(f"Minnesanteckning om {WORD} och dess remissvar.\n", encoding="utf-8")
    return [*(corpus_dir / name for name in FILES), note]


def _hits(backend: SearchBackend, query: str) -> int:
    return backend.search(SearchRequest(query=query, semantic=False, with_facets=False,
                                        per_page=1)).total


def _head(store: Store) -> int:
    return int(store.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0])


@pytest.mark.parametrize("workers", [1, 2])
def test_every_file_reaches_the_index_with_its_text(tmp_path: Path, settings: Settings,
                                                    corpus_dir: Path, workers: int) -> None:
    with Store(settings.store_path) as store:
        fx.register_files(store, settings, _files(tmp_path, corpus_dir))
        both = extract_and_index(
            store, settings, config=ExtractConfig(workers=workers, ocr=False, split_pages=100),
            open_backend=lambda: open_backend(settings, "embedded"))
        backend = both.backend
        try:
            assert both.extracted.extracted == 4 and both.extracted.failed == 0
            assert state_counts(store) == {"extracted": 4}
            assert both.index_runs >= 1 and both.records_written >= 4
            assert backend.count() == 4 == both.indexed.count
            assert _hits(backend, WORD) == 1
            # The annex's text (split across workers when there are two) is searchable.
            assert _hits(backend, "livsmedelsverkets") >= 1
            # The index has absorbed every change: an index run now has nothing to do.
            assert last_seq(store, backend.state_name) == _head(store)
            again = index(store, settings, backend)
            assert again.indexed == 0 and again.count == 4
        finally:
            backend.close()


def test_an_engine_that_cannot_be_opened_fails_after_every_file_is_extracted(
        tmp_path: Path, settings: Settings, corpus_dir: Path) -> None:
    def unreachable() -> SearchBackend:
        raise EngineUnavailable("Elasticsearch at http://127.0.0.1:9 is not reachable")

    with Store(settings.store_path) as store:
        fx.register_files(store, settings, _files(tmp_path, corpus_dir))
        with pytest.raises(EngineUnavailable, match="not reachable"):
            extract_and_index(store, settings, config=ExtractConfig(workers=1, ocr=False),
                              open_backend=unreachable)
        # The extraction went on and committed every file; the index has no state, so
        # the next index run does all the work.
        assert state_counts(store) == {"extracted": 4}
        assert store.conn.execute("SELECT COUNT(*) FROM index_state").fetchone()[0] == 0


def test_text_published_for_the_first_time_takes_nothing_back(
        tmp_path: Path, settings: Settings, corpus_dir: Path) -> None:
    # The first index run of extract_and_index writes the register entries before their
    # files are read; the text that comes next, masked numbers and hidden names and all,
    # withdraws nothing, so no purge (a copy of the whole index) follows.
    with Store(settings.store_path) as store:
        fx.register_files(store, settings, _files(tmp_path, corpus_dir))
        record = next(iter(public_records(store, settings)))
    masked = replace(record, text=f"Beslut om {PRIVATE_PERSON}, 19121212-****.")
    assert not takes_back(replace(record, text=""), masked)
    # A text that was published and gets more masks still withdraws what it had.
    assert takes_back(replace(record, text="Beslut om Sven Svensson."), masked)


def test_hold_pending_writes_a_document_once_its_files_are_extracted(
        tmp_path: Path, settings: Settings, corpus_dir: Path) -> None:
    from diarium.pipeline.extracting import extract

    with Store(settings.store_path) as store:
        fx.register_files(store, settings, _files(tmp_path, corpus_dir)[-1:])
        backend = open_backend(settings, "embedded")
        try:
            # The file is pending: its document is held back, yet the run is complete.
            first = index(store, settings, backend, hold_pending=True)
            assert first.indexed == 0 and backend.count() == 0
            assert last_seq(store, backend.state_name) == _head(store)
            extract(store, settings, ExtractConfig(workers=1, ocr=False))
            # Its extraction recorded a change: the next run writes it, with its text.
            second = index(store, settings, backend, hold_pending=True)
            assert second.indexed == 1 and _hits(backend, WORD) == 1
        finally:
            backend.close()


def test_backend_or_opener_exactly_one(settings: Settings) -> None:
    with Store(settings.store_path) as store, pytest.raises(ValueError, match="either"):
        extract_and_index(store, settings)


def test_on_elasticsearch_as_a_sequential_run_leaves_it(tmp_path: Path, settings: Settings,
                                                       corpus_dir: Path,
                                                       make_elastic) -> None:  # type: ignore[no-untyped-def]
    backend = make_elastic("elasticsearch")
    with Store(settings.store_path) as store:
        fx.register_files(store, settings, _files(tmp_path, corpus_dir))
        both = extract_and_index(store, settings, backend,
                                 ExtractConfig(workers=2, ocr=False))
        assert both.backend is backend
        assert backend.count() == 4 and _hits(backend, WORD) == 1
        assert last_seq(store, backend.state_name) == _head(store)
        assert index(store, settings, backend).indexed == 0


def test_passages_are_embedded_from_the_text_that_arrived_later(
        tmp_path: Path, settings: Settings, corpus_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Semantic search on, one text passage per document: an index run while files are
    # still read embeds what the projection has then (the title); the runs after it
    # embed the text as it arrives, so every document ends with its final passages.
    from diarium import embeddings, vectors
    from diarium.hybrid import vectors_dir

    monkeypatch.setenv("DIARIUM_SEMANTIC", "1")
    model_id = embeddings.installed_model_id()
    if model_id is None:
        pytest.fail("the embedding model is not installed (./dev setup)")
    (settings.data_dir / "diarium.toml").write_text(
        "[semantic]\nmax_passages = 1\nworkers = 1\n", encoding="utf-8")
    settings = load_settings(settings.data_dir)
    with Store(settings.store_path) as store:
        fx.register_files(store, settings, _files(tmp_path, corpus_dir))
        both = extract_and_index(
            store, settings, config=ExtractConfig(workers=2, ocr=False, split_pages=100),
            open_backend=lambda: open_backend(settings, "embedded"))
        both.backend.close()
        assert both.indexed.count == 4
        semantic = embeddings.semantic_settings(settings)
        for record in public_records(store, settings):
            wanted = [(p.position, p.hash) for p in embeddings.passages(record, semantic)]
            assert len(wanted) == 2                      # the title and a text passage
            stored = [(int(r[0]), str(r[1])) for r in store.conn.execute(
                "SELECT position, text_hash FROM document_passages WHERE model = ? AND "
                "document_id = ? ORDER BY position", (model_id, int(record.doc_id)))]
            assert stored == wanted
        assert vectors.is_current(store, model_id, vectors_dir(settings))


@pytest.mark.parametrize("indexed_before", [False, True])
def test_only_documents_the_index_may_hold_are_looked_up(
        tmp_path: Path, settings: Settings, corpus_dir: Path, indexed_before: bool) -> None:
    # A record that may take something back is compared with its indexed version (one
    # engine request). Documents held back since the index was empty are not in it:
    # no request for them. Documents an earlier run wrote (their register entries, or
    # a document whose file was read before the first run began) are.
    with Store(settings.store_path) as store:
        docs = fx.register_files(store, settings, _files(tmp_path, corpus_dir))
        with store.transaction() as conn:
            # A register entry without a file: the first run writes it while it holds the
            # others back, so the index is not empty at the next run (which then runs
            # incrementally, where `unindexed` spares the lookups of the held ones).
            fileless = conn.execute(
                "INSERT INTO documents (case_id, lopnummer, datum, riktning, rubrik, "
                "row_hash) SELECT case_id, 99, '2024-01-16', 'Utgående', 'Kallelse', "
                "'row-99' FROM documents LIMIT 1").lastrowid
            for doc in [*docs.values(), int(fileless or 0)]:   # as the importer records them
                store.record_change(doc)
        backend = open_backend(settings, "embedded")
        looked_up: list[str] = []
        never_written: list[str] = []     # looked up though no run had written them
        written: set[str] = set()
        real_get, real_index = backend.get, backend.index

        def get(doc_id: str) -> PublicRecord | None:
            looked_up.append(doc_id)
            if doc_id not in written:
                never_written.append(doc_id)
            return real_get(doc_id)

        def write(records: Iterable[PublicRecord]) -> int:
            def passing() -> Iterator[PublicRecord]:
                for record in records:
                    written.add(record.doc_id)
                    yield record
            return real_index(passing())

        backend.get = get  # type: ignore[method-assign]
        backend.index = write  # type: ignore[method-assign]
        try:
            if indexed_before:
                assert index(store, settings, backend).indexed == 5   # no text yet
            both = extract_and_index(store, settings, backend,
                                     ExtractConfig(workers=1, ocr=False))
            assert backend.count() == 5 and _hits(backend, WORD) == 1
            # (before, a run finding a file already read wrote its document, and the
            # next run's lookup of it failed `looked_up == []`: a timing flake)
            assert never_written == []
            if indexed_before:
                assert both.index_runs >= 2 and looked_up
        finally:
            backend.close()


def test_documents_held_back_when_the_engine_goes_away_are_indexed_next_time(
        tmp_path: Path, settings: Settings, corpus_dir: Path) -> None:
    # A --retry-failed run does not extract the new files: the first index run holds
    # their documents back and moves last_seq past their changes; the last run, which
    # would write them, finds the engine gone. The next `diarium index` writes them.
    from diarium.pipeline.extracting import extract

    broken = tmp_path / "trasig.pdf"
    broken.write_bytes(b"%PDF-1.4 not really a PDF")
    with Store(settings.store_path) as store:
        fx.register_files(store, settings, [*_files(tmp_path, corpus_dir), broken])
        extract(store, settings, ExtractConfig(workers=1, ocr=False))
        backend = open_backend(settings, "embedded")
        try:
            assert index(store, settings, backend).count == 5
            new = []
            for i in range(2):
                path = tmp_path / f"ny-{i}.txt"
                path.write_text(f"Ny handling {i} om {WORD}.\n", encoding="utf-8")
                new.append(path)
            added = fx.register_files(store, settings, new)
            with store.transaction():
                for doc in added.values():               # as the importer records them
                    store.record_change(doc)
            real_index = backend.index

            def unreachable(records: Iterable[PublicRecord]) -> int:
                if list(records):
                    raise EngineUnavailable("the engine went away")
                return 0

            backend.index = unreachable  # type: ignore[method-assign]
            with pytest.raises(EngineUnavailable, match="went away"):
                extract_and_index(store, settings, backend,
                                  ExtractConfig(workers=1, ocr=False), retry_failed=True)
            assert state_counts(store) == {"extracted": 4, "failed": 1, "pending": 2}
            backend.index = real_index  # type: ignore[method-assign]
            again = index(store, settings, backend)
            assert again.count == 7 and backend.count() == 7
        finally:
            backend.close()
