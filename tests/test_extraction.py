"""The extraction pipeline over a real store: bad files in one batch, timeouts, attachments,
retry, and a run killed midway that resumes without redoing finished files."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import extraction_fixtures as fx
import psutil
import pytest

from diarium.config import Settings
from diarium.errors import ConfigError
from diarium.pipeline.extracting import ExtractConfig, Progress, config_from_settings, extract
from diarium.store import Store

ROOT = Path(__file__).resolve().parent.parent


def _children() -> list[psutil.Process]:
    """Live child processes, except multiprocessing's helpers, the resource tracker and
    the pool's fork server (diarium.pipeline.extracting.pool_context): each is started
    once per interpreter and ends with it; neither is a worker. The workers forked from
    the fork server are its children, so they are listed."""
    found = []
    for p in psutil.Process().children(recursive=True):
        try:
            if p.status() == psutil.STATUS_ZOMBIE or _is_helper(p, "resource_tracker") \
                    or _is_helper(p, "forkserver"):
                continue
        except psutil.NoSuchProcess:
            continue
        found.append(p)
    return found


def _is_helper(process: psutil.Process, module: str) -> bool:
    """Whether `process` runs multiprocessing's helper `module` (its command line names
    multiprocessing.<module>)."""
    return module in " ".join(process.cmdline())


def _states(store: Store) -> dict[str, tuple[str, str | None, str | None]]:
    """{file name: (state, failure kind, failure reason)}"""
    rows = store.conn.execute(
        "SELECT df.name, f.state, fl.kind, fl.reason FROM files f "
        "JOIN document_files df ON df.sha256 = f.sha256 "
        "LEFT JOIN failures fl ON fl.sha256 = f.sha256"
    ).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def _text(store: Store, name: str) -> str:
    row = store.conn.execute(
        "SELECT e.text FROM extractions e JOIN document_files df ON df.sha256 = e.sha256 "
        "WHERE df.name = ?", (name,)
    ).fetchone()
    return row[0] if row else ""


def test_bad_files_in_one_batch(tmp_path: Path, settings: Settings) -> None:
    src = tmp_path / "src"
    src.mkdir()
    good = fx.make_pdf(src / "yttrande.pdf", [fx.SWEDISH])
    wrong = fx.make_pdf(src / "fel-filandelse.docx", ["Skrivelse med fel filändelse"])
    paths = [
        good,
        fx.make_empty(src / "tom.pdf"),
        fx.make_truncated_pdf(src / "avklippt.pdf", good),
        fx.make_broken_xref_pdf(src / "trasig-xref.pdf", good),
        fx.make_encrypted_pdf(src / "krypterad.pdf", good),
        fx.make_looping_pdf(src / "slinga.pdf"),
        fx.make_zip_bomb_docx(src / "bomb.docx"),
        fx.make_not_a_zip_docx(src / "inte-zip.docx"),
        fx.make_cp1252_text(src / "brev-cp1252.txt"),
        wrong,
        fx.make_sparse(src / "jattestor.pdf"),
    ]
    seen: list[Progress] = []
    with Store(settings.store_path) as store:
        fx.register_files(store, settings, paths)
        config = ExtractConfig(workers=2, timeout=60, ocr=False)
        report = extract(store, settings, config, progress=seen.append)
        states = _states(store)
        assert _children() == []  # no worker left behind
        assert report.selected == len(paths)
        assert report.done == len(paths)
        assert seen[-1].done == len(paths) and seen[-1].total == len(paths)
        assert all(state != "pending" for state, _, _ in states.values())
        for state, kind, reason in states.values():
            if state == "failed":
                assert kind and reason and len(reason) > 10
        assert states["yttrande.pdf"][0] == "extracted"
        assert _text(store, "yttrande.pdf") == fx.SWEDISH
        assert states["tom.pdf"][1:] == ("empty", "the file is empty (0 bytes)")
        assert states["avklippt.pdf"][1] == "corrupt"
        assert states["krypterad.pdf"][1] == "encrypted"
        assert "encrypted" in states["krypterad.pdf"][2]
        assert states["bomb.docx"][1] == "zip_bomb"
        assert states["inte-zip.docx"][1] == "corrupt"
        assert "ZIP" in states["inte-zip.docx"][2]
        assert states["jattestor.pdf"][1] == "too_large"
        assert "300 MB" in states["jattestor.pdf"][2]
        assert states["trasig-xref.pdf"][0] in ("extracted", "failed")
        assert states["slinga.pdf"][0] in ("needs_ocr", "failed", "extracted")
        assert states["brev-cp1252.txt"][0] == "extracted"
        assert fx.SWEDISH in _text(store, "brev-cp1252.txt")
        assert states["fel-filandelse.docx"][0] == "extracted"
        assert _text(store, "fel-filandelse.docx") == "Skrivelse med fel filändelse"
        # Failures are stored, counted and retried only on request.
        again = extract(store, settings, config)
        assert again.selected == 0
        retry = extract(store, settings, config, retry_failed=True)
        assert retry.selected == report.failed
        attempts = store.conn.execute("SELECT MIN(attempts) FROM failures").fetchone()[0]
        assert attempts == 2
        # Every processed file produced a change for incremental indexing.
        changed = store.conn.execute("SELECT COUNT(DISTINCT document_id) FROM changes")
        assert changed.fetchone()[0] == len(paths)
    assert _children() == []


def test_workers_fork_from_the_pool_fork_server(tmp_path: Path, settings: Settings) -> None:
    """On Linux the workers are children of the pool's fork server (which has imported
    the extractors once, diarium.pipeline.extracting._PRELOAD), not of this process; the
    server outlives the run, its workers do not."""
    from diarium.pipeline import extracting

    if extracting.pool_context().get_start_method() != "forkserver":
        pytest.skip("no fork server on this platform: workers are spawned")
    extracting.start_pool()
    servers = [p for p in psutil.Process().children() if _is_helper(p, "forkserver")]
    assert len(servers) == 1
    server = servers[0]
    src = tmp_path / "src"
    src.mkdir()
    paths = [fx.make_pdf(src / f"beslut-{i}.pdf", [f"Beslut nummer {i} om färdtjänst"])
             for i in range(4)]
    seen: dict[int, int] = {}

    def look(_: Progress) -> None:
        for child in server.children():
            with contextlib.suppress(psutil.Error):
                seen[child.pid] = child.ppid()

    with Store(settings.store_path) as store:
        fx.register_files(store, settings, paths)
        report = extract(store, settings, ExtractConfig(workers=2, ocr=False),
                         progress=look)
    assert report.extracted == 4
    assert seen and set(seen.values()) == {server.pid}
    assert server.is_running()              # the next run forks at once
    assert _children() == []


def test_the_fork_server_preloads_the_word_list_of_the_page_check() -> None:
    import importlib

    from diarium.pipeline import extracting
    from diarium.swedish import wordlist

    assert "diarium.pipeline.pool_preload" in extracting._PRELOAD
    importlib.import_module("diarium.pipeline.pool_preload")
    assert wordlist._ZIPF is not None and wordlist.zipf("kommun") > 0


def test_hanging_file_is_stopped_and_batch_continues(tmp_path: Path, settings: Settings) -> None:
    """A PDF that takes longer than the timeout: its worker is killed, the rest complete."""
    src = tmp_path / "src"
    src.mkdir()
    # 600 pages each of which ends with pdfminer.six (about 12 CPU-s): far longer than
    # the 3 s timeout.
    slow = fx.make_pdfminer_pdf(src / "lang.pdf", 600)
    quick = [fx.make_pdf(src / f"kort-{i}.pdf", [f"Beslut nummer {i} om färdtjänst"])
             for i in range(3)]
    with Store(settings.store_path) as store:
        fx.register_files(store, settings, [slow, *quick])
        start = time.monotonic()
        report = extract(store, settings, ExtractConfig(workers=1, timeout=3.0, ocr=False))
        assert time.monotonic() - start < 60
        states = _states(store)
        assert states["lang.pdf"][:2] == ("failed", "timeout")
        assert "longer than 3 s" in states["lang.pdf"][2]
        assert all(states[f"kort-{i}.pdf"][0] == "extracted" for i in range(3))
        assert report.failures_by_kind == {"timeout": 1}
    assert _children() == []


def test_memory_limit_fails_the_file_not_the_run(tmp_path: Path, settings: Settings) -> None:
    """A 200 MB text file under a 300 MB worker memory limit: it fails as memory (or the
    worker dies: crashed), its worker is replaced and the next file is extracted."""
    src = tmp_path / "src"
    src.mkdir()
    huge = src / "enorm.txt"
    with open(huge, "wb") as fh:  # sparse: no disk space, NUL bytes decode as text
        fh.truncate(200 * 1024 * 1024)
    small = fx.make_cp1252_text(src / "liten.txt")
    with Store(settings.store_path) as store:
        fx.register_files(store, settings, [small, huge])
        report = extract(store, settings, ExtractConfig(workers=1, memory_mb=300, timeout=120,
                                                        ocr=False))
        states = _states(store)
        assert states["enorm.txt"][0] == "failed"
        assert states["enorm.txt"][1] in ("memory", "crashed")
        assert "memory" in states["enorm.txt"][2]
        assert states["liten.txt"][0] == "extracted"
        assert report.done == 2
    assert _children() == []


def test_a_job_sent_behind_a_failing_one_is_extracted_not_failed(tmp_path: Path,
                                                                  settings: Settings) -> None:
    """A worker holds its next job while it reads one (diarium.pipeline.extracting
    _Worker): when the file it reads ends the worker (memory) or is stopped (timeout), the
    job sent behind it was never begun and goes to the next worker, never recorded as a
    failure of its own."""
    src = tmp_path / "src"
    src.mkdir()
    huge = src / "enorm.txt"
    with open(huge, "wb") as fh:  # sparse: no disk space, NUL bytes decode as text
        fh.truncate(200 * 1024 * 1024)
    slow = fx.make_pdfminer_pdf(src / "lang.pdf", 600)
    small = [fx.make_pdf(src / f"kort-{i}.pdf", [f"Beslut nummer {i} om färdtjänst"])
             for i in range(4)]
    with Store(settings.store_path) as store:
        fx.register_files(store, settings, [huge, *small])
        extract(store, settings, ExtractConfig(workers=1, memory_mb=300, timeout=120,
                                               ocr=False))
        states = _states(store)
        assert states["enorm.txt"][0] == "failed"
        assert all(states[f"kort-{i}.pdf"][0] == "extracted" for i in range(4))
        assert store.conn.execute("SELECT COUNT(*) FROM failures").fetchone()[0] == 1
        # The same behind a file that runs past the timeout (the worker is stopped).
        later = [fx.make_pdf(src / f"sen-{i}.pdf", [f"Yttrande nummer {i} om parkering"])
                 for i in range(3)]
        fx.register_files(store, settings, [slow, *later])
        report = extract(store, settings, ExtractConfig(workers=1, timeout=3.0, ocr=False))
        states = _states(store)
        assert report.failures_by_kind == {"timeout": 1}
        assert states["lang.pdf"][:2] == ("failed", "timeout")
        assert all(states[f"sen-{i}.pdf"][0] == "extracted" for i in range(3))
        assert store.conn.execute("SELECT COUNT(*) FROM failures").fetchone()[0] == 2
    assert _children() == []


def test_email_attachments_become_files_of_the_same_document(
    tmp_path: Path, settings: Settings
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    pdf = fx.make_pdf(src / "bilaga.pdf", ["Synpunkter på planförslaget för Älvdalen"])
    eml = fx.make_eml(src / "brev.eml", pdf)
    with Store(settings.store_path) as store:
        docs = fx.register_files(store, settings, [eml])
        report = extract(store, settings, ExtractConfig(workers=1, ocr=False))
        assert report.attachments == 1
        assert report.extracted == 2
        doc_id = next(iter(docs.values()))
        rows = store.conn.execute(
            "SELECT df.name, df.role, f.state, f.media_type FROM document_files df "
            "JOIN files f ON f.sha256 = df.sha256 WHERE df.document_id = ? "
            "ORDER BY df.role DESC", (doc_id,)
        ).fetchall()
        assert [tuple(r) for r in rows] == [
            ("brev.eml", "original", "extracted", "message/rfc822"),
            ("synpunkter.pdf", "attachment", "extracted", "application/pdf"),
        ]
        sha = fx.sha256_file(pdf)
        assert settings.file_path(sha).read_bytes() == pdf.read_bytes()
        assert "Älvdalen" in _text(store, "synpunkter.pdf")
        hints = json.loads(store.conn.execute(
            "SELECT dnr_hints FROM extractions e JOIN document_files df "
            "ON df.sha256 = e.sha256 WHERE df.name = 'brev.eml'").fetchone()[0])
        assert len(hints) == 1 and hints[0].endswith("SBN 2022/45")  # as written in the text


def test_config_from_settings_validates(settings: Settings) -> None:
    assert config_from_settings(settings, workers=3, timeout=None).workers == 3
    with pytest.raises(ConfigError, match="extraction.workers must be positive"):
        config_from_settings(settings, workers=0)
    with pytest.raises(ConfigError, match="not a setting"):
        config_from_settings(settings, speed=3)


def test_killed_run_resumes_without_redoing_finished_files(
    tmp_path: Path, settings: Settings, corpus_dir: Path
) -> None:
    """SIGKILL the CLI midway; the rerun only does what was left."""
    paths = sorted(p for p in corpus_dir.glob("*.pdf") if 30_000 < p.stat().st_size < 200_000)
    paths = paths[:14]
    with Store(settings.store_path) as store:
        fx.register_files(store, settings, paths)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "diarium.cli", "--data", str(settings.data_dir), "extract",
         "--workers", "1", "--no-ocr", "--quiet"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    workers: set[int] = set()
    done = 0
    deadline = time.monotonic() + 240
    with Store(settings.store_path) as store:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                workers.update(c.pid for c in psutil.Process(proc.pid).children(recursive=True))
            except psutil.NoSuchProcess:
                break
            done = store.conn.execute(
                "SELECT COUNT(*) FROM files WHERE state != 'pending'").fetchone()[0]
            if done >= 3:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert workers, "the CLI started no worker process"
        # The workers die with their parent (parent-death signal): none left behind.
        gone_by = time.monotonic() + 10
        while time.monotonic() < gone_by and any(psutil.pid_exists(p) and psutil.Process(p)
                                                 .status() != psutil.STATUS_ZOMBIE
                                                 for p in workers):
            time.sleep(0.1)
        alive = [p for p in workers if psutil.pid_exists(p)
                 and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        assert alive == []
        finished = {r[0] for r in store.conn.execute(
            "SELECT sha256 FROM files WHERE state != 'pending'")}
        assert 3 <= len(finished) < len(paths)
        last_seq = store.conn.execute("SELECT MAX(seq) FROM changes").fetchone()[0]
        extracted_at = dict(store.conn.execute("SELECT sha256, extracted_at FROM extractions"))

        report = extract(store, settings, ExtractConfig(workers=2, ocr=False))
        assert report.selected == len(paths) - len(finished)
        redone = {r[0] for r in store.conn.execute(
            "SELECT DISTINCT df.sha256 FROM changes c JOIN document_files df "
            "ON df.document_id = c.document_id WHERE c.seq > ?", (last_seq,))}
        assert redone.isdisjoint(finished)
        marks = ",".join("?" * len(extracted_at))
        assert dict(store.conn.execute(
            f"SELECT sha256, extracted_at FROM extractions WHERE sha256 IN ({marks})",
            list(extracted_at))) == extracted_at
        pending = store.conn.execute(
            "SELECT COUNT(*) FROM files WHERE state = 'pending'").fetchone()[0]
        assert pending == 0
    assert _children() == []


def test_cli_extract_reports_and_retries(tmp_path: Path, settings: Settings) -> None:
    from click.testing import CliRunner

    from diarium.cli import main

    src = tmp_path / "src"
    src.mkdir()
    paths = [fx.make_pdf(src / "beslut.pdf", ["Beslut om bygglov"]),
             fx.make_empty(src / "tom.pdf")]
    with Store(settings.store_path) as store:
        fx.register_files(store, settings, paths)
    runner = CliRunner()
    args = ["--data", str(settings.data_dir), "extract", "--workers", "1", "--no-ocr"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "1 extraherade" in result.output
    assert "1 misslyckade" in result.output
    assert "tom.pdf: [empty] the file is empty (0 bytes)" in result.output
    assert "diarium extract --retry-failed" in result.output
    again = runner.invoke(main, [*args, "--retry-failed"])
    assert again.exit_code == 0 and "1 filer" in again.output
    bad = runner.invoke(main, [*args[:3], "--workers", "0"])
    assert bad.exit_code == 2 and "--workers" in bad.output


def test_scans_wait_for_ocr_then_get_it_once(tmp_path: Path, settings: Settings) -> None:
    src = tmp_path / "src"
    src.mkdir()
    png = fx.make_png(src / "skanning.png", ["Beslut om bygglov", "Nämnden avslår ansökan"])
    scan = fx.make_image_pdf(src / "skanning.pdf", png)
    with Store(settings.store_path) as store:
        fx.register_files(store, settings, [scan])
        first = extract(store, settings, ExtractConfig(workers=1, ocr=False))
        assert (first.selected, first.needs_ocr) == (1, 1)
        assert extract(store, settings, ExtractConfig(workers=1, ocr=False)).selected == 0
        with_ocr = extract(store, settings, ExtractConfig(workers=1, ocr=True))
        assert (with_ocr.selected, with_ocr.extracted) == (1, 1)
        assert "Nämnden avslår ansökan" in _text(store, "skanning.pdf")
        assert extract(store, settings, ExtractConfig(workers=1, ocr=True)).selected == 0


def test_long_pdf_is_split_across_workers_and_joined_in_order(tmp_path: Path,
                                                              settings: Settings) -> None:
    from diarium.extractors.registry import extract_file

    src = tmp_path / "src"
    src.mkdir()
    long = fx.make_pdf(src / "bilaga.pdf", [f"Sida {n}: yttrande om detaljplan för "
                                            f"kvarteret Ängen {n}" for n in range(1, 31)])
    short = fx.make_pdf(src / "kort.pdf", ["Kort beslut om färdtjänst"])
    whole = extract_file(long)
    with Store(settings.store_path) as store:
        fx.register_files(store, settings, [long, short])
        report = extract(store, settings, ExtractConfig(workers=2, timeout=120, ocr=False,
                                                        split_pages=10))
        assert report.extracted == 2 and report.failed == 0
        assert report.pages == 31
        row = store.conn.execute(
            "SELECT e.pages, e.metadata, e.text FROM extractions e JOIN document_files df "
            "ON df.sha256 = e.sha256 WHERE df.name = 'bilaga.pdf'").fetchone()
        assert json.loads(row["pages"]) == list(whole.pages)
        assert row["text"] == whole.text
        meta = json.loads(row["metadata"])
        assert meta["page_count"] == 30 and "page_range" not in meta
        assert meta["title"] == whole.metadata["title"]
    assert _children() == []


def test_a_lone_pdf_starts_the_whole_pool_a_lone_other_file_one_worker() -> None:
    """A PDF may need splitting: its pool starts at once, so its page ranges find every
    worker started instead of waiting for a second one after the "split" answer."""
    from diarium.pipeline.extracting import Job, pool_size

    pdf = Job("a" * 64, "/store/aa", "Bilaga 1.PDF", 1_000_000)
    note = Job("b" * 64, "/store/bb", "anteckning.txt", 100)
    assert pool_size(2, [pdf], split_pages=100) == 2
    assert pool_size(4, [note, pdf], split_pages=100) == 4
    assert pool_size(2, [note], split_pages=100) == 1
    assert pool_size(2, [pdf], split_pages=0) == 1          # splitting off: one per job
    assert pool_size(2, [note, note, note], split_pages=100) == 2


def test_page_ranges_cover_every_page_once() -> None:
    from diarium.pipeline.extracting import page_ranges

    for count, workers in ((297, 2), (101, 4), (30, 2), (1000, 8)):
        ranges = page_ranges(count, workers, 100)
        assert ranges[0][0] == 0 and ranges[-1][1] == count
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    assert len(page_ranges(297, 2, 100)) == 4


def test_a_failing_range_fails_the_whole_file_with_its_pages(tmp_path: Path,
                                                             settings: Settings) -> None:
    src = tmp_path / "src"
    src.mkdir()
    slow = fx.make_pdfminer_pdf(src / "tabeller.pdf", 300)  # every page to pdfminer
    quick = fx.make_pdf(src / "kort.pdf", ["Beslut om färdtjänst"])
    with Store(settings.store_path) as store:
        fx.register_files(store, settings, [slow, quick])
        report = extract(store, settings, ExtractConfig(workers=2, timeout=0.5, ocr=False,
                                                        split_pages=50))
        states = _states(store)
        assert states["tabeller.pdf"][:2] == ("failed", "timeout")
        assert states["tabeller.pdf"][2].startswith("pages ")
        assert states["kort.pdf"][0] == "extracted"
        assert report.failed == 1 and report.extracted == 1
        assert store.conn.execute("SELECT COUNT(*) FROM extractions e JOIN document_files "
                                  "df ON df.sha256 = e.sha256 WHERE df.name = "
                                  "'tabeller.pdf'").fetchone()[0] == 0
    assert _children() == []


def test_scanned_pages_of_a_text_pdf_are_ocrd_in_a_later_run(tmp_path: Path,
                                                            settings: Settings) -> None:
    """OCR off: the text pages are extracted and searchable, the scanned page listed in
    metadata.ocr_pages; OCR on later: only that file is taken again and gets its scan read."""
    src = tmp_path / "src"
    src.mkdir()
    png = fx.make_png(src / "skanning.png", ["Beslut om bygglov", "Nämnden avslår ansökan"])
    mixed = fx.make_mixed_pdf(src / "blandad.pdf", png, fx.SWEDISH)
    plain = fx.make_pdf(src / "vanlig.pdf", [fx.SWEDISH])
    with Store(settings.store_path) as store:
        fx.register_files(store, settings, [mixed, plain])
        first = extract(store, settings, ExtractConfig(workers=1, timeout=120, ocr=False))
        assert first.extracted == 2
        meta = json.loads(store.conn.execute(
            "SELECT e.metadata FROM extractions e JOIN document_files df ON "
            "df.sha256 = e.sha256 WHERE df.name = 'blandad.pdf'").fetchone()[0])
        assert meta["ocr_pages"] == [2]
        second = extract(store, settings, ExtractConfig(workers=1, timeout=120, ocr=True))
        assert second.selected == 1 and second.extracted == 1
        assert "Nämnden avslår ansökan" in _text(store, "blandad.pdf")
        assert fx.SWEDISH in _text(store, "blandad.pdf")
        meta = json.loads(store.conn.execute(
            "SELECT e.metadata FROM extractions e JOIN document_files df ON "
            "df.sha256 = e.sha256 WHERE df.name = 'blandad.pdf'").fetchone()[0])
        assert "ocr_pages" not in meta and meta["ocr"]["pages"] == [2]
        assert extract(store, settings, ExtractConfig(workers=1, ocr=True)).selected == 0
