"""The README's first command, as a newcomer runs it: a fresh clone, a fresh virtualenv,
`./dev demo` (install, generate, import, extract, index), then the served site in real
Chromium: results for `bygglov`, a case found by its number typed another way, facets
with counts, a masked personnummer and a secrecy text.

pip reuses its cache, so the fresh virtualenv costs a minute rather than a download of
everything. The committed tree is what gets cloned: uncommitted work is not tested here.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_site import CHROMIUM, CHROMIUM_ARGS, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ROOT = Path(__file__).resolve().parent.parent
FIRST_COMMAND = "./dev demo"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DIARIUM_DATA", "VIRTUAL_ENV")}
    env["DIARIUM_VENV"] = str(venv)
    return env


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = re.search(r"```sh\n(.+?)\n", readme)
    assert first and first.group(1).startswith(FIRST_COMMAND), "README must open with ./dev demo"
    base = tmp_path_factory.mktemp("fresh")
    checkout = base / "diarium"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(checkout)], check=True)
    return checkout, base / "venv"


@pytest.fixture(scope="module")
def built(clone: tuple[Path, Path]) -> tuple[Path, Path, str]:
    checkout, venv = clone
    started = time.perf_counter()
    run = subprocess.run(
        [*FIRST_COMMAND.split(), "--size", "small", "--no-serve"], cwd=checkout,
        env=_env(venv), capture_output=True, text=True, timeout=1500,
    )
    took = time.perf_counter() - started
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    print(f"fresh clone: ./dev demo --size small --no-serve took {took:.0f} s")
    return checkout, venv, run.stdout


def test_first_command_builds_the_demo_from_a_fresh_clone(
        built: tuple[Path, Path, str]) -> None:
    checkout, venv, output = built
    assert (venv / "bin" / "diarium").exists()
    assert "40 ärenden, 250 handlingar (nyskapat)" in output
    assert "avsiktligt trasiga" in output  # the broken sample files, each with its reason
    data = checkout / "diarium-data"
    assert (data / "diarium.sqlite").exists() and (data / "sample" / "sample.json").exists()
    # the documents, and the notice and minutes of the committees' meetings
    summary = json.loads((data / "sample" / "sample.json").read_text(encoding="utf-8"))
    assert f"{250 + summary['meeting_documents']} i indexet" in output


@pytest.fixture(scope="module")
def served(built: tuple[Path, Path, str]) -> Iterator[tuple[str, dict[str, object]]]:
    checkout, venv, _ = built
    port = _free_port()
    log = (checkout / "serve.log").open("w", encoding="utf-8")
    proc = subprocess.Popen(
        [*FIRST_COMMAND.split(), "--size", "small", "--port", str(port)], cwd=checkout,
        env=_env(venv), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(url + "/", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise AssertionError("demo did not serve: "
                                     + (checkout / "serve.log").read_text()[-3000:])
            time.sleep(0.5)
        summary = json.loads((checkout / "diarium-data" / "sample" / "sample.json")
                             .read_text(encoding="utf-8"))
        yield url, summary
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    output = (checkout / "serve.log").read_text(encoding="utf-8")
    assert "(återanvänt)" in output and "0 nya/ändrade" in output  # the rerun reused all
    assert f"Webbplatsen: {url}/" in output


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: install Debian's chromium (scripts/system-packages.txt)")
    with playwright.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(locale="sv-SE")  # type: ignore[attr-defined]
    tab = context.new_page()
    yield tab
    context.close()


def _search(page: object, url: str, field: str, text: str) -> None:
    page.goto(url + "/")  # type: ignore[attr-defined]
    page.fill(f"#{field}", text)  # type: ignore[attr-defined]
    page.press(f"#{field}", "Enter")  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]


def test_served_demo_finds_bygglov_with_facet_counts(
        page: object, served: tuple[str, dict[str, object]]) -> None:
    url, _ = served
    _search(page, url, "q", "bygglov")
    hits = page.locator("ol.hits li.hit")  # type: ignore[attr-defined]
    assert hits.count() > 5
    assert "bygglov" in hits.first.inner_text().lower()
    counts = page.locator(".facets .count")  # type: ignore[attr-defined]
    assert counts.count() > 5
    numbers = [int(re.sub(r"\D", "", t)) for t in counts.all_text_contents()]
    assert all(n > 0 for n in numbers) and sum(numbers) > 5
    screenshot(page, "demo-search-bygglov")
    # a facet narrows the list to what its count promised
    facet = page.locator("#facet-handlingstyp ~ ul a").first  # type: ignore[attr-defined]
    promised = int(re.sub(r"\D", "", facet.locator(".count").inner_text()))
    facet.click()
    page.wait_for_load_state()  # type: ignore[attr-defined]
    shown = page.locator("ol.hits li.hit").count()  # type: ignore[attr-defined]
    assert 0 < shown <= promised


def test_served_demo_finds_a_case_by_its_number_typed_another_way(
        page: object, served: tuple[str, dict[str, object]]) -> None:
    url, summary = served
    case = summary["showcase"]["case"]  # type: ignore[index]
    assert case["typed"] != case["diarienummer"]
    _search(page, url, "dnr", case["typed"])
    numbers = page.locator("ol.hits li.hit .dnr").all_inner_texts()  # type: ignore[attr-defined]
    assert numbers and set(numbers) == {case["diarienummer"]}
    screenshot(page, "demo-case-number")


def test_served_demo_masks_personnummer(page: object,
                                        served: tuple[str, dict[str, object]]) -> None:
    url, summary = served
    shown = summary["showcase"]["personnummer"]  # type: ignore[index]
    _search(page, url, "dnr", shown["diarienummer"])
    hit = page.locator("ol.hits li.hit").filter(  # type: ignore[attr-defined]
        has=page.locator(".lopnr", has_text=re.compile(rf"^:{shown['lopnummer']}$"))
    )
    assert hit.count() == 1
    hit.locator("h3 a").click()
    page.wait_for_load_state()  # type: ignore[attr-defined]
    body = page.locator("body").inner_text()  # type: ignore[attr-defined]
    assert shown["masked"] in body
    assert shown["personnummer"] not in page.content()  # type: ignore[attr-defined]
    screenshot(page, "demo-masked-personnummer")
    # and the number itself finds nothing
    _search(page, url, "q", shown["personnummer"])
    assert page.locator("ol.hits li.hit").count() == 0  # type: ignore[attr-defined]


def test_served_demo_shows_the_secrecy_text(page: object,
                                            served: tuple[str, dict[str, object]]) -> None:
    url, summary = served
    secret = summary["showcase"]["secret"]  # type: ignore[index]
    _search(page, url, "dnr", secret["diarienummer"])
    text = page.locator("ol.hits").inner_text()  # type: ignore[attr-defined]
    assert f"Sekretess enligt {secret['sekretess']}" in text
    screenshot(page, "demo-secret")
