"""One-shot sync for schedulers: import, extract, index and, where configured, alerts
and a dump, in one run under a lock, with one report and an exit code a scheduler can
act on. Alerts run when `[smtp]` is configured (with a base URL for the links): the
digests of what the index just absorbed are queued and the outbox delivered, as
`diarium alerts run --send` does.

Exit codes (`SyncReport.exit_code`):

    0   everything done
    1   done, but some manifest rows were rejected, some files failed extraction or
        some alerts failed (the rest is imported and searchable; see the rejects file
        and `diarium extract --retry-failed`)
    2   the manifest or the settings cannot be read: nothing imported
    3   the search engine is unreachable: imported and extracted, not indexed
    4+  another error's exit status (diarium.errors.exit_status)
    75  another sync of this data folder is running (EX_TEMPFAIL: try again later)

With `overlap`, extraction and indexing run at once (diarium.pipeline.overlap): the
index is brought up to date while the files are read, with the same report, exit codes
and resumability; an unreachable engine still ends with every file extracted (exit 3).
It is off by default (OVERLAP): measured side by side on the real corpus it costs CPU
with one worker and with two, for a wall gain only a quiet machine shows (README,
"Extraction").

The lock is an advisory `flock` on `<data>/sync.lock`, held for the whole run. The
kernel drops it when the process ends however it ends, so a killed sync never leaves a
stale lock behind; the next run simply resumes (each stage is resumable on its own).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from diarium.config import Settings
from diarium.errors import Busy, DiariumError, ExitStatus, exit_status
from diarium.store import Store

if TYPE_CHECKING:
    from diarium.alerts import RunReport
    from diarium.mail import DeliveryReport
    from diarium.opendata.dump import DumpReport
    from diarium.pipeline.extracting import ExtractReport
    from diarium.pipeline.importing import ImportReport
    from diarium.pipeline.indexing import IndexReport

LOCK_NAME = "sync.lock"
EXIT_BUSY = ExitStatus.BUSY
STAGES = ("import", "extract", "index", "alerts", "dump")
# Extraction and indexing at once unless the caller says (module doc).
OVERLAP = False


class SyncBusy(Busy):
    """Another sync holds the lock of this data folder (exit code EXIT_BUSY, 75)."""


@dataclass
class SyncReport:
    """What a sync did, stage by stage; `error` is the DiariumError that stopped it (the
    stages after it did not run)."""

    source: Path
    imported: ImportReport | None = None
    extracted: ExtractReport | None = None
    indexed: IndexReport | None = None
    alerted: RunReport | None = None
    delivered: DeliveryReport | None = None
    dumped: DumpReport | None = None
    skipped: list[str] = field(default_factory=list)
    failed_stage: str = ""
    error: str = ""
    error_code: int = 0
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        if self.error_code:
            return self.error_code
        rejected = self.imported.rejected if self.imported else 0
        failed = self.extracted.failed if self.extracted else 0
        alerts_failed = self.alerted.failed if self.alerted else 0
        return 1 if rejected or failed or alerts_failed else 0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (what `diarium sync --json` prints)."""
        out: dict[str, Any] = {"source": str(self.source), "exit_code": self.exit_code,
                               "seconds": round(self.seconds, 3),
                               "skipped": self.skipped}
        if self.imported:
            i = self.imported
            out["import"] = {"rows": i.rows_read, "inserted": i.inserted,
                             "updated": i.updated, "unchanged": i.unchanged,
                             "rejected": i.rejected, "files_stored": i.files_stored,
                             "rejects": str(i.rejects_path) if i.rejected else None}
        if self.extracted:
            e = self.extracted
            out["extract"] = {"files": e.done, "extracted": e.extracted, "failed": e.failed,
                              "needs_ocr": e.needs_ocr, "failures": e.failures_by_kind}
        if self.indexed:
            x = self.indexed
            out["index"] = {"engine": x.engine, "indexed": x.indexed, "deleted": x.deleted,
                            "count": x.count, "rebuild": x.rebuild}
        if self.alerted:
            a = self.alerted
            out["alerts"] = {"checked": a.checked, "mailed": a.mailed, "listed": a.listed,
                             "failed": a.failed}
        if self.delivered:
            m = self.delivered
            out["mail"] = {"sent": m.sent, "deferred": m.deferred, "failed": m.failed,
                           "waiting": m.waiting}
        if self.dumped:
            d = self.dumped
            out["dump"] = {"version": d.dump.version, "documents": d.documents,
                           "cases": d.cases, "bytes": d.bytes}
        if self.error:
            out["error"] = {"stage": self.failed_stage, "message": self.error}
        return out


