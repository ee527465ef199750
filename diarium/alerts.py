"""Bevakning by e-mail, without accounts (issue 15).

A visitor asks to watch a search or a case with an address and a frequency (direkt,
dagligen, veckovis). `subscribe()` stores the alert unconfirmed and queues a
confirmation mail with a single-use link (double opt-in; only the token's sha256 is kept,
and an unconfirmed alert expires after 48 hours). `confirm()` activates it from the
index's current change sequence: what the site showed when the visitor confirmed is not
news. Every mail carries a one-click unsubscribe link (RFC 8058 headers) and a link to the
page of all the address's alerts; ending the last alert deletes the address.

`run()` (`diarium alerts run`) mails what is new. For each confirmed alert due by its
frequency it runs the stored search on the search backend restricted to the records
changed between the alert's sequence and the sequence the index has absorbed
(index_state, so a run beside `diarium index` only sees what is searchable), then
projects the hits again from the store at run time (diarium.public): a record that became
secret or went away since it was indexed is not mailed. The digest is queued, the records
remembered in `alert_sent` and the alert's sequence advanced in one transaction, so a run
that stops halfway resumes where it stopped and no record is mailed twice for an alert.
Alerts live in the store only, never in an index.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from typing import TYPE_CHECKING, Protocol

from diarium import mail, ratelimit
from diarium.config import Settings
from diarium.errors import DiariumError, QueryError
from diarium.pipeline.indexing import last_seq
from diarium.public import PublicRecord, public_records
from diarium.search import MAX_PER_PAGE, SearchRequest
from diarium.store import Store

if TYPE_CHECKING:
    from diarium.indexer.base import SearchBackend

FREQUENCIES: dict[str, float] = {"direkt": 0.0, "dagligen": 86400.0, "veckovis": 7 * 86400.0}
FREQUENCY_LABELS: dict[str, str] = {
    "direkt": "direkt", "dagligen": "en gång om dagen", "veckovis": "en gång i veckan"}
# A daily alert run by a timer at 07:00 is due at 07:00 the next day even when the last
# run finished at 07:02: runs within this slack of the period count as a full period.
SLACK_SECONDS = 1800.0
CONFIRM_HOURS = 48
MAX_ALERTS_PER_ADDRESS = 50
# Per address: confirmation and manage-link mails a day; per IP address: an hour.
ADDRESS_LIMIT = (5, 86400.0)
IP_LIMIT = (20, 3600.0)
# Records listed in one digest; the rest are counted and linked.
DIGEST_SIZE = MAX_PER_PAGE
# Records per restricted search: the changed records are searched in slices of this.
SLICE = 2000

# The site's paths the mails link to (web/alerts.py serves them).
CONFIRM_PATH = "/bevakning/bekrafta/"
UNSUBSCRIBE_PATH = "/bevakning/avsluta/"
MANAGE_PATH = "/bevakning/hantera/"
DOCUMENT_PATH = "/handling/"


class AlertError(DiariumError):
    """An alert cannot be made: a bad address or frequency, too many alerts."""


@dataclass(frozen=True)
class AlertSpec:
    """What an alert watches: the search request's query, filters and date range, a
    label in Swedish for the mails, and the search page's query string for links."""

    label: str
    query: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    date_from: str = ""
    date_to: str = ""
    search_qs: str = ""

    def request(self, doc_ids: tuple[str, ...] | None = None,
                per_page: int = DIGEST_SIZE) -> SearchRequest:
        return SearchRequest(query=self.query, filters=dict(self.filters),
                             date_from=self.date_from or None, date_to=self.date_to or None,
                             sort="newest", per_page=per_page, with_facets=False,
                             semantic=False, doc_ids=doc_ids, with_snippets=False)


@dataclass(frozen=True)
class Alert:
    id: int
    email: str
    spec: AlertSpec
    frequency: str
    confirmed: bool
    unsubscribe_token: str
    manage_token: str
    last_seq: int
    last_run_at: float


