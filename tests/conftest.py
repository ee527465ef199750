"""Shared fixtures. Real services are started once per session (see scripts/engines.sh);
stores live on tmp_path; the real corpus is read from ../shared/corpus/real."""

from __future__ import annotations

from pathlib import Path

import pytest

from diarium.config import Settings, load_settings

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
