"""The public projection: what of the register may be shown.

This module is the ONLY place where privacy rules are applied. Indexes, snippets, facets,
feeds, exports and the API only ever receive PublicRecord objects built here.

Rules (DESIGN.md, "Privacy and secrecy"):
- a secret document is only its register entry: date, diarienummer, direction, document
  type and the text "Sekretess enligt <lagrum>"; no title, party, text or file;
- a document not cleared for publication keeps its entry, but not its text or file;
- personnummer and samordningsnummer are masked in every public field.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PublicRecord:
    """One document as the public may see it. Every string here is already safe to publish."""

    doc_id: str                 # the store's document id, as text
    case_id: int
    organisation: str           # slug
    organisation_name: str
    diarienummer: str           # as written
    dnr_key: str                # canonical key PREFIX|YEAR|SERIAL
    lopnummer: int
    datum: str                  # ISO date
    riktning: str
    handlingstyp: str
    rubrik: str                 # "Sekretess enligt ..." for a secret document
    part: str
    arendemening: str           # the case's title (masked)
    namnd: str
    enhet: str
    handlaggare: str
    status: str
    klassificering: str
    text: str                   # public text; empty when secret or unpublished
    pages: tuple[str, ...]      # per-page public text (same rules as text)
    has_file: bool              # a public original can be downloaded
    secret: bool
    sekretess_text: str         # "Sekretess enligt <lagrum>" or ""
    file_name: str = ""         # download name of the public original, or ""
    media_type: str = ""

    @property
    def year(self) -> int:
        return int(self.datum[:4])
