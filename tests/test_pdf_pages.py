"""The PDF path page by page: pdfium first, pdfminer.six for suspect pages, Form XObject
text on both readers, pdfium's joined hyphens, garbage text layers, OCR per page, page
ranges joined in order. Generated files here; the real corpus further down."""

from __future__ import annotations

from pathlib import Path

import extraction_fixtures as fx
import pytest

from diarium.extractors.base import ExtractOptions
from diarium.extractors.image import ocr_available
from diarium.extractors.pdf import PdfExtractor, is_garbage, read_pdfminer, suspect_reason
from diarium.extractors.pdf_layout import page_text as layout_text
from diarium.extractors.registry import extract_file

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
REAL = CORPUS / "real"
FORMATS = CORPUS / "formats"


def test_form_xobject_text_is_kept_on_both_readers(tmp_path: Path) -> None:
    path = fx.make_form_xobject_pdf(tmp_path / "nfs.pdf")
    result = extract_file(path)
    assert result.extractor == "pdfium"
    assert "Naturvårdsverkets författningssamling ISSN 1403-8234" in result.text
    assert "Föreskrifter om ändring" in result.text
    # The fallback reads the form too (pdfminer's LTFigure laid out with all_texts).
    pages, _ = read_pdfminer(path)
    assert "Naturvårdsverkets författningssamling ISSN 1403-8234" in pages[0].text


def test_pdfium_joined_hyphen_becomes_a_hyphen_and_line_break(tmp_path: Path) -> None:
    path = fx.make_pdf(tmp_path / "bindestreck.pdf",
                       ["Ansökan om byggnads-\neller anläggningslov hos förvalt-\nningen."])
    text = extract_file(path).text
    assert "\ufffe" not in text
    assert "byggnads-\neller" in text       # a coordination keeps its hyphen
    assert "förvaltningen" in text           # a word broken over two lines is joined


