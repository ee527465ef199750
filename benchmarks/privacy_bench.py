"""The cost of the privacy rules in the public projection (issue 13): CPU seconds to
project a synthetic store of documents with text, names shown (`private_names = "show"`,
no name rule runs) against the default `"hide"` (every party classified, hidden names
replaced in title, text and pages, downloads checked) and `show_days`, side by side in
one run, each twice, the better time kept. About one party in twelve is a private person
(named in the party, the title and the text).

    .venv/bin/python benchmarks/privacy_bench.py              # 10,000 documents
    .venv/bin/python benchmarks/privacy_bench.py --docs 500   # smoke
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bulk_bench import fill_store  # noqa: E402

from diarium.config import load_settings  # noqa: E402
from diarium.public import project  # noqa: E402
from diarium.store import Store  # noqa: E402

POLICIES = {
    "show": 'private_names = "show"',
    "hide": 'private_names = "hide"',
    "show_days": "show_days = 365",
}


NAMES = ["Anna Svensson", "Erik Johansson", "Karin Lindqvist", "Lars-Göran Nilsson",
         "Fatima El Amrani", "Ebba von Sydow", "Mohammed Ali Hassan", "Björn Åkesson"]


def _add_people(store: Store) -> int:
    """The synthetic register writes private persons as "Privatperson": give them names,
    in the party, the title and the text, as a register without that habit would."""
    rows = store.conn.execute(
        "SELECT id FROM documents WHERE part = 'Privatperson' ORDER BY id").fetchall()
    with store.transaction() as conn:
        for i, (doc_id,) in enumerate(rows):
            name = NAMES[i % len(NAMES)]
            conn.execute("UPDATE documents SET part = ?, rubrik = rubrik || ' från ' || ? "
                         "WHERE id = ?", (name, name, doc_id))
            conn.execute(
                "UPDATE extractions SET text = ? || ' skriver: ' || text, pages = '[]' "
                "WHERE sha256 IN (SELECT sha256 FROM document_files WHERE document_id = ?)",
                (name, doc_id))
    return len(rows)


def _cpu(store: Store, data: Path, policy: str, orgs: list[str]) -> tuple[float, int, int]:
    toml = "".join(f"[organisations.{slug}]\n{POLICIES[policy]}\n" for slug in orgs)
    (data / "diarium.toml").write_text(toml, encoding="utf-8")
    settings = load_settings(data)
    best = float("inf")
    hidden = records = 0
    for _ in range(2):
        started = time.process_time()
        hidden = records = 0
        for _record, applied in project(store, settings):
            records += 1
            hidden += applied.names_hidden
        best = min(best, time.process_time() - started)
    return best, records, hidden


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    args = parser.parse_args()
    if args.docs < 1:
        parser.error("--docs must be at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        settings = load_settings(data)
        fill_store(settings.store_path, args.docs)
        with Store(settings.store_path) as store:
            people = _add_people(store)
            orgs = [r[0] for r in store.conn.execute("SELECT slug FROM organisations")]
            results = {p: _cpu(store, data, p, orgs) for p in POLICIES}
    base = results["show"][0]
    print(f"public projection of {args.docs:,} documents, {people:,} with a private person "
          "(CPU seconds, best of 2):")
    for policy, (seconds, records, hidden) in results.items():
        print(f"  {policy:9}  {seconds:6.2f} s  {records / seconds:8,.0f} docs/s  "
              f"{hidden:6,} names hidden  ratio to show: {seconds / base:.2f}x")


if __name__ == "__main__":
    main()
