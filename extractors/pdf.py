"""PDF: text per page with pypdfium2 first, pdfminer.six for the pages pdfium reads badly,
OCR for the pages that have no usable text layer, document metadata.

Why two readers: pdfium (the C++ engine of Chromium) reads the corpus's PDFs about 30
times faster per CPU second than pdfminer.six and, measured against poppler's pdftotext,
as well or better on every document but two (benchmarks/extract_bench.py). Those two are
caught by a check of pdfium's own output per page (`suspect_reason`): a page set glyph by
glyph (a plan drawing: most lines one or two characters long, most tokens single
letters), or a narrow table read across the row (several mid-line "Abamek- Acefat"
fragments, a hyphenated word cut by the next column). Such a page is read again from the
same pdfium characters by the geometric reader of extractors/pdf_layout.py (runs on a
baseline, blocks of lines, pdfminer's margins), about 4 ms a page against pdfminer.six's
40; measured against poppler on those two documents it is as close as pdfminer.six or
closer (benchmarks/README.md). Only when its text still fails the check is the page read
by pdfminer.six, the last resort and the quality reference, whose layout analysis keeps
boxes apart.

pdfminer's reading order: LAParams with boxes_flow 0.5 and line_margin 1.0 groups text
boxes hierarchically, which keeps the columns of a two-column brochure apart. The
grouping is quadratic in the number of boxes, so on a page with very many boxes (dense
tables, where columns are not prose anyway) boxes are ordered by one flat top-to-bottom
sort. `all_texts` runs the layout analysis inside figures too: text in a Form XObject (a
letterhead, "Naturvårdsverkets författningssamling ISSN 1403-8234") is kept, as pdfium
keeps it.

pdfium marks a hyphen it removed when it joined a word broken over two lines with U+FFFE;
it becomes "-\\n" again, so normalization decides as for every other reader: "för-\\nvalt-
ningen" is joined, "byggnads-\\neller" keeps its hyphen.

Per page, a page needs OCR when it has fewer than MIN_LETTERS_PER_PAGE letters and an
image (a scan), or when its text layer is garbage (a font without a Unicode map: pdfminer's
"(cid:3)" runs, control characters, or letters shifted to "udq3huvvrq"). With OCR on such
pages are rendered with pdfium and read by Tesseract; the others keep their text.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from diarium.errors import ExtractionFailed
from diarium.extractors.base import Extraction, ExtractOptions, Extractor, clean_meta
from diarium.extractors.pdf_layout import page_text as layout_text

# pdfminer logs every malformed object at WARNING; the pipeline reports what matters.
logging.getLogger("pdfminer").setLevel(logging.ERROR)

MEDIA_TYPE = "application/pdf"
# Lines closer than this many line heights form one text box. pdfminer's 0.5 leaves
# loosely spaced lines (1.5 line spacing) as one box each, and then pairs the lines of two
# columns side by side; at 1.0 a column's lines form boxes and columns stay apart.
LINE_MARGIN = 1.0
# Above this many text boxes on a page, use the flat ordering (see module docstring).
MAX_BOXES_FOR_GROUPING = 120
# A page "has text" from this many letters on; fewer is a scan, a blank or a figure.
MIN_LETTERS_PER_PAGE = 20
# The document (its file state) needs OCR when fewer than this share of its pages has text
# and some page needs OCR; a mostly-text PDF with a few scanned pages stays "extracted",
# its scanned pages listed in Extraction.ocr_pages.
OCR_PAGE_SHARE = 0.1

# The per-page check of pdfium's text (see module docstring). Measured on the corpus's
# 2,787 pages: it flags the 270 table pages of one annex and the one plan drawing, and no
# page of any other document.
GLYPH_LINES_MIN = 20          # lines on the page before the glyph check applies
GLYPH_LINE_SHARE = 0.5        # share of lines of one or two characters
GLYPH_TOKEN_SHARE = 0.5       # share of tokens that are a single letter
SPLIT_WORDS_MIN = 3           # mid-line "word- Word" fragments on one page
# The garbage check: at least this many words, fewer than this share of common function
# words, then fewer than this share of words known to the Swedish word list.
GARBAGE_MIN_WORDS = 30
GARBAGE_STOPWORD_SHARE = 0.02
GARBAGE_KNOWN_SHARE = 0.2

_WORD = re.compile(r"[^\W\d_]+")
_CONJUNCTION = r"(?:och|eller|samt|resp|respektive|till|and|or|und|et|ou)\b"
_SPLIT_WORD = re.compile(rf"[^\W\d_]{{2,}}-[ \t]+(?!{_CONJUNCTION})[^\W\d_]")
# The same fragments found from the hyphen, looking back at two letters: a superset of
# _SPLIT_WORD's matches (each of those has its own hyphen here), found fifty times faster.
# Below SPLIT_WORDS_MIN of these, _SPLIT_WORD cannot reach it either.
_SPLIT_HYPHEN = re.compile(rf"-(?<=[^\W\d_]{{2}}-)[ \t]+(?!{_CONJUNCTION})[^\W\d_]")
_CID = re.compile(r"\(cid:\d+\)")
# pdfium puts no space where a tab stop separates a heading's number from its words
# ("4Sista dag för anbud"); poppler and pdfminer do. A number at the start of a line or
# after a space: the first digit, then a look back at the character before it (the same
# matches as "(^|\s)" in front, twice as fast: the engine skips from digit to digit).
# Replaced by r"\1\2 ".
_GLUED_NUMBER = re.compile(r"(\d)(?<!\S\d)(\d{0,2}(?:\.\d{1,3})*\.?)(?=[A-ZÅÄÖ][a-zåäö])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SPACE = re.compile(r"\s")
_STOPWORDS = frozenset((
    "och", "att", "som", "för", "på", "är", "av", "med", "en", "ett", "det", "i", "till",
    "den", "de", "om", "har", "inte", "kan", "ska", "eller", "vid", "från", "under",
    "enligt", "samt", "the", "of", "and", "to", "in", "is", "for", "on", "be", "by", "are",
))


@dataclass(frozen=True)
class PdfPage:
    """One page as read: its raw text, which reader gave it, images on it, OCR need."""

    number: int                   # 1-based
    text: str
    reader: str                   # "pdfium", "pdfium-layout", "pdfminer" or "tesseract"
    images: int = 0
    garbage: bool = False
    letters: int = -1             # letters in text; -1: not counted yet
    # No letter on any page read: text may be drawn as outlines, which OCR can read.
    letterless_file: bool = False

    def letter_count(self) -> int:
        return self.letters if self.letters >= 0 else _letters(self.text)


class PdfExtractor(Extractor):
    name = "pdfium"
    media_types = (MEDIA_TYPE,)
    extensions = ("pdf",)

    def extract(self, path: Path, options: ExtractOptions) -> Extraction:
        """Per-page text and metadata; raises ExtractionFailed (encrypted, corrupt)."""
        return self.extract_range(path, options)

    def extract_range(self, path: Path, options: ExtractOptions, start: int = 0,
                      stop: int | None = None) -> Extraction:
        """The Extraction of pages start..stop-1 (0-based; stop None: to the end). A part
        of a long PDF split across workers; `join` puts the parts together again.

        Raises ExtractionFailed (encrypted, corrupt).
        """
        pages, meta = read_pages(path, options, start, stop)
        return self.finish(pages, meta, options, partial=start > 0 or stop is not None)

    def finish(self, pages: Sequence[PdfPage], meta: dict[str, Any], options: ExtractOptions,
               *, partial: bool = False) -> Extraction:
        """The Extraction of pages read (OCR applied), with the per-page bookkeeping."""
        if not pages and not partial:
            raise ExtractionFailed(
                "the PDF has no readable pages (damaged page tree or cross-reference table)",
                kind="corrupt",
            )
        ocr_pages = [p.number for p in pages if needs_ocr(p)]
        empty = [p.number for p in pages if not p.text.strip()]
        pdfminer_pages = [p.number for p in pages if p.reader == "pdfminer"]
        layout_pages = [p.number for p in pages if p.reader == "pdfium-layout"]
        ocr_read = [p.number for p in pages if p.reader == "tesseract"]
        if empty:
            meta["pages_without_text"] = empty
        if layout_pages:
            meta["pages_read_by_layout"] = layout_pages
        if pdfminer_pages:
            meta["pages_read_by_pdfminer"] = pdfminer_pages
        if ocr_read or (options.ocr and ocr_pages):
            # Also when OCR found nothing: the file was tried and is not selected again.
            meta["ocr"] = {"engine": "tesseract", "languages": options.ocr_languages,
                           "pages": ocr_read}
        if not partial:
            meta.setdefault("page_count", len(pages))
        texts = [p.text.replace("\ufffe", "-\n") for p in pages]
        result = self.result(texts, meta, MEDIA_TYPE, ocr_pages=tuple(ocr_pages))
        return replace(result, needs_ocr=_document_needs_ocr(result))

    def join(self, parts: Sequence[Extraction]) -> Extraction:
        """One Extraction from the parts of a split PDF (extract_range), in page order."""
        ordered = sorted(parts, key=lambda p: int(p.metadata.get("page_range", [1])[0]))
        pages: list[str] = []
        ocr_pages: list[int] = []
        meta: dict[str, Any] = {}
        for part in ordered:
            pages.extend(part.pages)
            ocr_pages.extend(part.ocr_pages)
            for key, value in part.metadata.items():
                if key in ("pages_without_text", "pages_read_by_layout",
                           "pages_read_by_pdfminer"):
                    meta[key] = [*meta.get(key, []), *value]
                elif key == "ocr":
                    seen = meta.get("ocr", {}).get("pages", [])
                    meta["ocr"] = {**value, "pages": [*seen, *value["pages"]]}
                elif key != "page_range":
                    meta.setdefault(key, value)
        meta["page_count"] = len(pages)
        joined = Extraction(text="\n\n".join(p for p in pages if p), pages=tuple(pages),
                            metadata=meta, media_type=MEDIA_TYPE, extractor=self.name,
                            ocr_pages=tuple(ocr_pages))
        return replace(joined, needs_ocr=_document_needs_ocr(joined))


def _document_needs_ocr(result: Extraction) -> bool:
    """The file needs OCR when some page does and fewer than OCR_PAGE_SHARE of its pages
    have text (pages with a garbage text layer do not count as text)."""
    if not result.ocr_pages:
        return False
    garbage = set(result.ocr_pages)
    with_text = sum(1 for number, page in enumerate(result.pages, start=1)
                    if number not in garbage and _letters(page) >= MIN_LETTERS_PER_PAGE)
    return with_text < max(1.0, OCR_PAGE_SHARE * len(result.pages))


def needs_ocr(page: PdfPage) -> bool:
    """True when OCR could give this page text: a scan or a garbage text layer."""
    if page.reader == "tesseract":
        return False
    return page.garbage or (page.letter_count() < MIN_LETTERS_PER_PAGE
                            and (page.images > 0 or page.letterless_file))


def _letters(text: str) -> int:
    # The lengths of letter runs: the same count as one match per letter, half the time.
    return sum(map(len, _WORD.findall(text)))


def _checks(text: str) -> tuple[int, bool]:
    """(letters, garbage) of a page's text from one pass over its letter runs: those of
    text.lower(), which is_garbage needs, have the letters of text (lower() keeps the
    number of letters of every character, tests/test_pdf_pages.py checks them all)."""
    words = _WORD.findall(text.lower())
    return sum(map(len, words)), is_garbage(text, words)


# --------------------------------------------------------------------------- checks


def suspect_reason(text: str) -> str | None:
    """Why pdfium's text of a page should be read again by pdfminer, or None.

    "glyph_lines": most lines hold one or two characters and most tokens are single
    letters (labels set glyph by glyph); "split_words": several mid-line "word- Word"
    fragments not followed by a conjunction (a narrow table column read across the row).
    """
    text = text.replace("\ufffe", "-\n")
    lines = [line for line in (raw.strip() for raw in text.splitlines()) if line]
    if len(lines) >= GLYPH_LINES_MIN:
        short = sum(1 for line in lines if len(line) <= 2)
        # The tokens only when the lines qualify: most pages stop here.
        if short >= GLYPH_LINE_SHARE * len(lines):
            tokens = text.split()
            single = sum(1 for t in tokens if len(t) == 1 and t.isalpha())
            if single >= GLYPH_TOKEN_SHARE * len(tokens):
                return "glyph_lines"
    if (len(_SPLIT_HYPHEN.findall(text)) >= SPLIT_WORDS_MIN
            and len(_SPLIT_WORD.findall(text)) >= SPLIT_WORDS_MIN):
        return "split_words"
    return None


def is_garbage(text: str, words: list[str] | None = None) -> bool:
    """True when a page's text layer cannot be real text: "(cid:3)" runs, mostly control
    characters, or words that are neither function words nor in the Swedish word list
    (letters shifted by a font without a Unicode map). `words`: the letter runs of
    text.lower(), when the caller has them."""
    if "(cid:" in text and len(_CID.findall(text)) >= 5:
        return True
    if _CONTROL.search(text):
        visible = len(text) - len(_SPACE.findall(text))
        if visible >= 50 and len(_CONTROL.findall(text)) > 0.3 * visible:
            return True
    # Letter runs, not space-separated tokens: a shifted space is a digit ("udq3huvvrq").
    if words is None:
        words = _WORD.findall(text.lower())
    if len(words) < GARBAGE_MIN_WORDS:
        return False
    # map() with a set's own method: no Python frame per word (this runs on every page).
    if sum(map(_STOPWORDS.__contains__, words)) >= GARBAGE_STOPWORD_SHARE * len(words):
        return False
    # Only now the word list (60 MB, half a second to load once per worker).
    from diarium.swedish.wordlist import zipf

    long = [w for w in words if len(w) >= 3]
    known = sum(1 for w in long if zipf(w) > 0)
    return bool(long) and known < GARBAGE_KNOWN_SHARE * len(long)


# --------------------------------------------------------------------------- reading


def page_count(path: Path) -> int:
    """The number of pages (pdfium), 0 when pdfium cannot open the file."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError:
        return 0
    try:
        return len(pdf)
    finally:
        pdf.close()


