"""Extraction and indexing at once: files reach the index while others are still read.

`extract_and_index` runs the extraction pipeline (diarium.pipeline.extracting) in the
calling thread and, in a second thread, incremental index runs (diarium.pipeline.
indexing.index) one after the other while files are committed, then one last run when
extraction has ended. Each run takes the documents changed since the previous one and
holds back those with a file still waiting to be extracted (`hold_pending`): a document
is written once, with its text, as soon as its files are committed, never first as a
register entry whose file link its text might withdraw. The documents a run held back
are handed to the next run (`include`), since last_seq has moved past their changes:
the last run holds nothing back and writes them all (with the files this run does not
extract, such as pending files in a `--retry-failed` run, as `diarium index` would).
Documents held back since the index was empty (a first sync) are not looked up in the
engine when they are written (`unindexed`: they cannot take anything back). The
search engine's own work (analysis, segment writes) and the projection in this process
then overlap the workers' reading instead of following it.

Nothing of either stage's guarantees changes: every file is committed by the extraction
on its own, index_state moves only after the engine has committed the records, and each
run is an ordinary incremental run, so a run that is killed resumes with `diarium
extract` and `diarium index` (or this function) where it stopped. A failing index run
(the engine unreachable) ends the indexing thread, not the extraction; its error is
raised once the extraction is done, and the next index run repeats its work (the
documents held back by the last run that succeeded get a change recorded for it: no
last run writes them).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from diarium.config import Settings
from diarium.pipeline.extracting import ExtractConfig, ExtractReport, Progress, extract
from diarium.pipeline.indexing import IndexReport, index
from diarium.store import Store

if TYPE_CHECKING:
    from diarium.indexer.base import SearchBackend

# Seconds from the end of one index run to the start of the next while files keep coming:
# each run costs the engine a refresh and a small segment to merge, so files committed in
# the meantime go together. Measured against starting the next run INTERVAL after the
# previous one began (back to back when runs are long, so less is left for the last run):
# that gave more runs, 0.3 node CPU-s more and 0.2 s later searchable (real corpus,
# 2 workers, 6 alternating runs each).
INTERVAL = 1.0


@dataclass(frozen=True)
class ExtractIndexReport:
    """What `extract_and_index` did: the extraction's report, the last index run's
    report (the index is up to date with the store as of that run), how many index runs
    there were and how many records they wrote in all (a document written first without
    its text, then with it, counts twice)."""

    extracted: ExtractReport
    indexed: IndexReport
    index_runs: int
    backend: SearchBackend           # the one given, or the one opened (the caller closes it)
    # All runs as one IndexReport (what a sequential `index` reports): records written
    # and deleted by all of them, rebuild / purged when one did, their seconds; count,
    # last_seq and semantic as of the last run.
    total: IndexReport

    @property
    def records_written(self) -> int:
        return self.total.indexed


def _combined(total: IndexReport | None, run: IndexReport) -> IndexReport:
    """`total` (the runs so far as one report) with one more run added."""
    if total is None:
        return replace(run, held=frozenset())
    return replace(run, indexed=total.indexed + run.indexed,
                   deleted=total.deleted + run.deleted, rebuild=total.rebuild or run.rebuild,
                   purged=total.purged or run.purged, seconds=total.seconds + run.seconds,
                   held=frozenset())


class _Indexer(threading.Thread):
    """Incremental index runs in a loop until told that extraction has ended."""

    def __init__(self, settings: Settings, backend: SearchBackend | None,
                 opener: Callable[[], SearchBackend] | None, rebuild: bool,
                 today: date | None) -> None:
        super().__init__(name="diarium-index", daemon=True)
        self.settings = settings
        self.opener = opener
        self.backend = backend
        self.rebuild = rebuild
        self.today = today
        self.committed = 0               # files committed so far (the extraction's count)
        self.finished = threading.Event()
        self.abandon = False             # extraction failed: no last run
        self.error: BaseException | None = None
        self.report: IndexReport | None = None
        self.total: IndexReport | None = None     # every run so far (_combined)
        self.runs = 0
        self.held: frozenset[int] = frozenset()   # held back by the previous run
        # Held back by every run so far, with an index empty before the first one: not
        # in the index, so the run that writes them need not look them up (withdrawals).
        self.absent: frozenset[int] = frozenset()

    def run(self) -> None:
        try:
            if self.opener is not None:
                # Opening may create the index on the engine: that too while files are read.
                self.backend = self.opener()
            backend = self.backend
            assert backend is not None
            # Its own connection: SQLite connections stay in the thread that made them.
            with Store(self.settings.store_path) as store:
                seen = -1
                empty = backend.count() == 0
                while True:
                    last = self.finished.is_set()
                    if last and self.abandon:
                        return
                    if last or self.committed != seen:
                        seen = self.committed
                        # Until the last run, documents whose files wait for
                        # extraction are held back (written once, with their text).
                        self.report = index(store, self.settings, backend,
                                            rebuild=self.rebuild and self.runs == 0,
                                            today=self.today, hold_pending=not last,
                                            include=self.held, unindexed=self.absent)
                        self.runs += 1
                        self.total = _combined(self.total, self.report)
                        self.held = self.report.held
                        self.absent = (self.held if empty and self.runs == 1
                                       else self.absent & self.held)
                    if last:
                        return
                    # Returns at once when the extraction ends, for the last run.
                    self.finished.wait(INTERVAL)
        except BaseException as exc:  # raised in the calling thread after extraction
            self.error = exc


def _release(store: Store, held: frozenset[int]) -> None:
    """No last run will write the documents the last index run held back, and last_seq
    has moved past their changes: record a change of each, so that the next `diarium
    index` writes them (with or without their text) instead of leaving them out."""
    if held:
        with store.transaction():
            for document_id in sorted(held):
                store.record_change(document_id)


def extract_and_index(store: Store, settings: Settings,
                      backend: SearchBackend | None = None,
                      config: ExtractConfig | None = None, *,
                      open_backend: Callable[[], SearchBackend] | None = None,
                      retry_failed: bool = False,
                      only_new: bool = False, rebuild: bool = False,
                      today: date | None = None,
                      progress: Callable[[Progress], None] | None = None,
                      on_extracted: Callable[[ExtractReport], None] | None = None
                      ) -> ExtractIndexReport:
    """Extract the selected files (as `extract`) while bringing `backend` up to date
    with the store (as `index`, incremental runs; `rebuild` for the first one); returns
    both reports once the last index run has committed. Instead of `backend`,
    `open_backend` may be given, a function that opens one (diarium.indexer.open_backend
    with its arguments): it is called in the indexing thread, so setting up the
    engine's index overlaps the extraction too, and the caller closes the report's
    backend. Raises ValueError unless exactly one of the two is given. Raises what `extract` raises,
    and then the first error of an index run (EngineUnavailable, ...): the extraction
    has then still completed and committed every file. `on_extracted` is called with
    the extraction's report as soon as the extraction has ended, before the last index
    run (a caller that reports the two stages, or needs the extraction's figures when
    indexing fails)."""
    if (backend is None) == (open_backend is None):
        raise ValueError("give either backend or open_backend")
    indexer = _Indexer(settings, backend, open_backend, rebuild, today)

    def committed(p: Progress) -> None:
        indexer.committed = p.done
        if progress is not None:
            progress(p)

    indexer.start()
    try:
        extracted = extract(store, settings, config, retry_failed=retry_failed,
                            only_new=only_new, progress=committed)
    except BaseException:
        indexer.abandon = True
        indexer.finished.set()
        indexer.join()
        _abandon(store, indexer)
        raise
    indexer.finished.set()
    try:
        if on_extracted is not None:
            on_extracted(extracted)
    finally:
        indexer.join()
    if indexer.error is not None:
        _abandon(store, indexer)
        raise indexer.error
    assert indexer.report is not None and indexer.total is not None
    assert indexer.backend is not None
    return ExtractIndexReport(extracted, indexer.report, indexer.runs, indexer.backend,
                              indexer.total)


def _abandon(store: Store, indexer: _Indexer) -> None:
    """No last index run: its held-back documents released, a backend it opened closed."""
    _release(store, indexer.held)
    if indexer.opener is not None and indexer.backend is not None:
        indexer.backend.close()


__all__ = ["ExtractIndexReport", "extract_and_index"]
