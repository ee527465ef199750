"""Helpers for the extraction tests: register files in a store (minimal organisation,
case, document and file rows) and generate good and bad files of every format."""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import zipfile
from email.message import EmailMessage
from pathlib import Path

from diarium.config import Settings
from diarium.store import Store

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SWEDISH = "Överklagande av beslut om bygglov för fastigheten Ängen 1:2 i Håbo kommun."


def register_files(store: Store, settings: Settings, paths: list[Path]) -> dict[str, int]:
    """Store each file content-addressed and give it a document of its own in one case.

    Returns {sha256: document_id}; a file appearing twice keeps its first document.
    """
    docs: dict[str, int] = {}
    with store.transaction() as conn:
        org = store.organisation_id("test", "Testkommunen")
        conn.execute(
            "INSERT OR IGNORE INTO cases (organisation_id, diarienummer, dnr_key, arendemening)"
            " VALUES (?, 'KS 2024/1', 'KS|2024|1', 'Testärende')",
            (org,),
        )
        case_id = conn.execute(
            "SELECT id FROM cases WHERE organisation_id = ? AND dnr_key = 'KS|2024|1'", (org,)
        ).fetchone()[0]
        start = conn.execute(
            "SELECT COALESCE(MAX(lopnummer), 0) FROM documents WHERE case_id = ?", (case_id,)
        ).fetchone()[0]
        for number, path in enumerate(paths, start=start + 1):
            digest = sha256_file(path)
            target = settings.file_path(digest)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                _copy(path, target)
            conn.execute(
                "INSERT OR IGNORE INTO files (sha256, size) VALUES (?, ?)",
                (digest, path.stat().st_size),
            )
            doc = conn.execute(
                "INSERT INTO documents (case_id, lopnummer, datum, riktning, rubrik, fil, "
                "row_hash) VALUES (?, ?, '2024-01-15', 'Inkommande', ?, ?, ?)",
                (case_id, number, path.stem, path.name, f"row-{number}"),
            ).lastrowid
            conn.execute(
                "INSERT INTO document_files (document_id, sha256, name) VALUES (?, ?, ?)",
                (doc, digest, path.name),
            )
            docs.setdefault(digest, int(doc or 0))
    return docs


def _copy(source: Path, target: Path) -> None:
    """Copy keeping sparse files sparse (the 300 MB test file must not fill the disk)."""
    size = source.stat().st_size
    if size > 50 * 1024 * 1024:
        with open(source, "rb") as src, open(target, "wb") as dst:
            head = src.read(1024 * 1024)
            dst.write(head)
            dst.truncate(size)
        return
    shutil.copyfile(source, target)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- good files


def make_pdf(path: Path, pages: list[str]) -> Path:
    """A text PDF, one string per page (core font: Latin-1 covers å/ä/ö)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Yttrande över detaljplan")
    pdf.set_author("Stadsbyggnadskontoret")
    pdf.set_creation_date(__import__("datetime").datetime(2023, 5, 12, 13, 45))
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def make_long_pdf(path: Path, pages: int) -> Path:
    """A PDF repeating one full page of text `pages` times (quick to write, slow to read)."""
    from pypdf import PdfReader, PdfWriter

    one = make_pdf(path.with_suffix(".one.pdf"), [SWEDISH * 30])
    page = PdfReader(str(one)).pages[0]
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_page(page)
    with open(path, "wb") as fh:
        writer.write(fh)
    one.unlink()
    return path


def make_docx(path: Path) -> Path:
    """A DOCX with a heading, paragraph, table, header, footer and core properties."""
    import docx

    document = docx.Document()
    document.core_properties.title = "Tjänsteskrivelse om färdtjänst"
    document.core_properties.author = "Åsa Öberg"
    section = document.sections[0]
    section.header.paragraphs[0].text = "Sidhuvud: Kommunstyrelsen"
    section.footer.paragraphs[0].text = "Sidfot: Dnr KS 2023/123"
    document.add_heading("Färdtjänst för äldre", level=1)
    document.add_paragraph("Nämnden föreslås besluta att godkänna förvaltningens yttrande.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Ärende"
    table.cell(0, 1).text = "Åtgärd"
    table.cell(1, 0).text = "Bygglov"
    table.cell(1, 1).text = "Avslås"
    document.save(str(path))
    return path


def make_odt(path: Path) -> Path:
    """A minimal but valid ODT written by hand (mimetype first, stored)."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.2">'
        "<office:body><office:text>"
        "<text:h>Protokoll från miljönämnden</text:h>"
        "<text:p>Ärendet gäller<text:s text:c=\"2\"/>strandskydd vid Östersjön.</text:p>"
        "<table:table><table:table-row><table:table-cell><text:p>Paragraf</text:p>"
        "</table:table-cell><table:table-cell><text:p>§ 12</text:p></table:table-cell>"
        "</table:table-row></table:table>"
        "</office:text></office:body></office:document-content>"
    )
    meta = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"><office:meta>'
        "<dc:title>Miljönämndens protokoll</dc:title><dc:creator>Göran Ström</dc:creator>"
        '<meta:document-statistic meta:page-count="1"/></office:meta></office:document-meta>'
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("meta.xml", meta, compress_type=zipfile.ZIP_DEFLATED)
    return path