def read_pages(path: Path, options: ExtractOptions, start: int = 0,
               stop: int | None = None) -> tuple[list[PdfPage], dict[str, Any]]:
    """(pages start..stop-1 as read, metadata). pdfium first; pdfminer for suspect pages,
    for pages pdfium cannot load, and for the whole file when pdfium cannot open it; OCR
    for pages that need it when options.ocr is on.

    Raises ExtractionFailed: "encrypted" when a password is needed, "corrupt" otherwise.
    """
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ExtractionFailed(
                "the PDF is encrypted and needs a password to open", kind="encrypted"
            ) from exc
        # pdfium gave up: pdfminer.six reads what it can or says why not.
        whole = start == 0 and stop is None
        pages, meta = read_pdfminer(path, None if whole else range(start, stop or start + 1))
        return _ocr(path, pages, options), meta
    try:
        meta = _pdfium_metadata(pdf)
        total = len(pdf)
        stop = total if stop is None else min(stop, total)
        if start > 0 or stop < total:
            meta["page_range"] = [start + 1, stop]
        else:
            meta["page_count"] = total
        pages = []
        again: list[int] = []
        buffer = _TextBuffer()
        for index in range(start, stop):
            page = _pdfium_page(pdf, index, buffer)
            if page is None or (page.reader == "pdfium-layout" and suspect_reason(page.text)):
                # pdfium cannot load the page, or even the geometric reading fails the
                # check: pdfminer.six, the last resort.
                again.append(index)
            pages.append(page or PdfPage(index + 1, "", "pdfium"))
    finally:
        pdf.close()
    if again:
        try:
            redone, _ = read_pdfminer(path, again)
        except ExtractionFailed:
            redone = []
        by_number = {p.number: p for p in redone}
        pages = [_better(p, by_number.get(p.number)) for p in pages]
    return _ocr(path, pages, options), meta


