"""Shared fixtures. Real services are started once per session (see scripts/engines.sh);
stores live on tmp_path; the real corpus is read from ../shared/corpus/real."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

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


def _engine_url(variable: str, name: str) -> str:
    """The URL of a test node started by scripts/engines.sh (env, else var/engines/env.sh),
    checked for health. Fails under CI=true when the node is missing; skips elsewhere."""
    import os
    import urllib.request

    url = os.environ.get(variable, "")
    env_file = ROOT / "var" / "engines" / "env.sh"
    if not url and env_file.exists():
        for line in env_file.read_text().splitlines():
            if line.startswith(f"export {variable}="):
                url = line.split("=", 1)[1].strip()
    problem = ""
    if not url:
        problem = f"{name} test node not configured ({variable})"
    else:
        try:
            with urllib.request.urlopen(f"{url}/_cluster/health", timeout=10) as answer:
                answer.read()
        except OSError as exc:
            problem = f"{name} test node at {url} does not answer: {exc}"
    if problem:
        hint = "; run scripts/engines.sh start (./dev test does)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(problem + hint)
        pytest.skip(problem + hint)
    return url


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
