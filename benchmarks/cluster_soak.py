"""Losing a node: a three-node OpenSearch cluster (scripts/engines.sh cluster) with an
index of one replica; one node is killed (SIGKILL) while searches and `diarium index` run.

What it checks and prints (issue 18):

1. failed searches: every search goes through `ElasticBackend.search()` with all node
   URLs in the settings (`url = "http://a,http://b,http://c"`); an exception is a failed
   search, and so is an answer that left shards out (`_shards.failed`, checked on a raw
   `_search` of the same alias alongside). Must be 0;
2. lost or duplicated documents: after the run the alias holds exactly the store's
   documents (every id once, none missing: all ids read back with search_after). Must be
   0 and 0;
3. the client reaches the live nodes: searches after the kill succeed, served by the
   two nodes left (the client marks the dead node and retries elsewhere);
4. `diarium reindex` with the node still down either completes (new index, alias moved,
   counts match) or refuses with a clear message and leaves the alias on the old index.

    scripts/engines.sh cluster && source var/engines/cluster.env
    .venv/bin/python benchmarks/cluster_soak.py                  # 5,000 + 5,000 documents
    .venv/bin/python benchmarks/cluster_soak.py --docs 50000 --more 50000 --restart
    scripts/engines.sh cluster-stop

The cluster comes from --urls / --homes, else DIARIUM_CLUSTER_URLS / DIARIUM_CLUSTER_HOMES
(var/engines/cluster.env). Its index is deleted at the end. `--restart` brings the killed
node back (scripts/engines.sh cluster) and waits for green before finishing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "benchmarks"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

QUERIES = ("beslutade", '"beslut om bygglov"', "(upphandling OR avtal) -skolskjuts tillsyn",
           "föresk*", "", "tillsyn riktning:inkommande")


def cluster_from(args: argparse.Namespace) -> tuple[list[str], list[Path]]:
    """The node URLs and node directories (each holding node.pid), in the same order.

    Exits with a message when the cluster is not configured."""
    urls = args.urls or os.environ.get("DIARIUM_CLUSTER_URLS", "")
    homes = args.homes or os.environ.get("DIARIUM_CLUSTER_HOMES", "")
    env_file = ROOT / "var" / "engines" / "cluster.env"
    if (not urls or not homes) and env_file.exists():
        for line in env_file.read_text().splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            if key == "DIARIUM_CLUSTER_URLS" and not urls:
                urls = value.strip()
            if key == "DIARIUM_CLUSTER_HOMES" and not homes:
                homes = value.strip()
    url_list = [u for u in urls.split(",") if u]
    home_list = [Path(h) for h in homes.split(",") if h]
    if len(url_list) < 3 or len(home_list) != len(url_list):
        sys.exit("no three-node cluster: run scripts/engines.sh cluster, or pass --urls and "
                 "--homes (comma-separated, same order)")
    return url_list, home_list


def fill(store_path: Path, start: int, stop: int, seed: int = 11) -> None:
    """Documents start+1..stop of the synthetic register, with extracted text, written
    into the store directly (cases reused across calls) and recorded as changes."""
    from diarium.store import Store
    from diarium.synthetic import generate_records

    with Store(store_path) as store, store.transaction() as conn:
        orgs: dict[str, int] = {}
        for number, record in enumerate(generate_records(stop, seed=seed)):
            if number < start:
                continue
            org = orgs.get(record.organisation)
            if org is None:
                org = orgs[record.organisation] = store.organisation_id(
                    record.organisation, record.organisation_name)
            found = conn.execute("SELECT id FROM cases WHERE organisation_id = ? AND "
                                 "dnr_key = ?", (org, record.dnr_key)).fetchone()
            if found is None:
                case = int(conn.execute(
                    "INSERT INTO cases (organisation_id, diarienummer, dnr_key, arendemening,"
                    " status, namnd, enhet, handlaggare) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (org, record.diarienummer, record.dnr_key, record.arendemening,
                     record.status, record.namnd, record.enhet, record.handlaggare)
                ).lastrowid or 0)
            else:
                case = int(found[0])
            doc_id = int(conn.execute(
                "INSERT INTO documents (case_id, lopnummer, datum, riktning, handlingstyp, "
                "rubrik, part, sekretess, row_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (case, int(record.doc_id), record.datum, record.riktning,
                 record.handlingstyp, record.rubrik, record.part,
                 "26 kap. 1 § OSL" if record.secret else "", record.doc_id)).lastrowid or 0)
            if record.text:
                sha = hashlib.sha256(f"{record.doc_id}:{record.text}".encode()).hexdigest()
                conn.execute("INSERT INTO files (sha256, size, state) VALUES (?, ?, "
                             "'extracted')", (sha, len(record.text)))
                conn.execute("INSERT INTO extractions (sha256, extractor, text, pages) "
                             "VALUES (?, 'soak', ?, ?)",
                             (sha, record.text, json.dumps(list(record.pages))))
                conn.execute("INSERT INTO document_files (document_id, sha256, name) "
                             "VALUES (?, ?, 'dok.pdf')", (doc_id, sha))
            conn.execute("INSERT INTO changes (document_id, kind) VALUES (?, 'upsert')",
                         (doc_id,))


class Searches(threading.Thread):
    """Searches in a loop until stopped: through the backend (exceptions are failures)
    and as a raw _search of the alias (an answer missing shards is a failure)."""

    def __init__(self, backend: Any, alias: str, number: int) -> None:
        super().__init__(daemon=True)
        self.backend = backend
        self.alias = alias
        self.number = number
        self.stop = threading.Event()
        self.done = 0
        self.after_kill = 0
        self.killed = threading.Event()
        self.failures: list[str] = []

    def run(self) -> None:
        from diarium.search import SearchRequest

        turn = self.number
        while not self.stop.is_set():
            query = QUERIES[turn % len(QUERIES)]
            turn += 1
            try:
                self.backend.search(SearchRequest(query, page=1 + turn % 3))
                raw = self.backend.conn.request(
                    "POST", f"/{self.alias}/_search",
                    {"size": 0, "query": {"match_all": {}}, "track_total_hits": True})
                failed = int(raw.get("_shards", {}).get("failed", 0))
                if failed:
                    self.failures.append(f"{failed} shard(s) failed: "
                                         f"{json.dumps(raw['_shards'])[:300]}")
            except Exception as exc:  # noqa: BLE001 - every kind counts as a failure
                self.failures.append(f"{type(exc).__name__}: {exc}"[:300])
            self.done += 1
            if self.killed.is_set():
                self.after_kill += 1


def indexed_ids(backend: Any, alias: str) -> Counter[str]:
    """Every document id in the alias with how often it occurs (search_after on _id)."""
    seen: Counter[str] = Counter()
    after: list[Any] | None = None
    while True:
        body: dict[str, Any] = {"size": 2000, "_source": False, "sort": [{"doc_id": "asc"}],
                                "query": {"match_all": {}}, "docvalue_fields": ["doc_id"]}
        if after is not None:
            body["search_after"] = after
        answer = backend.conn.request("POST", f"/{alias}/_search", body)
        hits = answer["hits"]["hits"]
        if not hits:
            return seen
        for hit in hits:
            seen[str(hit["_id"])] += 1
        after = hits[-1]["sort"]


def alias_target(backend: Any, alias: str) -> list[str]:
    return sorted(backend.conn.request("GET", f"/_alias/{alias}").keys())


def kill_node(home: Path) -> int:
    pid = int((home / "node.pid").read_text().strip())
    os.kill(pid, signal.SIGKILL)
    return pid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=5000, help="documents indexed before "
                        "the kill (5,000)")
    parser.add_argument("--more", type=int, default=5000, help="documents added to the "
                        "store and indexed while the node dies (5,000)")
    parser.add_argument("--threads", type=int, default=2, help="search threads (2)")
    parser.add_argument("--kill", type=int, default=1, help="which node to kill (1)")
    parser.add_argument("--kill-after", type=float, default=3.0,
                        help="seconds into the `diarium index` run (3)")
    parser.add_argument("--urls", default="", help="node URLs, comma-separated")
    parser.add_argument("--homes", default="", help="node directories, comma-separated")
    parser.add_argument("--restart", action="store_true",
                        help="bring the killed node back at the end and wait for green")
    parser.add_argument("--check-config", action="store_true",
                        help="only check the cluster settings and that every node answers")
    args = parser.parse_args(argv)
    if args.docs < 1 or args.more < 1 or args.threads < 1:
        parser.error("--docs, --more and --threads must be 1 or more")
    urls, homes = cluster_from(args)
    if not 0 <= args.kill < len(urls):
        parser.error(f"--kill must be 0..{len(urls) - 1}")

    from diarium.indexer.elastic import ElasticBackend, load_config

    alias = f"soak-{uuid.uuid4().hex[:8]}"
    settings_env = {**os.environ, "DIARIUM_SEMANTIC": "0",
                    "DIARIUM_OS_URL": ",".join(urls), "DIARIUM_OS_INDEX": alias}
    config = load_config(None, "opensearch", {"replicas": 1, "shards": 3},
                         environ=settings_env)
    assert config.urls == tuple(urls), config.urls
    backend = ElasticBackend(config)
    nodes = backend.conn.request("GET", "/_cat/nodes", params={"format": "json"})
    print(f"cluster soak: {len(nodes)} nodes answer at {config.safe_url}", flush=True)
    if len(nodes) < 3:
        sys.exit(f"the cluster has {len(nodes)} nodes, 3 needed")
    if args.check_config:
        backend.close()
        return 0

    data = Path(tempfile.mkdtemp(prefix="cluster-soak-"))
    (data / "diarium.toml").write_text(
        f'[opensearch]\nurl = "{",".join(urls)}"\nindex = "{alias}"\nshards = 3\n'
        f"replicas = 1\n", "utf-8")
    diarium = [str(Path(sys.executable).with_name("diarium")), "--data", str(data)]
    env = {k: v for k, v in settings_env.items() if not k.startswith("DIARIUM_OS_")}
    report: dict[str, Any] = {}
    try:
        fill(data / "diarium.sqlite", 0, args.docs)
        start = time.perf_counter()
        subprocess.run([*diarium, "index", "--engine", "opensearch"], env=env, check=True,
                       capture_output=True, text=True)
        print(f"indexed {args.docs:,} documents (3 shards, 1 replica) in "
              f"{time.perf_counter() - start:.1f}s", flush=True)
        # (the wait in the path: opensearch-py takes a `timeout` parameter as its own)
        health = backend.conn.request("GET",
                                      "/_cluster/health?wait_for_status=green&timeout=120s")
        print(f"cluster {health['status']} before the kill", flush=True)
        fill(data / "diarium.sqlite", args.docs, args.docs + args.more)

        searchers = [Searches(ElasticBackend(config), alias, n) for n in range(args.threads)]
        for s in searchers:
            s.start()
        indexing = subprocess.Popen([*diarium, "index", "--engine", "opensearch"], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(args.kill_after)
        running = indexing.poll() is None
        report["killed_while_indexing"] = running
        pid = kill_node(homes[args.kill])
        for s in searchers:
            s.killed.set()
        print(f"SIGKILL node {args.kill} (pid {pid}) {args.kill_after:.0f}s into "
              f"`diarium index` (still running: {running})", flush=True)
        out, err = indexing.communicate(timeout=1800)
        report["index_rc"] = indexing.returncode
        if indexing.returncode != 0:
            print(f"`diarium index` exited {indexing.returncode}: {err.strip()[-500:]}")
            # the next run repeats the work (index_state not advanced): what a scheduler does
            again = subprocess.run([*diarium, "index", "--engine", "opensearch"], env=env,
                                   capture_output=True, text=True)
            report["index_retry_rc"] = again.returncode
            print(f"`diarium index` again: exit {again.returncode}")
        time.sleep(3)   # searches keep running against the two live nodes
        for s in searchers:
            s.stop.set()
        for s in searchers:
            s.join(timeout=120)
        failures = [f for s in searchers for f in s.failures]
        total = sum(s.done for s in searchers)
        after = sum(s.after_kill for s in searchers)
        report.update(searches=total, after_kill=after, failed=len(failures))
        print(f"searches: {total:,} ({after:,} after the kill), failed: {len(failures)}")
        for failure in failures[:5]:
            print(f"  {failure}")

        backend.conn.request("POST", f"/{alias}/_refresh")
        ids = indexed_ids(backend, alias)
        from diarium.store import Store

        with Store(data / "diarium.sqlite") as store:
            expected = {str(r[0]) for r in store.conn.execute("SELECT id FROM documents")}
        lost = len(expected - set(ids))
        duplicated = sum(n - 1 for n in ids.values() if n > 1)
        unknown = len(set(ids) - expected)
        report.update(lost=lost, duplicated=duplicated, unknown=unknown,
                      count=sum(ids.values()), store=len(expected))
        print(f"documents: {sum(ids.values()):,} in the alias, {len(expected):,} in the "
              f"store; lost {lost}, duplicated {duplicated}, unknown {unknown}")

        before = alias_target(backend, alias)
        done = subprocess.run([*diarium, "reindex", "--engine", "opensearch"], env=env,
                              capture_output=True, text=True, timeout=1800)
        after_alias = alias_target(backend, alias)
        report.update(reindex_rc=done.returncode, alias_before=before, alias_after=after_alias)
        if done.returncode == 0:
            count = int(backend.conn.request("GET", f"/{alias}/_count")["count"])
            report["reindex_count"] = count
            print(f"reindex with node {args.kill} down: completed, alias {before} -> "
                  f"{after_alias}, {count:,} documents")
        else:
            message = (done.stderr.strip() or done.stdout.strip())[-400:]
            report["reindex_message"] = message
            print(f"reindex with node {args.kill} down: refused (exit {done.returncode}): "
                  f"{message}\n  alias still on {after_alias} (was {before})")
        if args.restart:
            subprocess.run([str(ROOT / "scripts" / "engines.sh"), "cluster"], check=True,
                           capture_output=True)
            health = backend.conn.request(
                "GET", "/_cluster/health?wait_for_status=green&timeout=300s")
            report["restarted"] = health["status"]
            print(f"node {args.kill} restarted: cluster {health['status']}")
    finally:
        try:
            for name in backend.versioned_indices():
                backend.delete_index(name)
        except Exception as exc:  # noqa: BLE001 - cleanup must not hide the result
            print(f"cleanup of {alias}-* failed: {exc}")
        backend.close()
        import shutil

        shutil.rmtree(data, ignore_errors=True)
    print("RESULT " + json.dumps(report))
    return 0 if passed(report) else 1


def passed(report: dict[str, Any]) -> bool:
    """Whether a soak's report shows nothing failed: no failed search, every document of
    the store in the alias exactly once and nothing else, `diarium index` done (on its
    first run, or on the run after, as a scheduler would repeat it), and the reindex
    either completed with every document or left the alias where it was."""
    indexed = report.get("index_rc") == 0 or report.get("index_retry_rc") == 0
    reindexed = (report.get("reindex_count") == report.get("store")
                 if report.get("reindex_rc") == 0
                 else report.get("alias_after") == report.get("alias_before"))
    return (indexed and reindexed and report.get("failed") == 0
            and report.get("lost") == 0 and report.get("duplicated") == 0
            and report.get("unknown") == 0 and report.get("count") == report.get("store"))


if __name__ == "__main__":
    sys.exit(main())