def _better(pdfium_page: PdfPage, pdfminer_page: PdfPage | None) -> PdfPage:
    """pdfminer's reading of a page the geometric reader could not fix, unless it lost
    most of the text (a page pdfminer cannot interpret) or reads as garbage where pdfium
    did not."""
    if pdfminer_page is None:
        return pdfium_page
    if pdfminer_page.letter_count() < 0.5 * pdfium_page.letter_count() or (
        pdfminer_page.garbage and not pdfium_page.garbage
    ):
        return pdfium_page
    return pdfminer_page


class _PageUnreadable(Exception):
    """pdfium failed on a page (a NULL handle or an error count): the page goes to pdfminer."""


class _TextBuffer:
    """One UTF-16 buffer for FPDFText_GetText, grown as needed and reused page after page
    of one document (a fresh ctypes array per page was part of pypdfium2's overhead)."""

    def __init__(self) -> None:
        self.size = 0
        self.array: Any = None

    def get(self, size: int) -> Any:
        if size > self.size:
            import ctypes

            self.size = max(size, 2 * self.size, 4096)
            self.array = (ctypes.c_ushort * self.size)()
        return self.array


def _pdfium_page(pdf: Any, index: int, buffer: _TextBuffer | None = None) -> PdfPage | None:
    """pdfium's text of one page, None when pdfium cannot load the page.

    pdfium's raw API, not pypdfium2's PdfPage and PdfTextPage helpers: those register
    finalizers and weak references per object, a few percent of the CPU of reading a text
    PDF. Both handles are closed here before returning, whatever happens.
    """
    import pypdfium2.raw as pdfium_c

    if buffer is None:
        buffer = _TextBuffer()
    page = pdfium_c.FPDF_LoadPage(pdf.raw, index)
    if not page:
        return None
    reader = "pdfium"
    try:
        textpage = pdfium_c.FPDFText_LoadPage(page)
        if not textpage:
            return None
        try:
            text = _text_range(textpage, buffer).replace("\r\n", "\n")
            text = _GLUED_NUMBER.sub(r"\1\2 ", text)
            if suspect_reason(text):
                # Glyph-by-glyph labels or a narrow table: the same characters laid out
                # by geometry (extractors/pdf_layout.py), about 4 ms a page.
                text, reader = layout_text(textpage), "pdfium-layout"
        finally:
            pdfium_c.FPDFText_ClosePage(textpage)
        images = 0
        letters, garbage = _checks(text)
        if letters < MIN_LETTERS_PER_PAGE:
            # Only pages with little text are looked at for images: a possible scan.
            images = _count_images(page)
    except _PageUnreadable:
        return None
    finally:
        pdfium_c.FPDF_ClosePage(page)
    return PdfPage(index + 1, text, reader, images, garbage=garbage, letters=letters)


