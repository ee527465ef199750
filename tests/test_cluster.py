"""Several nodes of one cluster (issue 18): every node URL in the settings, the client
going on to a live node when one is down (against the real test nodes, a dead URL listed
first), and a real three-node OpenSearch cluster (`scripts/engines.sh cluster`, started
by the `cluster` fixture when none runs, about 30 s) losing a node to SIGKILL while
searches and `diarium index` run: benchmarks/cluster_soak.py, small."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from diarium.errors import ConfigError
from diarium.indexer.elastic import load_config
from diarium.search import SearchRequest
from diarium.synthetic import make_record

ROOT = Path(__file__).resolve().parent.parent
# A loopback port nothing listens on: connecting is refused at once.
DEAD = "http://127.0.0.1:9"


def _bench(name: str, args: list[str], cluster: dict[str, str], timeout: int
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / name), *args],
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **cluster})


def test_several_node_urls_are_one_setting() -> None:
    config = load_config(None, "opensearch", {
        "url": " http://127.0.0.1:9270/, http://127.0.0.1:9271 ,http://127.0.0.1:9272"})
    assert config.urls == ("http://127.0.0.1:9270", "http://127.0.0.1:9271",
                           "http://127.0.0.1:9272")
    assert config.url == ",".join(config.urls)
    one = load_config(None, "elasticsearch", {"url": "http://localhost:9200/"})
    assert one.urls == ("http://localhost:9200",) and one.url == "http://localhost:9200"


def test_several_urls_from_the_environment_and_toml(tmp_path: Path) -> None:
    from diarium.config import load_settings

    (tmp_path / "diarium.toml").write_text(
        '[elasticsearch]\nurl = "http://a:9200,http://b:9200"\n', "utf-8")
    config = load_config(load_settings(tmp_path), "elasticsearch", environ={})
    assert config.urls == ("http://a:9200", "http://b:9200")
    config = load_config(None, "opensearch",
                         environ={"DIARIUM_OS_URL": "http://x:1,http://y:2"})
    assert config.urls == ("http://x:1", "http://y:2")


@pytest.mark.parametrize("url, message", [
    ("http://a:9200,ftp://b:9200", "must start with http"),
    ("http://a:9200,https://b:9200", "same scheme"),
    (",", "must start with http"),
])
def test_bad_node_lists_are_named(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(None, "opensearch", {"url": url})


def test_credentials_leave_every_url_in_messages() -> None:
    config = load_config(None, "opensearch", {
        "url": "https://u:secret@a:9200,https://u:secret@b:9200"})
    assert config.safe_url == "https://a:9200,https://b:9200"
    assert "secret" not in config.safe_url
    assert "secret" not in repr(config) and "https://a:9200,https://b:9200" in repr(config)
    assert "api_key" not in repr(load_config(None, "opensearch", {"api_key": "k"}))


@pytest.mark.parametrize("engine", ["elasticsearch", "opensearch"])
def test_the_client_goes_on_to_a_live_node(engine: str, make_elastic, request) -> None:  # type: ignore[no-untyped-def]
    live = request.getfixturevalue("es_url" if engine == "elasticsearch" else "os_url")
    backend = make_elastic(engine, url=f"{DEAD},{live}")
    backend.index([make_record(str(i), rubrik=f"Bygglov nummer {i}") for i in range(1, 6)])
    backend.conn.request("POST", f"/{backend.config.index}/_refresh")
    # every search succeeds although each may first be sent to the dead node
    for _ in range(6):
        assert backend.search(SearchRequest("bygglov")).total == 5


def test_cluster_soak_finds_its_three_nodes(cluster: dict[str, str]) -> None:
    done = _bench("cluster_soak.py", ["--check-config"], cluster, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "3 nodes answer" in done.stdout


def test_a_node_killed_while_indexing_loses_no_search_and_no_document(
        cluster: dict[str, str]) -> None:
    """SIGKILL of one of three nodes 3 s into `diarium index` (2,000 documents indexed,
    2,000 more being written), two threads searching throughout: no search fails, the
    alias holds every document of the store once, the reindex with the node still down
    completes with all of them or refuses and leaves the alias; the node comes back."""
    done = _bench("cluster_soak.py", ["--docs", "2000", "--more", "2000", "--kill-after",
                                      "3", "--restart"], cluster, timeout=900)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stdout + done.stderr
    report = json.loads(lines[-1].removeprefix("RESULT "))
    assert report["killed_while_indexing"], report
    assert report["after_kill"] > 0 and report["failed"] == 0, done.stdout
    assert report["index_rc"] == 0 or report.get("index_retry_rc") == 0, done.stdout
    assert (report["lost"], report["duplicated"], report["unknown"]) == (0, 0, 0), report
    assert report["count"] == report["store"] == 4000, report
    if report["reindex_rc"] == 0:
        assert report["alias_after"] != report["alias_before"], report
        assert report["reindex_count"] == 4000, report
    else:
        assert report["alias_after"] == report["alias_before"], report
        assert report["reindex_message"], report
    assert report["restarted"] == "green", report
    assert done.returncode == 0, done.stdout + done.stderr


def test_cluster_soak_without_a_cluster_says_how_to_start_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIARIUM_CLUSTER_")}
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "cluster_soak.py"),
                           "--urls", "http://127.0.0.1:9", "--homes", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode != 0 and "scripts/engines.sh cluster" in done.stderr


def test_layout_bench_runs_tiny_on_the_cluster(cluster: dict[str, str]) -> None:
    done = _bench("layout_bench.py", ["--docs", "200", "--bodies", "20", "--groups", "2",
                                      "--repeat", "1", "--empty-indices", "1"],
                  cluster, timeout=600)
    assert done.returncode == 0, done.stderr
    rows = [line.split()[0] for line in done.stdout.splitlines()
            if line.split() and line.split()[0] in ("single", "routed", "groups")]
    assert rows == ["single"] * 3 + ["routed"] * 3 + ["groups"] * 3
    assert "per empty shard copy" in done.stdout