@contextmanager
def sync_lock(settings: Settings) -> Iterator[Path]:
    """Hold the data folder's sync lock; raises SyncBusy when another process has it."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            raise SyncBusy(f"another sync of {settings.data_dir} is running"
                           + (f" (process {holder})" if holder else "")
                           + "; try again when it has finished") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def sync(settings: Settings, source: Path, *, files_dir: Path | None = None,
         engine: str | None = None, dump: bool | None = None, workers: int | None = None,
         fmt: str | None = None, organisation: str | None = None,
         stage: Callable[[str], None] | None = None,
         overlap: bool | None = None) -> SyncReport:
    """Import `source` (a CSV/JSON Lines manifest or an XML export: FGS 1.0, FGS 2.0 /
    CITS ERMS, Noark 5; `fmt` and `organisation` as for import_manifest), extract new
    files, bring the index up to date and,
    when `dump` (default: `[opendata] dump_on_sync`), publish a new dump. Returns the
    SyncReport; a stage's DiariumError ends the run and is recorded in the report (its
    exit code becomes the report's). `overlap` (default OVERLAP): extract and index at
    once (module doc); `stage` is then told "index" when the extraction has ended.
    Raises SyncBusy when another sync is running."""
    from diarium.alerts import run as run_alerts
    from diarium.indexer import open_backend
    from diarium.mail import deliver
    from diarium.opendata.dump import write_dump
    from diarium.pipeline.extracting import config_from_settings, extract, start_pool
    from diarium.pipeline.importing import import_manifest
    from diarium.pipeline.indexing import index
    from diarium.pipeline.overlap import extract_and_index

    started = time.perf_counter()
    report = SyncReport(source=Path(source))
    want_dump = settings.opendata.dump_on_sync if dump is None else dump
    at_once = OVERLAP if overlap is None else overlap
    with sync_lock(settings), Store(settings.store_path) as store:
        current = ""
        try:
            current = "import"
            if stage:
                stage(current)
            start_pool()     # the workers' fork server imports while the manifest is read
            report.imported = import_manifest(store, settings, Path(source), files_dir,
                                              fmt=fmt, organisation=organisation)
            current = "extract"
            if stage:
                stage(current)
            config = config_from_settings(settings, workers=workers)
            if at_once:
                def extracted(done: ExtractReport) -> None:
                    # From here on an error is the index stage's (exit 3 for the engine).
                    nonlocal current
                    report.extracted = done
                    current = "index"
                    if stage:
                        stage(current)

                both = extract_and_index(store, settings, config=config,
                                         open_backend=lambda: open_backend(settings, engine),
                                         on_extracted=extracted)
                backend, report.indexed = both.backend, both.total
            else:
                report.extracted = extract(store, settings, config)
                current = "index"
                if stage:
                    stage(current)
                backend = open_backend(settings, engine)
            try:
                if not at_once:
                    report.indexed = index(store, settings, backend)
                smtp = settings.smtp
                if smtp.configured and smtp.base_url:
                    current = "alerts"
                    if stage:
                        stage(current)
                    report.alerted = run_alerts(store, settings, backend, smtp.base_url)
                    report.delivered = deliver(store, smtp)
                else:
                    report.skipped.append("alerts")
            finally:
                backend.close()
            if want_dump:
                current = "dump"
                if stage:
                    stage(current)
                report.dumped = write_dump(store, settings)
            else:
                report.skipped.append("dump")
        except DiariumError as exc:
            report.failed_stage = current
            report.error = str(exc)
            report.error_code = int(exit_status(exc))
            report.skipped.extend(STAGES[STAGES.index(current) + 1:])
    report.seconds = time.perf_counter() - started
    return report