def _text_range(textpage: Any, buffer: _TextBuffer) -> str:
    """The text of a pdfium text page: what pypdfium2's PdfTextPage.get_text_range()
    returns (leading and trailing characters without a text index left out, pypdfium2
    issue 261; undecodable UTF-16 dropped), into a reused buffer.

    Raises _PageUnreadable when pdfium cannot count the page's characters.
    """
    import pypdfium2.raw as pdfium_c

    count = pdfium_c.FPDFText_CountChars(textpage)
    if count == -1:
        raise _PageUnreadable("failed to get the character count")
    text_index = pdfium_c.FPDFText_GetTextIndexFromCharIndex
    first, last = 0, count - 1
    t_first = t_last = -1
    while first <= last:
        t_first = text_index(textpage, first)
        if t_first != -1:
            break
        first += 1
    while first <= last:
        t_last = text_index(textpage, last)
        if t_last != -1:
            break
        last -= 1
    if first > last:
        return ""
    size = t_last + 2 - t_first             # including the NUL terminator
    array = buffer.get(size)
    written = pdfium_c.FPDFText_GetText(textpage, first, last + 1 - first, array)
    assert size >= written, f"Buffer too small: {size} vs {written}"
    if written < 1:
        # Not for a range of existing characters (pdfium writes at least the NUL).
        return ""
    return codecs.decode(memoryview(array)[: written - 1], "utf-16-le", "ignore")


