"""Import of the real corpus files: what is stored is byte for byte what was published
(sha256 and size as recorded in the corpus MANIFEST.csv), named as in the manifest."""

from __future__ import annotations

import csv
from pathlib import Path

import manifests

from diarium.config import load_settings
from diarium.pipeline.importing import import_manifest
from diarium.store import Store


def test_real_files_are_stored_by_their_sha256(tmp_path: Path, corpus_dir: Path) -> None:
    with (corpus_dir / "MANIFEST.csv").open(encoding="utf-8", newline="") as fh:
        corpus = list(csv.DictReader(fh))
    # Every fifth corpus file (about 40, several formats) keeps the test quick.
    chosen = corpus[::5]
    rows = manifests.rows(len(chosen))
    for row, entry in zip(rows, chosen, strict=True):
        row["fil"] = entry["file"]
    manifest = manifests.write_csv(tmp_path / "m.csv", rows)
    settings = load_settings(tmp_path / "data")
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, manifest, corpus_dir)
        stored = {
            r["name"]: (r["sha256"], r["size"], r["state"])
            for r in store.conn.execute(
                "SELECT df.name, f.sha256, f.size, f.state FROM document_files df "
                "JOIN files f ON f.sha256 = df.sha256"
            )
        }
    assert (report.inserted, report.rejected) == (len(chosen), 0)
    assert len({e["format"] for e in chosen}) >= 3
    for entry in chosen:
        sha, size, state = stored[entry["file"]]
        assert (sha, size, state) == (entry["sha256"], int(entry["bytes"]), "pending")
        assert settings.file_path(sha).stat().st_size == size