@dataclass(frozen=True)
class RunReport:
    """What `run()` did: alerts `checked` (due), `mailed` (a digest queued), records
    `listed` in those digests, `withheld` (matched but secret or gone at run time),
    `failed` (an alert whose search failed; its sequence is kept), `index_seq` (the
    change sequence matched up to), `seconds` (wall time)."""

    checked: int = 0
    mailed: int = 0
    listed: int = 0
    withheld: int = 0
    failed: int = 0
    expired: int = 0
    index_seq: int = 0
    seconds: float = 0.0
    errors: tuple[str, ...] = ()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _alert(row: Mapping[str, object]) -> Alert:
    filters = json.loads(str(row["filters"]))
    return Alert(
        id=int(row["id"]),  # type: ignore[call-overload]
        email=str(row["email"]),
        spec=AlertSpec(label=str(row["label"]), query=str(row["query"]),
                       filters={k: tuple(v) for k, v in filters.items()},
                       date_from=str(row["date_from"]), date_to=str(row["date_to"]),
                       search_qs=str(row["search_qs"])),
        frequency=str(row["frequency"]),
        confirmed=row["confirmed_at"] is not None,
        unsubscribe_token=str(row["unsubscribe_token"]),
        manage_token=str(row["manage_token"]),
        last_seq=int(row["last_seq"]),  # type: ignore[call-overload]
        last_run_at=float(row["last_run_at"]),  # type: ignore[arg-type]
    )


_SELECT = ("SELECT a.*, d.email, d.manage_token FROM alerts a "
           "JOIN alert_addresses d ON d.id = a.address_id")


