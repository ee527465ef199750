"""RTF with striprtf, honouring the document's \\ansicpg code page; \\info as metadata."""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Any

from diarium.errors import ExtractionFailed
from diarium.extractors.base import Extraction, ExtractOptions, Extractor

_CODEPAGE = re.compile(rb"\\ansicpg(\d+)")
_INFO = re.compile(rb"\{\\(title|author|subject|keywords|operator|company)\s+([^{}]*)\}")


class RtfExtractor(Extractor):
    name = "striprtf"
    media_types = ("application/rtf", "text/rtf")
    extensions = ("rtf",)

    def extract(self, path: Path, options: ExtractOptions) -> Extraction:
        """Plain text of the RTF; raises ExtractionFailed when it is not RTF."""
        from striprtf.striprtf import rtf_to_text

        data = path.read_bytes()
        if not data.lstrip().startswith(b"{\\rtf"):
            raise ExtractionFailed("not an RTF document (no {\\rtf header)", kind="corrupt")
        encoding = _encoding(data)
        # RTF is 7-bit by specification; 8-bit bytes in the wild follow the code page.
        source = data.decode(encoding, errors="replace")
        try:
            text = rtf_to_text(source, encoding=encoding, errors="replace")
        except (ValueError, IndexError, RecursionError) as exc:
            raise ExtractionFailed(f"damaged RTF: {exc}", kind="corrupt") from exc
        meta: dict[str, Any] = {"encoding": encoding}
        for key, raw in _INFO.findall(data[:65536]):
            value = rtf_to_text(raw.decode(encoding, "replace"), encoding=encoding,
                                errors="replace").strip()
            if value:
                meta["author" if key == b"operator" and "author" not in meta else
                     key.decode()] = value
        return self.result([text], meta, "application/rtf")


def _encoding(data: bytes) -> str:
    m = _CODEPAGE.search(data[:4096])
    if m:
        name = f"cp{int(m.group(1))}"
        if m.group(1) == b"10000":
            name = "mac_roman"
        try:
            codecs.lookup(name)
            return name
        except LookupError:
            pass
    return "cp1252"
