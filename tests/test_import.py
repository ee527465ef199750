"""Import: idempotence, updates, changed files, formats, files copied into the store."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import manifests
import pytest

from diarium.config import Settings, load_settings
from diarium.errors import ManifestError
from diarium.pipeline.importing import import_manifest
from diarium.store import Store


def dump(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    """Every table's rows in a fixed order, without the wall-clock columns."""
    tables = {
        "organisations": "id, slug, name",
        "cases": "id, organisation_id, diarienummer, dnr_key, arendemening, status, namnd, "
        "enhet, handlaggare, klassificering",
        "documents": "*",
        "files": "sha256, size, media_type, state",
        "document_files": "*",
        "changes": "*",
    }
    return {
        name: [tuple(r) for r in conn.execute(f"SELECT {cols} FROM {name} ORDER BY 1, 2, 3")]
        for name, cols in tables.items()
    }


def count(store: Store, table: str) -> int:
    return int(store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_thousand_rows_twice_second_run_changes_nothing(tmp_path: Path, settings: Settings) -> None:
    files = manifests.make_files(tmp_path / "files", 30)
    manifest = manifests.write_csv(tmp_path / "m.csv", manifests.rows(1000, files))
    with Store(settings.store_path) as store:
        first = import_manifest(store, settings, manifest, tmp_path / "files")
        assert (first.rows_read, first.inserted, first.rejected) == (1000, 1000, 0)
        assert first.files_stored == 30
        before = dump(store.conn)
        second = import_manifest(store, settings, manifest, tmp_path / "files")
        assert second.changes == 0
        assert (second.unchanged, second.files_stored, second.rejected) == (1000, 0, 0)
        assert dump(store.conn) == before
        assert count(store, "documents") == 1000
        assert count(store, "cases") == 200
        assert count(store, "changes") == 1000
        assert count(store, "document_files") == 100
    assert first.rejects_path is None
    assert not (tmp_path / "m.rejects.csv").exists()


def test_values_are_normalised_and_extra_columns_kept(tmp_path: Path, settings: Settings) -> None:
    rows = manifests.rows(3)
    rows[0].update(riktning="i", publicerad="NEJ", sekretess="ja", datum="2020-02-29")
    manifest = manifests.write_csv(tmp_path / "m.csv", rows)
    with Store(settings.store_path) as store:
        import_manifest(store, settings, manifest)
        doc = store.conn.execute(
            "SELECT d.*, c.dnr_key, c.diarienummer FROM documents d JOIN cases c "
            "ON c.id = d.case_id ORDER BY d.id LIMIT 1"
        ).fetchone()
    assert doc["riktning"] == "Inkommande"
    assert doc["publicerad"] == 0
    assert doc["sekretess"] == "OSL"  # "ja" names no provision, the entry is still secret
    assert doc["datum"] == "2020-02-29"
    assert doc["dnr_key"] == "SBN|2015|1"
    assert doc["diarienummer"] == "SBN 2015/1"
    assert doc["extra"] == '{"system_id": "ID-0"}'


def test_changed_row_updates_its_document_only(tmp_path: Path, settings: Settings) -> None:
    rows = manifests.rows(50)
    manifest = manifests.write_csv(tmp_path / "m.csv", rows)
    with Store(settings.store_path) as store:
        import_manifest(store, settings, manifest)
        rows[7]["rubrik"] = "Ny rubrik efter rättelse"
        manifests.write_csv(manifest, rows)
        report = import_manifest(store, settings, manifest)
        assert (report.inserted, report.updated, report.unchanged) == (0, 1, 49)
        changed = store.conn.execute(
            "SELECT document_id FROM changes ORDER BY seq DESC LIMIT 1"
        ).fetchone()[0]
        rubrik = store.conn.execute(
            "SELECT rubrik FROM documents WHERE id = ?", (changed,)
        ).fetchone()[0]
        assert rubrik == "Ny rubrik efter rättelse"
        assert count(store, "changes") == 51


def test_changed_case_title_marks_all_its_documents(tmp_path: Path, settings: Settings) -> None:
    rows = manifests.rows(10)
    manifest = manifests.write_csv(tmp_path / "m.csv", rows)
    with Store(settings.store_path) as store:
        import_manifest(store, settings, manifest)
        for row in rows[:5]:  # the first case's five documents
            row["arendemening"] = "Nytt ärendemening"
        manifests.write_csv(manifest, rows)
        report = import_manifest(store, settings, manifest)
        assert report.updated == 5
        title = store.conn.execute("SELECT arendemening FROM cases WHERE id = 1").fetchone()[0]
        assert title == "Nytt ärendemening"
        # five from the case update, five from the rows themselves
        assert count(store, "changes") == 20


def test_changed_file_gets_new_sha_pending_and_document_marked(
    tmp_path: Path, settings: Settings
) -> None:
    files_dir = tmp_path / "files"
    files = manifests.make_files(files_dir, 1)
    rows = manifests.rows(3, files, file_every=3)  # row 0 has the file
    manifest = manifests.write_csv(tmp_path / "m.csv", rows)
    with Store(settings.store_path) as store:
        import_manifest(store, settings, manifest, files_dir)
        store.conn.execute("UPDATE files SET state = 'extracted'")
        old_sha = store.conn.execute("SELECT sha256 FROM files").fetchone()[0]
        (files_dir / files[0]).write_text("Rättad version av handlingen.\n", encoding="utf-8")
        report = import_manifest(store, settings, manifest, files_dir)
        assert (report.updated, report.unchanged, report.files_stored) == (1, 2, 1)
        states = dict(store.conn.execute("SELECT sha256, state FROM files").fetchall())
        new_sha = next(sha for sha in states if sha != old_sha)
        assert states == {old_sha: "extracted", new_sha: "pending"}
        linked = store.conn.execute("SELECT sha256, name FROM document_files").fetchall()
        assert [tuple(r) for r in linked] == [(new_sha, files[0])]
        assert settings.file_path(new_sha).read_text(encoding="utf-8").startswith("Rättad")


def test_files_are_copied_so_the_store_survives_the_export_folder(
    tmp_path: Path, settings: Settings
) -> None:
    files_dir = tmp_path / "export"
    files = manifests.make_files(files_dir, 4)
    manifest = manifests.write_csv(tmp_path / "m.csv", manifests.rows(20, files, file_every=5))
    with Store(settings.store_path) as store:
        import_manifest(store, settings, manifest, files_dir)
        shas = [r[0] for r in store.conn.execute("SELECT sha256 FROM files")]
    shutil.rmtree(files_dir)
    assert len(shas) == 4
    for sha in shas:
        path = settings.file_path(sha)
        assert path.parent.name == sha[:2]
        assert path.read_text(encoding="utf-8").startswith("Handling nummer")
    assert not list(settings.files_dir.rglob("*.tmp"))


def test_jsonl_and_semicolon_csv_give_the_same_store(tmp_path: Path) -> None:
    rows = manifests.rows(40)
    dumps = []
    for name, write in (
        ("a.csv", lambda p: manifests.write_csv(p, rows)),
        ("b.csv", lambda p: manifests.write_csv(p, rows, delimiter=";")),
        ("c.jsonl", lambda p: manifests.write_jsonl(p, rows)),
    ):
        data = load_settings(tmp_path / name.replace(".", "-"))
        manifest = write(tmp_path / name)
        with Store(data.store_path) as store:
            report = import_manifest(store, data, manifest)
            assert (report.inserted, report.rejected) == (40, 0)
            dumps.append(dump(store.conn))
    assert dumps[0] == dumps[1] == dumps[2]


def test_missing_required_column_writes_nothing(tmp_path: Path, settings: Settings) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text("organisation,diarienummer,datum\nks,KS 2023/1,2023-01-01\n",
                        encoding="utf-8")
    with Store(settings.store_path) as store:
        with pytest.raises(ManifestError, match="missing required column.*lopnummer, riktning"):
            import_manifest(store, settings, manifest)
        assert count(store, "documents") == count(store, "organisations") == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty manifest"),
        # a Windows-1252 header above UTF-8 rows
        ("organisation;diarienummer;lopnummer;datum;riktning;nämnd\n".encode("cp1252")
         + "ks;KS 2023/1;1;2023-01-01;I;Miljö\n".encode(),
         "header is not UTF-8"),
        # a whole manifest in Windows-1252
        ("organisation,diarienummer,lopnummer,datum,riktning,rubrik\n"
         "ks,KS 2023/1,1,2023-01-01,I,Ansökan om förhandsbesked\n".encode("cp1252"),
         "is not UTF-8 .*Windows-1252 it reads .*nothing was imported"),
    ],
)
def test_unreadable_manifest_is_a_clear_error(
    tmp_path: Path, settings: Settings, content: bytes, message: str
) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_bytes(content)
    with Store(settings.store_path) as store, pytest.raises(ManifestError, match=message):
        import_manifest(store, settings, manifest)


