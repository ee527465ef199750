"""Zero-downtime reindex and incremental indexing on the real Elasticsearch and OpenSearch
nodes: alias switch, rollback, searches during a reindex, a SIGKILLed reindex resumed,
and the privacy rules read back from the indices' stored documents."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from diarium.config import Settings
from diarium.errors import NotFound
from diarium.indexer.elastic import ElasticBackend
from diarium.indexer.elastic.reindex import ReindexMismatch, reindex, rollback
from diarium.pipeline.indexing import index as run_index
from diarium.search import SearchRequest
from diarium.store import Store

ROOT = Path(__file__).resolve().parent.parent
SUBJECTS = ("Ansökan om bygglov för enbostadshus", "Detaljplan för kvarteret Tallen",
            "Upphandling av skolskjuts", "Föreskrifter om avfallshantering",
            "Tillsyn enligt miljöbalken")
PERSONNUMMER = "850709-9805"


def fill_store(store: Store, n: int, start: int = 1) -> None:
    """n documents in cases of five, every fourth with extracted text (two pages); one
    secret document and one whose text holds a personnummer."""
    with store.transaction() as conn:
        org = store.organisation_id("exkommun", "Exempelkommunen")
        for i in range(start, start + n):
            case_no = (i - 1) // 5 + 1
            conn.execute(
                "INSERT OR IGNORE INTO cases (organisation_id, diarienummer, dnr_key, "
                "arendemening, status, namnd, enhet) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (org, f"KS 2023/{case_no}", f"KS|2023|{case_no}",
                 SUBJECTS[case_no % len(SUBJECTS)], "pågående", "Kommunstyrelsen",
                 "Kansliet"))
            case_id = conn.execute("SELECT id FROM cases WHERE dnr_key = ?",
                                   (f"KS|2023|{case_no}",)).fetchone()[0]
            secret = "26 kap. 1 § OSL" if i == 7 else ""
            rubrik = "Hemlig utredning om Kalle Hemlin" if i == 7 else \
                f"{SUBJECTS[i % len(SUBJECTS)]} nr {i}"
            cur = conn.execute(
                "INSERT INTO documents (case_id, lopnummer, datum, riktning, handlingstyp, "
                "rubrik, part, sekretess, row_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (case_id, (i - 1) % 5 + 1, f"2023-{(i % 12) + 1:02d}-{(i % 27) + 1:02d}",
                 ("Inkommande", "Utgående", "Upprättad")[i % 3],
                 ("Beslut", "Skrivelse", "Yttrande")[i % 3], rubrik,
                 "Kalle Hemlin" if i == 7 else "Trafikverket", secret, str(i)))
            doc_id = int(cur.lastrowid or 0)
            if i % 4 == 3 or i in (7, 8):
                pages = [f"Sidan ett om bygglovet för dokument {i}.",
                         "Sidan två: personnummer " + PERSONNUMMER if i == 8 else
                         f"Sidan två om detaljplanen {i}."]
                if i == 7:
                    pages = ["Hemligt innehåll om Kalle Hemlin."]
                text = "\n".join(pages)
                sha = hashlib.sha256(text.encode()).hexdigest()
                conn.execute("INSERT INTO files (sha256, size, media_type, state) "
                             "VALUES (?, ?, 'text/plain', 'extracted')", (sha, len(text)))
                conn.execute("INSERT INTO extractions (sha256, extractor, text, pages) "
                             "VALUES (?, 'text', ?, ?)", (sha, text, json.dumps(pages)))
                conn.execute("INSERT INTO document_files (document_id, sha256, name) "
                             "VALUES (?, ?, ?)", (doc_id, sha, f"dok{i}.txt"))
            store.record_change(doc_id)


@pytest.fixture
def store(settings: Settings):  # type: ignore[no-untyped-def]
    with Store(settings.store_path) as store:
        yield store


def _sources_text(backend: ElasticBackend) -> str:
    return json.dumps(list(backend.raw_sources()), ensure_ascii=False)


@pytest.mark.parametrize("engine", ["elasticsearch", "opensearch"])
def test_privacy_in_stored_documents(engine: str, make_elastic, store: Store,
                                     settings: Settings) -> None:  # type: ignore[no-untyped-def]
    fill_store(store, 12)
    backend = make_elastic(engine)
    report = run_index(store, settings, backend)
    assert report.count == 12
    stored = _sources_text(backend)
    # The secret document is only its register entry; personnummer are masked.
    assert "Kalle" not in stored and "Hemlin" not in stored and "Hemligt" not in stored
    assert "Sekretess enligt 26 kap. 1 § OSL" in stored
    assert "9805" not in stored and "850709-****" in stored
    for query in ("Kalle", "Hemlin", "9805", PERSONNUMMER, "hemligt"):
        assert backend.search(SearchRequest(query=query)).total == 0, query
    # Also after a reindex into a new index.
    reindex(store, settings, backend)
    stored = _sources_text(backend)
    assert "Hemlin" not in stored and "9805" not in stored


@pytest.mark.parametrize("engine", ["elasticsearch", "opensearch"])
def test_reindex_moves_alias_and_rolls_back(engine: str, make_elastic, store: Store,
                                            settings: Settings) -> None:  # type: ignore[no-untyped-def]
    fill_store(store, 40)
    backend = make_elastic(engine)
    first_index = backend.alias_targets()
    with pytest.raises(NotFound):
        rollback(store, backend)
    seen: list[tuple[int, int]] = []
    report = reindex(store, settings, backend, batch=15,
                     progress=lambda p: seen.append((p.done, p.total)))
    assert report.count == report.store_count == 40 == backend.count()
    assert report.previous == first_index[0] and not report.resumed
    assert backend.alias_targets() == [report.index]
    assert seen[-1] == (40, 40) and all(d <= t for d, t in seen)
    assert backend.search(SearchRequest(query="bygglovet")).total > 0
    # Incremental indexing continues from the reindex's head: nothing left to do.
    assert run_index(store, settings, backend).indexed == 0
    second = reindex(store, settings, backend)
    assert set(backend.versioned_indices()) == {report.index, second.index}
    assert rollback(store, backend) == report.index
    assert backend.alias_targets() == [report.index] and backend.count() == 40
    assert rollback(store, backend) == second.index
    # After a rollback every record is projected again (privacy rules may have changed
    # since the index it went back to was built); a reindex needs nothing more.
    assert run_index(store, settings, backend).indexed == 40
    reindex(store, settings, backend)
    assert run_index(store, settings, backend).indexed == 0


def test_searches_never_fail_during_reindex(make_elastic, store: Store,
                                            settings: Settings) -> None:  # type: ignore[no-untyped-def]
    fill_store(store, 150)
    backend = make_elastic("opensearch")
    reindex(store, settings, backend)
    searcher = ElasticBackend(backend.config)
    stop = threading.Event()
    outcomes: list[str] = []

    def loop() -> None:
        while not stop.is_set():
            try:
                result = searcher.search(SearchRequest(query="bygglov", per_page=5))
                outcomes.append("ok" if result.total > 0 and result.hits else "empty")
            except Exception as exc:  # noqa: BLE001 - every failure is counted
                outcomes.append(f"failed: {exc}")

    thread = threading.Thread(target=loop)
    thread.start()
    try:
        for _ in range(2):
            reindex(store, settings, backend, batch=30, chunk_docs=30)
    finally:
        stop.set()
        thread.join()
        searcher.close()
    assert len(outcomes) > 10
    assert [o for o in outcomes if o != "ok"] == []


_KILLABLE = """
import sys, time
from diarium.config import load_settings
from diarium.indexer.elastic import ElasticBackend, load_config
from diarium.indexer.elastic.reindex import reindex
from diarium.store import Store
settings = load_settings(sys.argv[1])
backend = ElasticBackend(load_config(settings, "elasticsearch", {"url": sys.argv[2],
                                                                  "index": sys.argv[3]}))
