"""Precomputed word data files: the Swedish tables diarium derives from its word packages,
built once and then read back in a fraction of the time it takes to build them.

wordfreq ships its frequency list as gzipped msgpack and simplemma its lemma dictionary as
an lzma-compressed, front-coded stream decoded in pure Python; every process that indexes
(or serves queries) paid about 1 CPU-second to decode both. `cached(name, packages,
build)` returns `build()`'s table and keeps it as a marshal file in a cache folder, named
by the versions of the packages it comes from (and of Python's marshal format), so an
upgrade of wordfreq or simplemma builds a new file and the old one is never read again.

The folder is `$DIARIUM_WORD_CACHE`, else `$XDG_CACHE_HOME/diarium/swedish`, else
`~/.cache/diarium/swedish`; `DIARIUM_WORD_CACHE=off` builds the tables in memory every
time (the path benchmarks/swedish_fields_bench.py compares against). Nothing is
downloaded and nothing is committed: the file is generated from the installed packages at
first use. A folder that cannot be written, or a file that cannot be read, only costs the
build; it is never an error.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import logging
import marshal
import os
import sys
import threading
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar, cast

CACHE_ENV = "DIARIUM_WORD_CACHE"
FORMAT = 1              # bump when a table's layout changes
_OFF = frozenset({"off", "0", "no", "false", "none"})

_log = logging.getLogger(__name__)
T = TypeVar("T")


def cache_dir() -> Path | None:
    """The folder of the precomputed files, or None when they are switched off."""
    value = os.environ.get(CACHE_ENV, "").strip()
    if value.lower() in _OFF:
        return None
    if value:
        return Path(value)
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:        # no home folder to be found: no files, only the cost
            return None
    return Path(base) / "diarium" / "swedish"


def file_name(name: str, packages: Sequence[str]) -> str:
    """`name` keyed by the installed versions of `packages`, the marshal format and ours:
    sv-zipf-wordfreq3.1.1-m4-py3.11-f1.marshal."""
    versions = "-".join(f"{p}{_version(p)}" for p in packages)
    py = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return f"{name}-{versions}-m{marshal.version}-py{py}-f{FORMAT}.marshal"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def cached(name: str, packages: Sequence[str], build: Callable[[], T],
           kind: type = dict) -> T:
    """Return the table `build()` gives, read from its precomputed file when there is one
    (of type `kind`), else built and written there for the next process. Never raises
    for the file: an unreadable or unwritable one is logged and the table built."""
    folder = cache_dir()
    if folder is None:
        return build()
    path = folder / file_name(name, packages)
    try:
        # One read, then loads: marshal.load on a file reads object by object (3x slower).
        table = marshal.loads(path.read_bytes())
        if isinstance(table, kind) and table:
            return cast(T, table)
        _log.warning("ignoring %s: not a %s table", path, name)
    except FileNotFoundError:
        pass
    except (OSError, EOFError, ValueError, TypeError) as exc:
        _log.warning("ignoring %s: %s", path, exc)
    table = build()
    _write(path, table, name)
    return table


def _write(path: Path, table: Any, family: str) -> None:
    # Written under a temporary name and renamed: a process reading at the same time
    # sees the whole file or none, and two processes building at once both succeed.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(marshal.dumps(table))
        os.replace(tmp, path)
        # Files of the same table from other package versions or code are never read
        # again by this installation.
        for stale in path.parent.glob(f"{family}-*.marshal"):
            if stale != path:
                with contextlib.suppress(OSError):
                    stale.unlink()
    except (OSError, ValueError) as exc:
        _log.warning("cannot write the word data file %s: %s", path, exc)
        with contextlib.suppress(OSError):
            tmp.unlink()


class WordMemo:
    """Per-word results kept between processes: {word: result} read from a file at first
    use and written back at exit when it has grown, so a word split or lemmatized by an
    earlier `diarium index` run is not computed again (an incremental index meets few
    new words). The file is keyed like the tables, and by the SHA-256 of `sources`, the
    modules whose code computes the results: a changed splitter starts a new memo. At
    most `limit` words are kept; results are only ever added, never changed."""

    def __init__(self, name: str, packages: Sequence[str], sources: Sequence[Path],
                 limit: int = 400_000) -> None:
        self.name = name
        self.packages = tuple(packages)
        self.sources = tuple(sources)
        self.limit = limit
        self._lock = threading.Lock()
        self._words: dict[str, Any] | None = None
        self._added = 0
        self._path: Path | None = None

    def _load(self) -> dict[str, Any]:
        with self._lock:
            if self._words is not None:
                return self._words
            words: dict[str, Any] = {}
            folder = cache_dir()
            if folder is not None:
                digest = hashlib.sha256()
                for source in self.sources:
                    digest.update(source.read_bytes())
                self._path = folder / file_name(
                    f"{self.name}-{digest.hexdigest()[:16]}", self.packages)
                try:
                    loaded = marshal.loads(self._path.read_bytes())
                    if isinstance(loaded, dict):
                        words = loaded
                except FileNotFoundError:
                    pass
                except (OSError, EOFError, ValueError, TypeError) as exc:
                    _log.warning("ignoring %s: %s", self._path, exc)
                atexit.register(self.save)
            self._words = words
            return words

    def get(self, word: str) -> Any:
        """The kept result for `word`, or None."""
        words = self._words if self._words is not None else self._load()
        return words.get(word)

    def put(self, word: str, result: Any) -> None:
        words = self._words if self._words is not None else self._load()
        if self._path is not None and len(words) < self.limit:
            words[word] = result
            self._added += 1

    def save(self) -> None:
        """Write the memo when words were added (at exit; callable earlier)."""
        if self._path is None or not self._added or self._words is None:
            return
        with self._lock:
            _write(self._path, dict(self._words), self.name)
            self._added = 0
