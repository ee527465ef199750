"""Web benchmark: the search page under load on the embedded backend.

Builds a synthetic register (diarium.synthetic) of --docs documents, indexes it with the
embedded backend, serves the site with `diarium serve` (gunicorn, gthread workers) and
drives the search page with --clients concurrent keep-alive clients. Prints, measured side
by side in one run:

- requests/s and p50/p95 latency of the search page under --clients concurrent clients;
- p50/p95 of the same searches as bare backend calls (backend.search, in process), and of
  the page fetched by one client at a time; the ratio page/bare says what the web layer
  (HTTP, routing, validation, templates) adds on top of the engine.

    python benchmarks/web_bench.py                      # 100,000 documents, 50 clients
    python benchmarks/web_bench.py --docs 2000 --requests 200   # a quick run

The load generator runs in this process on the same machine, so on a small machine it
competes with the server for CPU: the figures are a floor, not a ceiling.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from diarium.config import load_settings
from diarium.indexer.embedded import EmbeddedBackend
from diarium.synthetic import generate_records
from diarium.web.params import parse_state

# Query shapes a visitor types, each with and without facet filters (URL parameters).
QUERIES: tuple[dict[str, str | list[str]], ...] = (
    {"q": "bygglov"},
    {"q": "beslut"},
    {"q": '"detaljplan för"'},
    {"q": "ansökan bygglov"},
    {"q": "upphandl*"},
    {"q": "budget OR taxa"},
    {"q": "bygglov -strandskydd"},
    {"q": "bygglov", "handlingstyp": "Beslut"},
    {"q": "yttrande", "riktning": "Inkommande", "year": "2023"},
    {"q": "miljö", "namnd": "Miljönämnden", "sort": "newest"},
    {"dnr": "KS 2023/12"},
    {},
    {"handlingstyp": ["Beslut", "Protokoll"], "sort": "oldest"},
    {"sort": "oldest", "page": "5"},   # deep page (all records, so it exists at --docs 150)
)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build(data_dir: Path, docs: int) -> tuple[float, EmbeddedBackend]:
    """Index `docs` synthetic records; returns (seconds, the open backend)."""
    settings = load_settings(data_dir)
    backend = EmbeddedBackend(settings.index_dir / "embedded")
    backend.setup()
    started = time.perf_counter()
    batch = []
    for record in generate_records(docs):
        batch.append(record)
        if len(batch) == 5_000:
            backend.index(batch)
            batch = []
    if batch:
        backend.index(batch)
    return time.perf_counter() - started, backend


def paths() -> list[str]:
    return ["/?" + urlencode(q, doseq=True) if q else "/" for q in QUERIES]


def bare_latencies(backend: EmbeddedBackend, rounds: int) -> list[float]:
    """Seconds per backend.search of each query shape (the request the page would send)."""
    requests = [parse_state({k: v if isinstance(v, list) else [v] for k, v in q.items()})
                .request() for q in QUERIES]
    for request in requests:  # warm up
        backend.search(request)
    times = []
    for _ in range(rounds):
        for request in requests:
            started = time.perf_counter()
            backend.search(request)
            times.append(time.perf_counter() - started)
    return times


def start_server(data_dir: Path, port: int, workers: int, threads: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "diarium.cli", "--data", str(data_dir), "serve",
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
               "--threads", str(threads)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                conn.close()
                return server
        except OSError:
            time.sleep(0.2)
        if server.poll() is not None:
            raise SystemExit(f"server exited: {server.stderr.read().decode()[-2000:]}")
    server.kill()
    raise SystemExit("server did not answer within 60 s")


def fetch(conn: http.client.HTTPConnection, path: str) -> float:
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200 or b"</html>" not in body:
        raise RuntimeError(f"GET {path}: HTTP {response.status}")
    return elapsed


def sequential(port: int, rounds: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for path in paths():  # warm every worker's caches a little
        fetch(conn, path)
    times = [fetch(conn, path) for _ in range(rounds) for path in paths()]
    conn.close()
    return times


def concurrent(port: int, clients: int, total: int) -> tuple[list[float], float, int]:
    """`clients` threads share `total` requests; returns (latencies, wall seconds, errors)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(total))
    all_paths = paths()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine: list[float] = []
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            try:
                mine.append(fetch(conn, all_paths[n % len(all_paths)]))
            except (OSError, RuntimeError, http.client.HTTPException):
                errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started, errors[0]


def ms(value: float) -> str:
    return f"{value * 1000:8.1f} ms"


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2_000,
                        help="total requests of the concurrent run")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds over the query shapes for the bare and one-client runs")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="diarium-web-bench-") as tmp:
        data_dir = Path(tmp)
        seconds, backend = build(data_dir, args.docs)
        print(f"documents            {args.docs:>10,}  indexed in {seconds:.1f} s")
        bare = bare_latencies(backend, args.rounds)
        backend.close()
        port = free_port()
        server = start_server(data_dir, port, args.workers, args.threads)
        try:
            one = sequential(port, args.rounds)
            loaded, wall, errors = concurrent(port, args.clients, args.requests)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    figures = {
        "rps": len(loaded) / wall if wall else 0.0,
        "p50": percentile(loaded, 50), "p95": percentile(loaded, 95),
        "bare_p50": percentile(bare, 50), "bare_p95": percentile(bare, 95),
        "one_p50": percentile(one, 50), "one_p95": percentile(one, 95),
        "errors": float(errors),
    }
    figures["ratio_p50"] = figures["one_p50"] / figures["bare_p50"]
    figures["ratio_p95"] = figures["one_p95"] / figures["bare_p95"]
    print(f"server               gunicorn gthread, {args.workers} workers x {args.threads} "
          f"threads, {os.cpu_count()} cores")
    print(f"query shapes         {len(QUERIES):>10}")
    print(f"bare backend.search  p50 {ms(figures['bare_p50'])}   p95 {ms(figures['bare_p95'])}"
          f"   ({len(bare)} calls)")
    print(f"page, 1 client       p50 {ms(figures['one_p50'])}   p95 {ms(figures['one_p95'])}"
          f"   ({len(one)} requests)")
    print(f"page/bare ratio      p50 {figures['ratio_p50']:8.2f}x     p95 "
          f"{figures['ratio_p95']:8.2f}x")
    print(f"page, {args.clients} clients     p50 {ms(figures['p50'])}   p95 {ms(figures['p95'])}"
          f"   ({len(loaded)} requests, {errors} errors)")
    print(f"throughput           {figures['rps']:10.1f} requests/s")
    return figures


if __name__ == "__main__":
    main()
