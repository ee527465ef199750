"""extract_bench.py --end-to-end --fscrawler without FSCrawler itself (it is built only by
benchmarks/fscrawler/build.sh, never in CI): the option's guard and the job settings
template."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "benchmarks" / "fscrawler" / "_settings.yaml.template"


def test_fscrawler_option_needs_a_built_distribution(tmp_path: Path) -> None:
    # Refused before any node is asked (the URL names a port nothing listens on).
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "extract_bench.py"), "--end-to-end",
         "--es-url", "http://127.0.0.1:9", "--fscrawler", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "no bin/fscrawler" in result.stderr and "build.sh" in result.stderr


def test_fscrawler_settings_template_fills_every_placeholder() -> None:
    text = Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        name="bench_fsc_x", url="/tmp/files", es_url="http://127.0.0.1:9250",
        indexed_chars="-1")
    settings = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not any("$" in line for line in settings)
    body = "\n".join(settings)
    assert 'name: "bench_fsc_x"' in body and 'url: "/tmp/files"' in body
    assert '- "http://127.0.0.1:9250"' in body and 'indexed_chars: "-1"' in body
    # OCR off, as diarium's runs.
    assert "  ocr:\n    enabled: false" in body