def _count_images(page: Any) -> int:
    """The image objects on a page and in its Form XObjects down to three levels below it,
    as pypdfium2's PdfPage.get_objects(filter=(FPDF_PAGEOBJ_IMAGE,), max_depth=4) counts
    them. Raises _PageUnreadable where pdfium fails on an object."""
    import pypdfium2.raw as pdfium_c

    image, form = pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM
    get_type = pdfium_c.FPDFPageObj_GetType

    def count(parent: Any, level: int) -> int:
        if level:
            total = pdfium_c.FPDFFormObj_CountObjects(parent)
            get_object = pdfium_c.FPDFFormObj_GetObject
        else:
            total = pdfium_c.FPDFPage_CountObjects(parent)
            get_object = pdfium_c.FPDFPage_GetObject
        if total < 0:
            raise _PageUnreadable("failed to get the number of page objects")
        found = 0
        for i in range(total):
            obj = get_object(parent, i)
            if not obj:
                raise _PageUnreadable("failed to get a page object")
            kind = get_type(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_UNKNOWN:
                raise _PageUnreadable("a page object of unknown type")
            if kind == image:
                found += 1
            elif kind == form and level < 3:
                found += count(obj, level + 1)
        return found

    return count(page, 0)


def _pdfium_metadata(pdf: Any) -> dict[str, Any]:
    import pypdfium2.raw as pdfium_c

    meta: dict[str, Any] = {}
    try:
        if pdfium_c.FPDF_GetSecurityHandlerRevision(pdf.raw) != -1:
            meta["encrypted"] = True
        info = pdf.get_metadata_dict(skip_empty=True)
    except Exception:  # metadata is a bonus: a broken Info dictionary loses no text
        return meta
    for key, name in _INFO_KEYS.items():
        value = info.get(key)
        if isinstance(value, str):
            _put_info(meta, name, value)
    return clean_meta(meta)


def _put_info(meta: dict[str, Any], name: str, value: str) -> None:
    """One Info dictionary entry into `meta`: NULs and blanks dropped, dates made ISO."""
    value = value.replace("\x00", "").strip()
    if name in ("created", "modified"):
        value = pdf_date(value) or value
    if value:
        meta[name] = value


def _ocr(path: Path, pages: list[PdfPage], options: ExtractOptions) -> list[PdfPage]:
    """Pages needing OCR replaced by Tesseract's reading, when OCR is on and it found text."""
    if pages and not any(p.letter_count() for p in pages):
        pages = [replace(p, letterless_file=True) for p in pages]
    wanted = [p.number - 1 for p in pages if needs_ocr(p)][: options.ocr_max_pages]
    if not options.ocr or not wanted:
        return pages
    from diarium.extractors.image import ocr_pdf_pages

    try:
        read = ocr_pdf_pages(path, wanted, options)
    except ExtractionFailed as exc:
        if exc.kind == "tool_missing":
            raise
        return pages  # pdfium cannot render this file: its text pages are still worth having
    out: list[PdfPage] = []
    for page in pages:
        text = read.get(page.number - 1)
        if text is not None and _letters(text) >= MIN_LETTERS_PER_PAGE:
            out.append(PdfPage(page.number, text, "tesseract", page.images))
        else:
            out.append(page)
    return out


def read_pdfminer(path: Path, wanted: Iterable[int] | None = None
                  ) -> tuple[list[PdfPage], dict[str, Any]]:
    """pdfminer.six's pages (all, or the 0-based indices `wanted`) and metadata.

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

    only = None if wanted is None else set(wanted)
    last = max(only) if only else None
    pages: list[PdfPage] = []
    meta: dict[str, Any] = {}
    seen = 0
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
            device = Aggregator(rsrc, laparams=LAParams(line_margin=LINE_MARGIN,
                                                        all_texts=True))
            interpreter = PDFPageInterpreter(rsrc, device)
            for index, page in enumerate(PDFPage.create_pages(doc)):
                seen = index + 1
                if only is not None and index not in only:
                    if last is not None and index > last:
                        break
                    continue
                interpreter.process_page(page)
                text, images = _page_text(device.get_result())
                letters, garbage = _checks(text)
                pages.append(PdfPage(index + 1, text, "pdfminer", images, garbage=garbage,
                                     letters=letters))
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
            meta["truncated_after_page"] = pages[-1].number
            meta["read_error"] = _describe(exc)
            meta["page_count"] = len(pages)
            return pages, meta
        raise ExtractionFailed(f"not a readable PDF: {_describe(exc)}", kind="corrupt") from exc
    if only is None:
        meta["page_count"] = seen
    return pages, meta


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
            # A Form XObject: with all_texts its characters are laid out into text boxes.
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
            if isinstance(value, str):
                _put_info(meta, name, value)
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