with Store(settings.store_path) as store:
    reindex(store, settings, backend, batch=40, parallel=1, chunk_docs=20,
            progress=lambda p: (print(p.done, flush=True), time.sleep(0.3)))
"""


def test_sigkilled_reindex_resumes(make_elastic, store: Store, settings: Settings,
                                   es_url: str) -> None:  # type: ignore[no-untyped-def]
    fill_store(store, 200)
    backend = make_elastic("elasticsearch")
    old = backend.alias_targets()
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLABLE, str(settings.data_dir), es_url, backend.alias],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 120
        for line in proc.stdout:
            if int(line) >= 60 or time.monotonic() > deadline:
                break
        building = {n: m for n, m in backend.versioned_indices().items()
                    if m.get("state") == "building"}
        assert building and next(iter(building.values()))["checkpoint"] > 0
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # Killed midway: searches still see the old index.
    assert backend.alias_targets() == old
    report = reindex(store, settings, backend)
    assert report.resumed and report.index in building
    assert report.written < 200
    assert backend.alias_targets() == [report.index]
    assert backend.count() == report.count == 200


@pytest.mark.parametrize("engine", ["elasticsearch", "opensearch"])
def test_withdrawn_text_leaves_the_index(engine: str, make_elastic, store: Store,
                                         settings: Settings) -> None:  # type: ignore[no-untyped-def]
    fill_store(store, 12)
    backend = make_elastic(engine)
    run_index(store, settings, backend)
    reindex(store, settings, backend)          # keeps a previous index for rollback
    assert len(backend.versioned_indices()) == 2
    assert backend.search(SearchRequest(query="dokument 3")).total > 0
    with store.transaction() as conn:
        conn.execute("UPDATE documents SET sekretess = '23 kap. 1 § OSL' WHERE id = 3")
        store.record_change(3)
    report = run_index(store, settings, backend)
    assert report.purged
    stored = [s for s in backend.raw_sources() if s["doc_id"] == "3"]
    assert stored[0]["rubrik"] == "Sekretess enligt 23 kap. 1 § OSL"
    assert "dokument 3" not in json.dumps(stored, ensure_ascii=False)
    assert backend.search(SearchRequest(query='"dokument 3"')).total == 0
    # The replaced version is gone from the segments too, not only from searches.
    stats = backend.conn.request("GET", f"/{backend.alias}/_stats/docs")
    assert stats["_all"]["primaries"]["docs"]["deleted"] == 0
    # No other index of the alias (a rollback target) keeps the withdrawn text either.
    assert sorted(backend.versioned_indices()) == backend.alias_targets()


def test_count_mismatch_keeps_the_alias(make_elastic, store: Store,
                                        settings: Settings) -> None:  # type: ignore[no-untyped-def]
    fill_store(store, 30)
    backend = make_elastic("opensearch")
    old = backend.alias_targets()
    deleted: list[int] = []

    def delete_one(p) -> None:  # type: ignore[no-untyped-def]
        # A document removed from the store after it was written: the index holds one
        # record too many when the run counts.
        if p.done >= 10 and not deleted:
            with store.transaction() as conn:
                conn.execute("DELETE FROM documents WHERE id = 1")
                store.record_change(1, "delete")
            deleted.append(1)

    with pytest.raises(ReindexMismatch, match="30 records but the store has 29"):
        reindex(store, settings, backend, batch=10, chunk_docs=10, progress=delete_one)
    assert backend.alias_targets() == old
    failed = [n for n, m in backend.versioned_indices().items() if m.get("state") == "failed"]
    assert len(failed) == 1
    report = reindex(store, settings, backend)
    assert not report.resumed and report.count == 29 == backend.count()
    assert failed[0] not in backend.versioned_indices()