def _glyph_by_glyph_plan(path: Path) -> Path:
    """A plan drawing as the real one is set: every glyph its own text object on a common
    baseline (pdfium starts a line at each), some labels slanted along a street, a legend
    in two columns."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L")
    pdf.add_page()
    pdf.set_font("Helvetica", size=9)

    def glyphs(x: float, y: float, label: str) -> None:
        for char in label:
            pdf.text(x, y, char)
            x += pdf.get_string_width(char)

    for row, (left, right) in enumerate((("Planområdesgräns", "Egenskapsgräns"),
                                         ("Användningsgräns", "Sekundär egenskapsgräns"),
                                         ("Bostäder", "Transformatorstation"))):
        glyphs(20, 30 + 6 * row, left)
        glyphs(120, 30 + 6 * row, right)
    for row in range(8):
        glyphs(20, 70 + 6 * row, f"Markens höjd över nollplanet ska vara {85 + row},5 meter")
    with pdf.rotation(25, 150, 150):
        glyphs(150, 150, "Melltorpsvägen")
    pdf.output(str(path))
    return path


def _hyphenated_table(path: Path, pages: int = 1) -> Path:
    """The annex's narrow columns: headers hyphenated over two lines, drawn row by row
    across the columns (as a table writer does), on a page rotated to landscape."""
    from fpdf import FPDF

    headers = (("Abamek-", "tin"), ("Acibenso-", "lar-S-metyl"), ("Aldi-", "karb"),
               ("Benfura-", "karb"), ("Cyro-", "mazin"), ("Dami-", "nozid"))
    pdf = FPDF(orientation="L")
    pdf.set_font("Helvetica", size=8)
    for _ in range(pages):
        pdf.add_page()
        pdf.text(10, 30, "Grupp av livsmedel och")
        pdf.text(10, 34, "exempel på livsmedel")
        for line, y in ((0, 30), (1, 34)):
            pdf.text(60, y, " ".join(f"{cells[line]:<12s}" for cells in headers))
            for column, cells in enumerate(headers):
                pdf.text(60 + 20 * column, y, cells[line])
        for row, name in enumerate(("Potatis", "Spannmål", "Humle", "Korn", "Havre")):
            pdf.text(10, 45 + 6 * row, name)
            for column in range(len(headers)):
                pdf.text(60 + 20 * column, 45 + 6 * row, "0,01*")
    pdf.output(str(path))
    return path


def test_layout_reader_assembles_glyph_by_glyph_labels(tmp_path: Path) -> None:
    """The geometric reader on labels set glyph by glyph: words again, the legend's columns
    apart, top to bottom, a slanted street name whole. (pdfium's own
    text joins these generated glyphs; on the real plan drawing it does not, see below.)"""
    import pypdfium2 as pdfium

    path = _glyph_by_glyph_plan(tmp_path / "plankarta.pdf")
    pdf = pdfium.PdfDocument(str(path))
    try:
        textpage = pdf[0].get_textpage()
        text = layout_text(textpage.raw)
        textpage.close()
    finally:
        pdf.close()
    assert suspect_reason(text) is None
    lines = text.splitlines()
    # The two-column legend column by column, as pdfminer reads it.
    assert lines[:6] == ["Planområdesgräns", "Användningsgräns", "Bostäder",
                         "Egenskapsgräns", "Sekundär egenskapsgräns", "Transformatorstation"]
    assert "Markens höjd över nollplanet ska vara 85,5 meter" in lines
    assert text.index("85,5 meter") < text.index("86,5 meter") < text.index("92,5 meter")
    assert "Melltorpsvägen" in lines


def test_layout_reader_reads_glyph_by_glyph_labels_in_every_direction(tmp_path: Path
                                                                    ) -> None:
    """Labels set glyph by glyph at 0, 90 and 270 degrees and at a slant, one upside down
    in one text object: each one whole, each writing direction apart (the reader caches
    each angle's direction). Upside-down glyphs set one by one come out one per line:
    pdfium orders them right to left, and the reader joins only forward steps."""
    import pypdfium2 as pdfium
    from fpdf import FPDF

    labels = {0: "Ansökan om bygglov", 90: "Beslut i nämnden", 180: "Detaljplan för Melltorp",
              270: "Överklagande till länsstyrelsen", 25: "Melltorpsvägen"}
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for angle, label in labels.items():
        with pdf.rotation(angle, 100, 140):
            if angle == 180:
                pdf.text(105, 140, label)
                continue
            x = 105.0
            for char in label:
                pdf.text(x, 140, char)
                x += pdf.get_string_width(char)
    pdf.output(str(tmp_path / "riktningar.pdf"))
    document = pdfium.PdfDocument(str(tmp_path / "riktningar.pdf"))
    try:
        textpage = document[0].get_textpage()
        text = layout_text(textpage.raw)
        textpage.close()
    finally:
        document.close()
    assert sorted(line for line in text.splitlines() if line) == sorted(labels.values())


def test_layout_readers_undeclared_calls_agree_with_pypdfium2(tmp_path: Path) -> None:
    """The reader calls three pdfium functions without ctypes' argument conversion: the
    same codes, boxes and angles as pypdfium2's declared bindings, character by character,
    on a page with upright, slanted and rotated glyphs."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    from diarium.extractors.pdf_layout import _calls

    get_unicode, get_box, get_angle = _calls()
    path = _glyph_by_glyph_plan(tmp_path / "plankarta.pdf")
    document = pdfium.PdfDocument(str(path))
    try:
        textpage = document[0].get_textpage()
        raw = textpage.raw
        count = pdfium_c.FPDFText_CountChars(raw)
        angles = set()
        for index in range(-1, count + 1):     # and an index on either side: pdfium's 0s
            mine, theirs = pdfium_c.FS_RECTF(), pdfium_c.FS_RECTF()
            assert get_box(raw, index, ctypes.byref(mine)) == (
                pdfium_c.FPDFText_GetLooseCharBox(raw, index, ctypes.byref(theirs)))
            assert (mine.left, mine.top, mine.right, mine.bottom) == (
                theirs.left, theirs.top, theirs.right, theirs.bottom)
            assert get_unicode(raw, index) == pdfium_c.FPDFText_GetUnicode(raw, index)
            angle = get_angle(raw, index)
            assert angle == pdfium_c.FPDFText_GetCharAngle(raw, index)
            angles.add(round(angle, 2))
        textpage.close()
    finally:
        document.close()
    assert count > 300 and {0.0, -1.0} < angles and len(angles) >= 3


def test_narrow_hyphenated_table_is_read_by_the_layout_reader(tmp_path: Path) -> None:
    path = _hyphenated_table(tmp_path / "bilaga.pdf", pages=2)
    result = extract_file(path)
    assert result.metadata["pages_read_by_layout"] == [1, 2]
    assert "pages_read_by_pdfminer" not in result.metadata
    page = result.pages[0]
    # Each header's two lines stay together, so normalization joins the broken word.
    for word in ("Abamektin", "Acibensolar-S-metyl", "Aldikarb", "Benfurakarb",
                 "Cyromazin", "Daminozid"):
        assert word in page
    assert page.index("Grupp av livsmedel och\nexempel på livsmedel") < page.index("Abamektin")
    assert page.index("Abamektin") < page.index("Acibensolar") < page.index("Daminozid")
    assert page.index("Potatis") < page.index("Spannmål") < page.index("Havre")
    assert suspect_reason(page) is None


def test_pdfminer_is_the_last_resort(tmp_path: Path) -> None:
    """Glyphs on a staircase (each one line lower than the last) stay single glyphs for the
    geometric reader too: the page fails the check again and pdfminer.six reads it."""
    path = fx.make_glyph_label_pdf(tmp_path / "trappa.pdf")
    result = extract_file(path)
    assert result.metadata["pages_read_by_pdfminer"] == [1]
    assert "pages_read_by_layout" not in result.metadata
    assert "M" in result.text and "ö" in result.text


def test_layout_reader_on_the_fixture_table_keeps_headers(tmp_path: Path) -> None:
    path = fx.make_narrow_table_pdf(tmp_path / "bilaga.pdf", pages=2)
    result = extract_file(path)
    assert result.metadata["pages_read_by_layout"] == [1, 2]
    assert "Abamektin" in result.pages[0]
    assert "Aldikarb" in result.pages[1]


def test_plain_text_pages_stay_with_pdfium(tmp_path: Path) -> None:
    path = fx.make_pdf(tmp_path / "brev.pdf", [fx.SWEDISH, "Barn- och utbildningsnämnden "
                                               "beslutar att godkänna budgeten."])
    result = extract_file(path)
    assert "pages_read_by_pdfminer" not in result.metadata
    assert result.pages[0] == fx.SWEDISH
    assert result.ocr_pages == () and not result.needs_ocr


def test_suspect_reason_and_garbage_checks() -> None:
    assert suspect_reason("Beslut om bygglov för fastigheten.\nNämnden avslår.") is None
    assert suspect_reason("barn- och ungdom, vård- eller omsorg, mark- samt vatten") is None
    assert suspect_reason("Abamek- Acefat Acibenso- Aldi- Amitraz") == "split_words"
    assert suspect_reason("\n".join("Detaljplanförmelltorp" * 2)) == "glyph_lines"
    assert is_garbage("(cid:3)(cid:4)(cid:5)(cid:6)(cid:7) (cid:8)")
    shifted = " ".join(["udq3huvvrq", "ehvoxw", "qlpqghq", "pdujduhwd", "vwudqgvnbgg"] * 8)
    assert is_garbage(shifted)
    assert not is_garbage(fx.SWEDISH * 4)
    # A table of names and numbers has few function words but known words: not garbage.
    assert not is_garbage(" ".join(["Meloner", "Squash", "Vattenmeloner", "Övriga",
                                    "Sockermajs", "Blomkål", "Broccoli", "0,01*"] * 6))


def test_letters_and_garbage_from_one_pass_over_the_lowered_text() -> None:
    """_checks counts letters on text.lower(): every character's lower case has as many
    letters as it has (U+0130 "İ" becomes "i" and a combining dot), so the count is that of
    the text itself."""
    import re
    import sys

    from diarium.extractors.pdf import _checks, _letters

    letter = re.compile(r"[^\W\d_]")
    changed = [cp for cp in range(sys.maxunicode + 1)
               if len(letter.findall(chr(cp))) != len(letter.findall(chr(cp).lower()))]
    assert changed == []
    shifted = " ".join(["udq3huvvrq", "ehvoxw", "qlpqghq", "pdujduhwd", "vwudqgvnbgg"] * 8)
    for text in (fx.SWEDISH * 4, shifted, "İSTANBUL İzmir ΟΔΟΣ Σ ΣΣ", "", "12 ² ½ ⅷ x_y",
                 "(cid:3)(cid:4)(cid:5)(cid:6)(cid:7) (cid:8)"):
        assert _checks(text) == (_letters(text), is_garbage(text))


def test_glued_heading_numbers_get_their_space() -> None:
    """The digit-first pattern against the plain one it replaced, on the cases and on
    random strings of digits, points, spaces, line breaks and letters."""
    import random
    import re

    from diarium.extractors.pdf import _GLUED_NUMBER

    plain = re.compile(r"(?m)(^|\s)(\d{1,3}(?:\.\d{1,3})*\.?)(?=[A-ZÅÄÖ][a-zåäö])")
    assert _GLUED_NUMBER.sub(r"\1\2 ", "4Sista dag\n2.1Anbud och 3.Krav 1234Ab x5Ab") == (
        "4 Sista dag\n2.1 Anbud och 3. Krav 1234Ab x5Ab")
    rng = random.Random(19)
    alphabet = "0123456789.. \n\t\xa0AÅÖaåöx²_-"
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert _GLUED_NUMBER.sub(r"\1\2 ", text) == plain.sub(r"\1\2 ", text), repr(text)


def test_scanned_page_of_a_text_pdf_needs_ocr_per_page(tmp_path: Path) -> None:
    png = fx.make_png(tmp_path / "skanning.png", ["Beslut om bygglov",
                                                   "Nämnden avslår ansökan"])
    path = fx.make_mixed_pdf(tmp_path / "blandad.pdf", png, fx.SWEDISH)
    result = extract_file(path, ExtractOptions(ocr=False))
    assert result.ocr_pages == (2,)
    assert not result.needs_ocr               # two of three pages have text: extracted
    assert result.pages[0] == fx.SWEDISH and result.pages[1] == ""
    assert "ocr" not in result.metadata


def test_mixed_pdf_gets_its_scanned_page_ocrd_and_keeps_its_text_pages(tmp_path: Path
                                                                        ) -> None:
    assert ocr_available("swe"), "install tesseract-ocr and tesseract-ocr-swe"
    png = fx.make_png(tmp_path / "skanning.png", ["Beslut om bygglov",
                                                   "Nämnden avslår ansökan"])
    path = fx.make_mixed_pdf(tmp_path / "blandad.pdf", png, fx.SWEDISH)
    result = extract_file(path, ExtractOptions(ocr=True))
    assert result.pages[0] == fx.SWEDISH       # the text page is read as text
    assert "Nämnden avslår ansökan" in result.pages[1]
    assert result.pages[2] == "Sista sidan: " + fx.SWEDISH
    assert result.ocr_pages == ()
    assert result.metadata["ocr"]["pages"] == [2]


def test_garbage_text_layer_is_ocrd(tmp_path: Path) -> None:
    assert ocr_available("swe"), "install tesseract-ocr and tesseract-ocr-swe"
    png = fx.make_png(tmp_path / "skanning.png", ["Beslut om bygglov",
                                                   "Nämnden avslår ansökan"])
    path = fx.make_garbage_layer_pdf(tmp_path / "skev.pdf", png,
                                     "ansokan om bygglov for fastigheten angen har inkommit till "
                                     "namnden som beslutar under mars")
    without = extract_file(path, ExtractOptions(ocr=False))
    assert without.ocr_pages == (1,) and without.needs_ocr
    result = extract_file(path, ExtractOptions(ocr=True))
    assert "Nämnden avslår ansökan" in result.text
    assert "udq3" not in result.text and not result.needs_ocr


def test_page_ranges_join_in_order(tmp_path: Path) -> None:
    pages = [f"Sida {n}: beslut om färdtjänst nummer {n}" for n in range(1, 8)]
    path = fx.make_pdf(tmp_path / "lang.pdf", pages)
    extractor = PdfExtractor()
    whole = extractor.extract(path, ExtractOptions())
    parts = [extractor.extract_range(path, ExtractOptions(), start, min(start + 3, 7))
             for start in (6, 0, 3)]
    assert [p.metadata["page_range"] for p in parts] == [[7, 7], [1, 3], [4, 6]]
    joined = extractor.join(parts)
    assert joined.pages == whole.pages
    assert joined.text == whole.text
    assert joined.metadata["page_count"] == 7
    assert joined.metadata["title"] == whole.metadata["title"]


# --------------------------------------------------------------------------- real files


@pytest.mark.skipif(not REAL.is_dir(), reason="the shared corpus is not here")
def test_real_plan_drawing_and_table_annex_go_to_the_layout_reader() -> None:
    plan = extract_file(REAL / "marks-kommun__melltorp_plankarta.pdf")
    assert plan.metadata["pages_read_by_layout"] == [1]
    assert "Markens höjd över nollplanet ska vara 85,7 meter." in plan.text
    annex = extract_file(REAL / "livsmedelsverket__LIVSFS-2006_22bil1.pdf")
    assert len(annex.metadata["pages_read_by_layout"]) == 270
    assert "pages_read_by_pdfminer" not in annex.metadata
    assert annex.metadata["page_count"] == 297
    assert "Benfurakarb" in annex.text and "Abamektin" in annex.text
    prose = extract_file(REAL / "naturvardsverket__NFS-2015-3.pdf")
    assert "pages_read_by_pdfminer" not in prose.metadata
    assert "pages_read_by_layout" not in prose.metadata
    assert "Naturvårdsverkets författningssamling" in prose.text  # from a Form XObject


@pytest.mark.skipif(not (FORMATS / "multipage.pdf").is_file(), reason="no shared corpus")
def test_real_mixed_scan_multipage_pdf() -> None:
    """Six scanned pages, only page 4 with a text layer: the other five need OCR, and with
    OCR they get text while page 4 keeps its own."""
    path = FORMATS / "multipage.pdf"
    plain = extract_file(path, ExtractOptions(ocr=False))
    assert plain.ocr_pages == (1, 2, 3, 5, 6)
    # Page 4 has text, so the file is "extracted" (searchable) with five pages to OCR.
    assert not plain.needs_ocr
    assert ocr_available("swe"), "install tesseract-ocr and tesseract-ocr-swe"
    done = extract_file(path, ExtractOptions(ocr=True))
    assert done.metadata["ocr"]["pages"] == [1, 2, 3, 5, 6]
    assert done.pages[3] == plain.pages[3]
    assert "garden" in done.pages[0]
    assert "throne of England" in done.pages[4]
    assert all(len(done.pages[i]) >= 20 for i in (1, 2, 5))
    assert done.ocr_pages == () and not done.needs_ocr


def test_pdfium_text_kept_when_pdfminer_loses_the_page() -> None:
    from diarium.extractors.pdf import PdfPage, _better

    pdfium_page = PdfPage(1, fx.SWEDISH * 3, "pdfium")
    assert _better(pdfium_page, PdfPage(1, "", "pdfminer")) is pdfium_page
    assert _better(pdfium_page, None) is pdfium_page
    garbled = PdfPage(1, fx.SWEDISH * 3, "pdfminer", garbage=True)
    assert _better(pdfium_page, garbled) is pdfium_page
    good = PdfPage(1, fx.SWEDISH * 3, "pdfminer")
    assert _better(pdfium_page, good) is good


def test_pdf_without_any_letter_needs_ocr(tmp_path: Path) -> None:
    """No text layer and no image: the text may be drawn as outlines, so OCR may help."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 40)
    pdf.output(str(tmp_path / "ritning.pdf"))
    result = extract_file(tmp_path / "ritning.pdf")
    assert result.ocr_pages == (1,) and result.needs_ocr
