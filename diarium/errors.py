"""The one exception hierarchy of the library.

The CLI maps these to messages and exit codes, the web to 400/404/503 pages. Library
code raises them with a message that says what was wrong and, where it can, how to fix it.
"""

from __future__ import annotations


class DiariumError(Exception):
    """Base of every error diarium raises on purpose."""

    exit_code = 1


class ConfigError(DiariumError):
    """A setting in diarium.toml, an option or an environment variable is invalid."""

    exit_code = 2


class InvalidDiarienummer(DiariumError):
    """A string could not be read as a diarienummer."""


class ManifestError(DiariumError):
    """The manifest as a whole cannot be read (missing columns, unknown format)."""

    exit_code = 2


class InvalidRow(DiariumError):
    """One manifest row is invalid; carries its line number and reason."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


class StoreError(DiariumError):
    """The store cannot be opened or is from a newer diarium."""


class NotFound(DiariumError):
    """A case, document or file does not exist (or is not public)."""

    exit_code = 4


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

    exit_code = 3


class QueryError(DiariumError):
    """A search request is invalid (bad filter, page out of range)."""

    exit_code = 2
