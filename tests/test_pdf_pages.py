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


def test_glyph_by_glyph_labels_go_to_pdfminer(tmp_path: Path) -> None:
    path = fx.make_glyph_label_pdf(tmp_path / "plankarta.pdf")
    result = extract_file(path)
    assert result.metadata["pages_read_by_pdfminer"] == [1]
    assert "M" in result.text and "ö" in result.text


def test_narrow_table_read_across_the_row_goes_to_pdfminer(tmp_path: Path) -> None:
    path = fx.make_narrow_table_pdf(tmp_path / "bilaga.pdf", pages=2)
    result = extract_file(path)
    assert result.metadata["pages_read_by_pdfminer"] == [1, 2]
    # pdfminer keeps each column's header together, so the broken word is joined.
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
def test_real_plan_drawing_and_table_annex_go_to_pdfminer() -> None:
    plan = extract_file(REAL / "marks-kommun__melltorp_plankarta.pdf")
    assert plan.metadata["pages_read_by_pdfminer"] == [1]
    annex = extract_file(REAL / "livsmedelsverket__LIVSFS-2006_22bil1.pdf")
    assert len(annex.metadata["pages_read_by_pdfminer"]) == 270
    assert annex.metadata["page_count"] == 297
    prose = extract_file(REAL / "naturvardsverket__NFS-2015-3.pdf")
    assert "pages_read_by_pdfminer" not in prose.metadata
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
