"""JSON log lines (`diarium serve --log-format json`), one object per line.

What is never logged: query strings (a search can be a person's name or personnummer),
client addresses, cookies and headers. Every message is passed through the personnummer
mask and stripped of query strings before it is written, so an exception text that
quotes a URL or a value cannot leak one either.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from diarium import personnummer

ACCESS_LOGGER = "diarium.access"
_QUERY = re.compile(r"\?[^\s\"'<>]*")
_SIX_DIGITS = re.compile(r"\d{6}")
# Attributes every LogRecord has; anything else was passed with `extra=` and is logged.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "taskName"}


def scrub(text: str) -> str:
    """`text` without query strings and with personnummer masked."""
    text = _QUERY.sub("?…", text)
    return personnummer.mask(text) if _SIX_DIGITS.search(text) else text


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message and the
    record's `extra` fields (scrubbed like the message)."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = scrub(value) if isinstance(value, str) else value
        if record.exc_info:
            data["error"] = scrub(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False, default=str)


def gunicorn_logconfig() -> dict[str, Any]:
    """A logging.dictConfig for gunicorn that writes JSON lines to stderr. Gunicorn's
    own access log is off: the app logs each request itself (route, status, time)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "diarium.web.logs.JsonFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json",
                                 "stream": "ext://sys.stderr"}},
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }
