"""Outgoing mail: messages composed in Swedish (text and escaped HTML), an outbox in the
store, and delivery through the SMTP server of `[smtp]` (diarium.config.SmtpSettings).

Every mail is queued with `queue()` in the same store transaction as what caused it (a
confirmation with its alert, a digest with the alert's advanced sequence, a request with
its rate-limit events), so a crash never leaves one without the other. `deliver()` sends
what is due:

- it claims due messages in one transaction (state 'sending' with a lease), so two
  senders running at once never take the same message;
- a message the server accepted is marked 'sent' at once; a refusal or a server that is
  down puts it back to 'queued' with exponential backoff (1 minute doubling up to 12
  hours), and after MAX_ATTEMPTS it stays 'failed' in the table, never deleted;
- a 'sending' claim whose lease ran out (the sender died between the server's accept and
  the mark) is sent again with the same bytes and the same Message-ID, so the one window
  where a message can arrive twice is that crash, and the receiving side can tell the
  copy by its Message-ID. Nothing is ever lost.
"""

from __future__ import annotations

import html
import json
import smtplib
import ssl
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid, parseaddr

from diarium.config import SmtpSettings
from diarium.errors import ConfigError, DiariumError
from diarium.store import Store

MAX_ATTEMPTS = 10
BACKOFF_FIRST = 60.0            # seconds before the first retry
BACKOFF_MAX = 12 * 3600.0
LEASE_SECONDS = 600.0           # a claim longer than any batch takes to send
BATCH = 100


class MailError(DiariumError):
    """Mail cannot be composed or delivered (no [smtp] settings, a bad address)."""


@dataclass(frozen=True)
class DeliveryReport:
    """What one deliver() pass did: `sent`, `deferred` (to be retried), `failed` (given
    up after MAX_ATTEMPTS), `waiting` (queued messages not yet due, after the pass)."""

    sent: int
    deferred: int
    failed: int
    waiting: int
    error: str = ""