def make_rtf(path: Path) -> Path:
    path.write_bytes(
        b"{\\rtf1\\ansi\\ansicpg1252{\\info{\\title Beslut om f\\'e4rdtj\\'e4nst}}"
        b"\\pard Beslut om f\\'e4rdtj\\'e4nst f\\'f6r \\'c5sa.\\par\n"
        b"Nytt stycke med \\u246? unicode.\\par}"
    )
    return path


def make_html(path: Path) -> Path:
    path.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Kungörelse</title>"
        "<style>p { color: red }</style><script>var hemligt = 1;</script></head>"
        "<body><h1>Kungörelse om granskning</h1><p>Detaljplan för Älvdalen</p>"
        "<table><tr><td>Dnr</td><td>SBN 2022/45</td></tr></table></body></html>",
        encoding="utf-8",
    )
    return path


def make_eml(path: Path, attachment_pdf: Path) -> Path:
    msg = EmailMessage()
    msg["From"] = "Åke Svensson <ake@example.se>"
    msg["To"] = "registrator@example.se"
    msg["Subject"] = "Synpunkter på detaljplan, dnr SBN 2022/45"
    msg["Date"] = "Mon, 15 Jan 2024 10:30:00 +0100"
    msg.set_content("Hej!\n\nHär kommer mina synpunkter på planförslaget för Älvdalen.\n")
    msg.add_attachment(attachment_pdf.read_bytes(), maintype="application", subtype="pdf",
                       filename="synpunkter.pdf")
    path.write_bytes(msg.as_bytes())
    return path


