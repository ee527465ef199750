"""PDF: text per page with pdfminer.six, document metadata, image-only detection.

Reading order: pdfminer's layout analysis (LAParams, boxes_flow 0.5, line_margin 1.0)
groups text boxes hierarchically, which keeps the columns of a two-column brochure apart.
That grouping is quadratic in the number of boxes, so on a page with very many boxes
(dense tables, where columns are not prose anyway) boxes are ordered by one flat
top-to-bottom sort instead.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from diarium.extractors.base import Extraction, ExtractOptions, Extractor, clean_meta

from diarium.errors import ExtractionFailed

# pdfminer logs every malformed object at WARNING; the pipeline reports what matters.
logging.getLogger("pdfminer").setLevel(logging.ERROR)

# Lines closer than this many line heights form one text box. pdfminer's 0.5 leaves
# loosely spaced lines (1.5 line spacing) as one box each, and then pairs the lines of two
# columns side by side; at 1.0 a column's lines form boxes and columns stay apart.
LINE_MARGIN = 1.0
# Above this many text boxes on a page, use the flat ordering (see module docstring).
MAX_BOXES_FOR_GROUPING = 120
# A page "has text" from this many letters on; fewer is a scan, a blank or a figure.
MIN_LETTERS_PER_PAGE = 20
# The document needs OCR when fewer than this share of its pages has text.
OCR_PAGE_SHARE = 0.1

_LETTER = re.compile(r"[^\W\d_]")


class PdfExtractor(Extractor):
    name = "pdfminer"
    media_types = ("application/pdf",)
    extensions = ("pdf",)

    def extract(self, path: Path, options: ExtractOptions) -> Extraction:
        """Per-page text and metadata; raises ExtractionFailed (encrypted, corrupt)."""
        pages, meta, empty_pages, image_pages = read_pdf(path)
        if not pages and not options.ocr:
            raise ExtractionFailed(
                "the PDF has no readable pages (damaged page tree or cross-reference table)",
                kind="corrupt",
            )
        letters_per_page = [len(_LETTER.findall(p)) for p in pages]
        with_text = sum(1 for n in letters_per_page if n >= MIN_LETTERS_PER_PAGE)
        # Few pages with text, and either images (a scan) or no letters at all (text drawn
        # as outlines): OCR can help. A short text-only page ("Bilaga 1") is just short.
        needs_ocr = not pages or (
            with_text < max(1.0, OCR_PAGE_SHARE * len(pages))
            and (image_pages > 0 or sum(letters_per_page) == 0)
        )
        if empty_pages:
            meta["pages_without_text"] = empty_pages
        if needs_ocr and options.ocr:
            from diarium.extractors.image import ocr_pdf

            ocr_pages = ocr_pdf(path, options, page_count=len(pages))
            meta["ocr"] = {"engine": "tesseract", "languages": options.ocr_languages}
            if sum(len(_LETTER.findall(p)) for p in ocr_pages) >= MIN_LETTERS_PER_PAGE:
                return self.result(ocr_pages, meta, "application/pdf")
            if not pages:
                raise ExtractionFailed(
                    "the PDF has no readable pages, and OCR of its rendering found no text",
                    kind="corrupt",
                )
        return self.result(pages, meta, "application/pdf", needs_ocr=needs_ocr)


def read_pdf(path: Path) -> tuple[list[str], dict[str, Any], list[int], int]:
    """(per-page text, metadata, 1-based numbers of pages without text, pages with images).

    Raises ExtractionFailed: "encrypted" when a password is needed, "corrupt" otherwise.
    """
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams, LTTextGroupLRTB
    from pdfminer.pdfdocument import (
        PDFDocument,
        PDFEncryptionError,
        PDFPasswordIncorrect,
        PDFTextExtractionNotAllowed,
    )
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfminer.psexceptions import PSException

    class Aggregator(PDFPageAggregator):
        def end_page(self, page: Any) -> None:
            layout = self.cur_item

            def bounded(laparams: Any, boxes: Any) -> Any:
                if len(boxes) > MAX_BOXES_FOR_GROUPING:
                    return [LTTextGroupLRTB(boxes)]
                return type(layout).group_textboxes(layout, laparams, boxes)

            layout.group_textboxes = bounded  # type: ignore[method-assign]
            super().end_page(page)

    pages: list[str] = []
    empty: list[int] = []
    meta: dict[str, Any] = {}
    image_pages = 0
    try:
        with open(path, "rb") as fh:
            parser = PDFParser(fh)
            try:
                doc = PDFDocument(parser)
            except PDFPasswordIncorrect as exc:
                raise ExtractionFailed(
                    "the PDF is encrypted and needs a password to open", kind="encrypted"
                ) from exc
            except PDFEncryptionError as exc:
                raise ExtractionFailed(
                    f"the PDF is encrypted with an unsupported method: {exc}", kind="encrypted"
                ) from exc
            meta = _metadata(doc)
            rsrc = PDFResourceManager(caching=True)
            device = Aggregator(rsrc, laparams=LAParams(line_margin=LINE_MARGIN))
            interpreter = PDFPageInterpreter(rsrc, device)
            for number, page in enumerate(PDFPage.create_pages(doc), start=1):
                interpreter.process_page(page)
                text, images = _page_text(device.get_result())
                pages.append(text)
                image_pages += images > 0
                if not text.strip():
                    empty.append(number)
    except ExtractionFailed:
        raise
    except PDFTextExtractionNotAllowed as exc:
        raise ExtractionFailed(f"the PDF forbids text extraction: {exc}", kind="encrypted") from exc
    except RecursionError as exc:
        raise ExtractionFailed(
            "the PDF's content streams refer to themselves in a loop", kind="corrupt"
        ) from exc
    except (PSException, ValueError, TypeError, KeyError, AttributeError, IndexError,
            AssertionError, ZeroDivisionError, OverflowError, EOFError) as exc:
        if pages:
            # Keep what was read: a broken last page should not lose a 200-page report.
            meta["truncated_after_page"] = len(pages)
            meta["read_error"] = _describe(exc)
            meta["page_count"] = len(pages)
            return pages, meta, empty, image_pages
        raise ExtractionFailed(f"not a readable PDF: {_describe(exc)}", kind="corrupt") from exc
    meta["page_count"] = len(pages)
    return pages, meta, empty, image_pages


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:300]


def _page_text(layout: Any) -> tuple[str, int]:
    """(text of a laid-out page, number of images on it)."""
    from pdfminer.layout import LTFigure, LTImage, LTTextContainer

    parts: list[str] = []
    images = 0

    def walk(item: Any) -> None:
        nonlocal images
        if isinstance(item, LTTextContainer):
            parts.append(item.get_text())
        elif isinstance(item, LTImage):
            images += 1
        elif isinstance(item, LTFigure):
            for child in item:
                walk(child)

    for obj in layout:
        walk(obj)
    return "\n".join(p.rstrip("\n") for p in parts), images


_INFO_KEYS = {
    "Title": "title",
    "Author": "author",
    "Subject": "subject",
    "Keywords": "keywords",
    "Creator": "creator",
    "Producer": "producer",
    "CreationDate": "created",
    "ModDate": "modified",
}


def _metadata(doc: Any) -> dict[str, Any]:
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    meta: dict[str, Any] = {}
    if getattr(doc, "encryption", None):
        meta["encrypted"] = True
    for info in getattr(doc, "info", None) or []:
        info = resolve1(info)
        if not isinstance(info, dict):
            continue
        for key, name in _INFO_KEYS.items():
            value = resolve1(info.get(key))
            if isinstance(value, bytes):
                value = decode_text(value)
            if not isinstance(value, str):
                continue
            value = value.replace("\x00", "").strip()
            if name in ("created", "modified"):
                value = pdf_date(value) or value
            if value:
                meta[name] = value
    return clean_meta(meta)


_PDF_DATE = re.compile(
    r"^D?:?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?\s*(Z|[+-]\d{2}'?\d{2}'?)?"
)


def pdf_date(value: str) -> str | None:
    """A PDF date ("D:20230512134500+02'00'") as ISO 8601, or None when unreadable."""
    m = _PDF_DATE.match(value.strip())
    if not m:
        return None
    year, month, day, hour, minute, second, tz = m.groups()
    date = f"{year}-{month or '01'}-{day or '01'}"
    if hour is None:
        return date
    iso = f"{date}T{hour}:{minute or '00'}:{second or '00'}"
    if tz == "Z":
        iso += "Z"
    elif tz:
        digits = tz.replace("'", "")
        iso += f"{digits[:3]}:{digits[3:5] or '00'}"
    return iso
