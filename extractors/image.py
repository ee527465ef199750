"""Images (scans, photos of letters) and OCR with Tesseract.

Without OCR an image is marked needs_ocr. With OCR on (and Tesseract plus its Swedish data
installed) the image, or each PDF page that needs it (a scanned page, a page whose text
layer is garbage; extractors/pdf.py decides) rendered with pypdfium2, is read by
`tesseract -l swe`. OMP_THREAD_LIMIT=1: the pipeline already runs one worker per core.
"""

from __future__ import annotations

import functools
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from diarium.errors import ExtractionFailed
from diarium.extractors.base import Extraction, ExtractOptions, Extractor
from diarium.extractors.tools import run_tool, which

_OCR_ENV = {"OMP_THREAD_LIMIT": "1"}


@functools.cache
def ocr_languages() -> frozenset[str]:
    """Languages Tesseract has data for; empty when Tesseract is not installed."""
    if which("tesseract") is None:
        return frozenset()
    try:
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, timeout=30,
                             check=False).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(line.strip() for line in out.splitlines()[1:] if line.strip())


def ocr_available(languages: str = "swe") -> bool:
    """True when Tesseract is installed with data for every language in `languages`."""
    have = ocr_languages()
    return bool(have) and all(lang in have for lang in languages.split("+"))


def ocr_image(path: Path, options: ExtractOptions) -> str:
    """Text Tesseract reads in one image file; raises ExtractionFailed."""
    if not ocr_available(options.ocr_languages):
        raise ExtractionFailed(
            f"OCR needs Tesseract with language data {options.ocr_languages!r}",
            kind="tool_missing",
        )
    out = run_tool(["tesseract", str(path), "stdout", "-l", options.ocr_languages],
                   options.tool_timeout, env=_OCR_ENV)
    return out.decode("utf-8", errors="replace")


def ocr_pdf_pages(path: Path, indices: Sequence[int], options: ExtractOptions
                  ) -> dict[int, str]:
    """{0-based page index: OCR text} for the given pages of a PDF, each rendered with
    pypdfium2 at options.ocr_dpi in grey (a PGM file: no compression to pay for, Tesseract
    reads it as it is). A page Tesseract fails on is left out (it still needs OCR).
    Raises ExtractionFailed: tool_missing, or corrupt when the PDF cannot be rendered."""
    if not ocr_available(options.ocr_languages):
        raise ExtractionFailed(
            f"OCR needs Tesseract with language data {options.ocr_languages!r}",
            kind="tool_missing",
        )
    import pypdfium2 as pdfium

    found: dict[int, str] = {}
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise ExtractionFailed(f"cannot render the PDF for OCR: {exc}", kind="corrupt") from exc
    try:
        with tempfile.TemporaryDirectory(prefix="diarium-ocr-") as tmp:
            for index in indices:
                if not 0 <= index < len(pdf):
                    continue
                page = pdf[index]
                try:
                    bitmap = page.render(scale=options.ocr_dpi / 72, grayscale=True)
                    target = Path(tmp) / f"page-{index + 1}.pgm"
                    bitmap.to_pil().save(target)
                    bitmap.close()
                finally:
                    page.close()
                try:
                    found[index] = ocr_image(target, options)
                except ExtractionFailed as exc:
                    # A page Tesseract cannot read (or times out on) loses only itself.
                    if exc.kind == "tool_missing":
                        raise
                finally:
                    target.unlink()
    finally:
        pdf.close()
    return found


class ImageExtractor(Extractor):
    name = "tesseract"
    media_types = ("image/png", "image/jpeg", "image/tiff", "image/gif", "image/bmp")
    extensions = ("png", "jpg", "jpeg", "tif", "tiff", "gif", "bmp")

    def extract(self, path: Path, options: ExtractOptions) -> Extraction:
        """OCR text when OCR is on and available; else an empty needs_ocr Extraction."""
        from diarium.extractors.base import sniff

        media_type = sniff(path)
        meta: dict[str, Any] = _image_meta(path)
        if options.ocr and ocr_available(options.ocr_languages):
            text = ocr_image(path, options)
            meta["ocr"] = {"engine": "tesseract", "languages": options.ocr_languages}
            if text.strip():
                return self.result([text], meta, media_type)
        return self.result([""], meta, media_type, needs_ocr=True)


def _image_meta(path: Path) -> dict[str, Any]:
    try:
        from PIL import Image

        with Image.open(path) as img:
            return {"width": img.width, "height": img.height,
                    "page_count": getattr(img, "n_frames", 1)}
    except Exception:  # Pillow is optional here; size is a bonus
        return {}