def make_png(path: Path, lines: list[str]) -> Path:
    """Black text on white, large enough for Tesseract."""
    from PIL import Image, ImageDraw, ImageFont

    # DejaVu has å/ä/ö (Pillow's built-in font does not); Debian fonts-dejavu-core.
    font = ImageFont.truetype(DEJAVU, size=44)
    image = Image.new("L", (1600, 120 + 80 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((60, 60 + 80 * index), line, fill=0, font=font)
    image.save(path)
    return path


def make_image_pdf(path: Path, png: Path) -> Path:
    """A PDF whose only page is an image: a scan without a text layer."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(png), x=10, y=10, w=190)
    pdf.output(str(path))
    return path


# --------------------------------------------------------------------------- bad files


def make_empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def make_truncated_pdf(path: Path, source: Path) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


def make_broken_xref_pdf(path: Path, source: Path) -> Path:
    """Every xref offset points 17 bytes too far; the trailer and objects are intact."""
    data = source.read_bytes()
    xref = data.rfind(b"\nxref") + 1
    trailer = data.index(b"trailer", xref)
    table = data[xref:trailer]
    shifted = re.sub(rb"(?m)^(\d{10}) 00000 n", lambda m: b"%010d 00000 n" % (int(m.group(1)) + 17),
                     table)
    path.write_bytes(data[:xref] + shifted + data[trailer:])
    return path


def make_encrypted_pdf(path: Path, source: Path, password: str = "hemligt") -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(str(source)).pages:
        writer.add_page(page)
    writer.encrypt(user_password=password, owner_password=password + "-ägare",
                   algorithm="RC4-128")
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def make_looping_pdf(path: Path) -> Path:
    """A page whose form XObject draws itself: content streams that loop forever."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /XObject << /X1 5 0 R >> >> /Contents 4 0 R >>",
    ]
    page_stream = b"/X1 Do"
    form_stream = b"BT /F1 12 Tf 72 720 Td (loop) Tj ET /X1 Do"
    body = io.BytesIO()
    body.write(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(body.tell())
        body.write(b"%d 0 obj\n" % number + obj + b"\nendobj\n")
    offsets.append(body.tell())
    body.write(b"4 0 obj\n<< /Length %d >>\nstream\n" % len(page_stream) + page_stream
               + b"\nendstream\nendobj\n")
    offsets.append(body.tell())
    body.write(
        b"5 0 obj\n<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] "
        b"/Resources << /XObject << /X1 5 0 R >> /Font << /F1 6 0 R >> >> "
        b"/Length %d >>\nstream\n" % len(form_stream) + form_stream + b"\nendstream\nendobj\n"
    )
    offsets.append(body.tell())
    body.write(b"6 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n")
    xref = body.tell()
    body.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
    for offset in offsets:
        body.write(b"%010d 00000 n \n" % offset)
    body.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
               % (len(offsets) + 1, xref))
    path.write_bytes(body.getvalue())
    return path


def make_zip_bomb_docx(path: Path, inflated_mb: int = 50) -> Path:
    """A DOCX whose document.xml inflates to `inflated_mb` MB of spaces (~1000:1)."""
    chunk = b" " * (1024 * 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(inflated_mb):
                member.write(chunk)
    return path


def make_not_a_zip_docx(path: Path) -> Path:
    path.write_bytes(b"\x00\x01\x02Detta \xe4r inte en zip\x00" * 64)
    return path


def make_cp1252_text(path: Path) -> Path:
    path.write_bytes((SWEDISH + "\nÅtgärd: avslag. Överklagas senast 2024-02-01.\n")
                     .encode("cp1252"))
    return path


def make_sparse(path: Path, size: int = 300 * 1024 * 1024) -> Path:
    """A file of `size` bytes that takes no disk space (truncate, not written data)."""
    with open(path, "wb") as fh:
        fh.write(b"%PDF-1.4\n")
        fh.truncate(size)
    os.utime(path)
    return path


# --------------------------------------------------------------------------- PDF layouts


def make_form_xobject_pdf(path: Path) -> Path:
    """A page whose letterhead is drawn by a Form XObject (as authorities' templates do):
    "Naturvårdsverkets författningssamling" lives in the form, the body on the page."""
    head = "Naturvårdsverkets författningssamling ISSN 1403-8234".encode("cp1252")
    body = "Föreskrifter om ändring i förordningen om miljöfarlig verksamhet.".encode("cp1252")
    form_stream = b"BT /F1 10 Tf 72 800 Td (" + head + b") Tj ET"
    page_stream = b"/Head Do BT /F1 12 Tf 72 700 Td (" + body + b") Tj ET"
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << "
        b"/XObject << /Head 5 0 R >> /Font << /F1 6 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(page_stream) + page_stream + b"\nendstream",
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << "
        b"/F1 6 0 R >> >> /Length %d >>\nstream\n" % len(form_stream) + form_stream
        + b"\nendstream",
        font,
    ]
    return _write_pdf(path, objects)


def _write_pdf(path: Path, objects: list[bytes]) -> Path:
    """A PDF of the given objects (numbered from 1, the first the catalog), with its xref."""
    body = io.BytesIO()
    body.write(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(body.tell())
        body.write(b"%d 0 obj\n" % number + obj + b"\nendobj\n")
    xref = body.tell()
    body.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
    for offset in offsets:
        body.write(b"%010d 00000 n \n" % offset)
    body.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
               % (len(offsets) + 1, xref))
    path.write_bytes(body.getvalue())
    return path


def make_glyph_label_pdf(path: Path, label: str = "Detaljplan för Melltorp") -> Path:
    """A plan drawing's label set glyph by glyph along a slope (each glyph its own line)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=9)
    for repeat in range(3):
        for index, char in enumerate(label):
            pdf.text(20 + 4 * index, 40 + 80 * repeat + 3 * index, char)
    pdf.output(str(path))
    return path


TABLE_HEADERS = (("Abamek-", "tin"), ("Acefat", ""), ("Acibenso-", "lar-S-metyl"),
                 ("Aldi-", "karb"), ("Amitraz", ""), ("Aramit", ""))


def make_narrow_table_pdf(path: Path, pages: int = 1) -> Path:
    """A table annex whose narrow column headers are hyphenated over two lines; read across
    the row they give "Abamek- Acefat Acibenso- Aldi-"."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=8)
    for _ in range(pages):
        pdf.add_page()
        # Row by row, as a table writer draws it: the header's first line, then its second.
        pdf.text(10, 30, "Grupp av livsmedel och")
        pdf.text(10, 34, "exempel på livsmedel")
        for line, y in ((0, 30), (1, 34)):
            for column, cells in enumerate(TABLE_HEADERS):
                if cells[line]:
                    pdf.text(60 + 24 * column, y, cells[line])
        for row in range(20):
            pdf.text(10, 45 + 6 * row, f"Gurkväxter {row}")
            for column in range(len(TABLE_HEADERS)):
                pdf.text(60 + 24 * column, 45 + 6 * row, "0,01*")
    pdf.output(str(path))
    return path


def make_pdfminer_pdf(path: Path, pages: int) -> Path:
    """A PDF every page of which ends with pdfminer.six, the slowest reader (about 20 ms a
    page): labels set glyph by glyph down a staircase, which even the geometric reader
    leaves one glyph per line. One page drawn, then repeated by pdfium (quick to make)."""
    import pypdfium2 as pdfium
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=9)
    label = "Detaljplan för Melltorp"
    for column in range(3):
        for repeat in range(4):
            for index, char in enumerate(label):
                pdf.text(10 + 65 * column + 2.5 * index, 20 + 70 * repeat + 3 * index, char)
    one = path.with_name(path.stem + "-sida.pdf")
    pdf.output(str(one))
    source = pdfium.PdfDocument(str(one))
    out = pdfium.PdfDocument.new()
    try:
        for _ in range(pages):
            out.import_pages(source, [0])
        out.save(str(path))
    finally:
        out.close()
        source.close()
    one.unlink()
    return path


def make_mixed_pdf(path: Path, png: Path, text: str) -> Path:
    """Page 1 text, page 2 a scan (an image only), page 3 text again."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, text)
    pdf.add_page()
    pdf.image(str(png), x=10, y=10, w=190)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Sista sidan: " + text)
    pdf.output(str(path))
    return path


def make_garbage_layer_pdf(path: Path, png: Path, visible_words: str) -> Path:
    """A scan with an invisible text layer whose letters are shifted (a font without a
    Unicode map reads as "udq3huvvrq"): the page looks right, its text layer is garbage."""
    from fpdf import FPDF
    from fpdf.enums import TextMode

    shifted = "".join(
        chr((ord(c) - 97 + 3) % 26 + 97) if "a" <= c <= "z" else "3" if c == " " else c
        for c in visible_words.lower()
    )
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(png), x=10, y=10, w=190)
    pdf.set_font("Helvetica", size=10)
    pdf.text_mode = TextMode.INVISIBLE
    pdf.set_xy(10, 10)
    pdf.multi_cell(190, 6, " ".join([shifted] * 8))
    pdf.output(str(path))
    return path
