"""DOCX (Word 2007+): body paragraphs and tables in document order, headers and footers,
core properties. Read with python-docx after the ZIP bomb guard.

Paragraph text is gathered from the XML (every w:t, not python-docx's run list) so that
text inside tracked insertions, fields, content controls and text boxes is kept, while
deleted text (w:delText) and the duplicate fallback copy of drawings (mc:Fallback) are not.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from diarium.errors import ExtractionFailed
from diarium.extractors.base import (
    DOCX,
    Extraction,
    ExtractOptions,
    Extractor,
    check_zip,
    clean_meta,
)

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_NS = {"w": W, "mc": MC}
_TEXT_XPATH = (
    ".//w:t[not(ancestor::mc:Fallback)] | .//w:tab[not(ancestor::mc:Fallback)]"
    " | .//w:br[not(ancestor::mc:Fallback)] | .//w:cr[not(ancestor::mc:Fallback)]"
    " | .//w:noBreakHyphen[not(ancestor::mc:Fallback)]"
)


class DocxExtractor(Extractor):
    name = "python-docx"
    media_types = (DOCX, "application/vnd.ms-word.document.macroEnabled.12")
    extensions = ("docx", "docm")

    def extract(self, path: Path, options: ExtractOptions) -> Extraction:
        """Text of body, tables, headers and footers; raises ExtractionFailed."""
        check_zip(path, options)
        import docx
        from docx.opc.exceptions import PackageNotFoundError

        try:
            document = docx.Document(str(path))
        except PackageNotFoundError as exc:
            raise ExtractionFailed(
                "not a Word document: the ZIP has no main document part", kind="corrupt"
            ) from exc
        except (KeyError, ValueError) as exc:
            raise ExtractionFailed(f"damaged Word document: {exc}", kind="corrupt") from exc
        except Exception as exc:  # lxml.etree.XMLSyntaxError and friends
            raise ExtractionFailed(
                f"damaged Word document: {type(exc).__name__}: {exc}", kind="corrupt"
            ) from exc
        lines: list[str] = []
        _block_text(document.element.body, lines)
        extra: list[str] = []
        seen: set[str] = set()
        for section in document.sections:
            for part in _header_footer_parts(section):
                block: list[str] = []
                _block_text(part, block)
                text = "\n".join(x for x in block if x.strip())
                if text and text not in seen:
                    seen.add(text)
                    extra.append(text)
        body = "\n".join(lines)
        if extra:
            body += "\n\n" + "\n\n".join(extra)
        meta = _core_properties(document)
        meta["headers_footers"] = len(extra)
        return self.result([body], meta, DOCX)


def _header_footer_parts(section: Any) -> list[Any]:
    parts = []
    for attr in ("header", "first_page_header", "even_page_header",
                 "footer", "first_page_footer", "even_page_footer"):
        hf = getattr(section, attr, None)
        if hf is None or hf.is_linked_to_previous:
            continue
        parts.append(hf._element)
    return parts


def _block_text(element: Any, out: list[str]) -> None:
    """Append the text of paragraphs and tables under `element` to `out`, in order."""
    for child in element.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            out.append(_paragraph_text(child))
        elif tag == "tbl":
            _table_text(child, out)
        elif tag in ("sdt", "sdtContent", "customXml", "ins", "smartTag"):
            _block_text(child, out)


@functools.cache
def _text_nodes() -> Any:
    from lxml import etree

    # Compiled once; python-docx's own element.xpath() only knows its built-in prefixes.
    return etree.XPath(_TEXT_XPATH, namespaces=_NS)


def _paragraph_text(p: Any) -> str:
    parts: list[str] = []
    for node in _text_nodes()(p):
        tag = node.tag.rsplit("}", 1)[-1]
        if tag == "t":
            parts.append(node.text or "")
        elif tag == "tab":
            parts.append("\t")
        elif tag == "noBreakHyphen":
            parts.append("-")
        else:
            parts.append("\n")
    return "".join(parts)


def _table_text(tbl: Any, out: list[str]) -> None:
    """One line per row, cells separated by " | "; a merged cell is written once."""
    for tr in tbl.iterchildren(f"{{{W}}}tr"):
        cells: list[str] = []
        for tc in tr.iterchildren(f"{{{W}}}tc"):
            inner: list[str] = []
            _block_text(tc, inner)
            text = " ".join(x.strip() for x in inner if x.strip())
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            out.append(" | ".join(cells))


def _core_properties(document: Any) -> dict[str, Any]:
    try:
        cp = document.core_properties
    except Exception:  # a broken docProps/core.xml should not lose the text
        return {}

    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return clean_meta({
        "title": cp.title,
        "author": cp.author,
        "subject": cp.subject,
        "keywords": cp.keywords,
        "category": cp.category,
        "comments": cp.comments,
        "last_modified_by": cp.last_modified_by,
        "created": iso(cp.created),
        "modified": iso(cp.modified),
        "revision": cp.revision or None,
    })
