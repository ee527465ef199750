"""Begär ut: a request for many documents at once, mailed to each organisation's registry.

The visitor collects documents in a basket and sends one request: anonymous (the law
allows it: nobody has to say who they are or why) or with a name and an address for the
reply, and the form wanted (e-post, papper, på plats). `submit()` queues one mail per
organisation to its `registry_email` listing its documents (diarienummer, löpnummer,
title, date, link), and a receipt to the visitor when they gave an address, in one store
transaction with the rate-limit events. Documents are described from the public
projection only: a secret document is listed by its register entry, never its title.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from diarium import mail, ratelimit
from diarium.config import Settings
from diarium.errors import DiariumError
from diarium.public import PublicRecord, public_records
from diarium.store import Store

FORMS: dict[str, str] = {
    "e-post": "som kopia via e-post",
    "papper": "som papperskopia per post",
    "på plats": "att läsa på plats hos myndigheten",
}
MAX_DOCUMENTS = 50
MAX_TEXT = 2000
IP_LIMIT = (5, 3600.0)              # requests an hour from one IP address
ADDRESS_LIMIT = (5, 86400.0)        # requests a day with one reply address
DOCUMENT_PATH = "/handling/"


class RequestError(DiariumError):
    """A request cannot be sent: nothing requested, a bad address or form, or an
    organisation without a registry address."""


@dataclass(frozen=True)
class RequestForm:
    """What the visitor wrote: all optional but `form`."""

    form: str = "e-post"
    name: str = ""
    email: str = ""
    postal_address: str = ""
    message: str = ""


@dataclass(frozen=True)
class Sent:
    """What submit() queued: the organisations mailed (display names) and Message-IDs."""

    organisations: tuple[str, ...]
    message_ids: tuple[str, ...]
    receipt: bool


def basket_records(store: Store, settings: Settings, doc_ids: Sequence[str]
                   ) -> list[PublicRecord]:
    """The public records of a basket's documents (unknown ids dropped), in basket order."""
    wanted = [d for d in dict.fromkeys(doc_ids) if d.isdigit()][:MAX_DOCUMENTS]
    found = {r.doc_id: r for r in public_records(store, settings, wanted)}
    return [found[d] for d in wanted if d in found]


def missing_registry(settings: Settings, records: Sequence[PublicRecord]) -> list[str]:
    """Display names of the organisations of `records` that have no registry_email."""
    names = []
    for slug in dict.fromkeys(r.organisation for r in records):
        if mail.valid_address(settings.org(slug).registry_email) is None:
            names.append(settings.org(slug).name or slug)
    return names


def _clean(text: str, limit: int) -> str:
    text = "".join(ch for ch in text if ch.isprintable() or ch in "\n")
    return text.strip()[:limit]


def _line(record: PublicRecord) -> str:
    title = record.rubrik or record.handlingstyp or "Handling"
    return (f"{record.diarienummer}, löpnummer {record.lopnummer}: {title} "
            f"({record.datum})")


def submit(store: Store, settings: Settings, doc_ids: Sequence[str], form: RequestForm,
           base_url: str, ip: str = "", now: float | None = None) -> Sent:
    """Queue the request mails (see the module doc); returns what was queued.

    Raises RequestError for an empty basket, an unknown form, a bad reply address or an
    organisation without registry_email; ratelimit.RateLimited; MailError when mail is
    not configured."""
    records = basket_records(store, settings, doc_ids)
    if not records:
        raise RequestError("no documents to request")
    if form.form not in FORMS:
        raise RequestError(f"unknown form {form.form!r}: use {', '.join(FORMS)}")
    reply = ""
    if form.email.strip():
        checked = mail.valid_address(form.email)
        if checked is None:
            raise RequestError("invalid e-mail address")
        reply = checked
    missing = missing_registry(settings, records)
    if missing:
        raise RequestError(f"no registry address for {', '.join(missing)}")
    name = _clean(form.name, 200)
    postal = _clean(form.postal_address, 500)
    message_text = _clean(form.message, MAX_TEXT)
    if form.form == "papper" and not postal:
        raise RequestError("a postal address is needed for paper copies")
    moment = time.time() if now is None else now
    base = base_url.rstrip("/")
    by_org: dict[str, list[PublicRecord]] = {}
    for record in records:
        by_org.setdefault(record.organisation, []).append(record)
    ids: list[str] = []
    names: list[str] = []
    with store.transaction():
        limits = []
        if ip:
            limits.append(ratelimit.Limit(f"request-ip:{ip}", *IP_LIMIT))
        if reply:
            limits.append(ratelimit.Limit(f"request-address:{reply.lower()}",
                                          *ADDRESS_LIMIT))
        ratelimit.check(store, limits, moment)
        for slug, group in by_org.items():
            org = settings.org(slug)
            org_name = org.name or group[0].organisation_name or slug
            names.append(org_name)
            who: list[mail.Block] = []
            if name or reply or postal:
                who = [f"Namn: {name}" if name else "Namn: (inte angivet)",
                       f"E-post: {reply}" if reply else "E-post: (inte angiven)"]
                if postal:
                    who.append(f"Postadress: {postal}")
            blocks: list[mail.Block | list[mail.Block]] = [
                "Hej!",
                f"Jag begär att få ta del av följande allmänna handlingar "
                f"{FORMS[form.form]}:",
                [(_line(r), mail.Link("Visa", f"{base}{DOCUMENT_PATH}{r.doc_id}"))
                 for r in group],
            ]
            if message_text:
                blocks.append(f"Meddelande: {message_text}")
            blocks.extend(who or ["Jag väljer att vara anonym."])
            blocks.append("Begäran skickades via det sökbara diariet.")
            text, body = mail.render(blocks)
            subject = (f"Begäran om allmänna handlingar ({len(group)} st)" if len(group) > 1
                       else f"Begäran om allmän handling {group[0].diarienummer}:"
                            f"{group[0].lopnummer}")
            headers = {"Reply-To": reply} if reply else {}
            message = mail.compose(settings.smtp, [org.registry_email.strip()], subject,
                                   text, body, headers)
            ids.append(mail.queue(store, message, "request"))
        if reply:
            blocks = [
                "Hej!",
                f"Din begäran om {len(records)} "
                f"{'handling' if len(records) == 1 else 'handlingar'} "
                f"{FORMS[form.form]} har skickats till: {', '.join(names)}.",
                [(_line(r), mail.Link("Visa", f"{base}{DOCUMENT_PATH}{r.doc_id}"))
                 for r in records],
                "Myndigheten ska behandla begäran skyndsamt. Frågor om den besvaras av "
                "registraturen.",
            ]
            text, body = mail.render(blocks)
            receipt = mail.compose(settings.smtp, [reply], "Kvitto: din begäran om "
                                   "allmänna handlingar", text, body,
                                   {"Auto-Submitted": "auto-replied"})
            ids.append(mail.queue(store, receipt, "receipt"))
    return Sent(organisations=tuple(names), message_ids=tuple(ids), receipt=bool(reply))
