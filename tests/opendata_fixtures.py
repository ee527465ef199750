"""A small real register for the open-data, backup and sync tests: a CSV manifest with
secret rows, unpublished rows and a personnummer in a title and a party, imported and
extracted through the real pipeline."""

from __future__ import annotations

from pathlib import Path

from manifests import make_files, rows, write_csv

from diarium.config import Settings, load_settings
from diarium.pipeline.extracting import config_from_settings, extract
from diarium.pipeline.importing import import_manifest
from diarium.store import Store

PERSONNUMMER = "811228-9874"          # valid check digit
SECRET_TITLE = "Utredning om Hemlig Hemligsson"
ORG_NUMBER = "2120001234"
KS_NUMBER = "2120005678"

TOML = """
[organisations.ks]
name = "Exempelby kommun, kommunstyrelsen"
organisation_number = "212000-5678"
registry_email = "registrator@exempelby.se"

[organisations.sbn]
name = "Exempelby kommun, samhällsbyggnadsnämnden"

[opendata]
base_url = "https://diarium.exempelby.se"
organisation_number = "212000-1234"
publisher = "Exempelby kommun"
contact_email = "oppnadata@exempelby.se"
"""


def register_rows(count: int, files: list[str]) -> list[dict[str, str]]:
    """Manifest rows with the privacy cases the dump must get right."""
    out = rows(count, files, file_every=4)
    out[3]["rubrik"] = f"Ansökan från {PERSONNUMMER} om bygglov"
    out[7]["part"] = f"Privatperson {PERSONNUMMER}"
    # Row 0 and row 50 are secret (manifests.rows); give one a telling title.
    out[0]["rubrik"] = SECRET_TITLE
    out[0]["sekretess"] = "26 kap. 1 § OSL"
    return out


def build_register(data_dir: Path, count: int = 60, workers: int = 1) -> Settings:
    """Import and extract the register into `data_dir`; returns its settings."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "diarium.toml").write_text(TOML, encoding="utf-8")
    export = data_dir.parent / f"{data_dir.name}-export"
    files = make_files(export / "files", 12)
    (export / "files" / files[1]).write_text(
        f"Sökande {PERSONNUMMER} vill bygga en altan.\n", encoding="utf-8")
    manifest = write_csv(export / "manifest.csv", register_rows(count, files))
    settings = load_settings(data_dir)
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, manifest, export / "files")
        assert report.rejected == 0, report.rejections
        extract(store, settings, config_from_settings(settings, workers=workers))
    return settings
