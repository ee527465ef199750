"""Text normalization applied to every extractor's output.

Unicode NFC (a PDF may spell "ä" as "a" + combining diaeresis, which would not match a typed
"ä"), ligatures expanded, words hyphenated across line breaks joined, soft hyphens and
control characters removed, runs of blank lines and spaces collapsed. Page boundaries are
not touched: normalization runs per page.
"""

from __future__ import annotations

import re
import unicodedata

LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
    "\u0132": "IJ",
    "\u0133": "ij",
    "\u0152": "OE",
    "\u0153": "oe",
}
_LIGATURE_TABLE = str.maketrans(LIGATURES)
# str.translate with a table walks every character in Python-object steps; a search for
# any ligature first costs a twentieth of that, and most pages have none.
_LIGATURE = re.compile("[" + "".join(LIGATURES) + "]")

# Control characters except tab and newline; also NUL-like format characters that PDFs
# leave behind (zero-width space/joiners, BOM, soft hyphen).
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200d\u2060\ufeff\ufffe\uffff]"
)
# A letter, a hyphen at the end of a line, then a lower-case letter on the next line:
# "för-\nvaltningen" -> "förvaltningen". Swedish coordinations such as "barn- och
# ungdomsnämnden" keep their hyphen: the next word is a conjunction.
# The hyphen first, then a look back at the letter before it: the same matches as a
# look-behind in front, ten times faster (the engine no longer tries every position).
_HYPHEN_BREAK = re.compile(
    r"[-\u2010\u2011](?<=[^\W\d_].)\n[ \t]*(?!(?:och|eller|samt|resp|respektive|till)\b)"
    r"(?=[a-zåäöéü])"
)
_SOFT_BREAK = re.compile("\u00ad[ \t]*\n[ \t]*")
# Runs of spaces become one space. A lone " " is left alone (it would be replaced by
# itself): one match per run of two or more, or per other space character, not per word.
# One space character first, then more of them or a look back that it was not " ": the
# same matches as "[...]{2,}|[...]" in half the time, as a pattern that starts with
# a character set lets the engine skip to the next candidate.
_SPACE_CHARS = r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]"
_SPACES = re.compile(rf"{_SPACE_CHARS}(?:{_SPACE_CHARS}+|(?<! ))")
# Every match holds two spaces or one of these; most pages have neither (27 of the
# corpus's 2,782 PDF pages do), and looking for them is quicker than trying every " ".
_OTHER_SPACE = re.compile(r"[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]")
# Three line breaks or more: a literal start the engine searches for (\n{3,} is tried at
# every position).
_BLANK_LINES = re.compile(r"\n\n\n+")


def normalize(text: str) -> str:
    """The cleaned text: NFC, ligatures expanded, hyphenation joined, controls removed."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    if _LIGATURE.search(text):
        text = text.translate(_LIGATURE_TABLE)
    # A soft hyphen at a line end marks a break inside one word.
    text = _SOFT_BREAK.sub("", text)
    text = _CONTROL.sub("", text)
    text = unicodedata.normalize("NFC", text)
    if "  " in text or _OTHER_SPACE.search(text):
        text = _SPACES.sub(" ", text)
    text = "\n".join(map(str.strip, text.split("\n")))
    text = _HYPHEN_BREAK.sub("", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()
