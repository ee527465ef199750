"""The test engines provisioned by scripts/engines.sh: the pinned versions, loopback only,
not running as root, the Swedish dictionary and (on OpenSearch) analysis-common in place."""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "engines.sh"


def _get(url: str) -> dict:  # type: ignore[type-arg]
    with urllib.request.urlopen(url, timeout=30) as answer:
        return json.loads(answer.read())


def _pinned(name: str) -> str:
    for line in SCRIPT.read_text().splitlines():
        if line.startswith(f"{name}="):
            return line.split("=", 1)[1]
    raise AssertionError(f"{name} not pinned in {SCRIPT}")


@pytest.mark.parametrize("fixture, version_var, modules", [
    ("es_url", "ES_VERSION", {"x-pack-security", "transport-netty4"}),
    ("os_url", "OS_VERSION", {"analysis-common", "transport-netty4"}),
])
def test_node_as_provisioned(request: pytest.FixtureRequest, fixture: str, version_var: str,
                             modules: set[str]) -> None:
    url = request.getfixturevalue(fixture)
    nodes = _get(f"{url}/_nodes/_local/http,plugins,process")["nodes"]
    (node,) = nodes.values()
    assert node["version"] == _pinned(version_var)
    assert modules <= {m["name"] for m in node["modules"]}
    # Loopback only.
    assert node["http"]["publish_address"].startswith("127.0.0.1:")
    assert all(a.startswith(("127.0.0.1:", "[::1]:")) for a in node["http"]["bound_address"])
    # Not root: the node's process belongs to another user.
    pid = node["process"]["id"]
    assert os.stat(f"/proc/{pid}").st_uid != 0


def test_hunspell_dictionary_on_both(es_url: str, os_url: str) -> None:
    for url in (es_url, os_url):
        body = json.dumps({"tokenizer": "standard", "text": "husen",
                           "filter": [{"type": "hunspell", "locale": "sv_SE"}]}).encode()
        req = urllib.request.Request(f"{url}/_analyze", data=body,
                                     headers={"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as answer:
            tokens = [t["token"] for t in json.loads(answer.read())["tokens"]]
        assert "hus" in tokens, (url, tokens)


def test_status_and_env_file(es_url: str, os_url: str) -> None:
    done = subprocess.run([str(SCRIPT), "status"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "running" in done.stdout
    env = (ROOT / "var" / "engines" / "env.sh").read_text()
    assert f"DIARIUM_TEST_ES_URL={es_url}" in env and f"DIARIUM_TEST_OS_URL={os_url}" in env
    # Artifacts come through `mvn` by coordinates: the script names no host but loopback.
    hosts = set(re.findall(r"https?://([^/:\"'$]+)", SCRIPT.read_text()))
    assert hosts <= {"127.0.0.1"}, hosts
