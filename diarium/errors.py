"""The one exception hierarchy of the library, and the exit statuses of the command line.

The CLI maps these errors to messages and ExitStatus codes (`exit_status()`, the one
place), the web to 400/404/503 pages. Library code raises them with a message that says
what was wrong and, where it can, how to fix it.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """What a `diarium` command's exit code means, for scripts and schedulers."""

    OK = 0
    ERROR = 1               # something failed or was rejected; the rest was done
    USAGE = 2               # bad option, setting, manifest or query: nothing was done
    ENGINE_UNAVAILABLE = 3  # the search engine cannot be reached or refused
    NOT_FOUND = 4           # no such case, document or file
    REINDEX_MISMATCH = 5    # a rebuilt index did not match the store; the alias stayed
    BUSY = 75               # another run holds the lock: try again later (EX_TEMPFAIL)


class DiariumError(Exception):
    """Base of every error diarium raises on purpose."""


class ConfigError(DiariumError):
    """A setting in diarium.toml, an option or an environment variable is invalid."""


class InvalidDiarienummer(DiariumError):
    """A string could not be read as a diarienummer."""


class ManifestError(DiariumError):
    """The manifest as a whole cannot be read (missing columns, unknown format)."""


class InvalidRow(DiariumError):
    """One manifest row is invalid; carries its line number (or, in an XML export, the
    element's path) and reason."""

    def __init__(self, line: int | str, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


class StoreError(DiariumError):
    """The store cannot be opened or is from a newer diarium."""


class NotFound(DiariumError):
    """A case, document or file does not exist (or is not public)."""


class UnsupportedFormat(DiariumError):
    """No extractor handles this file's format."""


class ExtractionFailed(DiariumError):
    """An extractor could not turn a file into text; the message is the stored reason.

    `kind` is the short code stored in failures.kind (encrypted, corrupt, empty, too_large,
    zip_bomb, timeout, crashed, memory, unsupported, tool_missing, error).
    """

    def __init__(self, reason: str, kind: str = "corrupt") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


class EngineUnavailable(DiariumError):
    """A search engine cannot be reached or refuses requests."""


class QueryError(DiariumError):
    """A search request is invalid (bad filter, page out of range)."""


class ReindexMismatch(DiariumError):
    """A rebuilt index does not hold what the store holds; the alias was not moved."""


class Busy(DiariumError):
    """Another process holds the lock this command needs (a sync of the same folder)."""


_STATUS: tuple[tuple[type[DiariumError], ExitStatus], ...] = (
    (Busy, ExitStatus.BUSY),
    (ReindexMismatch, ExitStatus.REINDEX_MISMATCH),
    (EngineUnavailable, ExitStatus.ENGINE_UNAVAILABLE),
    (NotFound, ExitStatus.NOT_FOUND),
    (ConfigError, ExitStatus.USAGE),
    (ManifestError, ExitStatus.USAGE),
    (QueryError, ExitStatus.USAGE),
)


def exit_status(exc: DiariumError) -> ExitStatus:
    """The exit status of a command that stopped with `exc` (ERROR unless listed)."""
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return ExitStatus.ERROR
