"""Running the site under gunicorn (a production WSGI server), started from Python.

`diarium serve` calls `serve()`. Workers are threaded (gthread), so slow clients and
streamed exports do not block other visitors, and each worker opens the search backend
after the fork (lazily, on its first request).
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from gunicorn.app.base import BaseApplication

from diarium.config import Settings
from diarium.errors import ConfigError
from diarium.files import process_alive


def default_workers() -> int:
    """Two workers per core, at least two and at most eight."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


class _Server(BaseApplication):
    def __init__(self, settings: Settings, options: dict[str, Any],
                 log_format: str = "text") -> None:
        self.settings = settings
        self.options = options
        self.log_format = log_format
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from diarium.web.app import create_app  # imported in the worker, after the fork

        app = create_app(self.settings)
        app.config["DIARIUM_LOG_FORMAT"] = self.log_format
        # Load the Swedish word data (lemmas, frequencies: about 0.6 CPU-s from the word
        # files in the cache folder) as the worker starts, not on the first visitor's query.
        from diarium.swedish import lemmas, wordlist

        lemmas.load()
        wordlist.load()
        return app


LOG_FORMATS = ("text", "json")


def server_options(host: str, port: int, workers: int, threads: int,
                   log_format: str = "text") -> dict[str, Any]:
    """Gunicorn settings for `serve()`. Raises ConfigError for values out of range."""
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"log format {log_format!r}: use text or json")
    if not 0 < port < 65536:
        raise ConfigError(f"port {port} is out of range: use 1-65535")
    if not 1 <= workers <= 64:
        raise ConfigError(f"workers must be between 1 and 64, not {workers}")
    if not 1 <= threads <= 256:
        raise ConfigError(f"threads must be between 1 and 256, not {threads}")
    options: dict[str, Any] = {
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
    if log_format == "json":
        from diarium.web.logs import gunicorn_logconfig

        # JSON lines on stderr; the app logs each request itself (no query strings, no
        # client addresses), so gunicorn's access log is off.
        options.update(accesslog=None, logconfig_dict=gunicorn_logconfig())
    return options


def _metrics_dir(settings: Settings) -> None:
    """Give the workers one fresh folder for their Prometheus values (multiprocess
    mode, see diarium.web.metrics), unless the environment names one already."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    run = settings.data_dir / "run"
    for old in run.glob("metrics-*"):          # left by servers that are gone
        pid = old.name.removeprefix("metrics-")
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    folder = run / f"metrics-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000,
          workers: int | None = None, threads: int = 4, log_format: str = "text") -> None:
    """Serve the site until interrupted. `log_format` "json" writes JSON log lines
    (diarium.web.logs). Raises ConfigError for bad options."""
    options = server_options(host, port, workers or default_workers(), threads, log_format)
    _metrics_dir(settings)
    _Server(settings, options, log_format).run()
