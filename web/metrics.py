"""Prometheus metrics of the site (prometheus_client), kept apart from Flask.

Per-process counters and histograms live in `REGISTRY`. Under gunicorn every worker is a
process of its own: `diarium serve` sets PROMETHEUS_MULTIPROC_DIR before the workers
start (see diarium.web.server), prometheus_client then writes each worker's values to
files there and `/metrics` adds them up (MultiProcessCollector), so a scrape sees the
whole server, not the one worker that answered it.

What the store knows (index lag, extraction failures, the mail outbox of alerts and
requests, the published dump) is read at
scrape time by `StoreCollector`, so it is right even when another process changed it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from diarium import mail
from diarium.config import Settings
from diarium.store import Store

REGISTRY = CollectorRegistry(auto_describe=True)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "diarium_http_requests", "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"], registry=REGISTRY)
REQUEST_SECONDS = Histogram(
    "diarium_http_request_duration_seconds", "Time to answer a request, by route template.",
    ["route", "method"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
SEARCH_SECONDS = Histogram(
    "diarium_search_duration_seconds", "Time of a search through the query service, by "
    "engine (embedded, elasticsearch, opensearch).", ["engine"], registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
SEARCH_ERRORS = Counter(
    "diarium_search_errors", "Searches that failed because the engine was unavailable.",
    ["engine"], registry=REGISTRY)


def observe_search(engine: str, seconds: float, failed: bool = False) -> None:
    """Record one search's duration (and whether the engine failed)."""
    SEARCH_SECONDS.labels(engine).observe(seconds)
    if failed:
        SEARCH_ERRORS.labels(engine).inc()


def age_seconds(stamp: str, now: float) -> float:
    """Seconds since an ISO time stamp of the store ('2026-12-01T21:00:00Z')."""
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, now - when.timestamp())


class StoreCollector:
    """Gauges read from the store at scrape time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        now = time.time()
        lag_records = GaugeMetricFamily(
            "diarium_index_lag_records", "Documents changed in the store and not yet "
            "indexed, per index.", labels=["index"])
        lag_seconds = GaugeMetricFamily(
            "diarium_index_lag_seconds", "Seconds since the index last caught up while "
            "changes are waiting (0 when none wait), per index.", labels=["index"])
        age = GaugeMetricFamily(
            "diarium_index_age_seconds", "Seconds since the index was last updated.",
            labels=["index"])
        failures = GaugeMetricFamily(
            "diarium_extraction_failures", "Files whose extraction failed, by kind.",
            labels=["kind"])
        files = GaugeMetricFamily(
            "diarium_files", "Stored files by extraction state.", labels=["state"])
        documents = GaugeMetricFamily("diarium_documents", "Documents in the store.")
        outbox = GaugeMetricFamily(
            "diarium_mail_outbox", "Mail in the outbox (alert digests, confirmations, "
            "requests for documents) by state: queued, sending, sent, failed.",
            labels=["state"])
        dump_age = GaugeMetricFamily(
            "diarium_dump_age_seconds", "Seconds since the published open-data dump was "
            "written (absent when there is none).")
        if not self.settings.store_path.exists():
            return
        with Store(self.settings.store_path) as store:
            conn = store.conn
            head = int(conn.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0])
            for name, seq, updated in conn.execute(
                    "SELECT name, last_seq, updated_at FROM index_state ORDER BY name"
            ).fetchall():
                waiting = 0
                if int(seq) < head:
                    waiting = int(conn.execute(
                        "SELECT count(DISTINCT document_id) FROM changes WHERE seq > ?",
                        (seq,)).fetchone()[0])
                lag_records.add_metric([name], waiting)
                lag_seconds.add_metric([name], age_seconds(str(updated), now) if waiting else 0.0)
                age.add_metric([name], age_seconds(str(updated), now))
            for kind, n in conn.execute("SELECT kind, count(*) FROM failures GROUP BY kind"):
                failures.add_metric([str(kind)], int(n))
            for state, n in conn.execute("SELECT state, count(*) FROM files GROUP BY state"):
                files.add_metric([str(state)], int(n))
            documents.add_metric([], int(conn.execute(
                "SELECT count(*) FROM documents").fetchone()[0]))
            for state, n in mail.outbox_counts(store).items():
                outbox.add_metric([state], n)
        yield from (lag_records, lag_seconds, age, failures, files, documents, outbox)
        from diarium.opendata.dump import DumpError, latest_dump

        try:
            dump = latest_dump(self.settings)
        except DumpError:
            dump = None
        if dump is not None:
            dump_age.add_metric([], max(0.0, now - dump.created_at.timestamp()))
            yield dump_age


def render(settings: Settings) -> bytes:
    """The Prometheus text exposition of every metric: this process's (or, under
    gunicorn, every worker's) and the store's."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        process = generate_latest(registry)
    else:
        process = generate_latest(REGISTRY)
    store = CollectorRegistry()
    store.register(StoreCollector(settings))
    return process + generate_latest(store)
