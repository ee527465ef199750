"""`diarium sync`: import, extract, index and dump in one run under a lock, with exit
codes a scheduler can act on; plus the CLI of dump, backup and restore."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from manifests import make_files, write_csv
from opendata_fixtures import TOML, register_rows
from smtp_server import SmtpServer, smtp_server  # noqa: F401  (the fixture)

from diarium.cli import main
from diarium.config import load_settings
from diarium.opendata.dump import latest_dump, verify_dump
from diarium.store import Store
from diarium.sync import EXIT_BUSY, sync_lock

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "docs" / "deploy"


@pytest.fixture
def export(tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    files = make_files(folder / "files", 8)
    write_csv(folder / "manifest.csv", register_rows(30, files))
    return folder


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "diarium.toml").write_text(TOML + "dump_on_sync = true\n", encoding="utf-8")
    return folder


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_sync_runs_every_stage_and_is_repeatable(data: Path, export: Path) -> None:
    code, out = _run("--data", str(data), "sync", str(export / "manifest.csv"),
                     "--files", str(export / "files"), "--workers", "1", "--json")
    assert code == 0, out
    summary = json.loads(out)
    assert summary["import"]["inserted"] == 30 and summary["import"]["rejected"] == 0
    assert summary["extract"]["extracted"] >= 1 and summary["extract"]["failed"] == 0
    assert summary["index"]["count"] == 30
    assert summary["dump"]["documents"] == 30 and summary["skipped"] == ["alerts"]
    dump = latest_dump(load_settings(data))
    assert dump is not None and dump.version == summary["dump"]["version"]
    verify_dump(dump)
    # A second run changes nothing and still succeeds; the text summary is one line.
    code, out = _run("--data", str(data), "sync", str(export / "manifest.csv"),
                     "--files", str(export / "files"), "--workers", "1", "--no-dump")
    assert code == 0, out
    assert out.startswith("Synk klar") and "import 0 nya, 0 ändrade" in out
    assert len(out.strip().splitlines()) == 1


def test_sync_takes_an_xml_export(data: Path, export: Path) -> None:
    from manifests import rows
    from xml_exports import write_erms

    erms = write_erms(export / "arendehantering.xml", rows(20))
    code, out = _run("--data", str(data), "sync", str(erms), "--organisation", "ks",
                     "--files", str(export / "files"), "--workers", "1", "--no-dump", "--json")
    assert code == 0, out
    summary = json.loads(out)
    assert summary["import"]["inserted"] == 20 and summary["index"]["count"] == 20


def test_sync_mails_alerts_where_smtp_is_configured(data: Path, export: Path,
                                                    smtp_server: SmtpServer  # noqa: F811
                                                    ) -> None:
    import re

    from diarium import alerts, mail
    from diarium.pipeline.indexing import last_seq

    config = data / "diarium.toml"
    config.write_text(config.read_text("utf-8") + "\n" + smtp_server.toml(), encoding="utf-8")
    args = ("--data", str(data), "sync", "--files", str(export / "files"), "--workers", "1",
            "--no-dump", "--json")
    code, out = _run(*args[:3], str(export / "manifest.csv"), *args[3:])
    assert code == 0, out
    assert json.loads(out)["alerts"]["checked"] == 0
    # A confirmed alert on "bygglov" ...
    settings = load_settings(data)
    with Store(settings.store_path) as store:
        alerts.subscribe(store, settings, "asa.oberg@exempel.se", "direkt",
                         alerts.AlertSpec(label="sökningen ”bygglov”", query="bygglov"),
                         settings.smtp.base_url)
        mail.deliver(store, settings.smtp)
        text = smtp_server.inbox.messages[-1].get_body(("plain",)).get_content()
        token = re.search(r"/bevakning/bekrafta/(\S+)", text).group(1)  # type: ignore[union-attr]
        assert alerts.confirm(store, token, last_seq(store, "embedded") or 0) is not None
    # ... gets the new documents of the next sync by mail, in the same run.
    files = sorted(p.name for p in (export / "files").iterdir())
    more = register_rows(35, files)
    for row in more[30:]:
        row["rubrik"] = "Ansökan om bygglov för ett garage"
    manifest = write_csv(export / "more.csv", more)
    code, out = _run(*args[:3], str(manifest), *args[3:])
    assert code == 0, out
    summary = json.loads(out)
    assert summary["import"]["inserted"] == 5
    assert summary["alerts"]["mailed"] == 1 and summary["mail"]["sent"] == 1
    digest = smtp_server.inbox.messages[-1]
    assert "garage" in digest.get_body(("plain",)).get_content()


def test_rejected_rows_give_exit_code_1(data: Path, export: Path) -> None:
    manifest = export / "manifest.csv"
    lines = manifest.read_text("utf-8").splitlines()
    lines[5] = lines[5].replace(",20", ",XX", 1)         # an unreadable date
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out = _run("--data", str(data), "sync", str(manifest), "--files",
                     str(export / "files"), "--workers", "1", "--json")
    assert code == 1, out
    summary = json.loads(out)
    assert summary["import"]["rejected"] == 1 and summary["index"]["count"] == 29


def test_unreadable_manifest_gives_exit_code_2(data: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("foo,bar\n1,2\n", encoding="utf-8")
    code, out = _run("--data", str(data), "sync", str(bad), "--json")
    assert code == 2
    summary = json.loads(out)
    assert summary["error"]["stage"] == "import"
    assert summary["skipped"] == ["extract", "index", "alerts", "dump"]


def test_unreachable_engine_gives_exit_code_3(data: Path, export: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIARIUM_ES_URL", "http://127.0.0.1:9")
    code, out = _run("--data", str(data), "sync", str(export / "manifest.csv"),
                     "--files", str(export / "files"), "--workers", "1",
                     "--engine", "elasticsearch", "--json")
    assert code == 3, out
    summary = json.loads(out)
    assert summary["import"]["inserted"] == 30          # imported, not indexed
    assert summary["error"]["stage"] == "index"


def test_a_running_sync_makes_the_next_exit_75(data: Path, export: Path) -> None:
    settings = load_settings(data)
    with sync_lock(settings):
        code, out = _run("--data", str(data), "sync", str(export / "manifest.csv"))
    assert code == EXIT_BUSY
    assert "another sync" in out
    # The lock is free again afterwards.
    with sync_lock(settings):
        pass


def test_dump_backup_restore_commands(data: Path, export: Path, tmp_path: Path) -> None:
    code, out = _run("--data", str(data), "sync", str(export / "manifest.csv"),
                     "--files", str(export / "files"), "--workers", "1", "--no-dump")
    assert code == 0, out
    code, out = _run("--data", str(data), "dump")
    assert code == 0 and out.startswith("Datadump "), out
    code, out = _run("--data", str(data), "backup", str(tmp_path / "backup"))
    assert code == 0 and "Säkerhetskopia" in out, out
    code, out = _run("--data", str(tmp_path / "restored"), "restore", str(tmp_path / "backup"))
    assert code == 0 and "Återställde 30 handlingar" in out, out
    code, out = _run("--data", str(tmp_path / "restored"), "restore", str(tmp_path / "backup"))
    assert code == 1 and "already has a store" in out


# --------------------------------------------------------------------------- deployment


def test_deploy_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    units = sorted(DEPLOY.glob("*.service")) + sorted(DEPLOY.glob("*.timer"))
    assert {u.name for u in units} >= {"diarium.service", "diarium-sync.service",
                                       "diarium-sync.timer", "diarium-backup.service",
                                       "diarium-backup.timer"}
    # The units name /usr/local/bin/diarium; point them at this checkout's so that
    # verify can check the executable exists.
    exe = shutil.which("diarium") or str(ROOT / ".venv" / "bin" / "diarium")
    for unit in units:
        text = unit.read_text("utf-8").replace("/usr/local/bin/diarium", exe)
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    result = subprocess.run([analyze, "verify", *(str(tmp_path / u.name) for u in units)],
                            capture_output=True, text=True, timeout=120)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "diarium" in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr


def test_proxy_example_routes_the_ops_endpoints() -> None:
    text = (DEPLOY / "nginx.conf").read_text("utf-8")
    for needle in ("proxy_pass", "location /metrics", "location /data/", "X-Forwarded-Proto"):
        assert needle in text
