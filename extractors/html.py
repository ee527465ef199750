"""HTML with the standard library's parser: visible text only (no script, style or
template), block elements on lines of their own, the <title> and meta tags as metadata."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from diarium.extractors.base import Extraction, ExtractOptions, Extractor
from diarium.extractors.text import decode_text

_SKIP = {"script", "style", "template", "noscript", "head", "svg", "object", "iframe"}
_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table",
          "section", "article", "header", "footer", "blockquote", "pre", "dt", "dd",
          "ul", "ol", "hr", "form", "address", "main", "nav", "aside", "figcaption"}
_CELL = {"td", "th"}
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.in_title = False
        self.title = ""
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
        elif tag == "meta":
            values = dict(attrs)
            name = (values.get("name") or values.get("property") or "").lower()
            if name in ("author", "description", "keywords", "dc.title", "dc.creator",
                        "dcterms.created", "dcterms.modified", "generator"):
                self.meta[name] = (values.get("content") or "").strip()
        if tag in _SKIP and tag != "head":
            self.skip_depth += 1
        if tag in _BLOCK:
            self.parts.append("\n")
        elif tag in _CELL:
            self.parts.append(" | ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self.parts.append("\n")
        elif tag == "meta":
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag in _SKIP and tag != "head" and self.skip_depth:
            self.skip_depth -= 1
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
        elif not self.skip_depth:
            self.parts.append(data)


def html_to_text(markup: str) -> tuple[str, dict[str, Any]]:
    """(visible text, metadata) of an HTML document or fragment."""
    parser = _TextParser()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    text = re.sub(r"[ \t\r]+", " ", text)
    meta: dict[str, Any] = {k: v for k, v in parser.meta.items() if v}
    if parser.title.strip():
        meta["title"] = " ".join(parser.title.split())
    return text, meta


def decode_html(data: bytes) -> tuple[str, str]:
    """(markup, encoding): the declared charset when it works, else detection."""
    m = _CHARSET.search(data[:4096])
    if m:
        declared = m.group(1).decode("ascii", "replace")
        try:
            return data.decode(declared), declared.lower()
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(data)


class HtmlExtractor(Extractor):
    name = "html"
    media_types = ("text/html", "application/xhtml+xml")
    extensions = ("html", "htm", "xhtml")

    def extract(self, path: Path, options: ExtractOptions) -> Extraction:
        """Visible text of the page; metadata has title and encoding."""
        markup, encoding = decode_html(path.read_bytes())
        text, meta = html_to_text(markup)
        meta["encoding"] = encoding
        return self.result([text], meta, "text/html")
