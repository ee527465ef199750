"""The PDF page loop on pdfium's raw API (extractors/pdf.py: _pdfium_page, _text_range,
_count_images): the same text and image counts as pypdfium2's helpers, page after page
with one reused buffer, every handle closed, unloadable pages None."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import extraction_fixtures as fx
import pytest

from diarium.extractors import pdf as pdf_module
from diarium.extractors.pdf import _count_images, _pdfium_page, _text_range, _TextBuffer


@contextmanager
def _document(path: Path) -> Iterator[Any]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        yield pdf
    finally:
        pdf.close()


def _sample(tmp_path: Path, corpus_dir: Path) -> list[Path]:
    """Generated pages (long, empty, one character, a Form XObject) and real ones."""
    made = fx.make_pdf(tmp_path / "sidor.pdf", [fx.SWEDISH * 40, "", "x", fx.SWEDISH])
    forms = fx.make_form_xobject_pdf(tmp_path / "huvud.pdf")
    return [made, forms, corpus_dir / "livsmedelsverket__LIVSFS-2006_22bil1.pdf",
            corpus_dir.parent / "formats" / "multipage.pdf"]


def test_text_range_is_pypdfium2s_get_text_range_with_one_buffer(tmp_path: Path,
                                                                  corpus_dir: Path) -> None:
    """Long pages before short and empty ones: nothing of an earlier page shows through
    the reused buffer."""
    buffer = _TextBuffer()
    pages = 0
    for path in _sample(tmp_path, corpus_dir):
        with _document(path) as pdf:
            for index in range(len(pdf)):
                page = pdf[index]
                textpage = page.get_textpage()
                try:
                    assert _text_range(textpage.raw, buffer) == textpage.get_text_range()
                finally:
                    textpage.close()
                    page.close()
                pages += 1
    assert pages > 10 and buffer.size >= 4096


def _nested_forms_pdf(path: Path, depth: int = 6) -> Path:
    """A page drawing one image and form 1; form k draws the image and form k+1, down to
    `depth` forms: an image on every level."""
    image = (b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray "
             b"/BitsPerComponent 8 /Length 1 >>\nstream\n\x80\nendstream")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << "
        b"/XObject << /Im 5 0 R /F1 6 0 R >> >> /Contents 4 0 R >>",
    ]
    page_stream = b"q 10 0 0 10 0 0 cm /Im Do Q /F1 Do"
    objects.append(b"<< /Length %d >>\nstream\n" % len(page_stream) + page_stream
                   + b"\nendstream")
    objects.append(image)
    for level in range(1, depth + 1):
        own = 5 + level
        inner = b" /F%d Do" % (level + 1) if level < depth else b""
        stream = b"q 10 0 0 10 0 0 cm /Im Do Q" + inner
        names = b"/Im 5 0 R" + (b" /F%d %d 0 R" % (level + 1, own + 1) if inner else b"")
        objects.append(b"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << "
                       b"/XObject << " + names + b" >> >> /Length %d >>\nstream\n"
                       % len(stream) + stream + b"\nendstream")
    return fx._write_pdf(path, objects)


def test_image_count_is_pypdfium2s_get_objects_to_depth_four(tmp_path: Path,
                                                             corpus_dir: Path) -> None:
    import pypdfium2.raw as pdfium_c

    png = fx.make_png(tmp_path / "skanning.png", ["Beslut om bygglov"])
    paths = [_nested_forms_pdf(tmp_path / "former.pdf"),
             fx.make_mixed_pdf(tmp_path / "blandad.pdf", png, fx.SWEDISH),
             fx.make_form_xobject_pdf(tmp_path / "huvud.pdf"),
             corpus_dir.parent / "formats" / "multipage.pdf"]
    counts = []
    for path in paths:
        with _document(path) as pdf:
            for index in range(len(pdf)):
                page = pdf[index]
                try:
                    theirs = sum(1 for _ in page.get_objects(
                        filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=4))
                    assert _count_images(page.raw) == theirs
                    counts.append(theirs)
                finally:
                    page.close()
    # The nested page: the page's image and those of forms 1 to 3, not deeper.
    assert counts[0] == 4 and max(counts[1:]) >= 1


class _Handles:
    """Counts pdfium's page and text page loads and closes (monkeypatched raw calls)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import pypdfium2.raw as pdfium_c

        self.open = {"page": 0, "text": 0}
        self.loads = 0
        for name, kind, opens in (("FPDF_LoadPage", "page", 1), ("FPDF_ClosePage", "page", -1),
                                  ("FPDFText_LoadPage", "text", 1),
                                  ("FPDFText_ClosePage", "text", -1)):
            monkeypatch.setattr(pdfium_c, name, self._counted(getattr(pdfium_c, name),
                                                              kind, opens))

    def _counted(self, function: Any, kind: str, opens: int) -> Any:
        def call(*args: Any) -> Any:
            result = function(*args)
            if opens < 0 or result:
                self.open[kind] += opens
                self.loads += opens > 0
            return result
        return call


def test_every_handle_is_closed_also_when_a_page_fails(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    handles = _Handles(monkeypatch)
    png = fx.make_png(tmp_path / "skanning.png", ["Beslut om bygglov"])
    path = fx.make_mixed_pdf(tmp_path / "blandad.pdf", png, fx.SWEDISH)
    with _document(path) as pdf:
        pages = [_pdfium_page(pdf, index) for index in range(len(pdf))]
        assert [p.images if p else None for p in pages] == [0, 1, 0]
        assert handles.open == {"page": 0, "text": 0} and handles.loads == 6
        assert _pdfium_page(pdf, len(pdf)) is None          # no such page: pdfium's NULL

        def unreadable(page: Any) -> int:
            raise pdf_module._PageUnreadable("test")

        monkeypatch.setattr(pdf_module, "_count_images", unreadable)
        assert _pdfium_page(pdf, 1) is None                  # the scan's objects fail
        assert handles.open == {"page": 0, "text": 0}

        def broken(textpage: Any) -> str:
            raise RuntimeError("layout reader bug")

        monkeypatch.setattr(pdf_module, "layout_text", broken)
        monkeypatch.setattr(pdf_module, "suspect_reason", lambda text: "split_words")
        with pytest.raises(RuntimeError):
            _pdfium_page(pdf, 0)
        assert handles.open == {"page": 0, "text": 0}


def test_a_text_page_pdfium_cannot_build_goes_to_pdfminer(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """FPDFText_LoadPage failing (NULL) makes the page None, read again by pdfminer.six."""
    import pypdfium2.raw as pdfium_c

    from diarium.extractors.base import ExtractOptions

    path = fx.make_pdf(tmp_path / "sidor.pdf", [fx.SWEDISH, fx.SWEDISH + " Andra sidan."])
    with _document(path) as pdf:
        monkeypatch.setattr(pdfium_c, "FPDFText_LoadPage", lambda page: None)
        assert _pdfium_page(pdf, 0) is None
    pages, _ = pdf_module.read_pages(path, ExtractOptions())
    assert [p.reader for p in pages] == ["pdfminer", "pdfminer"]
    assert "Andra sidan" in pages[1].text
