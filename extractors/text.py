"""Plain text with encoding detection, so that å/ä/ö survive UTF-8, cp1252, latin-1 and the
old DOS code page cp850 (still found in exports from older register systems)."""

from __future__ import annotations

import codecs
from pathlib import Path

from diarium.extractors.base import Extraction, ExtractOptions, Extractor

MAX_TEXT_BYTES = 200 * 1024 * 1024

# Letters that make a decoding plausible for Swedish text, and characters that make it
# implausible (C1 controls, box drawing, symbols a mis-decoded å/ä/ö turns into).
_GOOD = set("åäöÅÄÖéÉüÜ")
_BAD = set("\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f"
           "\x90\x91\x92\x93\x94\x95\x96\x97\x98\x99\x9a\x9b\x9c\x9d\x9e\x9f"
           "‰†‡ƒ„ŒœŠšŽžŸ¤¦¨¬¯°±²³´µ¶·¸¹º¼½¾¿÷×Ø¢£¥§©®ªÐÞþð"
           "─│┌┐└┘├┤┬┴┼═║╔╗╚╝░▒▓█▄▀■")
_CANDIDATES = ("cp1252", "latin-1", "cp850", "mac_roman")


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding name) for bytes of unknown encoding. Never raises."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best: tuple[float, str, str] | None = None
    for encoding in _CANDIDATES:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _score(text)
        # Earlier candidates win ties: cp1252 is the Windows default in Sweden.
        if best is None or score > best[0]:
            best = (score, text, encoding)
    if best is None:  # pragma: no cover - latin-1 decodes every byte string
        return data.decode("cp1252", errors="replace"), "cp1252"
    return best[1], best[2]


def _score(text: str) -> float:
    good = sum(1 for ch in text if ch in _GOOD)
    bad = sum(1 for ch in text if ch in _BAD)
    return good - 3 * bad


class TextExtractor(Extractor):
    name = "text"
    media_types = ("text/plain", "text/csv", "text/markdown")
    extensions = ("txt", "text", "csv", "md", "log")

    def score(self, sniffed: str, extension: str) -> int:
        # text/plain is what sniff() says for anything without NUL bytes, so a text file
        # with a known other extension (.html, .eml) is left to that extractor.
        if sniffed == "text/plain":
            return 3 if extension not in self.extensions else 8
        return super().score(sniffed, extension)

    def extract(self, path: Path, options: ExtractOptions) -> Extraction:
        """The decoded text; metadata records the detected encoding."""
        from diarium.errors import ExtractionFailed

        if path.stat().st_size > MAX_TEXT_BYTES:
            raise ExtractionFailed("text file larger than 200 MB", kind="too_large")
        text, encoding = decode_text(path.read_bytes())
        return self.result([text], {"encoding": encoding}, "text/plain")
