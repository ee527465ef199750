"""Bulk indexing into Elasticsearch/OpenSearch: the client's `streaming_bulk` at its
default settings versus diarium's tuned pipeline (indexer/elastic/bulk.py), the same documents in
the same run; then a full `diarium reindex` of a store of 100,000 documents.

    .venv/bin/python benchmarks/bulk_bench.py                  # 20,000 docs + reindex 100,000
    .venv/bin/python benchmarks/bulk_bench.py --docs 500 --reindex-docs 1000   # smoke

The node URL comes from --url, else DIARIUM_TEST_ES_URL / DIARIUM_TEST_OS_URL, else
var/engines/env.sh (scripts/engines.sh start). Every index it creates is deleted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _url(engine: str, given: str | None) -> str:
    variable = "DIARIUM_TEST_ES_URL" if engine == "elasticsearch" else "DIARIUM_TEST_OS_URL"
    if given:
        return given
    if os.environ.get(variable):
        return os.environ[variable]
    env_file = ROOT / "var" / "engines" / "env.sh"
    if env_file.exists():
        for line in env_file.read_text().splitlines():
            if line.startswith(f"export {variable}="):
                return line.split("=", 1)[1].strip()
    sys.exit(f"no {engine} node: pass --url or run scripts/engines.sh start")


def _timed(label: str, n: int, fn: Any) -> float:
    start = time.perf_counter()
    cpu = time.process_time()
    fn()
    wall = time.perf_counter() - start
    used = time.process_time() - cpu
    print(f"  {label:34} {wall:8.2f} s {n / wall:10,.0f} docs/s   client cpu {used:6.2f} s",
          flush=True)
    return wall


def bench_bulk(engine: str, url: str, docs: int) -> None:
    from diarium.indexer.elastic import BulkIndexer, ElasticBackend, load_config
    from diarium.synthetic import generate_records

    backend = ElasticBackend(load_config(None, engine, {
        "url": url, "index": f"bench-{uuid.uuid4().hex[:8]}"}))
    print(f"bulk benchmark: {docs:,} synthetic documents into {engine} at {url} "
          f"(profile {backend.profile()})", flush=True)
    records = list(generate_records(docs, seed=5))
    sources: list[tuple[str, dict[str, Any]]] = []
    _timed("build documents (python)", docs,
           lambda: sources.extend((r.doc_id, backend.builder.source(r)) for r in records))
    size = sum(len(json.dumps(s, ensure_ascii=False).encode()) for _, s in sources)
    print(f"  {size / docs / 1024:.1f} KiB per document", flush=True)
    names: list[str] = []
    try:
        # 1. streaming_bulk with the client's defaults (500 actions, 100 MB) into an index
        # with default refresh (1 s).
        plain = f"{backend.alias}-v1-plain"
        names.append(plain)
        backend.create_index(plain, {"state": "bench"})
        if engine == "elasticsearch":
            from elasticsearch import Elasticsearch
            from elasticsearch.helpers import streaming_bulk
            client: Any = Elasticsearch(url, request_timeout=120)
        else:
            from opensearchpy import OpenSearch
            from opensearchpy.helpers import streaming_bulk  # type: ignore[no-redef]
            client = OpenSearch([url], timeout=120)
        actions = ({"_index": plain, "_id": i, "_source": s} for i, s in sources)

        def run_plain() -> None:
            for ok, item in streaming_bulk(client, actions):
                if not ok:
                    raise RuntimeError(item)
            backend.refresh(plain)

        base = _timed("streaming_bulk, defaults", docs, run_plain)
        # 2. the tuned pipeline: refresh off and no replicas during the load, 8 MB / 1,000
        # document chunks, two requests in flight, compact JSON; refresh restored after.
        tuned = f"{backend.alias}-v1-tuned"
        names.append(tuned)

        def run_tuned() -> None:
            backend.create_index(tuned, {"state": "bench"}, bulk_mode=True)
            BulkIndexer(backend.conn, tuned, chunk_docs=1000, chunk_bytes=8 * 1024 * 1024,
                        parallel=2).index(sources)
            backend.end_bulk_mode(tuned)

        fast = _timed("diarium bulk pipeline", docs, run_tuned)
        assert backend.count(plain) == backend.count(tuned) == docs
        print(f"  ratio tuned / streaming_bulk: {base / fast:.2f}x faster", flush=True)
    finally:
        for name in names:
            backend.delete_index(name)
        backend.close()


def fill_store(path: Path, n: int) -> None:
    """A store of n documents with extracted text (synthetic register), written directly."""
    from diarium.store import Store
    from diarium.synthetic import generate_records

    with Store(path) as store, store.transaction() as conn:
        orgs: dict[str, int] = {}
        cases: dict[tuple[int, str], int] = {}
        for record in generate_records(n, seed=11):
            org = orgs.get(record.organisation)
            if org is None:
                org = orgs[record.organisation] = store.organisation_id(
                    record.organisation, record.organisation_name)
            case = cases.get((org, record.dnr_key))
            if case is None:
                cur = conn.execute(
                    "INSERT INTO cases (organisation_id, diarienummer, dnr_key, arendemening,"
                    " status, namnd, enhet, handlaggare) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (org, record.diarienummer, record.dnr_key, record.arendemening,
                     record.status, record.namnd, record.enhet, record.handlaggare))
                case = cases[(org, record.dnr_key)] = int(cur.lastrowid or 0)
            cur = conn.execute(
                "INSERT INTO documents (case_id, lopnummer, datum, riktning, handlingstyp, "
                "rubrik, part, sekretess, row_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (case, int(record.doc_id), record.datum, record.riktning,
                 record.handlingstyp, record.rubrik, record.part,
                 "26 kap. 1 § OSL" if record.secret else "", record.doc_id))
            doc_id = int(cur.lastrowid or 0)
            if record.text:
                sha = hashlib.sha256(f"{record.doc_id}:{record.text}".encode()).hexdigest()
                conn.execute("INSERT INTO files (sha256, size, state) VALUES (?, ?, "
                             "'extracted')", (sha, len(record.text)))
                conn.execute("INSERT INTO extractions (sha256, extractor, text, pages) "
                             "VALUES (?, 'bench', ?, ?)",
                             (sha, record.text, json.dumps(list(record.pages))))
                conn.execute("INSERT INTO document_files (document_id, sha256, name) "
                             "VALUES (?, ?, 'dok.pdf')", (doc_id, sha))
            conn.execute("INSERT INTO changes (document_id, kind) VALUES (?, 'upsert')",
                         (doc_id,))


def bench_reindex(engine: str, url: str, docs: int) -> None:
    from diarium.config import load_settings
    from diarium.indexer.elastic import ElasticBackend, load_config
    from diarium.indexer.elastic.reindex import reindex
    from diarium.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(tmp)
        print(f"reindex benchmark: {docs:,} documents, {engine}", flush=True)
        _timed("fill the store", docs, lambda: fill_store(settings.store_path, docs))
        backend = ElasticBackend(load_config(None, engine, {
            "url": url, "index": f"bench-{uuid.uuid4().hex[:8]}"}))
        last = [0.0]

        def progress(p: Any) -> None:
            if time.monotonic() - last[0] > 30:
                last[0] = time.monotonic()
                eta = "?" if p.eta_seconds is None else f"{p.eta_seconds:.0f} s"
                print(f"    {p.done:,}/{p.total:,} {p.docs_per_second:,.0f} docs/s eta {eta}",
                      flush=True)

        try:
            backend.setup()
            with Store(settings.store_path) as store:
                result: list[Any] = []
                _timed("diarium reindex (store -> alias)", docs,
                       lambda: result.append(reindex(store, settings, backend,
                                                     progress=progress)))
            report = result[0]
            print(f"  count {report.count:,} == store {report.store_count:,}; "
                  f"{report.retries} retries", flush=True)
        finally:
            for name in backend.versioned_indices():
                backend.delete_index(name)
            backend.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("elasticsearch", "opensearch"),
                        default="elasticsearch")
    parser.add_argument("--url", default=None)
    parser.add_argument("--docs", type=int, default=20_000,
                        help="documents for the bulk comparison (default 20,000)")
    parser.add_argument("--reindex-docs", type=int, default=100_000,
                        help="documents in the reindexed store (0 skips; default 100,000)")
    args = parser.parse_args()
    if args.docs < 1 or args.reindex_docs < 0:
        parser.error("--docs must be at least 1 and --reindex-docs at least 0")
    url = _url(args.engine, args.url)
    bench_bulk(args.engine, url, args.docs)
    if args.reindex_docs:
        bench_reindex(args.engine, url, args.reindex_docs)


if __name__ == "__main__":
    main()
