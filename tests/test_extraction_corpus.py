"""The whole real corpus (../shared/corpus/real) through the pipeline, once per session with
2 workers: each file ends extracted, failed with a reason, or needs_ocr; no mojibake; Swedish
letters where the source has them. OCR is off here (its own test is in test_extractors.py),
so scans stay needs_ocr and the run stays within a few CPU minutes."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import extraction_fixtures as fx
import pytest

from diarium.config import Settings, load_settings
from diarium.pipeline.extracting import ExtractConfig, ExtractReport, extract
from diarium.store import Store

pytestmark = pytest.mark.slow

MOJIBAKE = ("Ã¤", "Ã¶", "Ã¥", "Ã„", "Ã–", "Ã…", "â€", "Ã©")
SWEDISH_LETTERS = set("åäöÅÄÖ")

# Scans without a text layer (MANIFEST notes: "image-only/scanned (no text layer)").
SCANNED = {
    "riksarkivet__RA-FS-2004_2.pdf",
    "riksarkivet__RA-FS-2006_6.pdf",
    "regeringen__scanned.pdf",
    "regeringen__1b5df88d.PDF",
    "elsakerhetsverket__ELSAK-FS-2003-3.pdf",
}


@pytest.fixture(scope="session")
def corpus_run(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> tuple[Settings, ExtractReport, dict[str, dict[str, str]]]:
    data = tmp_path_factory.mktemp("corpus-data")
    settings = load_settings(data)
    with open(corpus_dir / "MANIFEST.csv", encoding="utf-8") as fh:
        manifest = {row["file"]: row for row in csv.DictReader(fh)}
    paths = [corpus_dir / name for name in sorted(manifest)]
    with Store(settings.store_path) as store:
        fx.register_files(store, settings, paths)
        # A generous timeout: the machine is shared; the 297-page table annex (270 pages
        # read by pdfminer.six) goes to both workers in page ranges.
        report = extract(store, settings, ExtractConfig(workers=2, timeout=900, ocr=False))
    return settings, report, manifest


def _rows(settings: Settings) -> list[dict[str, object]]:
    with Store(settings.store_path) as store:
        return [dict(r) for r in store.conn.execute(
            "SELECT df.name, f.state, f.media_type, e.text, e.metadata, e.extractor, "
            "fl.kind, fl.reason FROM files f JOIN document_files df ON df.sha256 = f.sha256 "
            "LEFT JOIN extractions e ON e.sha256 = f.sha256 "
            "LEFT JOIN failures fl ON fl.sha256 = f.sha256 ORDER BY df.name")]


def test_every_file_ends_in_a_final_state(corpus_run) -> None:
    settings, report, manifest = corpus_run
    rows = _rows(settings)
    assert {r["name"] for r in rows} == set(manifest)
    table: Counter[tuple[str, str]] = Counter()
    for row in rows:
        assert row["state"] in ("extracted", "failed", "needs_ocr"), row["name"]
        if row["state"] == "failed":
            assert row["kind"] and row["reason"], row["name"]
        table[(manifest[str(row["name"])]["format"].lower(), str(row["state"]))] += 1
    print("\nformat  extracted  needs_ocr  failed")
    for fmt in sorted({f for f, _ in table}):
        print(f"{fmt:6s} {table[(fmt, 'extracted')]:10d} {table[(fmt, 'needs_ocr')]:10d} "
              f"{table[(fmt, 'failed')]:7d}")
    assert report.done == len(manifest)
    # The real corpus is readable: a failure here is a bug, not a property of the file.
    assert report.failed == 0, [(r["name"], r["reason"]) for r in rows if r["kind"]]


def test_no_mojibake_and_swedish_letters_present(corpus_run) -> None:
    settings, _, manifest = corpus_run
    checked = 0
    for row in _rows(settings):
        text = str(row["text"] or "")
        found = [m for m in MOJIBAKE if m in text]
        assert not found, f"{row['name']}: mojibake {found}"
        language = manifest[str(row["name"])]["language"]
        if row["state"] == "extracted" and language in ("sv", "sv-FI") and len(text) > 500:
            assert SWEDISH_LETTERS & set(text), f"{row['name']}: no å/ä/ö in Swedish text"
            checked += 1
    assert checked > 150


def test_known_corpus_cases(corpus_run) -> None:
    settings, _, _ = corpus_run
    rows = {str(r["name"]): r for r in _rows(settings)}
    for name in SCANNED:
        assert rows[name]["state"] == "needs_ocr", name
    # Encrypted with an owner password only: readable, and marked as encrypted.
    basic = rows["regeringen__basic-7.pdf"]
    assert basic["state"] == "extracted"
    assert json.loads(str(basic["metadata"]))["encrypted"] is True
    # Word 95 through antiword.
    word95 = rows["regeringen__proptrips_word95.doc"]
    assert word95["extractor"] == "antiword" and "Närvarande" in str(word95["text"])
    # Every legacy Word file, Word 95 to 2003, is read (antiword, else catdoc).
    docs = [r for name, r in rows.items() if name.endswith(".doc")]
    assert len(docs) == 16
    assert all(r["state"] == "extracted" and r["media_type"] == "application/msword"
               for r in docs)
    # Per-page text is kept: a 14-page statute has 14 pages.
    sfs = rows["regeringen__SFS2025-1461.pdf"]
    assert json.loads(str(sfs["metadata"]))["page_count"] == 14


def test_pdf_path_on_the_corpus(corpus_run) -> None:
    """pdfium first, the geometric reader for the flagged pages, long PDFs split over the
    two workers (default split_pages 100) and joined back in order."""
    settings, _, _ = corpus_run
    rows = {str(r["name"]): r for r in _rows(settings)}
    assert not [name for name, r in rows.items() if "\ufffe" in str(r["text"] or "")]
    annex = rows["livsmedelsverket__LIVSFS-2006_22bil1.pdf"]
    meta = json.loads(str(annex["metadata"]))
    assert annex["extractor"] == "pdfium" and meta["page_count"] == 297
    assert len(meta["pages_read_by_layout"]) == 270  # all ranges' pages, joined
    assert meta["pages_read_by_layout"] == sorted(meta["pages_read_by_layout"])
    with Store(settings.store_path) as store:
        pages = json.loads(store.conn.execute(
            "SELECT e.pages FROM extractions e JOIN document_files df ON "
            "df.sha256 = e.sha256 WHERE df.name = ?", (annex["name"],)).fetchone()[0])
    assert len(pages) == 297 and "LIVSFS 2006:22" in pages[0]
    assert "Naturvårdsverkets författningssamling" in str(
        rows["naturvardsverket__NFS-2015-3.pdf"]["text"])  # from a Form XObject
