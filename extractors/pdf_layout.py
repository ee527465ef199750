"""A geometric reader of one PDF page from pdfium's characters, for the pages whose plain
pdfium text fails the per-page check (`diarium.extractors.pdf.suspect_reason`).

pdfium's `get_text_range()` starts a new line wherever one text object ends, so labels
set glyph by glyph (a plan drawing) come out one glyph per line, and it reads a table row
across its narrow columns ("Abamek- Acefat Acibenso- Aldi-"), so a header hyphenated over
two lines is never joined. pdfminer.six's layout analysis fixes both, at about 40 ms a
page, most of it spent interpreting the page's content stream in Python. This reader takes
the characters pdfium has already interpreted and lays them out the way pdfminer does, in
a few milliseconds a page:

1. characters, in content-stream order, with their loose boxes (advance width times the
   font's ascent and descent, as pdfminer's boxes) in the frame of their writing
   direction (0, 90, 180 or 270 degrees: a rotated table page reads along its rows);
2. runs: a character continues the previous one's run when it sits on the same baseline
   and starts less than CHAR_MARGIN heights after it; a gap of more than WORD_MARGIN
   heights, or a space character, is a space. A new text object does not break a run,
   so glyph-by-glyph labels become words again, and a wide gap does, so table columns
   come apart;
3. blocks: a run below another one, overlapping it horizontally and closer than
   LINE_MARGIN heights, continues that block as its next line (a column header
   "Abamek-" / "tin", so normalization joins the word);
4. blocks in reading order: top to bottom in bands of about half a line, left to right
   within a band; lines within a block top to bottom, left to right.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from operator import attrgetter
from typing import Any, cast

# Multiples of the character height (the loose box across the writing direction), as
# pdfminer's LAParams: char_margin 2.0, word_margin 0.1; line_margin as extractors/pdf.py.
CHAR_MARGIN = 2.0
WORD_MARGIN = 0.1
LINE_MARGIN = 1.0
# A slanted character more than this share of a height off the previous one's baseline
# starts a new run.
BASELINE_TOLERANCE = 0.3
# Off an axis by more than this (radians, 3 degrees), a character is compared to the
# previous one by its origin in its own direction; a step of more than SLANT_SPACE heights
# from origin to origin is a space.
OFF_AXIS = 0.05
SLANT_SPACE = 1.0
# Blocks whose tops are within this share of a height are in one band (a table row).
BAND = 0.5

_QUARTER = math.pi / 2


@dataclass
class _Run:
    """Characters on one baseline in one writing direction: a word or a few words."""

    direction: int                # 0..3: the writing direction in quarter turns
    u0: float
    u1: float
    v0: float
    v1: float
    height: float
    chars: list[str]
    text: str = ""                # "".join(chars).strip(), set when the run is complete


@dataclass
class _Block:
    runs: list[_Run]
    u0: float
    u1: float
    top: float
    last: _Run                    # runs[-1]


def page_text(textpage: Any) -> str:
    """The text of a page laid out by geometry (see module docstring), from pdfium's
    text page handle (an FPDF_TEXTPAGE of pypdfium2.raw; a PdfTextPage's `.raw`)."""
    runs = _runs(textpage)
    if not runs:
        return ""
    by_direction: dict[int, list[_Run]] = {}
    for run in runs:
        by_direction.setdefault(run.direction, []).append(run)
    # The direction with most characters first (the page's text), then the others.
    ordered = sorted(by_direction.values(), key=lambda rs: -sum(len(r.chars) for r in rs))
    parts = [_blocks_text(group) for group in ordered]
    return "\n\n".join(p for p in parts if p)


@cache
def _calls() -> tuple[Any, Any, Any]:
    """pdfium's three per-character functions (FPDFText_GetUnicode, GetLooseCharBox,
    GetCharAngle) as prototypes without declared argument types.

    pypdfium2's bindings declare them, and ctypes then converts every argument through its
    type's from_param: about 300 ns a call, two thirds of it the conversion. Undeclared,
    ctypes passes a Python int as a C int and a pointer or byref() as a pointer, which is
    what these functions take (the corpus's 270-page table annex: 232,000 characters,
    700,000 calls). The function pointers are pypdfium2's own (the same loaded library).
    """
    import pypdfium2.raw as pdfium_c

    def bare(function: Any, restype: Any) -> Any:
        address = ctypes.cast(function, ctypes.c_void_p).value
        assert address, "a pdfium function without an address"
        return ctypes.CFUNCTYPE(restype)(address)

    return (bare(pdfium_c.FPDFText_GetUnicode, ctypes.c_uint),
            bare(pdfium_c.FPDFText_GetLooseCharBox, ctypes.c_int),
            bare(pdfium_c.FPDFText_GetCharAngle, ctypes.c_float))


def _runs(raw: Any) -> list[_Run]:
    import pypdfium2.raw as pdfium_c

    count = pdfium_c.FPDFText_CountChars(raw)
    get_unicode, get_box, get_angle = _calls()
    get_matrix = pdfium_c.FPDFText_GetMatrix
    get_size = pdfium_c.FPDFText_GetFontSize
    rect = pdfium_c.FS_RECTF()
    matrix = pdfium_c.FS_MATRIX()
    matrix_ref = ctypes.byref(matrix)
    rect_ref = ctypes.byref(rect)
    # The box's four floats (left, top, right, bottom) in one call, not four attributes.
    box = cast(Callable[[], list[float]], memoryview(rect).cast("B").cast("f").tolist)
    # An angle's (angle, direction, off axis): a page has a handful of angles.
    directions: dict[float, tuple[float, int, bool]] = {}
    get_origin = pdfium_c.FPDFText_GetCharOrigin
    origin_x, origin_y = ctypes.c_double(), ctypes.c_double()
    origin_x_ref, origin_y_ref = ctypes.byref(origin_x), ctypes.byref(origin_y)
    runs: list[_Run] = []
    run: _Run | None = None
    # The run being built lives in local variables (written back to `run` when the next
    # one starts): attribute access on every character was a third of the loop.
    r_direction = 0
    r_angle = r_u1 = r_v0 = r_v1 = r_height = 0.0
    # The last character's: the next one is compared to it.
    l_width = l_height = l_u0 = l_v0 = l_v1 = l_ou = l_ov = 0.0
    append: Any = None
    pending_space = False
    sizes: dict[float, float] = {}
    for index in range(count):
        code = get_unicode(raw, index)
        if code == 0x20 or code == 0x09 or code == 0xA0:
            # A space (in the content or one pdfium generated for a gap): a space hint;
            # the geometry decides whether a new run starts.
            pending_space = True
            continue
        if code == 0x0D or code == 0x0A or code == 0 or code == 0xFFFF:
            continue                # pdfium's generated line breaks say nothing here
        if not get_box(raw, index, rect_ref):
            continue
        left, top, right, bottom = box()
        if bottom > top:
            bottom, top = top, bottom
        # Comparisons instead of max()/min() in this loop (about 700 characters a page):
        # the same values (max(a, b) is a unless b > a), a fifth less time on a table page.
        angle = get_angle(raw, index)
        known = directions.get(angle)
        if known is None:
            known = directions[angle] = _direction(angle)
        angle, direction, off_axis = known
        if direction == 0:
            u0, u1, v0, v1 = left, right, bottom, top
        elif direction == 1:       # pdfium's angles are clockwise: writing downwards
            u0, u1, v0, v1 = -top, -bottom, left, right
        elif direction == 2:
            u0, u1, v0, v1 = -right, -left, -top, -bottom
        else:                      # writing upwards (a page rotated by 90 degrees)
            u0, u1, v0, v1 = bottom, top, -right, -left
        # pdfminer's box: from the font's descent up one font size (pdfium's loose box
        # spans the font's whole ascent to descent, up to twice the size in some fonts).
        # The font size is asked once per loose height (one font at one size; a table
        # page has a handful): two calls fewer per character.
        loose = v1 - v0
        height = sizes.get(loose, 0.0)
        if not height:
            get_matrix(raw, index, matrix_ref)
            scale = abs(matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5
            height = sizes[loose] = get_size(raw, index) * scale or (v1 - v0)
        v1 = v0 + height
        # pdfium marks a hyphen it took for a line-end hyphen with 2 (U+FFFE in its text).
        char = "-" if code == 0x02 or code == 0xFFFE else chr(code)
        width = u1 - u0
        # A label set at a slant (a street name along its street): the axis-aligned boxes
        # of neighbouring glyphs overlap, so their origins in the exact direction decide.
        ou = ov = 0.0
        if off_axis:
            get_origin(raw, index, origin_x_ref, origin_y_ref)
            cos, sin = math.cos(angle), math.sin(angle)
            ou = origin_x.value * cos - origin_y.value * sin
            ov = origin_x.value * sin + origin_y.value * cos
        if run is not None and r_direction == direction and (
                not off_axis or abs(angle - r_angle) <= OFF_AXIS):
            size = height if height > l_height else l_height
            if size < 1e-6:
                size = 1e-6
            space = pending_space
            if off_axis:
                step = ou - l_ou
                joins = abs(ov - l_ov) <= BASELINE_TOLERANCE * size and (
                    0 < step <= (1 + CHAR_MARGIN / 2) * size)
                space = space or step > SLANT_SPACE * size
            else:
                gap = u0 - r_u1
                # As pdfminer: lines overlap vertically by half a height; the column gap
                # is in character widths, the space in the new character's width or height.
                overlap = (l_v1 if l_v1 < v1 else v1) - (l_v0 if l_v0 > v0 else v0)
                # The letters of a ligature ("ti", "tt") share one glyph's box.
                ligature = u0 == l_u0 and u1 == r_u1
                joins = (overlap > 0.5 * (l_height if l_height < height else height)
                         and (-0.5 * size <= gap or ligature)
                         and gap <= CHAR_MARGIN * (width if width > l_width else l_width))
                space = (space or gap > WORD_MARGIN * (width if width > height else height)
                         ) and not ligature
            if joins:
                if space:
                    append(" ")
                append(char)
                if u1 > r_u1:
                    r_u1 = u1
                if v0 < r_v0:
                    r_v0 = v0
                if v1 > r_v1:
                    r_v1 = v1
                if height > r_height:
                    r_height = height
                l_width, l_height, l_u0 = width, height, u0
                l_v0, l_v1, l_ou, l_ov = v0, v1, ou, ov
                pending_space = False
                continue
        if run is not None:
            run.u1, run.v0, run.v1, run.height = r_u1, r_v0, r_v1, r_height
        run = _Run(direction, u0, u1, v0, v1, height, [char])
        runs.append(run)
        append = run.chars.append
        r_direction, r_angle, r_u1, r_v0, r_v1, r_height = direction, angle, u1, v0, v1, height
        l_width, l_height, l_u0 = width, height, u0
        l_v0, l_v1, l_ou, l_ov = v0, v1, ou, ov
        pending_space = False
    if run is not None:
        run.u1, run.v0, run.v1, run.height = r_u1, r_v0, r_v1, r_height
    kept = []
    for run in runs:
        run.text = "".join(run.chars).strip()
        if run.text:
            kept.append(run)
    return kept


def _direction(angle: float) -> tuple[float, int, bool]:
    """(angle, writing direction in quarter turns, off axis) of pdfium's angle of a
    character (radians, clockwise; -1 when pdfium does not know: taken as 0)."""
    if angle < 0.0:
        angle = 0.0
    direction = int(round(angle / _QUARTER)) % 4
    skew = (angle - direction * _QUARTER) % (2 * math.pi)
    return angle, direction, min(skew, 2 * math.pi - skew) > OFF_AXIS


def _bands(items: list[Any], top: Any, left: Any, height: Any) -> list[Any]:
    """Items top to bottom in bands of about half a height, left to right in each band."""
    ordered = sorted(items, key=lambda item: -top(item))
    out: list[Any] = []
    band: list[Any] = []
    band_top = band_limit = 0.0
    for item in ordered:
        item_top = top(item)
        if band and band_top - item_top > band_limit:
            out.extend(sorted(band, key=left))
            band = []
        if not band:
            band_top = item_top
            first_height = height(item)
            band_limit = BAND * (1e-6 if first_height < 1e-6 else first_height)
        band.append(item)
    out.extend(sorted(band, key=left))
    return out


def _blocks_text(runs: list[_Run]) -> str:
    ordered = _bands(runs, attrgetter("v1"), attrgetter("u0"), attrgetter("height"))
    blocks: list[_Block] = []
    open_blocks: list[_Block] = []
    for run in ordered:
        size = run.height
        if size < 1e-6:
            size = 1e-6
        run_v1, run_u0, run_u1 = run.v1, run.u0, run.u1
        best: _Block | None = None
        best_gap = 0.0
        still_open: list[_Block] = []
        for block in open_blocks:
            last = block.last
            gap = last.v0 - run_v1
            last_height = last.height
            if gap > LINE_MARGIN * (last_height if last_height > size else size):
                continue            # too far above: closed for every later run too
            still_open.append(block)
            if gap < -0.5 * size or run_u0 >= last.u1 or run_u1 <= last.u0:
                continue            # the same line, or no horizontal overlap
            if best is None or gap < best_gap:
                best, best_gap = block, gap
        open_blocks = still_open
        if best is None:
            best = _Block([run], run_u0, run_u1, run_v1, run)
            blocks.append(best)
            open_blocks.append(best)
        else:
            best.runs.append(run)
            best.last = run
            if run_u0 < best.u0:
                best.u0 = run_u0
            if run_u1 > best.u1:
                best.u1 = run_u1
    ordered_blocks = _bands(blocks, attrgetter("top"), attrgetter("u0"), _first_height)
    return "\n".join("\n".join(r.text for r in block.runs) for block in ordered_blocks)


def _first_height(block: _Block) -> float:
    return block.runs[0].height
