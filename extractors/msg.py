"""Outlook messages (.msg, MS-OXMSG: an OLE2 compound file of MAPI properties), read with
olefile (BSD licence; the maintained `extract-msg` is GPL-3.0, which this MIT project does
not take in).

Headers become metadata and the text's head lines, as for .eml; the body is the plain
text (PR_BODY), else the HTML body's visible text, else the compressed RTF body
(`compressed-rtf`, MIT) read with striprtf. Attachments are returned as Attachment objects
(the pipeline stores and extracts them as files of the same document); an attached
message (an embedded message object, not a file) is written out as an RFC 822 .eml with
its own attachments, so the pipeline follows it to any depth up to MAX_DEPTH.

Strings are UTF-16 (type 001F) or 8-bit (001E) in the message's code page
(PR_MESSAGE_CODEPAGE, else PR_INTERNET_CPID; `chinese-traditional.msg` is Big5, cp950).
A damaged file fails with kind "corrupt" and olefile's reason, never an unhandled error.
"""

from __future__ import annotations

import codecs
import email.policy
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

from diarium.errors import ExtractionFailed
from diarium.extractors.base import MSG, Attachment, Extraction, ExtractOptions, Extractor
from diarium.extractors.html import html_to_text

MAX_ATTACHMENTS = 200
MAX_DEPTH = 8

# MAPI property ids (MS-OXPROPS).
SUBJECT = 0x0037
TRANSPORT_HEADERS = 0x007D
SENDER_NAME = 0x0C1A
SENDER_EMAIL = 0x0C1F
SENDER_SMTP = 0x5D01
DISPLAY_CC = 0x0E03
DISPLAY_TO = 0x0E04
CLIENT_SUBMIT_TIME = 0x0039
DELIVERY_TIME = 0x0E06
BODY = 0x1000
RTF_COMPRESSED = 0x1009
HTML = 0x1013
MESSAGE_ID = 0x1035
IN_REPLY_TO = 0x1042
MESSAGE_CODEPAGE = 0x3FFD
INTERNET_CPID = 0x3FDE
ATTACH_DATA = 0x3701
ATTACH_FILENAME = 0x3704
ATTACH_LONG_FILENAME = 0x3707
ATTACH_MIME_TAG = 0x370E
DISPLAY_NAME = 0x3001

PT_LONG = 0x0003
PT_SYSTIME = 0x0040
PT_STRING8 = 0x001E
PT_UNICODE = 0x001F
PT_BINARY = 0x0102
PT_OBJECT = 0x000D

_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


@dataclass
class Message:
    """One message read from the compound file (the top one or an embedded one)."""

    meta: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    attachments: list[Attachment] = field(default_factory=list)


class MsgExtractor(Extractor):
    name = "msg"
    media_types = (MSG,)
    extensions = ("msg",)

    def extract(self, path: Path, options: ExtractOptions) -> Extraction:
        """Headers, body and attachments; raises ExtractionFailed (corrupt)."""
        message = read_msg(path)
        meta = dict(message.meta)
        if message.attachments:
            meta["attachments"] = [a.name for a in message.attachments]
        head = _head_lines(meta)
        text = f"{head}\n\n{message.body}" if head else message.body
        return self.result([text], meta, MSG, attachments=tuple(message.attachments))


def read_msg(path: Path) -> Message:
    """The message in an Outlook .msg file; raises ExtractionFailed (corrupt)."""
    import olefile

    try:
        ole = olefile.OleFileIO(str(path))
    except (OSError, ValueError, struct.error, IndexError, TypeError, RecursionError,
            MemoryError) as exc:
        raise ExtractionFailed(f"not a readable Outlook message: {_describe(exc)}",
                               kind="corrupt") from exc
    try:
        if not ole.exists("__properties_version1.0"):
            raise ExtractionFailed(
                "not an Outlook message: the compound file has no MAPI property stream",
                kind="corrupt",
            )
        return _read_message(ole, "", 0)
    except ExtractionFailed:
        raise
    except (OSError, ValueError, struct.error, IndexError, TypeError, KeyError,
            RecursionError) as exc:
        raise ExtractionFailed(f"damaged Outlook message: {_describe(exc)}",
                               kind="corrupt") from exc
    finally:
        ole.close()