def backoff(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed attempt (1, 2, ...)."""
    return min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** max(0, attempts - 1))


def valid_address(text: str) -> str | None:
    """`text` as one plain e-mail address (trimmed, the domain lower-cased), or None when
    it is not one (no display names, no lists, no header-breaking characters)."""
    text = text.strip()
    if not text or len(text) > 254 or any(c in text for c in '\r\n,;<>"() \t\\'):
        return None
    local, at, domain = text.rpartition("@")
    if not at or not local or "." not in domain or domain.startswith(".") or \
            domain.endswith(".") or ".." in domain or len(local) > 64:
        return None
    if "@" in local:
        return None
    try:
        Address(addr_spec=f"{local}@{domain.lower()}")
    except (ValueError, IndexError, HeaderParseError):
        return None
    return f"{local}@{domain.lower()}"


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "localhost"


def compose(smtp: SmtpSettings, to: Sequence[str], subject: str, text: str, html_body: str,
            headers: dict[str, str] | None = None) -> EmailMessage:
    """A multipart/alternative message (text and HTML) from the configured sender, with
    Date and a Message-ID of the sender's domain; headers with å/ä/ö are RFC 2047 encoded
    by the default policy when the message is serialised.

    Raises MailError when [smtp] has no sender."""
    if not smtp.sender:
        raise MailError("mail is not configured: set smtp.sender (and smtp.host) in "
                        "diarium.toml")
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=_domain(smtp.sender))
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html_body, subtype="html", cte="quoted-printable")
    return message


def queue(store: Store, message: EmailMessage, kind: str) -> str:
    """Put `message` in the outbox; call it inside the transaction that caused the mail.
    It is stored as sent: CRLF line ends (smtplib sends bytes as they are, and servers
    refuse bare LF lines). Returns its Message-ID (without the angle brackets)."""
    message_id = str(message["Message-ID"]).strip().strip("<>")
    recipients = [addr.addr_spec for addr in message["To"].addresses]
    store.conn.execute(
        "INSERT INTO outbox (message_id, kind, recipients, message) VALUES (?, ?, ?, ?)",
        (message_id, kind, json.dumps(recipients), message.as_bytes(policy=SMTP)))
    return message_id


@contextmanager
def connection(smtp: SmtpSettings) -> Iterator[smtplib.SMTP]:
    """An SMTP connection as configured (STARTTLS, implicit TLS or plain), logged in
    when a user is set. Raises OSError or smtplib.SMTPException when it cannot be made."""
    if not smtp.configured:
        raise ConfigError("mail is not configured: set smtp.host and smtp.sender in "
                          "diarium.toml")
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if smtp.security == "tls":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout,
                                  context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    try:
        client.ehlo()
        if smtp.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if smtp.user:
            client.login(smtp.user, smtp.password())
        yield client
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def _claim(store: Store, now: float, limit: int, ids: Sequence[str] | None) -> list[dict]:
    """Take due messages (queued and due, or 'sending' with a lapsed lease) under a lease."""
    where = ("((state = 'queued' AND next_attempt_at <= ?) "
             "OR (state = 'sending' AND lease_until <= ?))")
    params: list[object] = [now, now]
    if ids is not None:
        if not ids:
            return []
        where += f" AND message_id IN ({','.join('?' * len(ids))})"
        params.extend(ids)
    with store.transaction() as conn:
        rows = [dict(r) for r in conn.execute(
            f"SELECT id, message_id, recipients, message, attempts FROM outbox WHERE {where} "
            "ORDER BY id LIMIT ?", (*params, limit))]
        for row in rows:
            conn.execute("UPDATE outbox SET state = 'sending', lease_until = ?, "
                         "attempts = attempts + 1 WHERE id = ?",
                         (now + LEASE_SECONDS, row["id"]))
    return rows


def _mark_sent(store: Store, row_id: int, note: str = "") -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE outbox SET state = 'sent', lease_until = 0, last_error = ?, "
                     "sent_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
                     "WHERE id = ? AND state = 'sending'", (note, row_id))


def _mark_failed(store: Store, row: dict, now: float, error: str) -> bool:
    """Back to 'queued' with backoff, or 'failed' after MAX_ATTEMPTS; True when given up."""
    attempts = int(row["attempts"]) + 1
    given_up = attempts >= MAX_ATTEMPTS
    with store.transaction() as conn:
        conn.execute(
            "UPDATE outbox SET state = ?, next_attempt_at = ?, lease_until = 0, "
            "last_error = ? WHERE id = ? AND state = 'sending'",
            ("failed" if given_up else "queued", now + backoff(attempts), error[:500],
             row["id"]))
    return given_up


def deliver(store: Store, smtp: SmtpSettings, now: float | None = None,
            limit: int = BATCH, message_ids: Sequence[str] | None = None) -> DeliveryReport:
    """Send the due messages of the outbox (at most `limit`; only `message_ids` when
    given); returns a DeliveryReport. `now` (unix time, default: the clock) decides what
    is due. A server that is down or refuses leaves the messages queued for a later pass.

    Raises ConfigError when [smtp] is not configured."""
    if not smtp.configured:
        raise ConfigError("mail is not configured: set smtp.host and smtp.sender in "
                          "diarium.toml")
    moment = time.time() if now is None else now
    rows = _claim(store, moment, limit, message_ids)
    sent = deferred = failed = 0
    error = ""
    envelope_from = parseaddr(smtp.sender)[1]
    pending = list(rows)

    def failure(row: dict, reason: str) -> None:
        nonlocal deferred, failed
        if _mark_failed(store, row, moment, reason):
            failed += 1
        else:
            deferred += 1

    if pending:
        try:
            with connection(smtp) as client:
                while pending:
                    row = pending[0]
                    try:
                        refused = client.sendmail(envelope_from,
                                                  json.loads(row["recipients"]),
                                                  bytes(row["message"]))
                    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                            smtplib.SMTPDataError) as exc:
                        # This message was refused; the connection is still good.
                        pending.pop(0)
                        error = _describe(exc)
                        failure(row, error)
                        continue
                    pending.pop(0)
                    _mark_sent(store, row["id"],
                               f"refused: {', '.join(refused)}" if refused else "")
                    sent += 1
        except (OSError, smtplib.SMTPException) as exc:
            # Down, refusing the connection or the login, or the connection broke: what
            # was not sent waits (with backoff) for a later pass.
            error = _describe(exc)
            for row in pending:
                failure(row, error)
    waiting = int(store.conn.execute(
        "SELECT COUNT(*) FROM outbox WHERE state IN ('queued', 'sending')").fetchone()[0])
    return DeliveryReport(sent=sent, deferred=deferred, failed=failed, waiting=waiting,
                          error=error)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{addr}: {code} {msg.decode('utf-8', 'replace')}"
                         for addr, (code, msg) in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPResponseException):
        message = exc.smtp_error
        text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
        return f"{exc.smtp_code} {text}"
    return f"{type(exc).__name__}: {exc}"


def outbox_counts(store: Store) -> dict[str, int]:
    """Messages in the outbox by state."""
    counts = {"queued": 0, "sending": 0, "sent": 0, "failed": 0}
    for row in store.conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state"):
        counts[str(row[0])] = int(row[1])
    return counts


# -- composing: text and HTML from the same blocks -------------------------------------


@dataclass(frozen=True)
class Link:
    text: str
    url: str


Block = str | Link | tuple[Link | str, ...]


def render(blocks: Sequence[Block | list[Block]]) -> tuple[str, str]:
    """The text and HTML bodies of a mail made of blocks: a str is a paragraph, a Link a
    paragraph with one link, a tuple one paragraph of pieces, a list a bulleted list.
    Every piece of text is escaped in the HTML."""
    text_parts: list[str] = []
    html_parts: list[str] = []

    def piece_text(item: Block) -> str:
        if isinstance(item, Link):
            return f"{item.text}: {item.url}" if item.text else item.url
        if isinstance(item, tuple):
            return " ".join(piece_text(p) for p in item)
        return item

    def piece_html(item: Block) -> str:
        if isinstance(item, Link):
            return (f'<a href="{html.escape(item.url, quote=True)}">'
                    f"{html.escape(item.text or item.url)}</a>")
        if isinstance(item, tuple):
            return " ".join(piece_html(p) for p in item)
        return html.escape(item).replace("\n", "<br>\n")

    for block in blocks:
        if isinstance(block, list):
            text_parts.append("\n".join(f"- {piece_text(item)}".replace("\n", "\n  ")
                                        for item in block))
            html_parts.append("<ul>\n" + "\n".join(f"<li>{piece_html(item)}</li>"
                                                    for item in block) + "\n</ul>")
        else:
            text_parts.append(piece_text(block))
            html_parts.append(f"<p>{piece_html(block)}</p>")
    text = "\n\n".join(text_parts) + "\n"
    body = ('<!DOCTYPE html>\n<html lang="sv">\n<head><meta charset="utf-8"></head>\n'
            '<body>\n' + "\n".join(html_parts) + "\n</body>\n</html>\n")
    return text, body
