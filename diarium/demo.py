"""`diarium demo`: build the sample diary of Exempelby kommun, import, extract and index it.

Each stage uses the product's own machinery (the importer, the extraction pipeline, the
indexing service and the search backend), so the demo shows exactly what a municipality
would run. Every stage is incremental: a second run finds the sample generated, the
manifest imported (no changes), nothing left to extract and nothing new to index, and so
starts serving within seconds. Serving is left to the caller (`diarium demo` in cli.py
runs `diarium.web.server.serve` afterwards).

With `overlap`, extraction and indexing run at once (diarium.pipeline.overlap) as one
stage, "extract+index", timed as one: its seconds are not split between the two. It is
off by default (OVERLAP): measured on the small sample it shows no consistent gain
(README, "Extraction").

The demo refuses a data folder whose diarium.toml is not the sample's, so that sample
records can never be mixed into a real diary.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diarium.config import CONFIG_NAME, Settings, load_settings, resolve_data_dir
from diarium.errors import ConfigError
from diarium.sample import generator
from diarium.sample.meetings import MEETINGS_NAME
from diarium.store import Store

SAMPLE_DIR = "sample"
STAGES = ("generate", "import", "extract", "index")
COMBINED = "extract+index"     # the stage of extract and index at once (module doc)
OVERLAP = False
_MARKER = "# diarium settings of the sample diary (diarium demo)."


@dataclass(frozen=True)
class DemoProgress:
    """Where the demo is: `done` of `total` units of `stage` after `seconds` in it."""

    stage: str            # one of STAGES, or COMBINED
    done: int
    total: int
    seconds: float
    unit: str             # "handlingar", "rader", "filer"
    # Whether the stage has ended; None: when done reaches total. The combined stage
    # reads its last file before its last index run, so it says when it has ended.
    finished: bool | None = None

    @property
    def ended(self) -> bool:
        if self.finished is not None:
            return self.finished
        return self.total > 0 and self.done >= self.total


@dataclass
class DemoReport:
    """What a run did. `seconds` per stage; `summary` is the sample's sample.json."""

    data_dir: Path
    sample_dir: Path
    size: str
    engine: str
    generated: bool = False
    imported: int = 0          # rows inserted or updated
    unchanged: int = 0         # rows already in the store
    rejected: int = 0
    meeting_items: int = 0     # agenda items of the committees' meetings in the store
    extracted: int = 0
    failed: int = 0
    needs_ocr: int = 0
    indexed: int = 0
    index_count: int = 0
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # name, kind, reason
    seconds: dict[str, float] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def sample_dir(data_dir: Path) -> Path:
    """Where the demo keeps its generated sample: `<data>/sample`."""
    return data_dir / SAMPLE_DIR


def _read_summary(folder: Path) -> dict[str, Any] | None:
    path = folder / generator.SUMMARY_NAME
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def check_data_dir(data_dir: Path, size: str, seed: int) -> None:
    """Refuse a data folder that holds something other than this demo.

    Raises ConfigError when diarium.toml there is not the sample's, or when the folder
    already holds the demo in another size (the store would mix two samples).
    """
    config = data_dir / CONFIG_NAME
    if config.exists() and _MARKER not in config.read_text(encoding="utf-8", errors="replace"):
        raise ConfigError(
            f"{data_dir} already holds a diarium.toml that is not the demo's; run the demo "
            "in another folder: diarium --data ./diarium-demo demo"
        )
    existing = _read_summary(sample_dir(data_dir))
    store_path = data_dir / "diarium.sqlite"
    if existing and store_path.exists() and (
        existing.get("size"), existing.get("seed")
    ) != (size, seed):
        raise ConfigError(
            f"{data_dir} holds the {existing.get('size')} demo (seed {existing.get('seed')}); "
            f"for size {size} use another folder (--data) or remove {data_dir}"
        )


def ensure_sample(data_dir: Path, size: str, seed: int = generator.DEFAULT_SEED,
                  workers: int = 1) -> tuple[Path, dict[str, Any], bool]:
    """Generate the sample into `<data>/sample` unless that exact sample is there.

    Returns (folder, summary, generated now). Raises ConfigError for a bad size.
    """
    folder = sample_dir(data_dir)
    existing = _read_summary(folder)
    wanted = (generator.GENERATOR_VERSION, size, seed)
    if existing and (existing.get("generator_version"), existing.get("size"),
                     existing.get("seed")) == wanted:
        return folder, existing, False
    summary = generator.generate(folder, size=size, seed=seed, workers=workers)
    return folder, summary, True


