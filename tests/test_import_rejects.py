"""Broken manifest rows: each reported with its line number and reason, written to the
rejects file with its original columns; the good rows still import."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import manifests
import pytest

from diarium.config import load_settings
from diarium.errors import ManifestError
from diarium.pipeline import importing as importer
from diarium.pipeline.importing import COLUMNS, import_manifest
from diarium.store import Store

# (what is broken, change to a good row, expected words in the reason)
BROKEN = [
    ("missing diarienummer", {"diarienummer": ""}, "missing diarienummer"),
    ("unparseable date", {"datum": "12/5/2023"}, "datum '12/5/2023' is not a date"),
    ("impossible date", {"datum": "2023-02-30"}, "datum '2023-02-30' is not a date"),
    ("unknown riktning", {"riktning": "Sidledes"}, "unknown riktning 'Sidledes'"),
    ("missing file", {"fil": "saknas/brev.pdf"}, "file 'saknas/brev.pdf' not found"),
    ("bad publicerad", {"publicerad": "kanske"}, "publicerad 'kanske' must be ja or nej"),
    ("unknown organisation", {"organisation": "okand"}, "unknown organisation 'okand'"),
    ("empty löpnummer", {"lopnummer": " "}, "missing lopnummer"),
    ("löpnummer not a number", {"lopnummer": "tre"}, "lopnummer 'tre' is not a positive"),
    ("date as diarienummer", {"diarienummer": "2023-05-12"}, "is a date"),
    ("personnummer as dnr", {"diarienummer": "811218-9876"}, "is a personnummer"),
    ("bad organisation slug", {"organisation": "K S!"}, "is not a slug"),
    ("file outside the folder", {"fil": "../../etc/passwd"}, "outside the files folder"),
    ("absolute file path", {"fil": "/etc/passwd"}, "outside the files folder"),
]


def test_broken_rows_are_rejected_with_line_and_reason(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "diarium.toml").write_text(
        '[organisations.ks]\nname = "Kommunstyrelsen"\n[organisations.sbn]\n', encoding="utf-8"
    )
    settings = load_settings(data)
    good = manifests.rows(40)
    header = [*COLUMNS, "system_id"]

    def line_of(row: dict[str, str]) -> bytes:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow([row[c] for c in header])
        return out.getvalue().encode("utf-8")

    # Interleave: good row, broken row, good row, ... Lines start at 2 (1 is the header).
    chunks = [",".join(header).encode() + b"\n"]
    expected: dict[int, str] = {}
    line = 2
    for i, (_, change, reason) in enumerate(BROKEN):
        chunks.append(line_of(good[2 * i]))
        bad = {**good[2 * i + 1], **change}
        chunks.append(line_of(bad))
        expected[line + 1] = reason
        line += 2
    # Duplicate löpnummer: the same case and löpnummer as good row 0, once more.
    chunks.append(line_of({**good[0], "rubrik": "Dubblett"}))
    expected[line] = "duplicate lopnummer 1 in case SBN 2015/1 (first on line 2)"
    line += 1
    # Wrong encoding: a row saved as Windows-1252 in the middle of a UTF-8 file.
    latin = {**good[35], "rubrik": "Ansökan om bygglov för förråd"}
    chunks.append(line_of(latin).decode("utf-8").encode("cp1252"))
    expected[line] = "is not UTF-8 (byte 0xF6; as Windows-1252 it reads"
    line += 1
    # Wrong number of fields.
    chunks.append(b"ks,KS 2023/77,Titel\n")
    expected[line] = "3 fields, the header has 18"
    line += 1
    # A quoted field spanning two lines keeps the following line numbers right.
    chunks.append(line_of({**good[36], "rubrik": "Två\nrader"}))
    line += 2
    chunks.append(line_of({**good[37], "riktning": "?"}))
    expected[line] = "unknown riktning '?'"
    manifest = tmp_path / "diarium.csv"
    manifest.write_bytes(b"".join(chunks))

    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, manifest)
        kinds = {reason.split(" ")[0] for reason in expected.values()}
        assert len(kinds) >= 8
        assert report.rejected == len(expected)
        assert report.inserted == len(BROKEN) + 1
        assert report.rows_read == report.inserted + report.rejected
        got = dict(report.rejections)
        assert sorted(got) == sorted(expected)
        for number, reason in expected.items():
            assert reason in got[number], (number, got[number])
        # the good rows are all there, including the one spanning two lines
        titles = {r[0] for r in store.conn.execute("SELECT rubrik FROM documents")}
        assert "Två\nrader" in titles
        assert "Dubblett" not in titles

    assert report.rejects_path == tmp_path / "diarium.rejects.csv"
    with report.rejects_path.open(encoding="utf-8", newline="") as fh:
        rejected = list(csv.reader(fh))
    assert rejected[0] == ["line", "reason", *header]
    assert [int(r[0]) for r in rejected[1:]] == sorted(expected)
    by_line = {int(r[0]): r for r in rejected[1:]}
    # the original columns are kept, so the archivist can fix and re-import the rows
    assert by_line[3][2 + header.index("riktning")] == "Utgående"
    assert by_line[3][2 + header.index("diarienummer")] == ""
    wrong = next(n for n, r in expected.items() if "UTF-8" in r)
    assert by_line[wrong][2 + header.index("rubrik")] == "Ansökan om bygglov för förråd"


def test_fixed_rejects_import_and_the_stale_rejects_file_goes(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "data")
    rows = manifests.rows(6)
    rows[3]["datum"] = "igår"
    manifest = manifests.write_csv(tmp_path / "m.csv", rows)
    rejects = tmp_path / "out" / "rejects.csv"
    rejects.parent.mkdir()
    with Store(settings.store_path) as store:
        first = import_manifest(store, settings, manifest, rejects_path=rejects)
        assert (first.inserted, first.rejected, first.rejects_path) == (5, 1, rejects)
        assert rejects.exists()
        rows[3]["datum"] = "2024-01-01"
        manifests.write_csv(manifest, rows)
        second = import_manifest(store, settings, manifest, rejects_path=rejects)
        assert (second.inserted, second.unchanged, second.rejected) == (1, 5, 0)
    assert not rejects.exists()


def test_jsonl_bad_lines_are_rejected_with_line_numbers(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "data")
    rows = manifests.rows(4)
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    lines.insert(1, "{not json")
    lines.insert(2, "[1, 2]")
    lines.insert(3, json.dumps({**rows[0], "lopnummer": 9, "rubrik": {"nested": 1}}))
    lines.insert(4, "")
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, manifest)
    assert report.inserted == 4
    reasons = dict(report.rejections)
    assert sorted(reasons) == [2, 3, 4]
    assert "not valid JSON" in reasons[2]
    assert "not a JSON object" in reasons[3]
    assert "rubrik: nested values are not allowed" in reasons[4]


def test_nfd_text_is_stored_nfc(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "data")
    rows = manifests.rows(2)
    rows[0]["rubrik"] = "Ansökan om förhandsbesked".replace("ö", "o\u0308")
    manifest = manifests.write_csv(tmp_path / "m.csv", rows)
    with Store(settings.store_path) as store:
        import_manifest(store, settings, manifest)
        titles = [r[0] for r in store.conn.execute("SELECT rubrik FROM documents ORDER BY id")]
    assert titles[0] == "Ansökan om förhandsbesked"


def test_unparseable_csv_stops_with_its_line(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "data")
    manifest = manifests.write_csv(tmp_path / "m.csv", manifests.rows(3))
    limit = importer._FIELD_LIMIT  # a field over it is more than any register text
    with manifest.open("a", encoding="utf-8") as fh:
        fh.write('ks,KS 2023/9,"' + "x" * (limit + 10) + '",,,,,,1,2023-01-01,I,,,,,ja,,\n')
    with Store(settings.store_path) as store:
        with pytest.raises(ManifestError, match="line 5: unreadable CSV"):
            import_manifest(store, settings, manifest)
        # the rows before it are imported; a rerun without the bad line finishes the job
        assert store.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 3