def test_missing_manifest_or_files_folder(tmp_path: Path, settings: Settings) -> None:
    manifest = manifests.write_csv(tmp_path / "m.csv", manifests.rows(2))
    with Store(settings.store_path) as store:
        with pytest.raises(ManifestError, match="not found"):
            import_manifest(store, settings, tmp_path / "nope.csv")
        with pytest.raises(ManifestError, match="files folder"):
            import_manifest(store, settings, manifest, tmp_path / "nope")
        with pytest.raises(ManifestError, match="cannot be the manifest"):
            import_manifest(store, settings, manifest, rejects_path=manifest)


def test_progress_is_reported_per_batch(tmp_path: Path, settings: Settings) -> None:
    manifest = manifests.write_csv(tmp_path / "m.csv", manifests.rows(250))
    seen: list[int] = []
    with Store(settings.store_path) as store:
        import_manifest(store, settings, manifest, batch_size=100,
                        progress=lambda p: seen.append(p.rows_read))
    assert seen == [100, 200, 250]


def test_organisation_name_follows_diarium_toml(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = load_settings(data)
    manifest = manifests.write_csv(tmp_path / "m.csv", manifests.rows(15))
    with Store(settings.store_path) as store:
        import_manifest(store, settings, manifest)
    (data / "diarium.toml").write_text(
        '[organisations.ks]\nname = "Exempelkommunen, kommunstyrelsen"\n[organisations.sbn]\n',
        encoding="utf-8",
    )
    settings = load_settings(data)
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, manifest)
        names = dict(store.conn.execute("SELECT slug, name FROM organisations").fetchall())
    assert report.changes == 0
    assert names == {"ks": "Exempelkommunen, kommunstyrelsen", "sbn": "sbn"}