def prepare(
    data_dir: str | Path | None = None,
    size: str = "medium",
    engine: str | None = None,
    seed: int = generator.DEFAULT_SEED,
    workers: int | None = None,
    progress: Callable[[DemoProgress], None] | None = None,
    overlap: bool | None = None,
) -> DemoReport:
    """Generate (once), import, extract and index the sample diary in `data_dir`;
    `overlap` (default OVERLAP): extract and index at once, one stage (module doc).

    Returns a DemoReport. Raises ConfigError for a bad size or a data folder that is not
    the demo's, and whatever DiariumError the stages raise (EngineUnavailable, ...).
    """
    from diarium.indexer import open_backend
    from diarium.pipeline.extracting import (
        Progress,
        config_from_settings,
        extract,
        failures,
        start_pool,
    )
    from diarium.pipeline.importing import import_manifest
    from diarium.pipeline.indexing import index
    from diarium.pipeline.overlap import extract_and_index

    if size not in generator.SIZES:
        raise ConfigError(
            f"unknown sample size {size!r}; use one of {', '.join(generator.SIZES)}"
        )
    root = resolve_data_dir(data_dir)
    check_data_dir(root, size, seed)
    root.mkdir(parents=True, exist_ok=True)

    def tell(stage: str, done: int, total: int, started: float, unit: str,
             finished: bool | None = None) -> None:
        if progress is not None:
            progress(DemoProgress(stage, done, total, time.perf_counter() - started, unit,
                                  finished))

    started = time.perf_counter()
    n_docs = generator.SIZES[size][1]
    tell("generate", 0, n_docs, started, "handlingar")
    gen_workers = workers if workers is not None else 2
    folder, summary, generated = ensure_sample(root, size, seed, workers=gen_workers)
    config = root / CONFIG_NAME
    if not config.exists():
        config.write_text((folder / generator.CONFIG_NAME).read_text(encoding="utf-8"),
                          encoding="utf-8")
    settings: Settings = load_settings(root)
    report = DemoReport(data_dir=root, sample_dir=folder, size=size,
                        engine=engine or settings.engine, generated=generated,
                        summary=summary)
    report.seconds["generate"] = time.perf_counter() - started
    tell("generate", n_docs, n_docs, started, "handlingar")

    with Store(settings.store_path) as store:
        started = time.perf_counter()
        start_pool()     # the workers' fork server imports while the manifest is read
        imported = import_manifest(
            store, settings, folder / generator.MANIFEST_NAME, folder / generator.FILES_DIR,
            progress=lambda p: tell("import", p.rows_read, n_docs, started, "rader"),
        )
        report.imported, report.unchanged = imported.changes, imported.unchanged
        report.rejected = imported.rejected
        # The committees' meetings (kallelse, protokoll, paragrafer), before extraction so
        # that the minutes are extracted and indexed with the rest.
        meetings_manifest = folder / MEETINGS_NAME
        if meetings_manifest.exists():
            held = import_manifest(store, settings, meetings_manifest,
                                   folder / generator.FILES_DIR)
            report.meeting_items = held.changes + held.unchanged
            report.rejected += held.rejected
        report.seconds["import"] = time.perf_counter() - started

        started = time.perf_counter()
        extract_config = config_from_settings(settings, workers=workers)
        if OVERLAP if overlap is None else overlap:
            files = [0]

            def read(p: Progress) -> None:
                files[0] = p.total
                tell(COMBINED, p.done, p.total, started, "filer", False)

            both = extract_and_index(store, settings, config=extract_config,
                                     open_backend=lambda: open_backend(settings, engine),
                                     progress=read)
            both.backend.close()
            # Records written by all its index runs (a document twice if it changed
            # between two of them).
            extracted, indexed = both.extracted, both.total
            report.seconds[COMBINED] = time.perf_counter() - started
            tell(COMBINED, files[0], files[0], started, "filer", True)
        else:
            extracted = extract(
                store, settings, extract_config,
                progress=lambda p: tell("extract", p.done, p.total, started, "filer"),
            )
            report.seconds["extract"] = time.perf_counter() - started

            started = time.perf_counter()
            backend = open_backend(settings, engine)
            try:
                indexed = index(
                    store, settings, backend,
                    progress=lambda p: tell("index", p.done, p.total, started, "handlingar"),
                )
            finally:
                backend.close()
            report.seconds["index"] = time.perf_counter() - started
        report.extracted, report.failed = extracted.extracted, extracted.failed
        report.needs_ocr = extracted.needs_ocr
        report.failures = [
            (str(row["name"] or row["sha256"][:12]), str(row["kind"]), str(row["reason"]))
            for row in failures(store, limit=20)
        ]
        report.indexed, report.index_count = indexed.indexed, indexed.count
        report.engine = indexed.engine
    return report