class _Props:
    """The properties of one object (message, attachment) under `prefix` in the file."""

    def __init__(self, ole: Any, prefix: str, header: int, codepage: str | None) -> None:
        self.ole = ole
        self.prefix = prefix
        self.fixed: dict[int, tuple[int, bytes]] = {}
        stream = prefix + "__properties_version1.0"
        if ole.exists(stream):
            data = ole.openstream(stream).read()
            for offset in range(header, len(data) - 15, 16):
                tag, _flags, value = struct.unpack_from("<II8s", data, offset)
                self.fixed[tag >> 16] = (tag & 0xFFFF, value)
        self.codepage = codepage or self._codepage()

    def _codepage(self) -> str | None:
        for prop in (MESSAGE_CODEPAGE, INTERNET_CPID):
            number = self.long(prop)
            if number:
                codec = _codec(number)
                if codec:
                    return codec
        return None

    def long(self, prop: int) -> int | None:
        found = self.fixed.get(prop)
        if found is None or found[0] != PT_LONG:
            return None
        return int(struct.unpack_from("<I", found[1])[0])

    def time(self, prop: int) -> datetime | None:
        found = self.fixed.get(prop)
        if found is None or found[0] != PT_SYSTIME:
            return None
        ticks = struct.unpack_from("<Q", found[1])[0]
        if not ticks:
            return None
        try:
            return _FILETIME_EPOCH + timedelta(microseconds=ticks // 10)
        except OverflowError:
            return None

    def raw(self, prop: int, kind: int) -> bytes | None:
        name = f"{self.prefix}__substg1.0_{prop:04X}{kind:04X}"
        if not self.ole.exists(name):
            return None
        return bytes(self.ole.openstream(name).read())

    def text(self, prop: int) -> str:
        data = self.raw(prop, PT_UNICODE)
        if data is not None:
            return data.decode("utf-16-le", errors="replace").rstrip("\x00")
        data = self.raw(prop, PT_STRING8)
        if data is not None:
            return self.decode(data).rstrip("\x00")
        return ""

    def decode(self, data: bytes) -> str:
        """8-bit text in the message's code page (UTF-8, else cp1252, when none is set)."""
        if self.codepage:
            return data.decode(self.codepage, errors="replace")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("cp1252", errors="replace")


def _codec(codepage: int) -> str | None:
    name = {65001: "utf-8", 20127: "ascii", 28591: "latin-1", 1200: "utf-16-le",
            1201: "utf-16-be", 50220: "iso2022_jp", 51932: "euc_jp", 52936: "hz",
            20866: "koi8_r", 28592: "iso8859_2", 28605: "iso8859_15"}.get(codepage,
                                                                           f"cp{codepage}")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _read_message(ole: Any, prefix: str, depth: int) -> Message:
    # The top message's property stream has a 32-byte header, an embedded one 24 bytes.
    props = _Props(ole, prefix, 32 if not prefix else 24, None)
    meta: dict[str, Any] = {}
    sender_name = props.text(SENDER_NAME)
    sender_email = props.text(SENDER_SMTP) or props.text(SENDER_EMAIL)
    if sender_email and "@" not in sender_email:
        sender_email = ""  # an Exchange address (/O=ORG/OU=...), not a mail address
    if sender_name and sender_email and sender_email not in sender_name:
        meta["from"] = f"{sender_name} <{sender_email}>"
    elif sender_name or sender_email:
        meta["from"] = sender_name or sender_email
    for key, prop in (("to", DISPLAY_TO), ("cc", DISPLAY_CC), ("subject", SUBJECT),
                      ("message_id", MESSAGE_ID), ("in_reply_to", IN_REPLY_TO)):
        value = " ".join(props.text(prop).split())
        if value:
            meta[key] = value
    when = props.time(CLIENT_SUBMIT_TIME) or props.time(DELIVERY_TIME)
    if when is None:
        when = _header_date(props.text(TRANSPORT_HEADERS))
    if when is not None:
        meta["date"] = when.replace(microsecond=0).isoformat()
    if meta.get("subject"):
        meta["title"] = meta["subject"]
    if props.codepage:
        meta["encoding"] = props.codepage
    message = Message(meta=meta, body=_body(props))
    for storage in _children(ole, prefix, "__attach_version1.0_#"):
        if len(message.attachments) >= MAX_ATTACHMENTS:
            break
        found = _attachment(ole, storage, props.codepage, depth, len(message.attachments) + 1)
        if found is not None:
            message.attachments.append(found)
    return message


def _children(ole: Any, prefix: str, start: str) -> list[str]:
    """The storages directly under `prefix` whose names begin with `start`, in order."""
    depth = prefix.count("/")
    names = set()
    for entry in ole.listdir(streams=False, storages=True):
        path = "/".join(entry)
        if len(entry) == depth + 1 and path.startswith(prefix) and entry[-1].startswith(start):
            names.add(path + "/")
    return sorted(names)


def _attachment(ole: Any, prefix: str, codepage: str | None, depth: int,
                number: int) -> Attachment | None:
    props = _Props(ole, prefix, 8, codepage)
    name = (props.text(ATTACH_LONG_FILENAME) or props.text(ATTACH_FILENAME)
            or props.text(DISPLAY_NAME))
    embedded = f"{prefix}__substg1.0_{ATTACH_DATA:04X}{PT_OBJECT:04X}"
    if ole.exists(embedded) and ole.get_type(embedded) == 1:  # a storage
        if depth + 1 > MAX_DEPTH or not ole.exists(embedded + "/__properties_version1.0"):
            return None  # too deep, or an embedded OLE object (a picture), not a message
        inner = _read_message(ole, embedded + "/", depth + 1)
        title = inner.meta.get("subject") or name or f"bilaga-{number}"
        return Attachment(name=_safe_name(title) + ".eml", data=_as_eml(inner),
                          media_type="message/rfc822")
    data = props.raw(ATTACH_DATA, PT_BINARY)
    if not data:
        return None
    media_type = props.text(ATTACH_MIME_TAG) or "application/octet-stream"
    return Attachment(name=name or f"bilaga-{number}", data=data, media_type=media_type)


def _body(props: _Props) -> str:
    body = props.text(BODY)
    if body.strip():
        return body
    html = props.raw(HTML, PT_BINARY)
    markup = props.decode(html) if html is not None else props.text(HTML)
    if markup.strip():
        return html_to_text(markup)[0]
    rtf = props.raw(RTF_COMPRESSED, PT_BINARY)
    if rtf:
        return _rtf_text(rtf)
    return ""


def _rtf_text(compressed: bytes) -> str:
    """The text of a compressed RTF body, "" when it cannot be read."""
    try:
        from compressed_rtf import decompress
        from striprtf.striprtf import rtf_to_text

        return str(rtf_to_text(decompress(compressed).decode("cp1252", errors="replace"),
                               errors="ignore"))
    except Exception:  # an unreadable RTF body loses the body, not the message
        return ""


def _header_date(headers: str) -> datetime | None:
    for line in headers.splitlines():
        if line.lower().startswith("date:"):
            try:
                return parsedate_to_datetime(line[5:].strip())
            except (TypeError, ValueError, IndexError):
                return None
    return None


def _head_lines(meta: dict[str, Any]) -> str:
    return "\n".join(
        f"{label}: {meta[key]}" for key, label in
        (("from", "Från"), ("to", "Till"), ("cc", "Kopia"), ("date", "Datum"),
         ("subject", "Ämne")) if meta.get(key)
    )


def _as_eml(message: Message) -> bytes:
    """An embedded message as RFC 822 bytes, its attachments attached."""
    out = EmailMessage(policy=email.policy.SMTP)
    for key, header in (("from", "From"), ("to", "To"), ("cc", "Cc"),
                        ("subject", "Subject"), ("message_id", "Message-ID")):
        value = message.meta.get(key)
        if value:
            try:
                out[header] = value
            except (ValueError, TypeError):  # a display name the header parser refuses
                out[header] = value.encode("ascii", "replace").decode("ascii")
    if message.meta.get("date"):
        out["Date"] = format_datetime(datetime.fromisoformat(message.meta["date"]))
    out.set_content(message.body or "")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.media_type.partition("/")
        if maintype == "message":
            maintype, subtype = "application", "octet-stream"  # attach as bytes, kept whole
        out.add_attachment(attachment.data, maintype=maintype or "application",
                           subtype=subtype or "octet-stream", filename=attachment.name)
    return out.as_bytes()


def _safe_name(title: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in " -_.,()" else "_" for c in title).strip()
    return cleaned[:80] or "meddelande"


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:300]
