"""The registry: picks the best extractor for a file by content first, extension second,
runs it, and turns unexpected parser errors into ExtractionFailed with a readable reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from diarium.errors import ExtractionFailed, UnsupportedFormat
from diarium.extractors.base import Extraction, ExtractOptions, Extractor, extension_of, sniff
from diarium.extractors.doc import DocExtractor
from diarium.extractors.docx import DocxExtractor
from diarium.extractors.email import EmailExtractor
from diarium.extractors.html import HtmlExtractor
from diarium.extractors.image import ImageExtractor
from diarium.extractors.msg import MsgExtractor
from diarium.extractors.odt import OdtExtractor
from diarium.extractors.pdf import PdfExtractor
from diarium.extractors.rtf import RtfExtractor
from diarium.extractors.text import TextExtractor

PDF = PdfExtractor()
EXTRACTORS: tuple[Extractor, ...] = (
    PDF,
    DocxExtractor(),
    OdtExtractor(),
    RtfExtractor(),
    DocExtractor(),
    EmailExtractor(),
    MsgExtractor(),
    HtmlExtractor(),
    ImageExtractor(),
    TextExtractor(),
)


def choose(path: Path, name: str | None = None) -> tuple[Extractor, str]:
    """(best extractor, sniffed media type) for a file; `name` supplies the extension when
    the stored path has none (content-addressed files).

    Raises UnsupportedFormat naming what was found, ExtractionFailed for an empty file.
    """
    sniffed = sniff(path)
    extension = extension_of(name if name is not None else path)
    best: tuple[int, Extractor] | None = None
    for extractor in EXTRACTORS:
        score = extractor.score(sniffed, extension)
        if score > 0 and (best is None or score > best[0]):
            best = (score, extractor)
    if best is None:
        what = sniffed or "unknown binary content"
        raise UnsupportedFormat(
            f"unsupported format: {what}" + (f" (extension .{extension})" if extension else "")
        )
    return best[1], sniffed


def extract_file(path: Path, options: ExtractOptions | None = None,
                 name: str | None = None) -> Extraction:
    """Extract one file. Raises UnsupportedFormat or ExtractionFailed (with a `kind`)."""
    options = options or ExtractOptions()
    extractor, _ = choose(path, name)
    return _guarded(extractor, lambda: extractor.extract(path, options))


def pdf_pages_to_split(path: Path, name: str | None, threshold: int) -> int:
    """The page count of a PDF above `threshold` pages (to be split into page ranges
    across workers), else 0. Raises UnsupportedFormat or ExtractionFailed ("empty")."""
    extractor, _ = choose(path, name)
    if not isinstance(extractor, PdfExtractor):
        return 0
    from diarium.extractors.pdf import page_count

    count = page_count(path)
    return count if count > threshold else 0


def extract_pdf_range(path: Path, options: ExtractOptions, start: int, stop: int) -> Extraction:
    """Pages start..stop-1 (0-based) of a PDF, to be joined with `join_pdf_parts`.
    Raises ExtractionFailed (with a `kind`)."""
    extractor = PDF
    return _guarded(extractor, lambda: extractor.extract_range(path, options, start, stop))


def join_pdf_parts(parts: list[Extraction]) -> Extraction:
    """One Extraction from the page ranges of one PDF, in page order."""
    return PDF.join(parts)


def _guarded(extractor: Extractor, run: Callable[[], Extraction]) -> Extraction:
    """run(), with unexpected parser errors turned into ExtractionFailed."""
    try:
        return run()
    except (ExtractionFailed, UnsupportedFormat, MemoryError):
        raise
    except RecursionError as exc:
        raise ExtractionFailed(
            f"{extractor.name}: the file nests or refers to itself too deeply", kind="corrupt"
        ) from exc
    except Exception as exc:  # a parser bug or a malformed file: stored, batch goes on
        detail = str(exc).strip() or type(exc).__name__
        raise ExtractionFailed(
            f"{extractor.name} could not read the file: {type(exc).__name__}: {detail[:300]}",
            kind="corrupt",
        ) from exc
