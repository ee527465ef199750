"""The command line of import and status: messages, exit codes, --json."""

from __future__ import annotations

import json
from pathlib import Path

import manifests
from click.testing import CliRunner

from diarium.cli import main
from diarium.config import load_settings
from diarium.pipeline.importing import import_manifest
from diarium.store import Store


def run(data: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--data", str(data), *args])
    return result.exit_code, result.stdout, result.stderr


def test_import_twice_then_nothing_changes(tmp_path: Path) -> None:
    files = manifests.make_files(tmp_path / "files", 3)
    manifest = manifests.write_csv(tmp_path / "m.csv", manifests.rows(40, files))
    data = tmp_path / "data"
    code, out, _ = run(data, "import", str(manifest), "--files", str(tmp_path / "files"))
    assert code == 0, out
    assert "Läste 40 rader: 40 nya, 0 ändrade, 0 oförändrade, 0 avvisade; 3 nya filer" in out
    code, out, _ = run(data, "import", str(manifest), "--files", str(tmp_path / "files"))
    assert code == 0
    assert "40 rader: 0 nya, 0 ändrade, 40 oförändrade, 0 avvisade; 0 nya filer" in out


def test_rejected_rows_give_exit_code_1_and_say_where(tmp_path: Path) -> None:
    rows = manifests.rows(5)
    rows[2]["riktning"] = "baklänges"
    manifest = manifests.write_csv(tmp_path / "m.csv", rows)
    rejects = tmp_path / "avvisade.csv"
    code, out, err = run(tmp_path / "data", "import", str(manifest), "--rejects", str(rejects))
    assert code == 1
    assert "4 nya" in out and "1 avvisade" in out
    assert "rad 4: unknown riktning 'baklänges'" in err
    assert f"1 rad avvisades; se {rejects}" in err
    assert rejects.read_text(encoding="utf-8").startswith("line,reason,organisation,")


def test_unreadable_manifest_exit_code_2(tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text("organisation,rubrik\nks,Brev\n", encoding="utf-8")
    code, _, err = run(tmp_path / "data", "import", str(manifest))
    assert code == 2
    assert "missing required column(s) diarienummer, lopnummer, datum, riktning" in err


def test_import_help_has_an_example() -> None:
    result = CliRunner().invoke(main, ["import", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.stdout and "--files" in result.stdout


def test_status_counts_per_organisation_state_and_index(tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, out, _ = run(data, "status")
    assert code == 0 and "Inga handlingar importerade" in out

    (data / "diarium.toml").write_text('[organisations.ks]\nname = "Kommunstyrelsen"\n'
                                       '[organisations.sbn]\n', encoding="utf-8")
    files = manifests.make_files(tmp_path / "files", 4)
    manifest = manifests.write_csv(tmp_path / "m.csv", manifests.rows(30, files, file_every=5))
    settings = load_settings(data)
    with Store(settings.store_path) as store:
        import_manifest(store, settings, manifest, tmp_path / "files")
        with store.transaction():
            sha = store.conn.execute("SELECT min(sha256) FROM files").fetchone()[0]
            store.conn.execute("UPDATE files SET state = 'failed' WHERE sha256 = ?", (sha,))
            # An index that has followed the first 20 changes (documents 1-20).
            store.conn.execute("INSERT INTO index_state (name, last_seq) VALUES ('embedded', 20)")
        expected_files = {
            r[0]: r[1] for r in store.conn.execute(
                "SELECT state, count(*) FROM files GROUP BY state")
        }

    code, out, _ = run(data, "status", "--json")
    assert code == 0
    status = json.loads(out)
    by_slug = {o["slug"]: o for o in status["organisations"]}
    assert set(by_slug) == {"ks", "sbn"}
    assert by_slug["ks"]["name"] == "Kommunstyrelsen"
    total = status["total"]
    assert total["documents"] == 30
    assert by_slug["ks"]["documents"] + by_slug["sbn"]["documents"] == 30
    assert total["cases"] == 6
    assert total["files"]["total"] == 4
    assert total["files"]["failed"] == expected_files["failed"] == 1
    assert total["files"]["pending"] == 3
    assert total["indexes"]["embedded"] == {"indexed": 20, "pending": 10}
    assert status["indexes"][0]["pending_changes"] == 10
    assert status["last_seq"] == 30

    code, out, _ = run(data, "status")
    assert code == 0
    assert "ks (Kommunstyrelsen)" in out
    assert "index embedded: indexerade 20, väntar 10" in out
    assert "misslyckade 1" in out


def test_status_counts_a_shared_file_once_per_organisation_and_once_in_total(
    tmp_path: Path,
) -> None:
    from diarium.status import store_status

    files = manifests.make_files(tmp_path / "files", 1)
    rows = manifests.rows(10)
    rows[0]["fil"] = rows[9]["fil"] = files[0]  # row 0 is sbn's, row 9 is ks's
    rows[0]["publicerad"] = "nej"
    manifest = manifests.write_csv(tmp_path / "m.csv", rows)
    settings = load_settings(tmp_path / "data")
    with Store(settings.store_path) as store:
        import_manifest(store, settings, manifest, tmp_path / "files")
        status = store_status(store)
    by_slug = {o.slug: o for o in status.organisations}
    assert by_slug["ks"].files_total == by_slug["sbn"].files_total == 1
    assert status.total.files_total == 1
    assert status.total.without_file == 8
    assert by_slug["sbn"].unpublished == 1
    assert status.indexes == [] and status.last_seq == 10
