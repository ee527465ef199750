"""Running the site under gunicorn (a production WSGI server), started from Python.

`diarium serve` calls `serve()`. Workers are threaded (gthread), so slow clients and
streamed exports do not block other visitors, and each worker opens the search backend
after the fork (lazily, on its first request).
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication

from diarium.config import Settings
from diarium.errors import ConfigError


def default_workers() -> int:
    """Two workers per core, at least two and at most eight."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from diarium.web.app import create_app  # imported in the worker, after the fork

        app = create_app(self.settings)
        # Load the Swedish word data (lemmas, frequencies: about 1.5 s) as the worker
        # starts, not on the first visitor's query.
        from diarium.swedish import lemmas, wordlist

        lemmas.load()
        wordlist.load()
        return app


def server_options(host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    """Gunicorn settings for `serve()`. Raises ConfigError for values out of range."""
    if not 0 < port < 65536:
        raise ConfigError(f"port {port} is out of range: use 1-65535")
    if not 1 <= workers <= 64:
        raise ConfigError(f"workers must be between 1 and 64, not {workers}")
    if not 1 <= threads <= 256:
        raise ConfigError(f"threads must be between 1 and 256, not {threads}")
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 60,
        "graceful_timeout": 10,
        # No keep-alive: with it, gthread workers keep each client on the worker that
        # accepted it and starve some of them under load (benchmarks/web_bench.py, 50
        # clients: p95 31 s and 19 requests/s with a 5 s keep-alive, p95 2.5 s and 67
        # requests/s without). Closed connections are spread by the kernel's accept
        # queue. A reverse proxy in front keeps browsers' connections alive anyway.
        "keepalive": 0,
        # Refuse absurd request lines and headers before Flask sees them.
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "diarium",
    }


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000,
          workers: int | None = None, threads: int = 4) -> None:
    """Serve the site until interrupted. Raises ConfigError for bad options."""
    options = server_options(host, port, workers or default_workers(), threads)
    _Server(settings, options).run()
