"""ODT (OpenDocument text): content.xml and meta.xml read straight from the ZIP with lxml.

Reading the XML directly (rather than through odfpy's object tree) keeps memory small and
lets the parser refuse entity tricks: entities are not resolved, nothing is fetched.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from diarium.errors import ExtractionFailed
from diarium.extractors.base import ODT, Extraction, ExtractOptions, Extractor, check_zip

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
DC = "http://purl.org/dc/elements/1.1/"


def safe_parser() -> Any:
    """An lxml parser that resolves no entities and fetches nothing."""
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class OdtExtractor(Extractor):
    name = "odt"
    media_types = (ODT, "application/vnd.oasis.opendocument.text-template")
    extensions = ("odt", "ott")

    def extract(self, path: Path, options: ExtractOptions) -> Extraction:
        """Paragraphs, headings, lists and tables in order; raises ExtractionFailed."""
        check_zip(path, options)
        from lxml import etree

        try:
            with zipfile.ZipFile(path) as zf:
                content = zf.read("content.xml")
                meta_xml = zf.read("meta.xml") if "meta.xml" in zf.namelist() else b""
            root = etree.fromstring(content, safe_parser())
        except KeyError as exc:
            raise ExtractionFailed("not an OpenDocument text: no content.xml", kind="corrupt") \
                from exc
        except (zipfile.BadZipFile, etree.XMLSyntaxError, OSError) as exc:
            raise ExtractionFailed(f"damaged OpenDocument file: {exc}", kind="corrupt") from exc
        lines: list[str] = []
        body = root.find(f"{{{OFFICE}}}body")
        if body is not None:
            _blocks(body, lines)
        meta = _meta(meta_xml) if meta_xml else {}
        return self.result(["\n".join(lines)], meta, ODT)


def _blocks(element: Any, out: list[str]) -> None:
    for child in element:
        if not isinstance(child.tag, str):
            continue
        ns, _, tag = child.tag[1:].partition("}")
        if ns == TEXT and tag in ("p", "h"):
            out.append(_inline(child))
        elif ns == TABLE and tag == "table-row":
            cells = []
            for cell in child:
                inner: list[str] = []
                _blocks(cell, inner)
                text = " ".join(x.strip() for x in inner if x.strip())
                if text:
                    cells.append(text)
            if cells:
                out.append(" | ".join(cells))
        elif ns == TEXT and tag in ("tracked-changes", "sequence-decls"):
            continue  # deleted text and field declarations are not document text
        else:
            _blocks(child, out)


def _inline(element: Any) -> str:
    parts = [element.text or ""]
    for child in element:
        if not isinstance(child.tag, str):
            parts.append(child.tail or "")
            continue
        ns, _, tag = child.tag[1:].partition("}")
        if ns == TEXT and tag == "s":
            parts.append(" " * int(child.get(f"{{{TEXT}}}c", "1") or 1))
        elif ns == TEXT and tag == "tab":
            parts.append("\t")
        elif ns == TEXT and tag == "line-break":
            parts.append("\n")
        elif ns == TEXT and tag in ("note", "annotation"):
            parts.append(" ")
        else:
            parts.append(_inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _meta(data: bytes) -> dict[str, Any]:
    from lxml import etree

    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError:
        return {}
    meta: dict[str, Any] = {}
    names = {
        f"{{{DC}}}title": "title",
        f"{{{DC}}}subject": "subject",
        f"{{{DC}}}creator": "author",
        f"{{{META}}}initial-creator": "initial_creator",
        f"{{{META}}}creation-date": "created",
        f"{{{DC}}}date": "modified",
        f"{{{META}}}generator": "creator",
        f"{{{DC}}}language": "language",
    }
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        key = names.get(el.tag)
        if key and (el.text or "").strip():
            meta.setdefault(key, el.text.strip())
        if el.tag == f"{{{META}}}document-statistic":
            pages = el.get(f"{{{META}}}page-count")
            if pages and pages.isdigit():
                meta["page_count"] = int(pages)
    if "author" not in meta and "initial_creator" in meta:
        meta["author"] = meta["initial_creator"]
    return meta
