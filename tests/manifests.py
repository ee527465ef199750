"""Generated manifests for the import tests and benchmarks/import_bench.py."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from diarium.pipeline.importing import COLUMNS

_WORDS = [
    "bygglov", "ansökan", "yttrande", "detaljplan", "remiss", "skrivelse", "beslut",
    "förskola", "skolskjuts", "avloppsanläggning", "tillsyn", "livsmedel", "strandskydd",
    "dispens", "parkering", "trafik", "budget", "medborgarförslag", "motion", "revision",
    "upphandling", "avtal",
]
_RIKTNING = ("Inkommande", "Utgående", "Upprättad", "I", "U", "UPPR")
_TYPER = ("Beslut", "Skrivelse", "Yttrande", "Remiss", "Tjänsteskrivelse", "Protokoll")
_DNR_STYLES = ("{p} {y}/{s}", "{p}-{y}-{s:04d}", "{p}/{y}/{s:04d}")


def make_files(files_dir: Path, count: int) -> list[str]:
    """Create `count` small distinct text files; returns their names."""
    files_dir.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(count):
        name = f"handling-{i:05d}.txt"
        (files_dir / name).write_text(f"Handling nummer {i}. Ärendet gäller bygglov.\n",
                                      encoding="utf-8")
        names.append(name)
    return names


def rows(count: int, files: list[str] | None = None, seed: int = 1,
         file_every: int = 10) -> list[dict[str, str]]:
    """`count` valid manifest rows, about five documents per case, two organisations."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        case = i // 5
        org, prefix = ("ks", "KS") if case % 3 else ("sbn", "SBN")
        year = 2015 + case % 10
        dnr = _DNR_STYLES[case % 3].format(p=prefix, y=year, s=case + 1)
        words = rng.sample(_WORDS, 4)
        out.append({
            "organisation": org,
            "diarienummer": dnr,
            "arendemening": f"{words[0].capitalize()} {words[1]} ärende {case}",
            "status": "pågående" if case % 4 else "avslutat",
            "namnd": "Kommunstyrelsen" if org == "ks" else "Samhällsbyggnadsnämnden",
            "enhet": "Kansli",
            "handlaggare": f"Handläggare {case % 17}",
            "klassificering": f"{case % 9}.{case % 5}",
            "lopnummer": str(i % 5 + 1),
            "datum": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "riktning": _RIKTNING[i % len(_RIKTNING)],
            "handlingstyp": _TYPER[i % len(_TYPER)],
            "rubrik": " ".join(words).capitalize(),
            "part": "Trafikverket" if i % 7 == 0 else "",
            "sekretess": "26 kap. 1 § OSL" if i % 50 == 0 else "",
            "publicerad": "nej" if i % 13 == 0 else "ja",
            "fil": files[(i // file_every) % len(files)] if files and i % file_every == 0 else "",
            "system_id": f"ID-{i}",
        })
    return out


def write_csv(path: Path, records: list[dict[str, str]], delimiter: str = ",") -> Path:
    """Write records as a UTF-8 CSV manifest with a header; returns the path."""
    header = [*COLUMNS, *(k for k in records[0] if k not in COLUMNS)] if records else list(COLUMNS)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(records)
    return path


def write_jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path
