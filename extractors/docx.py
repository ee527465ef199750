"""DOCX (Word 2007+): body paragraphs and tables in document order, headers and footers,
core properties. Read after the ZIP bomb guard straight from the package with lxml (the
main part found through the package relationships, headers and footers through the
sections' references), as python-docx reads them, in about half its CPU: python-docx
parses every XML part into its own element classes first.

Paragraph text is gathered from the XML (every w:t, not python-docx's run list) so that
text inside tracked insertions, fields, content controls and text boxes is kept, while
deleted text (w:delText) and the duplicate fallback copy of drawings (mc:Fallback) are not.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import posixpath
import re
import zipfile
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
        try:
            with zipfile.ZipFile(path) as package:
                opened = _Package(package)
                root = opened.main_document()
                headers = opened.headers_and_footers(root)
                meta = opened.core_properties()
        except zipfile.BadZipFile as exc:
            raise ExtractionFailed(f"damaged Word document: {exc}", kind="corrupt") from exc
        except (KeyError, ValueError) as exc:
            raise ExtractionFailed(f"damaged Word document: {exc}", kind="corrupt") from exc
        lines: list[str] = []
        body = root.find(f"{{{W}}}body")
        if body is not None:
            _block_text(body, lines)
        extra: list[str] = []
        seen: set[str] = set()
        for part in headers:
            block: list[str] = []
            _block_text(part, block)
            text = "\n".join(x for x in block if x.strip())
            if text and text not in seen:
                seen.add(text)
                extra.append(text)
        joined = "\n".join(lines)
        if extra:
            joined += "\n\n" + "\n\n".join(extra)
        meta["headers_footers"] = len(extra)
        return self.result([joined], meta, DOCX)


class _Package:
    """The parts of a Word package this reader needs, read with lxml from the ZIP: the
    main document (found through the package's relationships, as python-docx finds it),
    the header and footer parts its sections refer to, the core properties. python-docx
    itself parses every XML part of the package into its own element classes; the text
    and properties it gave are the same (tests/test_extractors.py compares them)."""

    def __init__(self, package: zipfile.ZipFile) -> None:
        self.zip = package
        self.main = ""

    def _xml(self, name: str) -> Any:
        from lxml import etree

        # python-docx's parser settings: the same text nodes, no entities, no network.
        return etree.fromstring(self.zip.read(name), _parser())

    def _rels(self, part: str) -> list[tuple[str, str, str]]:
        """(id, type, zip member) of a part's internal relationships ("" = the package)."""
        folder, _, leaf = part.rpartition("/")
        rels = f"{folder}/_rels/{leaf}.rels" if part else "_rels/.rels"
        try:
            root = self._xml(rels)
        except KeyError:
            return []
        out = []
        for rel in root.iterchildren(f"{{{_PKG_RELS}}}Relationship"):
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target", "")
            uri = posixpath.normpath(posixpath.join("/" + folder, target))
            out.append((rel.get("Id", ""), rel.get("Type", ""), uri.lstrip("/")))
        return out

    def main_document(self) -> Any:
        """The root element of the main document part. Raises KeyError (no such part)
        or ValueError (the main part is not a Word document's)."""
        found = [m for _, kind, m in self._rels("") if kind == _OFFICE_DOCUMENT]
        if not found:
            raise KeyError("the package has no main document part")
        self.main = found[0]
        content_type = self._content_type(self.main)
        if content_type not in _MAIN_TYPES:
            raise ValueError(f"the main part is not a Word document, its content type is "
                             f"{content_type!r}")
        return self._xml(self.main)

    def _content_type(self, member: str) -> str:
        root = self._xml("[Content_Types].xml")
        for override in root.iterchildren(f"{{{_CT}}}Override"):
            if override.get("PartName", "").lstrip("/").lower() == member.lower():
                return str(override.get("ContentType", ""))
        extension = member.rpartition(".")[2].lower()
        for default in root.iterchildren(f"{{{_CT}}}Default"):
            if default.get("Extension", "").lower() == extension:
                return str(default.get("ContentType", ""))
        return ""

    def headers_and_footers(self, root: Any) -> list[Any]:
        """The header and footer parts of every section, in python-docx's order: per
        section (w:sectPr of a paragraph or of the body, in document order) the default,
        first-page and even-page header, then the same footers; a section without its
        own (linked to the previous) is skipped, as is a reference to a missing part."""
        related = {rid: member for rid, _, member in self._rels(self.main)}
        parts: list[Any] = []
        for sect in _sections()(root):
            for element in ("headerReference", "footerReference"):
                for kind in ("default", "first", "even"):
                    refs = [r for r in sect.iterchildren(f"{{{W}}}{element}")
                            if r.get(f"{{{W}}}type") == kind]
                    member = related.get(refs[0].get(f"{{{_R}}}id", "")) if refs else None
                    if member is None:
                        continue
                    with contextlib.suppress(KeyError):
                        parts.append(self._xml(member))
        return parts

    def core_properties(self) -> dict[str, Any]:
        """Title, author, dates, ... of docProps/core.xml; {} when it is missing or
        unreadable (a broken core.xml should not lose the text)."""
        found = [m for _, kind, m in self._rels("") if kind == _CORE_PROPERTIES]
        if not found:
            return {}
        try:
            root = self._xml(found[0])
        except Exception:  # noqa: BLE001 - metadata is a bonus
            return {}

        def text(tag: str) -> str:
            element = root.find(tag)
            return "" if element is None or element.text is None else str(element.text)

        def iso(tag: str) -> str | None:
            value = _w3cdtf(text(tag)) if root.find(tag) is not None else None
            return value.isoformat() if value is not None else None

        revision = text(f"{{{_CP}}}revision")
        return clean_meta({
            "title": text(f"{{{_DC}}}title"),
            "author": text(f"{{{_DC}}}creator"),
            "subject": text(f"{{{_DC}}}subject"),
            "keywords": text(f"{{{_CP}}}keywords"),
            "category": text(f"{{{_CP}}}category"),
            "comments": text(f"{{{_DC}}}description"),
            "last_modified_by": text(f"{{{_CP}}}lastModifiedBy"),
            "created": iso(f"{{{_DCTERMS}}}created"),
            "modified": iso(f"{{{_DCTERMS}}}modified"),
            "revision": _revision(revision) or None,
        })


_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_OFFICE_DOCUMENT = f"{_R}/officeDocument"
_CORE_PROPERTIES = ("http://schemas.openxmlformats.org/package/2006/relationships/metadata/"
                    "core-properties")
_MAIN_TYPES = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "application/vnd.ms-word.document.macroEnabled.main+xml",
)
_CP = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
_DC = "http://purl.org/dc/elements/1.1/"
_DCTERMS = "http://purl.org/dc/terms/"
_OFFSET = re.compile(r"([+-])(\d\d):(\d\d)")


def _w3cdtf(value: str) -> dt.datetime | None:
    """A W3CDTF date ("2003", "2003-12-31", "2003-12-31T10:14:55Z", "...-08:00") in UTC,
    as python-docx reads it; None when unreadable."""
    parsed = None
    for template in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            parsed = dt.datetime.strptime(value[:19], template)
        except ValueError:
            continue
    if parsed is None:
        return None
    offset = value[19:]
    if len(offset) == 6:
        match = _OFFSET.match(offset)
        if match is None:
            return None
        sign, hours, minutes = match.groups()
        factor = -1 if sign == "+" else 1
        parsed += dt.timedelta(hours=int(hours) * factor, minutes=int(minutes) * factor)
    return parsed.replace(tzinfo=dt.UTC)


def _revision(value: str) -> int:
    try:
        return max(0, int(value))
    except ValueError:
        return 0


@functools.cache
def _parser() -> Any:
    from lxml import etree

    return etree.XMLParser(remove_blank_text=True, resolve_entities=False)


@functools.cache
def _sections() -> Any:
    from lxml import etree

    return etree.XPath("./w:body/w:p/w:pPr/w:sectPr | ./w:body/w:sectPr", namespaces=_NS)


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
