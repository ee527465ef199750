"""Legacy Word (.doc, Word 2 to 2003, including Word 95) through Debian's antiword, with
catdoc as the fallback for files antiword refuses. Metadata (title, author) is read from
the OLE SummaryInformation stream when present."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from diarium.errors import ExtractionFailed
from diarium.extractors.base import MSWORD, Extraction, ExtractOptions, Extractor
from diarium.extractors.tools import run_tool, which


class DocExtractor(Extractor):
    name = "antiword"
    media_types = (MSWORD,)
    extensions = ("doc", "dot")

    def extract(self, path: Path, options: ExtractOptions) -> Extraction:
        """Text from antiword, else catdoc; raises ExtractionFailed naming both reasons."""
        errors: list[str] = []
        text = ""
        used = ""
        if which("antiword"):
            try:
                # -w 0: no hard line wrapping; paragraphs stay one line each.
                out = run_tool(["antiword", "-m", "UTF-8.txt", "-w", "0", str(path)],
                               options.tool_timeout)
                text = out.decode("utf-8", errors="replace")
                used = "antiword"
            except ExtractionFailed as exc:
                errors.append(str(exc))
        if not text.strip() and which("catdoc"):
            try:
                out = run_tool(["catdoc", "-d", "utf-8", "-w", str(path)], options.tool_timeout)
                text = out.decode("utf-8", errors="replace")
                used = "catdoc"
            except ExtractionFailed as exc:
                errors.append(str(exc))
        if not used:
            if not errors:
                raise ExtractionFailed(
                    "legacy Word .doc needs antiword or catdoc (Debian packages); neither "
                    "is installed", kind="tool_missing")
            kind = "encrypted" if any("encrypt" in e.lower() for e in errors) else "corrupt"
            raise ExtractionFailed("; ".join(errors), kind=kind)
        meta: dict[str, Any] = {"converter": used}
        meta.update(summary_information(path))
        return self.result([text], meta, MSWORD)


def summary_information(path: Path) -> dict[str, Any]:
    """Title/subject/author from an OLE file's SummaryInformation, or {} (never raises)."""
    try:
        return _summary(path.read_bytes())
    except Exception:  # metadata is a bonus; a damaged stream must not fail the file
        return {}


def _summary(data: bytes) -> dict[str, Any]:
    if len(data) < 512 or not data.startswith(b"\xd0\xcf\x11\xe0"):
        return {}
    sector = 1 << struct.unpack_from("<H", data, 30)[0]
    dir_start = struct.unpack_from("<I", data, 48)[0]
    fat_sectors = [s for s in struct.unpack_from("<109I", data, 76) if s < 0xFFFFFFFA]
    fat: list[int] = []
    for s in fat_sectors:
        off = 512 + s * sector
        fat.extend(struct.unpack_from(f"<{sector // 4}I", data, off))

    def chain(start: int) -> bytes:
        out = bytearray()
        seen = 0
        while start < 0xFFFFFFFA and seen < 100000:
            off = 512 + start * sector
            out += data[off:off + sector]
            start = fat[start] if start < len(fat) else 0xFFFFFFFE
            seen += 1
        return bytes(out)

    directory = chain(dir_start)
    stream_start = size = None
    for i in range(0, len(directory), 128):
        entry = directory[i:i + 128]
        name_len = struct.unpack_from("<H", entry, 64)[0]
        name = entry[:max(0, name_len - 2)].decode("utf-16-le", "replace")
        if name == "\x05SummaryInformation":
            stream_start = struct.unpack_from("<I", entry, 116)[0]
            size = struct.unpack_from("<I", entry, 120)[0]
            break
    if stream_start is None or size is None or size < 4096:
        # Streams under 4 KB live in the mini stream, which needs a second allocation
        # table; the title is a bonus, not worth that here.
        return {}
    return _parse_property_set(chain(stream_start)[:size])


_PIDS = {2: "title", 3: "subject", 4: "author", 5: "keywords", 8: "last_modified_by"}


def _parse_property_set(stream: bytes) -> dict[str, Any]:
    offset = struct.unpack_from("<I", stream, 44)[0]
    count = struct.unpack_from("<I", stream, offset + 4)[0]
    codepage = "cp1252"
    props: dict[int, int] = {}
    for i in range(min(count, 200)):
        pid, poff = struct.unpack_from("<II", stream, offset + 8 + 8 * i)
        props[pid] = poff
    if 1 in props:
        cp = struct.unpack_from("<h", stream, offset + props[1] + 4)[0] & 0xFFFF
        codepage = {10000: "mac_roman", 65001: "utf-8", 1200: "utf-16-le"}.get(cp, f"cp{cp}")
    meta: dict[str, Any] = {}
    for pid, key in _PIDS.items():
        if pid not in props:
            continue
        base = offset + props[pid]
        vtype = struct.unpack_from("<I", stream, base)[0]
        if vtype != 30:  # VT_LPSTR
            continue
        length = struct.unpack_from("<I", stream, base + 4)[0]
        raw = stream[base + 8:base + 8 + length].split(b"\x00", 1)[0]
        try:
            value = raw.decode(codepage, errors="replace").strip()
        except LookupError:
            value = raw.decode("cp1252", errors="replace").strip()
        if value:
            meta[key] = value
    return meta