def _url(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def _footer(base_url: str, alert_token: str | None, manage_token: str) -> list[mail.Block]:
    blocks: list[mail.Block] = []
    if alert_token:
        blocks.append(mail.Link("Avsluta den här bevakningen",
                                _url(base_url, UNSUBSCRIBE_PATH + alert_token)))
    blocks.append(mail.Link("Se och avsluta alla dina bevakningar",
                            _url(base_url, MANAGE_PATH + manage_token)))
    return blocks


def _unsubscribe_headers(base_url: str, token: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: a POST to the link ends the alert."""
    return {"List-Unsubscribe": f"<{_url(base_url, UNSUBSCRIBE_PATH + token)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated"}


def expire_unconfirmed(store: Store, now: float | None = None) -> int:
    """Delete alerts left unconfirmed for CONFIRM_HOURS and addresses left without an
    alert; returns how many alerts went. Call inside a transaction."""
    moment = time.time() if now is None else now
    cur = store.conn.execute(
        "DELETE FROM alerts WHERE confirmed_at IS NULL AND created_at < ?",
        (moment - CONFIRM_HOURS * 3600,))
    _delete_empty_addresses(store)
    return int(cur.rowcount)


def _delete_empty_addresses(store: Store) -> None:
    store.conn.execute("DELETE FROM alert_addresses WHERE id NOT IN "
                       "(SELECT address_id FROM alerts)")


def subscribe(store: Store, settings: Settings, email: str, frequency: str, spec: AlertSpec,
              base_url: str, ip: str = "", now: float | None = None) -> str:
    """Store an unconfirmed alert and queue its confirmation mail in one transaction;
    returns the mail's Message-ID.

    Raises AlertError for an invalid address or frequency or too many alerts,
    ratelimit.RateLimited when the address or IP asked for too many mails, MailError
    when mail is not configured."""
    address = mail.valid_address(email)
    if address is None:
        raise AlertError("invalid e-mail address")
    if frequency not in FREQUENCIES:
        raise AlertError(f"unknown frequency {frequency!r}: use {', '.join(FREQUENCIES)}")
    moment = time.time() if now is None else now
    token = secrets.token_urlsafe(32)
    with store.transaction() as conn:
        expire_unconfirmed(store, moment)
        limits = [ratelimit.Limit(f"alert-address:{address.lower()}", *ADDRESS_LIMIT)]
        if ip:
            limits.append(ratelimit.Limit(f"alert-ip:{ip}", *IP_LIMIT))
        ratelimit.check(store, limits, moment)
        address_id, manage_token = _address(store, address, moment)
        count = int(conn.execute("SELECT COUNT(*) FROM alerts WHERE address_id = ?",
                                 (address_id,)).fetchone()[0])
        if count >= MAX_ALERTS_PER_ADDRESS:
            raise AlertError("too many alerts for this address")
        cur = conn.execute(
            "INSERT INTO alerts (address_id, label, query, filters, date_from, date_to, "
            "search_qs, frequency, confirm_hash, unsubscribe_token, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (address_id, spec.label[:300], spec.query, json.dumps(
                {k: list(v) for k, v in spec.filters.items()}, ensure_ascii=False),
             spec.date_from, spec.date_to, spec.search_qs, frequency, _hash(token),
             secrets.token_urlsafe(24), moment))
        assert cur.lastrowid is not None
        text, body = mail.render([
            "Hej!",
            f"Någon, förhoppningsvis du, har bett om att få e-post {FREQUENCY_LABELS[frequency]}"
            f" när nya handlingar kommer in som gäller: {spec.label}",
            mail.Link("Bekräfta bevakningen", _url(base_url, CONFIRM_PATH + token)),
            f"Länken gäller i {CONFIRM_HOURS} timmar och kan användas en gång. Har du inte "
            "bett om det här behöver du inte göra något: utan bekräftelse skickas inget mer.",
            *_footer(base_url, None, manage_token),
        ])
        message = mail.compose(settings.smtp, [address], "Bekräfta din bevakning", text,
                               body, {"Auto-Submitted": "auto-generated"})
        return mail.queue(store, message, "confirm")


def _address(store: Store, email: str, now: float) -> tuple[int, str]:
    row = store.conn.execute("SELECT id, manage_token FROM alert_addresses WHERE email = ?",
                             (email.lower(),)).fetchone()
    if row is not None:
        return int(row[0]), str(row[1])
    token = secrets.token_urlsafe(24)
    cur = store.conn.execute(
        "INSERT INTO alert_addresses (email, manage_token, created_at) VALUES (?, ?, ?)",
        (email.lower(), token, now))
    assert cur.lastrowid is not None
    return int(cur.lastrowid), token


def confirm(store: Store, token: str, index_seq: int, now: float | None = None
            ) -> Alert | None:
    """Activate the alert of a confirmation token (single use, within CONFIRM_HOURS),
    watching from `index_seq`; returns the Alert, or None for an unknown, used or
    expired token."""
    moment = time.time() if now is None else now
    with store.transaction() as conn:
        row = conn.execute(_SELECT + " WHERE a.confirm_hash = ?", (_hash(token),)).fetchone()
        if row is None or row["created_at"] < moment - CONFIRM_HOURS * 3600:
            return None
        conn.execute("UPDATE alerts SET confirm_hash = NULL, confirmed_at = ?, last_seq = ?, "
                     "last_run_at = ? WHERE id = ?", (moment, index_seq, moment, row["id"]))
        found = conn.execute(_SELECT + " WHERE a.id = ?", (row["id"],)).fetchone()
    return _alert(found)


def by_unsubscribe_token(store: Store, token: str) -> Alert | None:
    row = store.conn.execute(_SELECT + " WHERE a.unsubscribe_token = ?", (token,)).fetchone()
    return None if row is None else _alert(row)


def unsubscribe(store: Store, token: str) -> bool:
    """End the alert of an unsubscribe token, and delete its address when it was the
    last one; returns False for an unknown token (already ended)."""
    with store.transaction() as conn:
        cur = conn.execute("DELETE FROM alerts WHERE unsubscribe_token = ?", (token,))
        _delete_empty_addresses(store)
    return cur.rowcount > 0


def alerts_of(store: Store, manage_token: str) -> tuple[str, list[Alert]] | None:
    """The address and its alerts for a manage token, or None when unknown."""
    row = store.conn.execute("SELECT id, email FROM alert_addresses WHERE manage_token = ?",
                             (manage_token,)).fetchone()
    if row is None:
        return None
    found = [_alert(r) for r in store.conn.execute(
        _SELECT + " WHERE a.address_id = ? ORDER BY a.id", (row["id"],))]
    return str(row["email"]), found


def end_all(store: Store, manage_token: str) -> int:
    """End every alert of the address and delete the address; returns how many ended."""
    with store.transaction() as conn:
        row = conn.execute("SELECT id FROM alert_addresses WHERE manage_token = ?",
                           (manage_token,)).fetchone()
        if row is None:
            return 0
        cur = conn.execute("DELETE FROM alerts WHERE address_id = ?", (row["id"],))
        conn.execute("DELETE FROM alert_addresses WHERE id = ?", (row["id"],))
    return int(cur.rowcount)


def send_manage_link(store: Store, settings: Settings, email: str, base_url: str,
                     ip: str = "", now: float | None = None) -> str | None:
    """Queue a mail with the link to the page of all alerts of `email`; returns its
    Message-ID, or None when the address has no alerts (the caller says the same to
    the visitor either way). Raises ratelimit.RateLimited, AlertError."""
    address = mail.valid_address(email)
    if address is None:
        raise AlertError("invalid e-mail address")
    moment = time.time() if now is None else now
    with store.transaction() as conn:
        limits = [ratelimit.Limit(f"alert-address:{address.lower()}", *ADDRESS_LIMIT)]
        if ip:
            limits.append(ratelimit.Limit(f"alert-ip:{ip}", *IP_LIMIT))
        ratelimit.check(store, limits, moment)
        row = conn.execute("SELECT manage_token FROM alert_addresses WHERE email = ?",
                           (address.lower(),)).fetchone()
        if row is None:
            return None
        text, body = mail.render([
            "Hej!", "Här är länken till dina bevakningar. Där kan du se och avsluta dem.",
            *_footer(base_url, None, str(row[0]))])
        message = mail.compose(settings.smtp, [address], "Dina bevakningar", text, body,
                               {"Auto-Submitted": "auto-generated"})
        return mail.queue(store, message, "manage")


def due(alert: Alert, now: float) -> bool:
    """Whether a confirmed alert is due by its frequency at `now`."""
    period = FREQUENCIES[alert.frequency]
    return period == 0 or alert.last_run_at + period - SLACK_SECONDS <= now


class Matcher(Protocol):
    """Matches records against many alerts at once (indexer/elastic/percolate.py)."""

    def register(self, specs: Mapping[int, AlertSpec]) -> None: ...

    def match(self, records: Sequence[PublicRecord]) -> dict[int, list[str]]: ...


def run(store: Store, settings: Settings, backend: SearchBackend, base_url: str,
        now: float | None = None, today: date | None = None,
        on_alert: Callable[[int], None] | None = None,
        matcher: Matcher | None = None) -> RunReport:
    """Queue a digest for every confirmed alert that is due and has new matching records
    (see the module doc); returns a RunReport. `now` (unix time) decides what is due,
    `today` the public projection's day. Safe beside `diarium index` and resumable.
    `matcher` (the percolator on Elasticsearch/OpenSearch): the changed records, as the
    projection shows them now, are matched against every due alert in a few requests
    instead of one restricted search per alert.

    Raises MailError when mail is not configured, EngineUnavailable when the engine is
    down (alerts done so far keep their progress)."""
    started = time.perf_counter()
    moment = time.time() if now is None else now
    with store.transaction():
        expired = expire_unconfirmed(store, moment)
    head = last_seq(store, backend.state_name)
    if head is None:
        return RunReport(expired=expired, seconds=time.perf_counter() - started)
    rows = store.conn.execute(
        _SELECT + " WHERE a.confirmed_at IS NOT NULL AND a.last_seq < ? "
        "ORDER BY a.last_seq, a.id", (head,)).fetchall()
    alerts = [a for a in map(_alert, rows) if due(a, moment)]
    checked = mailed = listed = withheld = failed = 0
    errors: list[str] = []
    candidates: dict[int, tuple[str, ...]] = {}
    projected: dict[str, PublicRecord | None] = {}
    percolated: dict[int, list[str]] = {}

    def project(doc_ids: Sequence[str]) -> None:
        """One projection per record and run, shared by every alert that matched it."""
        unseen = [i for i in doc_ids if i not in projected]
        if unseen:
            projected.update(dict.fromkeys(unseen))
            projected.update((r.doc_id, r) for r in public_records(store, settings, unseen,
                                                                    today=today))

    if matcher is not None and alerts:
        matcher.register({a.id: a.spec for a in alerts})
    for alert in alerts:
        changed = candidates.get(alert.last_seq)
        if changed is None:
            changed = tuple(str(r[0]) for r in store.conn.execute(
                "SELECT DISTINCT document_id FROM changes WHERE seq > ? AND seq <= ? "
                "ORDER BY document_id", (alert.last_seq, head)))
            candidates = {alert.last_seq: changed}    # alerts come sorted by last_seq
            if matcher is not None:
                project(changed)
                current = sorted((r for i in changed if (r := projected[i]) is not None),
                                 key=lambda r: (r.datum, int(r.doc_id)), reverse=True)
                percolated = matcher.match(current)
        checked += 1
        try:
            if matcher is not None:
                matched = percolated.get(alert.id, [])
                total, ids = len(matched), matched[:DIGEST_SIZE]
            else:
                total, ids = _matches(backend, alert.spec, changed)
        except QueryError as exc:
            failed += 1
            errors.append(f"alert {alert.id}: {exc}")
            continue
        sent = _already_sent(store, alert.id, ids)
        wanted = [i for i in ids if i not in sent]
        project(wanted)
        records = [r for i in wanted if (r := projected[i]) is not None and not r.secret]
        withheld += len(wanted) - len(records)
        with store.transaction() as conn:
            # Advance only from the sequence this run read: another run that got here
            # first (or an unsubscribe) wins, and this one queues nothing.
            advanced = conn.execute(
                "UPDATE alerts SET last_seq = ?, last_run_at = ? WHERE id = ? AND last_seq = ?",
                (head, moment, alert.id, alert.last_seq)).rowcount
            if advanced and records:
                message = _digest(settings, alert, records, total - len(sent), base_url)
                mail.queue(store, message, "digest")
                conn.executemany(
                    "INSERT OR IGNORE INTO alert_sent (alert_id, doc_id) VALUES (?, ?)",
                    [(alert.id, r.doc_id) for r in records])
                mailed += 1
                listed += len(records)
        if on_alert is not None:
            on_alert(checked)
    return RunReport(checked=checked, mailed=mailed, listed=listed, withheld=withheld,
                     failed=failed, expired=expired, index_seq=head,
                     seconds=time.perf_counter() - started, errors=tuple(errors[:20]))


def _matches(backend: SearchBackend, spec: AlertSpec, changed: Sequence[str]
             ) -> tuple[int, list[str]]:
    """How many of the changed records match the alert's search exactly (a graceful-AND
    partial result is no match), and the doc_ids of the newest DIGEST_SIZE of them."""
    total = 0
    ids: list[str] = []
    for start in range(0, len(changed), SLICE):
        part = tuple(changed[start:start + SLICE])
        result = backend.search(spec.request(doc_ids=part))
        if result.partial or not result.total:
            continue
        total += result.total
        # Keyword matches only: a related result found by meaning is no "new match".
        ids.extend(hit.record.doc_id for hit in result.hits if not hit.semantic)
    return total, ids[:DIGEST_SIZE]


def _already_sent(store: Store, alert_id: int, ids: Sequence[str]) -> set[str]:
    if not ids:
        return set()
    marks = ",".join("?" * len(ids))
    return {str(r[0]) for r in store.conn.execute(
        f"SELECT doc_id FROM alert_sent WHERE alert_id = ? AND doc_id IN ({marks})",
        (alert_id, *ids))}


def _record_line(record: PublicRecord) -> str:
    title = record.rubrik or record.handlingstyp or "Handling"
    return f"{title} – {record.diarienummer}:{record.lopnummer}, {record.datum}"


def _digest(settings: Settings, alert: Alert, records: Sequence[PublicRecord], total: int,
            base_url: str) -> EmailMessage:
    count = len(records)
    noun = "ny handling" if count == 1 else "nya handlingar"
    items: list[mail.Block] = [
        (_record_line(r), mail.Link("Visa", _url(base_url, DOCUMENT_PATH + r.doc_id)))
        for r in records]
    blocks: list[mail.Block | list[mail.Block]] = [
        f"Bevakning: {alert.spec.label}", f"{count} {noun} sedan förra utskicket:", items]
    if total > count:
        blocks.append(f"Ytterligare {total - count} handlingar matchar. Se alla i sökningen.")
    blocks.append(mail.Link("Öppna sökningen",
                            _url(base_url, "/" + ("?" + alert.spec.search_qs
                                                  if alert.spec.search_qs else ""))))
    blocks.extend(_footer(base_url, alert.unsubscribe_token, alert.manage_token))
    text, body = mail.render(blocks)
    subject = f"Bevakning: {alert.spec.label[:80]} – {count} {noun}"
    return mail.compose(settings.smtp, [alert.email], subject, text, body,
                        _unsubscribe_headers(base_url, alert.unsubscribe_token))
