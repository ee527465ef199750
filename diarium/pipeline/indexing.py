"""The indexing service: bring a search backend up to date with the store.

The store records every document change in the `changes` table (a growing sequence);
`index_state` remembers, per index, the last sequence number that index has absorbed.
An incremental run takes the documents changed since then, projects them again through
the public projection (diarium.public, the only place privacy rules apply) and:

- upserts the PublicRecord of every changed document that still exists, so a document
  that became secret or lost its publication clearance is replaced by its register entry
  and its text leaves the index;
- deletes every changed document that no longer exists (a 'delete' change, or a row gone).

When a run takes published content back (a document deleted, made secret or stripped of
its text), the old content must leave the index files too, not only the search results:
engines keep replaced documents in old segments until a merge. Such a run ends with a
purge (see _purge).

The store's current state decides, not the kind of change, so replaying changes is
harmless: after a crash the next run simply does the same work again. `last_seq` is
written only after the backend committed everything up to it.

A rebuild writes every document again (over its old version, so searches keep a complete
index throughout), deletes the documents the store no longer has, and starts from an
empty index only when the index holds records the store never knew. An index that has no
state yet, or that is empty while the store is not (the embedded engine drops an index
written with an older schema), is rebuilt automatically.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from diarium.config import Settings
from diarium.embeddings import EmbedProgress
from diarium.pipeline import embedding
from diarium.pipeline.embedding import SemanticReport
from diarium.privacy import state as privacy_state
from diarium.public import PublicRecord, may_take_back, public_records, takes_back
from diarium.store import Store

if TYPE_CHECKING:
    from diarium.indexer.base import SearchBackend

# Documents per backend write (one commit / bulk round each): large enough that the
# engine's per-commit cost is small, small enough that a crash loses little work.
CHUNK = 10_000
PROGRESS_EVERY = 1_000


@dataclass(frozen=True)
class IndexProgress:
    """Where a run is: `done` of `total` documents written or deleted so far."""

    done: int
    total: int
    seconds: float
    rebuild: bool

    @property
    def docs_per_second(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class IndexReport:
    """What a run did. `indexed`: records written; `deleted`: documents removed that were
    in the index; `count`: records in the index afterwards; `last_seq`: the change
    sequence the index has now absorbed."""

    engine: str
    state_name: str
    rebuild: bool
    indexed: int
    deleted: int
    count: int
    last_seq: int
    seconds: float
    purged: bool = False         # withdrawn content was purged (see _purge)
    semantic: SemanticReport | None = None   # the embedding step (pipeline.embedding)
    # `hold_pending`: the documents this run held back (to be given to a later run's
    # `include`: last_seq has moved past their changes).
    held: frozenset[int] = frozenset()

    @property
    def docs_per_second(self) -> float:
        return self.indexed / self.seconds if self.seconds > 0 else 0.0


def state_name(backend: SearchBackend) -> str:
    """The index_state key of a backend: "embedded", or e.g. "elasticsearch:diarium"."""
    return backend.state_name


def last_seq(store: Store, name: str) -> int | None:
    """The change sequence the named index has absorbed, or None when never indexed."""
    row = store.conn.execute("SELECT last_seq FROM index_state WHERE name = ?",
                             (name,)).fetchone()
    return None if row is None else int(row[0])


def pending(store: Store, name: str) -> int:
    """How many documents changed since the named index's last run (all when never run)."""
    seq = last_seq(store, name)
    if seq is None:
        return int(store.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
    return int(store.conn.execute(
        "SELECT COUNT(DISTINCT document_id) FROM changes WHERE seq > ?", (seq,)
    ).fetchone()[0])


def index(
    store: Store,
    settings: Settings,
    backend: SearchBackend,
    rebuild: bool = False,
    progress: Callable[[IndexProgress], None] | None = None,
    today: date | None = None,
    embed_progress: Callable[[EmbedProgress], None] | None = None,
    hold_pending: bool = False,
    include: Collection[int] = (),
    unindexed: Collection[int] = (),
) -> IndexReport:
    """Bring `backend` up to date with the store (see the module doc); returns an
    IndexReport. `today` (default: the current date) is the day records are projected
    on: it decides which show_days windows are open (diarium.privacy.state). Raises
    EngineUnavailable (and whatever DiariumError the backend raises) when the engine
    cannot be written; index_state then keeps its previous value, so the next run
    repeats the work. The embedding step (diarium.pipeline.embedding) runs first, with
    `embed_progress`. `hold_pending` (indexing while extraction runs, diarium.pipeline.
    overlap): a document with a file still waiting to be extracted is not written yet;
    the extraction of that file records a change of the document, and a later run
    writes it then, with its text (the projection of a document without its file's
    text could publish what its text would withdraw). The report's `held` names them:
    last_seq moves past their changes, so the caller hands them to a later run as
    `include` (documents an incremental run writes besides the changed ones).
    `unindexed`: documents the caller knows the index does not hold (held back since
    it was empty): written for the first time, they take nothing back, so they are not
    looked up in the engine first (one request each)."""
    started = time.perf_counter()
    day = today or date.today()
    name = state_name(backend)
    semantic = embedding.refresh(store, settings, backend.name, progress=embed_progress,
                                 today=day)
    # The head is read before any document: changes made during this run come after it
    # and are picked up by the next run (a document may be indexed twice, never missed).
    head = int(store.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0])
    since = last_seq(store, name)
    documents = int(store.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
    if since is None or (documents and backend.count() == 0):
        rebuild = True

    counter = _Counter(progress, rebuild, started)
    withdrawn = purged = False
    held: set[int] = set()
    if rebuild:
        # Forget the old state first: a rebuild interrupted halfway must not be mistaken
        # for an index that is up to date.
        _forget(store, name)
        counter.total = documents
        chosen: list[int] | None = None
        if hold_pending:
            waiting = _pending_documents(store)
            ids = [int(r[0]) for r in store.conn.execute("SELECT id FROM documents ORDER BY id")]
            held = {i for i in ids if i in waiting}
            chosen = [i for i in ids if i not in waiting]
            counter.total = len(chosen)
        # Every document is written over its old version (no clear first), so searches
        # see a complete index throughout; then what the store no longer has goes.
        indexed = _write(backend, public_records(store, settings, chosen, today=day), counter)
        deleted = _delete_gone(store, backend)
        if backend.count() > indexed:
            # Records the store never knew (an index from elsewhere): start from empty.
            backend.clear()
            indexed = _write(backend, public_records(store, settings, chosen, today=day),
                             counter)
    else:
        assert since is not None
        changed = [
            int(r[0])
            for r in store.conn.execute(
                "SELECT DISTINCT document_id FROM changes WHERE seq > ? AND seq <= ? "
                "ORDER BY document_id",
                (since, head),
            )
        ]
        # Records whose projection changed with time or policy, not in the store: a
        # show_days window that closed, a changed privacy policy (diarium.privacy.state).
        due = privacy_state.due(store, settings, name, day)
        if due.ids:
            # A changed policy may take anything back: purge without comparing each
            # record with its indexed version (one engine lookup each).
            withdrawn = due.wholesale
        if due.ids or include:
            changed = sorted(set(changed).union(due.ids, include))
        if hold_pending:
            waiting = _pending_documents(store)
            held = {i for i in changed if i in waiting}
            changed = [i for i in changed if i not in waiting]
        counter.total = len(changed)
        indexed = deleted = 0
        for start in range(0, len(changed), CHUNK):
            chunk = changed[start:start + CHUNK]
            records = list(public_records(store, settings, chunk, today=day))
            if not withdrawn:
                known = [r for r in records if int(r.doc_id) not in unindexed] \
                    if unindexed else records
                withdrawn = _withdraws(backend, _seen_before(store, since, known))
            indexed += _write(backend, records, counter)
            seen = {int(r.doc_id) for r in records}
            gone = [str(i) for i in chunk if i not in seen]
            if gone:
                removed = backend.delete(gone)
                deleted += removed
                withdrawn = withdrawn or removed > 0
                counter.add(len(gone))
        if withdrawn:
            purged = _purge(store, settings, backend, counter, day)
    save_last_seq(store, name, head)
    privacy_state.remember(store, settings, name, day)
    counter.finish()
    return IndexReport(
        engine=backend.name, state_name=name, rebuild=rebuild, indexed=indexed,
        deleted=deleted, count=backend.count(), last_seq=head,
        seconds=time.perf_counter() - started, purged=purged, semantic=semantic,
        held=frozenset(held),
    )


def _seen_before(store: Store, since: int, records: list[PublicRecord]) -> list[PublicRecord]:
    """The records whose document the index has seen before: it had a change at or
    before `since` (every new document records a change). Documents new since the last
    run cannot take anything back, and most of a large run is usually new."""
    if not records:
        return []
    ids = [int(r.doc_id) for r in records]
    old: set[int] = set()
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        marks = ",".join("?" * len(part))
        old.update(int(row[0]) for row in store.conn.execute(
            f"SELECT DISTINCT document_id FROM changes WHERE seq <= ? "
            f"AND document_id IN ({marks})", (since, *part)))
    return [r for r in records if int(r.doc_id) in old]


def _withdraws(backend: SearchBackend, records: list[PublicRecord]) -> bool:
    """Whether writing these records takes published content back (diarium.public.
    takes_back: a document now secret or without text, a private name hidden, a sensitive
    matter neutralised) while its indexed version had it."""
    for record in records:
        if may_take_back(record):
            old = backend.get(record.doc_id)
            if old is not None and takes_back(old, record):
                return True
    return False


def _purge(store: Store, settings: Settings, backend: SearchBackend,
           counter: _Counter, day: date) -> bool:
    """Make withdrawn content physically leave the index. An engine keeps a replaced or
    deleted document in its old segment (terms, stored fields) until a merge, where
    reading the index files directly would still find it. The backend's own purge() is
    used when it can (Capabilities.purge "native"). Otherwise ("rewrite", the embedded
    engine) every document is written again: tantivy drops a segment as soon as none of
    its documents is alive, so no old segment survives, and unlike a clear-and-rebuild,
    searches see the whole index all along. Returns True."""
    if backend.capabilities.purge == "native":
        backend.purge()
        return True
    counter.total += int(store.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
    _write(backend, public_records(store, settings, today=day), counter)
    return True


class _Counter:
    """Counts documents as the backend consumes them and reports progress now and then."""

    def __init__(self, progress: Callable[[IndexProgress], None] | None, rebuild: bool,
                 started: float) -> None:
        self.progress = progress
        self.rebuild = rebuild
        self.started = started
        self.done = 0
        self.total = 0
        self._next = PROGRESS_EVERY

    def add(self, n: int = 1) -> None:
        self.done += n
        if self.progress is not None and self.done >= self._next:
            self._next = self.done + PROGRESS_EVERY
            self._report()

    def finish(self) -> None:
        if self.progress is not None:
            self._report()

    def _report(self) -> None:
        assert self.progress is not None
        self.progress(IndexProgress(self.done, max(self.total, self.done),
                                    time.perf_counter() - self.started, self.rebuild))


def _counted(records: Iterable[PublicRecord], counter: _Counter) -> Iterator[PublicRecord]:
    for record in records:
        yield record
        counter.add()


def _write(backend: SearchBackend, records: Iterable[PublicRecord], counter: _Counter) -> int:
    """Hand records to the backend in chunks of CHUNK (each chunk is committed)."""
    written = 0
    batch: list[PublicRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) >= CHUNK:
            written += backend.index(_counted(batch, counter))
            batch = []
    if batch:
        written += backend.index(_counted(batch, counter))
    return written




def _pending_documents(store: Store) -> set[int]:
    """Documents with a file not yet extracted (state pending)."""
    return {int(r[0]) for r in store.conn.execute(
        "SELECT DISTINCT df.document_id FROM document_files df JOIN files f "
        "ON f.sha256 = df.sha256 WHERE f.state = 'pending'")}


def _delete_gone(store: Store, backend: SearchBackend) -> int:
    """Delete documents the store once had and no longer has; returns how many were in
    the index."""
    ids = [str(r[0]) for r in store.conn.execute(
        "SELECT DISTINCT document_id FROM changes "
        "WHERE document_id NOT IN (SELECT id FROM documents)")]
    deleted = 0
    for start in range(0, len(ids), CHUNK):
        deleted += backend.delete(ids[start:start + CHUNK])
    return deleted


def _forget(store: Store, name: str) -> None:
    with store.transaction() as conn:
        conn.execute("DELETE FROM index_state WHERE name = ?", (name,))


def save_last_seq(store: Store, name: str, seq: int) -> None:
    """Record that the named index has absorbed the changes up to `seq` (see last_seq);
    returns None. Used by `diarium index` and by reindex/rollback after the alias moves."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO index_state (name, last_seq, updated_at) "
            "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) "
            "ON CONFLICT(name) DO UPDATE SET last_seq = excluded.last_seq, "
            "updated_at = excluded.updated_at",
            (name, seq),
        )
