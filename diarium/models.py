"""Domain model: organisations, cases (ärenden), documents (handlingar) and files.

These are plain value objects; the store (`diarium.store`) persists them and the public
projection (`diarium.public`) decides what of them may be shown.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date


class Riktning(enum.StrEnum):
    """A document's direction. Values are the Swedish words shown to users."""

    INKOMMANDE = "Inkommande"
    UTGAENDE = "Utgående"
    UPPRATTAD = "Upprättad"

    @classmethod
    def parse(cls, text: str) -> Riktning:
        """Read a direction as written in register exports (I/U/UPPR/EXP, any case).

        Raises ValueError with the accepted spellings when it is not one of them.
        """
        key = text.strip().casefold()
        found = _RIKTNING_ALIASES.get(key)
        if found is None:
            raise ValueError(
                f"unknown riktning {text!r}: use Inkommande, Utgående or Upprättad"
            )
        return found


_RIKTNING_ALIASES: dict[str, Riktning] = {
    "inkommande": Riktning.INKOMMANDE,
    "inkommen": Riktning.INKOMMANDE,
    "in": Riktning.INKOMMANDE,
    "i": Riktning.INKOMMANDE,
    "utgående": Riktning.UTGAENDE,
    "utgaende": Riktning.UTGAENDE,
    "utgående handling": Riktning.UTGAENDE,
    "ut": Riktning.UTGAENDE,
    "u": Riktning.UTGAENDE,
    "exp": Riktning.UTGAENDE,
    "expedierad": Riktning.UTGAENDE,
    "upprättad": Riktning.UPPRATTAD,
    "upprattad": Riktning.UPPRATTAD,
    "uppr": Riktning.UPPRATTAD,
    "internt": Riktning.UPPRATTAD,
    "intern": Riktning.UPPRATTAD,
}


class CaseStatus(enum.StrEnum):
    OPPET = "öppet"
    PAGAENDE = "pågående"
    AVSLUTAT = "avslutat"
    MAKULERAT = "makulerat"


class FileState(enum.StrEnum):
    """Where a stored file is in the extraction pipeline."""

    PENDING = "pending"
    EXTRACTED = "extracted"
    FAILED = "failed"
    NEEDS_OCR = "needs_ocr"


@dataclass(frozen=True)
class Organisation:
    slug: str
    name: str


@dataclass(frozen=True)
class Case:
    """An ärende. `dnr_key` is the canonical key of `diarienummer` (see diarium.diarienummer)."""

    organisation: str
    diarienummer: str
    dnr_key: str
    arendemening: str = ""
    status: str = ""
    namnd: str = ""
    enhet: str = ""
    handlaggare: str = ""
    klassificering: str = ""


@dataclass(frozen=True)
class Document:
    """A handling within a case, as registered."""

    lopnummer: int
    datum: date
    riktning: Riktning
    handlingstyp: str = ""
    rubrik: str = ""
    part: str = ""
    sekretess: str = ""
    publicerad: bool = True
    fil: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def secret(self) -> bool:
        return bool(self.sekretess.strip())
