"""What every extractor shares: the Extraction result, options, the Extractor base class and
content sniffing.

An extractor turns one file into one frozen Extraction (text, per-page text, metadata) or
raises ExtractionFailed with a readable reason and a short `kind`. It never writes to the
store or an index: the pipeline (diarium.pipeline.extracting) does that.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from diarium.errors import ExtractionFailed

MB = 1024 * 1024


@dataclass(frozen=True)
class Attachment:
    """A file found inside another (an e-mail attachment); stored as a file of its own."""

    name: str
    data: bytes
    media_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Extraction:
    """The text of one file. `pages` holds per-page text (one entry for formats without
    pages); `text` is the pages joined by blank lines."""

    text: str
    pages: tuple[str, ...]
    metadata: Mapping[str, Any]
    media_type: str
    extractor: str
    needs_ocr: bool = False
    attachments: tuple[Attachment, ...] = ()
    # 1-based numbers of the pages that still need OCR (a scan, a garbage text layer);
    # `needs_ocr` says whether the file as a whole does (too few pages with text).
    ocr_pages: tuple[int, ...] = ()

    @property
    def page_count(self) -> int:
        return len(self.pages)


@dataclass(frozen=True)
class ExtractOptions:
    """Limits and switches an extractor honours. Defaults suit a municipal diary."""

    max_unzipped_bytes: int = 500 * MB     # DOCX/ODT bomb guard: sum of member sizes
    max_zip_ratio: float = 200.0           # uncompressed/compressed of the whole archive
    ocr: bool = False                      # run Tesseract on images and image-only PDFs
    ocr_languages: str = "swe"
    ocr_dpi: int = 200
    ocr_max_pages: int = 100               # a scanned 1,000-page binder is not OCR'd whole
    tool_timeout: float = 120.0            # antiword/catdoc/tesseract, per call


class Extractor:
    """Base class: subclasses declare what they read and implement `extract`.

    `score` says how well this extractor fits a file: the sniffed media type counts more
    than the extension, so a PDF named .doc is read as a PDF.
    """

    name: ClassVar[str] = "base"
    media_types: ClassVar[tuple[str, ...]] = ()
    extensions: ClassVar[tuple[str, ...]] = ()

    def score(self, sniffed: str, extension: str) -> int:
        """0 when this extractor cannot read the file; higher is a better fit."""
        if sniffed in self.media_types:
            return 10
        if sniffed in ("", "application/octet-stream", "text/plain") and (
            extension in self.extensions
        ):
            return 5
        return 0

    def extract(self, path: Path, options: ExtractOptions) -> Extraction:
        """Read `path`; returns its Extraction or raises ExtractionFailed."""
        raise NotImplementedError

    def result(
        self,
        pages: list[str] | tuple[str, ...],
        metadata: Mapping[str, Any],
        media_type: str,
        *,
        needs_ocr: bool = False,
        attachments: tuple[Attachment, ...] = (),
        ocr_pages: tuple[int, ...] = (),
    ) -> Extraction:
        """Build a normalized Extraction from raw per-page text."""
        from diarium.extractors.normalize import normalize

        clean = tuple(normalize(p) for p in pages) or ("",)
        text = "\n\n".join(p for p in clean if p)
        return Extraction(
            text=text,
            pages=clean,
            metadata=dict(metadata),
            media_type=media_type,
            extractor=self.name,
            needs_ocr=needs_ocr,
            attachments=attachments,
            ocr_pages=ocr_pages,
        )


# Magic bytes, most specific first. ZIP and OLE containers are looked into further below.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"{\\rtf", "application/rtf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
MSWORD = "application/msword"
EML = "message/rfc822"
MSG = "application/vnd.ms-outlook"


def sniff(path: Path) -> str:
    """The media type of a file judged by its content, or "" when the bytes say nothing.

    Raises ExtractionFailed (kind "empty") for a zero-byte file.
    """
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if not head:
        raise ExtractionFailed("the file is empty (0 bytes)", kind="empty")
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    # Some producers put junk before %PDF-; readers accept it within the first KB.
    if head.find(b"%PDF-", 0, 1024) != -1:
        return "application/pdf"
    for magic, media_type in _MAGIC:
        if stripped.startswith(magic):
            return media_type
    if head.startswith(OLE_MAGIC):
        return _ole_type(path)
    if head.startswith(ZIP_MAGIC):
        return _zip_type(path)
    # Word for DOS / Word 2-6 files without OLE container
    if head[:2] in (b"\xdb\xa5", b"\x31\xbe"):
        return MSWORD
    lower = stripped[:1024].lower()
    if lower.startswith((b"<!doctype html", b"<html")) or b"<html" in lower[:512]:
        return "text/html"
    if _looks_like_email(stripped):
        return EML
    if b"\x00" not in head[:4096]:
        return "text/plain"
    return ""


def _ole_type(path: Path) -> str:
    """An OLE2 compound file: an Outlook message when it has MAPI property streams, else
    Word 97-2003 (Excel/PPT would also land here)."""
    try:
        import olefile

        with olefile.OleFileIO(str(path)) as ole:
            if ole.exists("__properties_version1.0") and any(
                entry[0].startswith("__substg1.0_") for entry in ole.listdir()
            ):
                return MSG
    except Exception:  # a damaged container: the Word extractor says what is wrong
        return MSWORD
    return MSWORD


def _zip_type(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "mimetype" in names:
                mimetype = zf.read("mimetype")[:200].decode("ascii", "replace").strip()
                return mimetype or "application/zip"
            if "word/document.xml" in names:
                return DOCX
    except (zipfile.BadZipFile, OSError, ValueError):
        return "application/zip"
    return "application/zip"


_EMAIL_HEADERS = (b"from:", b"to:", b"subject:", b"date:", b"received:", b"message-id:",
                  b"mime-version:", b"return-path:", b"delivered-to:")


def _looks_like_email(head: bytes) -> bool:
    """Two or more RFC 822 header lines at the start: an e-mail message."""
    lines = head[:2048].split(b"\n")[:20]
    found = sum(1 for line in lines if line.lower().startswith(_EMAIL_HEADERS))
    return found >= 2


def extension_of(path: Path | str) -> str:
    """The lower-case extension without the dot ("pdf"), or ""."""
    return os.path.splitext(str(path))[1].lower().lstrip(".")


def check_zip(path: Path, options: ExtractOptions) -> None:
    """Refuse a ZIP-based document whose members would inflate beyond the limits.

    Raises ExtractionFailed: kind "corrupt" when it is not a ZIP at all, "zip_bomb" when
    the declared uncompressed size or ratio is too large.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise ExtractionFailed(f"not a valid ZIP container: {exc}", kind="corrupt") from exc
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > options.max_unzipped_bytes:
        raise ExtractionFailed(
            f"ZIP bomb guard: members would unpack to {total / MB:.0f} MB, more than the "
            f"limit of {options.max_unzipped_bytes / MB:.0f} MB",
            kind="zip_bomb",
        )
    if total > 10 * MB and total / packed > options.max_zip_ratio:
        raise ExtractionFailed(
            f"ZIP bomb guard: compression ratio {total / packed:.0f}:1 is above "
            f"{options.max_zip_ratio:.0f}:1",
            kind="zip_bomb",
        )


def clean_meta(values: Mapping[str, Any]) -> dict[str, Any]:
    """Drop empty metadata values so stored JSON stays small."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or value == "" or value == [] or value == {}:
            continue
        out[key] = value
    return out
