"""Shared fixtures. Real services are started once per session (see scripts/engines.sh);
stores live on tmp_path; the real corpus is read from ../shared/corpus/real."""

from __future__ import annotations

import os
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

# Semantic search (diarium.embeddings) costs model time per passage: off unless a test
# asks for it (tests/test_semantic.py turns it on for its own small stores).
os.environ.setdefault("DIARIUM_SEMANTIC", "0")

from diarium.config import Settings, load_settings

if TYPE_CHECKING:
    from flask.testing import FlaskClient
    from web_site import Site

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "real"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty data folder."""
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return load_settings(data_dir)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared real corpus; it is part of every checkout's workplace."""
    if not (CORPUS / "MANIFEST.csv").exists():
        pytest.fail(f"real corpus not found at {CORPUS}")
    return CORPUS


ENGINES = ROOT / "scripts" / "engines.sh"


def _exported(file_name: str) -> dict[str, str]:
    """The variables a file scripts/engines.sh writes (env.sh, cluster.env) exports, in
    DIARIUM_ENGINES_DIR (default var/engines); {} when it has not written it."""
    folder = Path(os.environ.get("DIARIUM_ENGINES_DIR", ROOT / "var" / "engines"))
    path = folder / file_name
    if not path.exists():
        return {}
    found: dict[str, str] = {}
    for line in path.read_text("utf-8").splitlines():
        key, sep, value = line.removeprefix("export ").partition("=")
        if sep and not key.startswith("#"):
            found[key.strip()] = value.strip()
    return found


def _unhealthy(urls: str) -> str:
    """Why a comma-separated list of nodes does not all answer ("" when they do)."""
    for url in urls.split(","):
        try:
            with urllib.request.urlopen(f"{url}/_cluster/health", timeout=10) as answer:
                answer.read()
        except (OSError, ValueError) as exc:
            return f"{url} does not answer: {exc}"
    return ""


def _engine_url(variable: str, name: str) -> str:
    """The URL of a test node started by scripts/engines.sh (env, else its env.sh),
    checked for health. Fails under CI=true when the node is missing; skips elsewhere."""
    url = os.environ.get(variable, "") or _exported("env.sh").get(variable, "")
    if not url:
        problem = f"{name} test node not configured ({variable})"
    elif (why := _unhealthy(url)):
        problem = f"{name} test node at {why}"
    else:
        return url
    _missing(problem + "; run scripts/engines.sh start (./dev test does)")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing(problem: str) -> NoReturn:
    """A real service a test needs is not there: a failure under CI=true, else a skip."""
    if _in_ci():
        pytest.fail(problem)
    pytest.skip(problem)


def _cluster_env() -> dict[str, str]:
    """DIARIUM_CLUSTER_URLS and DIARIUM_CLUSTER_HOMES as `scripts/engines.sh cluster`
    wrote them (its cluster.env), or {} when it has not."""
    return {k: v for k, v in _exported("cluster.env").items()
            if k in ("DIARIUM_CLUSTER_URLS", "DIARIUM_CLUSTER_HOMES")}


def _answers(urls: str) -> bool:
    """Whether every node of a comma-separated list answers (False for none)."""
    return bool(urls) and not _unhealthy(urls)


@pytest.fixture(scope="module")
def cluster(os_url: str) -> Iterator[dict[str, str]]:
    """The three-node OpenSearch cluster as environment variables for the benchmarks
    (DIARIUM_CLUSTER_URLS, DIARIUM_CLUSTER_HOMES): the one running, else one started here
    by `scripts/engines.sh cluster` and stopped after the module using it. Outside CI,
    DIARIUM_CLUSTER=0 skips these tests, and a cluster that cannot start skips them;
    under CI=true it fails them."""
    if os.environ.get("DIARIUM_CLUSTER") == "0" and not _in_ci():
        pytest.skip("DIARIUM_CLUSTER=0: the three-node cluster tests are switched off")
    found = _cluster_env()
    started = False
    if not _answers(found.get("DIARIUM_CLUSTER_URLS", "")):
        done = subprocess.run([str(ENGINES), "cluster"], capture_output=True, text=True,
                              timeout=900)
        found, started = _cluster_env(), True
        if done.returncode != 0 or not _answers(found.get("DIARIUM_CLUSTER_URLS", "")):
            problem = ("scripts/engines.sh cluster could not start the three-node cluster: "
                       + (done.stderr.strip() or done.stdout.strip())[-800:])
            subprocess.run([str(ENGINES), "cluster-stop"], capture_output=True, timeout=300)
            _missing(problem)
    try:
        yield found
    finally:
        if started:
            subprocess.run([str(ENGINES), "cluster-stop"], capture_output=True, timeout=300)


@pytest.fixture(scope="session")
def es_url() -> str:
    """URL of the Elasticsearch test node."""
    return _engine_url("DIARIUM_TEST_ES_URL", "Elasticsearch")


@pytest.fixture(scope="session")
def os_url() -> str:
    """URL of the OpenSearch test node."""
    return _engine_url("DIARIUM_TEST_OS_URL", "OpenSearch")


@pytest.fixture
def make_elastic(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Factory: make_elastic("elasticsearch" | "opensearch", **config) -> an ElasticBackend
    on the test node with a unique alias, set up; its indices are deleted afterwards."""
    import uuid

    from diarium.indexer.elastic import ElasticBackend, load_config

    made = []

    def make(engine: str, setup: bool = True, **overrides: object) -> ElasticBackend:
        url = request.getfixturevalue("es_url" if engine == "elasticsearch" else "os_url")
        overrides.setdefault("index", f"test-{uuid.uuid4().hex[:12]}")
        backend = ElasticBackend(load_config(None, engine, {"url": url, **overrides}))
        made.append(backend)
        if setup:
            backend.setup()
        return backend

    yield make
    for backend in made:
        try:
            for name in backend.versioned_indices():
                backend.delete_index(name)
        finally:
            backend.close()


@pytest.fixture
def make_engine(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Factory: make_engine("embedded" | "elasticsearch" | "opensearch") -> a backend set
    up and empty: the embedded one in tmp_path (a small writer), the others by
    make_elastic on their test nodes."""
    from diarium.indexer.embedded import EmbeddedBackend

    def make(engine: str):  # type: ignore[no-untyped-def]
        if engine == "embedded":
            backend = EmbeddedBackend(tmp_path / "index", writer_heap=30_000_000,
                                      writer_threads=1)
            backend.setup()
            return backend
        return request.getfixturevalue("make_elastic")(engine)

    return make


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Site:
    """The small real diary of the web tests (tests/web_site.py), built once: store, files
    and embedded index. The web page tests (tests/test_web_*.py) read it; a test that
    changes it (a template override) undoes its change. Browser tests build their own."""
    from web_site import build_site

    return build_site(tmp_path_factory.mktemp("webdata"), corpus_dir)


@pytest.fixture(scope="session")
def client(site: Site) -> FlaskClient:
    """A Flask test client of the public site over `site`."""
    from diarium.web.app import create_app

    return create_app(site.settings, backend=site.backend).test_client()
