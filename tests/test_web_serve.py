"""`diarium serve` runs the site under gunicorn (not Flask's development server), and the
web benchmark runs end to end on a tiny corpus."""

from __future__ import annotations

import http.client
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from web_site import build_site

from diarium.cli import main as cli_main
from diarium.errors import ConfigError
from diarium.web.server import server_options

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return (response.status, {k.lower(): v for k, v in response.getheaders()},
                response.read())
    finally:
        conn.close()


def test_serve_help_has_an_example() -> None:
    result = CliRunner().invoke(cli_main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and "--workers" in result.output


def test_serve_rejects_bad_options() -> None:
    result = CliRunner().invoke(cli_main, ["serve", "--port", "70000"])
    assert result.exit_code == 2 and "70000" in result.output
    with pytest.raises(ConfigError, match="workers"):
        server_options("127.0.0.1", 8000, 0, 4)


def test_serve_runs_gunicorn(tmp_path: Path, corpus_dir: Path) -> None:
    site = build_site(tmp_path / "data", corpus_dir, filler=3)
    site.backend.close()
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "diarium.cli", "--data", str(site.settings.data_dir), "serve",
         "--port", str(port), "--workers", "1", "--threads", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 60
        while True:
            try:
                status, headers, body = _get(port, "/?q=hamnen")
                break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    raise AssertionError(server.stdout.read().decode()) from None
                time.sleep(0.2)
        assert status == 200
        assert "gunicorn" in headers.get("server", "")
        assert "Ansökan om planbesked för hamnen" in body.decode("utf-8")
        status, headers, body = _get(port, f"/handling/{site.doc_ids['ansokan']}/fil")
        assert status == 200 and headers["content-type"] == "application/pdf"
        assert body == site.files["pdf"]
        assert _get(port, "/finns-inte")[0] == 404
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_web_benchmark_smoke() -> None:
    spec = importlib.util.spec_from_file_location("web_bench", ROOT / "benchmarks" / "web_bench.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    figures = bench.main(["--docs", "150", "--clients", "4", "--requests", "28",
                          "--rounds", "1", "--workers", "1", "--threads", "2"])
    assert figures["errors"] == 0
    assert figures["rps"] > 0 and figures["p95"] >= figures["p50"] > 0
    assert figures["ratio_p50"] > 0
