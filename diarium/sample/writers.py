"""Writers that turn a planned sample document into real file bytes.

PDF with fpdf2 (core Helvetica, whose Latin-1 encoding covers å, ä, ö and §), DOCX with
python-docx, ODT with odfpy, e-mail with the standard library's `email` package, and
the deliberately broken files. Every writer is deterministic: dates come from the
document, and ZIP entry timestamps (which python-docx and odfpy take from the clock) are
rewritten, so the same plan always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import struct
import textwrap
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from diarium.sample import texts

if TYPE_CHECKING:
    from diarium.sample.generator import SampleDocument

CREATOR = "Exempelby ärendehantering (exempeldata för diarium demo)"
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def render_file(doc: SampleDocument, org_name: str, namnd: str) -> bytes:
    """The file of one planned document, in its planned format; returns its bytes."""
    if doc.format == "pdf":
        return pdf_bytes(doc, namnd)
    if doc.format == "docx":
        return docx_bytes(doc, namnd)
    if doc.format == "odt":
        return odt_bytes(doc, namnd)
    if doc.format == "eml":
        return eml_bytes(doc, namnd)
    if doc.format == "truncated_pdf":
        # A transfer that broke off: the start of a real PDF, without its xref and trailer.
        whole = pdf_bytes(doc, namnd)
        return whole[: len(whole) * 2 // 5]
    if doc.format == "not_zip_docx":
        return (
            "Detta är inget Word-dokument. Filen sparades med fel filändelse när "
            f"handlingen {doc.rubrik} skannades in.\n"
        ).encode()
    if doc.format == "empty_odt":
        return b""
    raise ValueError(f"unknown sample file format {doc.format!r}")


def _when(doc: SampleDocument) -> datetime:
    # A stable time of day per document, so files differ but never change between runs.
    minute = int(hashlib.sha1(f"{doc.fil}".encode()).hexdigest()[:4], 16) % 480
    return datetime(doc.datum.year, doc.datum.month, doc.datum.day, 8 + minute // 60,
                    minute % 60, tzinfo=UTC)


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


# --- PDF ------------------------------------------------------------------------------------


def pdf_bytes(doc: SampleDocument, namnd: str) -> bytes:
    """A one- or multi-page PDF letter with a letter head, register data and paragraphs."""
    from fpdf import FPDF

    # Lay out first (page, y, text, size, style), then draw: the footer's "Sida 1 av N"
    # needs N, and fpdf2's {nb} alias is not substituted in text drawn with text().
    ops: list[tuple[int, float, str, float, str]] = []
    page, y = 1, 22.0

    def line(text: str, size: float = 10.5, style: str = "", step: float = 5.2) -> None:
        nonlocal page, y
        if y > 272:
            page, y = page + 1, 22.0
        ops.append((page, y, text, size, style))
        y += step

    if doc.riktning == "Inkommande":
        for row in doc.sender:
            line(row, size=10)
        y += 3
        line(f"Till: {namnd}, {texts.KOMMUN}", size=10)
    else:
        line(texts.KOMMUN, size=15, style="B", step=6.5)
        line(namnd, size=10.5)
    y += 6
    line(doc.rubrik, size=13, style="B", step=8)
    for key, value in doc.meta:
        line(f"{key}: {value}", size=9.5, step=4.6)
    y += 4
    for heading, paragraphs in doc.sections:
        if heading:
            y += 2
            line(heading, size=11, style="B", step=6)
        for paragraph in paragraphs:
            for row in textwrap.wrap(paragraph, 92):
                line(row)
            y += 2.5

    pdf = FPDF(format="A4")
    pdf.set_creation_date(_when(doc))
    pdf.set_title(_latin1(doc.rubrik))
    pdf.set_author(_latin1(doc.part if doc.riktning == "Inkommande" else namnd))
    pdf.set_subject(_latin1(f"{doc.handlingstyp}, {doc.meta[0][1]}"))
    pdf.set_creator(_latin1(CREATOR))
    pdf.set_auto_page_break(False)
    pages = ops[-1][0]
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("Helvetica", size=8)
        pdf.text(20, 287, _latin1(f"{texts.KOMMUN} - {texts.KOMMUN_ADRESS}"))
        pdf.text(175, 287, f"Sida {number} av {pages}")
        for on_page, at, text, size, style in ops:
            if on_page == number:
                pdf.set_font("Helvetica", style=style, size=size)
                pdf.text(20, at, _latin1(text))
    return bytes(pdf.output())


# --- DOCX -----------------------------------------------------------------------------------


_DOCX_TEMPLATE: Any = None


def _docx_template() -> Any:
    """One python-docx Document per process, reused with its body cleared.

    Parsing python-docx's template (350 kB of styles) took most of the time of each file;
    every per-document value is reset in `docx_bytes`, so reuse cannot leak content.
    """
    global _DOCX_TEMPLATE
    if _DOCX_TEMPLATE is None:
        import docx

        document = docx.Document()
        # The template's 440 kB stylesWithEffects part and thumbnail are not needed by Word.
        for rels in (document.part.rels, document.part.package.rels):
            for rid, rel in list(rels.items()):
                if rel.reltype.endswith(("/stylesWithEffects", "/thumbnail")):
                    del rels[rid]
        _prune_styles(document.styles.element)
        _DOCX_TEMPLATE = document
    return _DOCX_TEMPLATE


def _prune_styles(styles: Any) -> None:
    """Keep only the styles these documents use (and what they are based on).

    The template defines 165 styles in 350 kB; serializing and compressing them was most
    of each file's cost, for styles no sample document refers to.
    """
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    by_id = {el.get(f"{w}styleId"): el for el in styles.findall(f"{w}style")}
    wanted = ["Normal", "Heading1", "Heading2", "Title", "Header", "Footer"]
    wanted += [sid for sid, el in by_id.items() if el.get(f"{w}default") == "1"]
    keep: set[str] = set()
    while wanted:
        sid = wanted.pop()
        if sid in keep or sid not in by_id:
            continue
        keep.add(sid)
        for ref in ("basedOn", "link", "next"):
            found = by_id[sid].find(f"{w}{ref}")
            if found is not None:
                wanted.append(found.get(f"{w}val"))
    for sid, el in by_id.items():
        if sid not in keep:
            styles.remove(el)
    for el in styles.findall(f"{w}latentStyles"):
        styles.remove(el)


def docx_bytes(doc: SampleDocument, namnd: str) -> bytes:
    """A Word document: header and footer, heading, a table of register data, sections."""
    document = _docx_template()
    body = document.element.body
    for child in list(body):
        if not child.tag.endswith("}sectPr"):
            body.remove(child)
    props = document.core_properties
    props.title = doc.rubrik
    props.author = doc.part if doc.riktning == "Inkommande" else namnd
    props.last_modified_by = props.author
    props.comments = texts.SAMPLE_NOTE
    props.created = props.modified = _when(doc).replace(tzinfo=None)
    section = document.sections[0]
    section.header.paragraphs[0].text = f"{texts.KOMMUN}, {namnd}"
    section.footer.paragraphs[0].text = f"{texts.KOMMUN_ADRESS}. {texts.SAMPLE_NOTE}"
    for row in doc.sender:
        document.add_paragraph(row)
    document.add_heading(doc.rubrik, level=1)
    table = document.add_table(rows=0, cols=2)
    for key, value in doc.meta:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = key, value
    for heading, paragraphs in doc.sections:
        if heading:
            document.add_heading(heading, level=2)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return _stable_zip(out.getvalue())


# --- ODT ------------------------------------------------------------------------------------


_ODT_WARM = False


def odt_bytes(doc: SampleDocument, namnd: str) -> bytes:
    """An OpenDocument text: title metadata, headings and paragraphs."""
    global _ODT_WARM
    from odf import dc, meta
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    if not _ODT_WARM:
        # odfpy declares more namespaces once it has saved a document in this process;
        # save a throwaway one first so that every real file comes out the same.
        OpenDocumentText().save(io.BytesIO())
        _ODT_WARM = True
    document = OpenDocumentText()
    document.meta.addElement(dc.Title(text=doc.rubrik))
    document.meta.addElement(dc.Creator(text=namnd))
    document.meta.addElement(meta.CreationDate(text=_when(doc).strftime("%Y-%m-%dT%H:%M:%S")))
    body = document.text
    body.addElement(P(text=f"{texts.KOMMUN}, {namnd}"))
    for row in doc.sender:
        body.addElement(P(text=row))
    body.addElement(H(outlinelevel=1, text=doc.rubrik))
    for key, value in doc.meta:
        body.addElement(P(text=f"{key}: {value}"))
    for heading, paragraphs in doc.sections:
        if heading:
            body.addElement(H(outlinelevel=2, text=heading))
        for paragraph in paragraphs:
            body.addElement(P(text=paragraph))
    out = io.BytesIO()
    document.save(out)
    return _stable_zip(out.getvalue())


# --- e-mail ---------------------------------------------------------------------------------


def eml_bytes(doc: SampleDocument, namnd: str) -> bytes:
    """An RFC 5322 message (UTF-8 text body), some with a PDF or DOCX attachment."""
    msg = EmailMessage()
    msg["From"] = doc.mail_from
    msg["To"] = doc.mail_to
    msg["Subject"] = doc.rubrik
    msg["Date"] = format_datetime(_when(doc))
    digest = hashlib.sha1(f"{doc.fil}|{doc.rubrik}".encode()).hexdigest()
    msg["Message-ID"] = f"<{digest[:20]}@{texts.MAIL_DOMAIN}>"
    lines: list[str] = []
    for heading, paragraphs in doc.sections:
        if heading:
            lines += [heading, ""]
        lines += [textwrap.fill(p, 76) + "\n" for p in paragraphs]
    lines += ["--", *doc.sender] if doc.sender else []
    msg.set_content("\n".join(lines), charset="utf-8")
    if doc.attachment is not None:
        from diarium.sample.generator import SampleDocument

        name, title, paragraphs = doc.attachment
        inner = SampleDocument(
            step="bilaga", lopnummer=doc.lopnummer, datum=doc.datum, riktning=doc.riktning,
            handlingstyp="Bilaga", rubrik=title, part=doc.part, fil=doc.fil + "/" + name,
            meta=[("Diarienummer", doc.meta[0][1])], sections=[("", paragraphs)],
        )
        if name.endswith(".pdf"):
            msg.add_attachment(pdf_bytes(inner, namnd), maintype="application",
                               subtype="pdf", filename=name)
        else:
            msg.add_attachment(
                docx_bytes(inner, namnd), maintype="application",
                subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                filename=name,
            )
        # The multipart boundary is random unless set: fix it for byte-identical files.
        msg.set_boundary(f"=_diarium_{digest[:16]}")
    return msg.as_bytes()


def _stable_zip(data: bytes) -> bytes:
    """The same ZIP with every entry's DOS timestamp set to a fixed date.

    Patched in place in the local and central headers (no CRC covers them), which is far
    cheaper than recompressing the ~800 kB of styles a python-docx file carries.
    """
    buf = bytearray(data)
    dos_time = 0
    dos_date = ((_ZIP_TIME[0] - 1980) << 9) | (_ZIP_TIME[1] << 5) | _ZIP_TIME[2]
    stamp = struct.pack("<HH", dos_time, dos_date)
    end = buf.rfind(b"PK\x05\x06")
    if end < 0:
        raise ValueError("not a ZIP archive: no end of central directory")
    count, _size, offset = struct.unpack_from("<HII", buf, end + 10)
    for _ in range(count):
        if buf[offset:offset + 4] != b"PK\x01\x02":
            raise ValueError("corrupt ZIP central directory")
        buf[offset + 12:offset + 16] = stamp
        local = struct.unpack_from("<I", buf, offset + 42)[0]
        buf[local + 10:local + 14] = stamp
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", buf, offset + 28)
        offset += 46 + name_len + extra_len + comment_len
    return bytes(buf)