def test_emptied_fil_detaches_the_file(tmp_path: Path, settings: Settings) -> None:
    files = manifests.make_files(tmp_path / "files", 1)
    rows = manifests.rows(2, files, file_every=2)
    manifest = manifests.write_csv(tmp_path / "m.csv", rows)
    with Store(settings.store_path) as store:
        import_manifest(store, settings, manifest, tmp_path / "files")
        assert count(store, "document_files") == 1
        rows[0]["fil"] = ""
        manifests.write_csv(manifest, rows)
        report = import_manifest(store, settings, manifest, tmp_path / "files")
        assert (report.updated, report.unchanged) == (1, 1)
        assert count(store, "document_files") == 0
        assert count(store, "files") == 1  # the content stays stored; nothing links to it


def test_swedish_column_names_are_read(tmp_path: Path, settings: Settings) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "Organisation;Diarienummer;Ärendemening;Nämnd;Handläggare;Löpnummer;Datum;Riktning;"
        "Egen kolumn\nks;KS 2023/1;Bygglov;Kommunstyrelsen;Anna;1;2023-01-02;I;x\n",
        encoding="utf-8",
    )
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, manifest)
        case = store.conn.execute("SELECT arendemening, namnd, handlaggare FROM cases").fetchone()
        extra = store.conn.execute("SELECT extra FROM documents").fetchone()[0]
    assert report.inserted == 1
    assert tuple(case) == ("Bygglov", "Kommunstyrelsen", "Anna")
    assert extra == '{"egen kolumn": "x"}'
