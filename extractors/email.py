"""E-mail (.eml, RFC 822/MIME) with the standard library: headers as metadata, the body
as text (plain part preferred, else the HTML part's visible text), and attachments
returned as Attachment objects that the pipeline stores and extracts as files of their own.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage, Message
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from diarium.errors import ExtractionFailed
from diarium.extractors.base import EML, Attachment, Extraction, ExtractOptions, Extractor
from diarium.extractors.html import html_to_text

MAX_ATTACHMENTS = 200


class EmailExtractor(Extractor):
    name = "email"
    media_types = (EML,)
    extensions = ("eml",)

    def extract(self, path: Path, options: ExtractOptions) -> Extraction:
        """Headers, body and attachments; raises ExtractionFailed for a non-message."""
        with open(path, "rb") as fh:
            msg = email.message_from_binary_file(fh, policy=email.policy.default)
        if not isinstance(msg, EmailMessage) or not msg.keys():
            raise ExtractionFailed("not an e-mail message: no headers", kind="corrupt")
        meta = _headers(msg)
        body = _body(msg)
        attachments = _attachments(msg)
        if attachments:
            meta["attachments"] = [a.name for a in attachments]
        head = "\n".join(
            f"{label}: {meta[key]}" for key, label in
            (("from", "Från"), ("to", "Till"), ("cc", "Kopia"), ("date", "Datum"),
             ("subject", "Ämne")) if meta.get(key)
        )
        return self.result([f"{head}\n\n{body}" if head else body], meta, EML,
                           attachments=attachments)


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except (ValueError, IndexError, TypeError):  # malformed header the policy chokes on
        value = msg.get_all(name, failobj=[""])[0] if hasattr(msg, "get_all") else ""
    return " ".join(str(value or "").split())


def _headers(msg: EmailMessage) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for key, name in (("from", "From"), ("to", "To"), ("cc", "Cc"), ("subject", "Subject"),
                      ("message_id", "Message-ID"), ("in_reply_to", "In-Reply-To")):
        value = _header(msg, name)
        if value:
            meta[key] = value
    raw_date = _header(msg, "Date")
    if raw_date:
        try:
            meta["date"] = parsedate_to_datetime(raw_date).isoformat()
        except (TypeError, ValueError, IndexError):
            meta["date"] = raw_date
    if meta.get("subject"):
        meta["title"] = meta["subject"]
    return meta


def _body(msg: EmailMessage) -> str:
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
    except (KeyError, LookupError):
        part = None
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError):
        raw = part.get_payload(decode=True) or b""
        content = raw.decode("cp1252", errors="replace") if isinstance(raw, bytes) else ""
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        content, _ = html_to_text(content)
    return content


def _attachments(msg: EmailMessage) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    for index, part in enumerate(msg.iter_attachments(), start=1):
        if len(found) >= MAX_ATTACHMENTS:
            break
        if part.get_content_maintype() == "multipart":
            continue
        inner = part.get_payload() if part.get_content_type() == "message/rfc822" else None
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            data = inner[0].as_bytes()
        else:
            decoded = part.get_payload(decode=True)
            data = decoded if isinstance(decoded, bytes) else b""
        if not data:
            continue
        name = part.get_filename() or f"bilaga-{index}"
        found.append(Attachment(name=name, data=data, media_type=part.get_content_type()))
    return tuple(found)
