"""Extractors on small generated files: every format, normalization, sniffing, bad input.
No store here; the pipeline has its own tests (test_extraction.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import extraction_fixtures as fx
import pytest

from diarium.errors import ExtractionFailed, UnsupportedFormat
from diarium.extractors.base import ExtractOptions, sniff
from diarium.extractors.image import ocr_available
from diarium.extractors.normalize import normalize
from diarium.extractors.pdf import pdf_date
from diarium.extractors.registry import choose, extract_file
from diarium.extractors.text import decode_text


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("files")
    fx.make_pdf(d / "yttrande.pdf", [fx.SWEDISH, "Sida två om för-\nvaltningen i kommunen."])
    return d


def test_pdf_pages_metadata_and_normalization(files: Path) -> None:
    result = extract_file(files / "yttrande.pdf")
    assert result.extractor == "pdfium"
    assert result.media_type == "application/pdf"
    assert len(result.pages) == 2
    assert result.pages[0] == fx.SWEDISH
    assert "förvaltningen" in result.pages[1]  # hyphenation across the line break joined
    assert result.metadata["title"] == "Yttrande över detaljplan"
    assert result.metadata["author"] == "Stadsbyggnadskontoret"
    assert result.metadata["created"] == "2023-05-12T13:45:00Z"
    assert result.metadata["page_count"] == 2
    assert not result.needs_ocr
    assert result.text == "\n\n".join(result.pages)


def test_docx_body_tables_headers_footers_properties(tmp_path: Path) -> None:
    result = extract_file(fx.make_docx(tmp_path / "skrivelse.docx"))
    assert result.extractor == "python-docx"
    assert "Nämnden föreslås besluta" in result.text
    assert "Ärende | Åtgärd" in result.text
    assert "Bygglov | Avslås" in result.text
    assert "Sidhuvud: Kommunstyrelsen" in result.text
    assert "Sidfot: Dnr KS 2023/123" in result.text
    assert result.metadata["title"] == "Tjänsteskrivelse om färdtjänst"
    assert result.metadata["author"] == "Åsa Öberg"


def test_docx_reader_agrees_with_python_docx_on_the_corpus(corpus_dir: Path,
                                                           tmp_path: Path) -> None:
    # The reader goes to the package's XML itself (half python-docx's CPU); python-docx,
    # the reference, must find the same paragraphs, table cells, headers, footers and
    # core properties in every real DOCX.
    import docx

    paths = [*sorted(corpus_dir.glob("*.docx")), fx.make_docx(tmp_path / "skrivelse.docx")]
    assert len(paths) > 30
    for path in paths:
        result = extract_file(path, ExtractOptions(ocr=False))
        document = docx.Document(str(path))
        # python-docx's paragraph text skips what the reader keeps on purpose (field
        # results, text in hyperlinks and content controls), so a word may come out cut
        # there ("ervice" of "Service"), and it drops a hyphen or break the reader keeps
        # ("entityattribute"): each of its words must be found in the text's letters.
        text = "".join(re.findall(r"[^\W\d_]+", normalize(result.text).lower()))
        # A paragraph with tracked changes is left out: python-docx drops the inserted
        # text ("qcAuthC" "ntext" without its inserted "o"), the reader keeps it.
        def texts(paragraphs: list[docx.text.paragraph.Paragraph]) -> list[str]:
            return [p.text for p in paragraphs if not p._p.xpath(".//w:ins")]

        seen = texts(document.paragraphs)
        seen += [t for table in document.tables for cell in table._cells
                 for t in texts(cell.paragraphs)]
        for section in document.sections:
            for part in (section.header, section.footer):
                if not part.is_linked_to_previous:
                    seen += texts(part.paragraphs)
        words = {w for t in seen for w in re.findall(r"[^\W\d_]+", normalize(t).lower())}
        missing = [w for w in words if w not in text]
        assert not missing, (path.name, sorted(missing)[:10])
        cp = document.core_properties
        assert result.metadata.get("title") == (cp.title or None), path.name
        assert result.metadata.get("author") == (cp.author or None), path.name
        assert result.metadata.get("revision") == (cp.revision or None), path.name
        for key in ("created", "modified"):
            value = getattr(cp, key)
            assert result.metadata.get(key) == (value.isoformat() if value else None), key


def test_docx_without_a_main_part_or_with_a_wrong_one_is_corrupt(tmp_path: Path) -> None:
    import zipfile

    source = fx.make_docx(tmp_path / "hel.docx")
    no_main = tmp_path / "utan-huvuddel.docx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(no_main, "w") as dst:
        for item in src.infolist():
            if item.filename != "_rels/.rels":
                dst.writestr(item, src.read(item.filename))
        dst.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns='
                     '"http://schemas.openxmlformats.org/package/2006/relationships"/>')
    with pytest.raises(ExtractionFailed, match="no main document part") as failed:
        extract_file(no_main)
    assert failed.value.kind == "corrupt"
    broken = tmp_path / "trasig-xml.docx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, data[:200] if item.filename == "word/document.xml" else data)
    with pytest.raises(ExtractionFailed) as failed:
        extract_file(broken)
    assert failed.value.kind == "corrupt"


def test_odt(tmp_path: Path) -> None:
    result = extract_file(fx.make_odt(tmp_path / "protokoll.odt"))
    assert result.extractor == "odt"
    assert "Ärendet gäller strandskydd vid Östersjön." in result.text
    assert "Paragraf | § 12" in result.text
    assert result.metadata["title"] == "Miljönämndens protokoll"
    assert result.metadata["author"] == "Göran Ström"


def test_rtf(tmp_path: Path) -> None:
    result = extract_file(fx.make_rtf(tmp_path / "beslut.rtf"))
    assert result.text == "Beslut om färdtjänst för Åsa.\nNytt stycke med ö unicode."
    assert result.metadata["title"] == "Beslut om färdtjänst"


def test_html_drops_script_and_style(tmp_path: Path) -> None:
    result = extract_file(fx.make_html(tmp_path / "kungorelse.html"))
    assert "Detaljplan för Älvdalen" in result.text
    assert "SBN 2022/45" in result.text
    assert "hemligt" not in result.text and "color" not in result.text
    assert result.metadata["title"] == "Kungörelse"


def test_email_headers_body_and_attachment(tmp_path: Path, files: Path) -> None:
    result = extract_file(fx.make_eml(tmp_path / "brev.eml", files / "yttrande.pdf"))
    assert result.extractor == "email"
    assert result.metadata["from"] == "Åke Svensson <ake@example.se>"
    assert result.metadata["subject"] == "Synpunkter på detaljplan, dnr SBN 2022/45"
    assert result.metadata["date"] == "2024-01-15T10:30:00+01:00"
    assert "mina synpunkter på planförslaget" in result.text
    assert [a.name for a in result.attachments] == ["synpunkter.pdf"]
    assert result.attachments[0].data == (files / "yttrande.pdf").read_bytes()


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "latin-1", "utf-8-sig", "cp850"])
def test_text_encodings_keep_swedish_letters(tmp_path: Path, encoding: str) -> None:
    source = fx.SWEDISH + "\nÅtgärd: avslag. Överklagas senast 2024-02-01.\n"
    path = tmp_path / "brev.txt"
    path.write_bytes(source.encode(encoding))
    result = extract_file(path)
    assert result.text == source.strip()


def test_decode_text_prefers_cp1252_for_windows_quotes() -> None:
    text, encoding = decode_text("”Får vi svar?” – Åsa".encode("cp1252"))
    assert text == "”Får vi svar?” – Åsa"
    assert encoding == "cp1252"


def test_normalize() -> None:
    assert normalize("e\u0301") == "\u00e9"                        # NFC
    assert normalize("\ufb01nansiering \ufb02ygel") == "finansiering flygel"
    assert normalize("för-\nvaltningen") == "förvaltningen"
    assert normalize("barn-\noch utbildningsnämnden") == "barn-\noch utbildningsnämnden"
    assert normalize("KS-\n2023") == "KS-\n2023"                   # not a word break
    assert normalize("över\u00ad\nklagande") == "överklagande"     # soft hyphen at a break
    assert normalize("a\x00b\x07c\u200bd") == "abcd"                # control characters
    assert normalize("rad 1\r\n\n\n\n\nrad 2  \t slut") == "rad 1\n\nrad 2 slut"


def test_normalize_spaces_and_blank_lines_as_the_plain_patterns() -> None:
    """normalize's space and blank-line patterns are written for the regex engine's fast
    search; they match as the plain ones they replaced, on random strings of spaces, tabs,
    no-break and other spaces, line breaks and letters, and its check before the space
    substitution misses no match."""
    import random

    from diarium.extractors.normalize import _BLANK_LINES, _OTHER_SPACE, _SPACES

    space = r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]"
    plain_spaces = re.compile(rf"{space}{{2,}}|[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]")
    plain_blank_lines = re.compile(r"\n{3,}")
    assert _SPACES.sub(" ", "a b  c\t\u00a0d\u2003e \u3000 f") == "a b c d e f"
    rng = random.Random(19)
    alphabet = "   \t\n\n\xa0\u2003\u202f\u3000\u200bab"
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert _SPACES.sub(" ", text) == plain_spaces.sub(" ", text), repr(text)
        # normalize skips the substitution when neither is there: nothing to replace.
        if "  " not in text and not _OTHER_SPACE.search(text):
            assert not plain_spaces.search(text), repr(text)
        assert _BLANK_LINES.sub("\n\n", text) == plain_blank_lines.sub("\n\n", text)


def test_pdf_date() -> None:
    assert pdf_date("D:20230512134500+02'00'") == "2023-05-12T13:45:00+02:00"
    assert pdf_date("D:20230512") == "2023-05-12"
    assert pdf_date("nonsense") is None


def test_sniffing_beats_extension(tmp_path: Path, files: Path) -> None:
    wrong = tmp_path / "yttrande.docx"
    shutil.copyfile(files / "yttrande.pdf", wrong)
    extractor, sniffed = choose(wrong)
    assert sniffed == "application/pdf" and extractor.name == "pdfium"
    assert extract_file(wrong).pages[0] == fx.SWEDISH
    # A content-addressed file has no extension: the document's file name supplies it.
    bare = tmp_path / "abcdef"
    fx.make_cp1252_text(bare)
    assert choose(bare, name="brev.txt")[0].name == "text"


def test_sniff_formats(tmp_path: Path, files: Path) -> None:
    assert sniff(fx.make_docx(tmp_path / "a.bin")).endswith("wordprocessingml.document")
    assert sniff(fx.make_odt(tmp_path / "b.bin")) == "application/vnd.oasis.opendocument.text"
    assert sniff(fx.make_rtf(tmp_path / "c.bin")) == "application/rtf"
    assert sniff(fx.make_eml(tmp_path / "d.bin", files / "yttrande.pdf")) == "message/rfc822"
    assert sniff(fx.make_html(tmp_path / "e.bin")) == "text/html"


def test_unsupported_binary(tmp_path: Path) -> None:
    path = tmp_path / "data.xyz"
    path.write_bytes(b"\x00\x01\x02\x03" * 100)
    with pytest.raises(UnsupportedFormat, match="unsupported format"):
        extract_file(path)


BAD = [
    ("empty", lambda d, pdf: fx.make_empty(d / "tom.pdf"), "empty", "empty"),
    ("truncated", lambda d, pdf: fx.make_truncated_pdf(d / "trunc.pdf", pdf), "corrupt",
     "not a readable PDF"),
    ("encrypted", lambda d, pdf: fx.make_encrypted_pdf(d / "krypt.pdf", pdf), "encrypted",
     "encrypted"),
    ("zip bomb", lambda d, pdf: fx.make_zip_bomb_docx(d / "bomb.docx"), "zip_bomb",
     "ZIP bomb guard"),
    ("not a zip", lambda d, pdf: fx.make_not_a_zip_docx(d / "trasig.docx"), "corrupt",
     "not a valid ZIP"),
]


@pytest.mark.parametrize(("label", "make", "kind", "reason"), BAD, ids=[b[0] for b in BAD])
def test_bad_files_fail_with_a_clear_reason(tmp_path: Path, files: Path, label: str, make,
                                            kind: str, reason: str) -> None:
    path = make(tmp_path, files / "yttrande.pdf")
    with pytest.raises(ExtractionFailed) as info:
        extract_file(path)
    assert info.value.kind == kind
    assert reason in str(info.value)


def test_zip_bomb_limit_on_declared_size(tmp_path: Path) -> None:
    bomb = fx.make_zip_bomb_docx(tmp_path / "bomb.docx", inflated_mb=3)
    with pytest.raises(ExtractionFailed, match="would unpack to 3 MB"):
        extract_file(bomb, ExtractOptions(max_unzipped_bytes=2 * 1024 * 1024))


def test_broken_xref_reads_or_fails_clearly(tmp_path: Path, files: Path) -> None:
    path = fx.make_broken_xref_pdf(tmp_path / "xref.pdf", files / "yttrande.pdf")
    try:
        result = extract_file(path)
    except ExtractionFailed as exc:
        assert exc.kind == "corrupt" and "PDF" in str(exc)
    else:
        assert fx.SWEDISH in result.text


def test_looping_content_stream_terminates(tmp_path: Path) -> None:
    path = fx.make_looping_pdf(tmp_path / "loop.pdf")
    try:
        result = extract_file(path)
    except ExtractionFailed as exc:
        assert exc.kind == "corrupt"
    else:
        assert result.needs_ocr or "loop" in result.text


def test_image_only_pdf_needs_ocr_without_ocr(tmp_path: Path) -> None:
    png = fx.make_png(tmp_path / "skanning.png", ["Beslut om bygglov"])
    result = extract_file(fx.make_image_pdf(tmp_path / "skanning.pdf", png))
    assert result.needs_ocr
    assert extract_file(png).needs_ocr


def test_ocr_image_and_scanned_pdf(tmp_path: Path) -> None:
    # Tesseract and its Swedish data come from scripts/system-packages.txt (./dev test).
    assert ocr_available("swe"), "install tesseract-ocr and tesseract-ocr-swe"
    png = fx.make_png(tmp_path / "skanning.png", ["Beslut om bygglov",
                                                   "Nämnden avslår ansökan"])
    options = ExtractOptions(ocr=True)
    result = extract_file(png, options)
    assert not result.needs_ocr
    assert "Nämnden avslår ansökan" in result.text
    scanned = extract_file(fx.make_image_pdf(tmp_path / "skanning.pdf", png), options)
    assert not scanned.needs_ocr
    assert "Beslut om bygglov" in scanned.text
    assert scanned.metadata["ocr"]["languages"] == "swe"


def test_two_columns_are_read_one_after_the_other(tmp_path: Path) -> None:
    from fpdf import FPDF

    left = " ".join(f"vänster{i}" for i in range(60))
    right = " ".join(f"höger{i}" for i in range(60))
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.set_xy(10, 20)
    pdf.multi_cell(85, 6, left)   # loose spacing: 6 mm lines for an 11 pt font
    pdf.set_xy(110, 20)
    pdf.multi_cell(85, 6, right)
    pdf.output(str(tmp_path / "spalter.pdf"))
    text = extract_file(tmp_path / "spalter.pdf").text
    assert text.index("vänster59") < text.index("höger0")
