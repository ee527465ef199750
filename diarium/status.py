"""What the store holds, per organisation and state: the data behind `diarium status`.

Indexed counts come from `index_state` against `changes`: a document is indexed in an
index when its latest change is at or before the index's `last_seq`; the rest wait for
the next `diarium index`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from diarium.models import FileState
from diarium.store import Store

FILE_STATES: tuple[str, ...] = tuple(s.value for s in FileState)


@dataclass
class IndexCounts:
    """One index's view of an organisation (or of all): documents indexed and waiting."""

    indexed: int = 0
    pending: int = 0


@dataclass
class OrgStatus:
    """Counts for one organisation, or the totals (slug "")."""

    slug: str
    name: str
    cases: int = 0
    documents: int = 0
    secret: int = 0
    unpublished: int = 0
    without_file: int = 0
    files: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FILE_STATES, 0))
    indexes: dict[str, IndexCounts] = field(default_factory=dict)

    @property
    def files_total(self) -> int:
        return sum(self.files.values())


@dataclass(frozen=True)
class IndexStatus:
    name: str
    last_seq: int
    pending_changes: int
    updated_at: str


@dataclass
class StoreStatus:
    """Everything `diarium status` shows. `last_seq` is the newest change number."""

    organisations: list[OrgStatus]
    total: OrgStatus
    indexes: list[IndexStatus]
    last_seq: int

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the shape printed by `diarium status --json`)."""

        def org(o: OrgStatus) -> dict[str, Any]:
            data = asdict(o)
            data["files"] = {"total": o.files_total, **o.files}
            return data

        return {
            "organisations": [org(o) for o in self.organisations],
            "total": org(self.total),
            "indexes": [asdict(i) for i in self.indexes],
            "last_seq": self.last_seq,
        }


def store_status(store: Store) -> StoreStatus:
    """Count cases, documents, files by extraction state and indexed documents, per
    organisation and in total. Read-only; returns a StoreStatus."""
    conn = store.conn
    orgs: dict[int, OrgStatus] = {
        int(r[0]): OrgStatus(slug=r[1], name=r[2])
        for r in conn.execute("SELECT id, slug, name FROM organisations ORDER BY slug")
    }
    total = OrgStatus(slug="", name="")

    for org_id, cases in conn.execute(
        "SELECT organisation_id, count(*) FROM cases GROUP BY organisation_id"
    ):
        orgs[org_id].cases = cases
    for org_id, docs, secret, unpublished, without_file in conn.execute(
        "SELECT c.organisation_id, count(*), sum(d.sekretess != ''), sum(d.publicerad = 0), "
        "sum(NOT EXISTS (SELECT 1 FROM document_files f WHERE f.document_id = d.id)) "
        "FROM documents d JOIN cases c ON c.id = d.case_id GROUP BY c.organisation_id"
    ):
        o = orgs[org_id]
        o.documents, o.secret, o.unpublished, o.without_file = (
            docs, secret or 0, unpublished or 0, without_file or 0
        )
    # A file shared by two organisations counts once in each, and once in the total.
    for org_id, state, n in conn.execute(
        "SELECT c.organisation_id, f.state, count(DISTINCT f.sha256) FROM files f "
        "JOIN document_files df ON df.sha256 = f.sha256 "
        "JOIN documents d ON d.id = df.document_id JOIN cases c ON c.id = d.case_id "
        "GROUP BY c.organisation_id, f.state"
    ):
        orgs[org_id].files[state] = n
    for state, n in conn.execute("SELECT state, count(*) FROM files GROUP BY state"):
        total.files[state] = n

    last_seq = int(conn.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0])
    indexes: list[IndexStatus] = []
    for name, seq, updated_at in conn.execute(
        "SELECT name, last_seq, updated_at FROM index_state ORDER BY name"
    ).fetchall():
        pending_changes = conn.execute(
            "SELECT count(*) FROM changes WHERE seq > ?", (seq,)
        ).fetchone()[0]
        indexes.append(IndexStatus(name, int(seq), int(pending_changes), str(updated_at)))
        for o in orgs.values():
            o.indexes[name] = IndexCounts()
        total.indexes[name] = IndexCounts()
        # Documents changed after last_seq wait for indexing; every other one is indexed.
        for org_id, docs, waiting in conn.execute(
            "SELECT c.organisation_id, count(*), "
            "sum(EXISTS (SELECT 1 FROM changes ch WHERE ch.document_id = d.id "
            "AND ch.seq > ?)) "
            "FROM documents d JOIN cases c ON c.id = d.case_id GROUP BY c.organisation_id",
            (seq,),
        ):
            orgs[org_id].indexes[name] = IndexCounts(docs - (waiting or 0), waiting or 0)

    for o in orgs.values():
        total.cases += o.cases
        total.documents += o.documents
        total.secret += o.secret
        total.unpublished += o.unpublished
        total.without_file += o.without_file
        for name, counts in o.indexes.items():
            total.indexes[name].indexed += counts.indexed
            total.indexes[name].pending += counts.pending
    return StoreStatus(list(orgs.values()), total, indexes, last_seq)
