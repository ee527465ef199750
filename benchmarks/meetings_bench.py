"""Meetings (issue 16): what the meetings manifest import and the meeting views cost,
each measured side by side with the nearest existing operation in one run.

    .venv/bin/python benchmarks/meetings_bench.py                 # 200 meetings x 25 items
    .venv/bin/python benchmarks/meetings_bench.py --meetings 20   # a quick look

1. Import: items/s of `diarium import meetings.csv` against rows/s of the documents
   manifest import of the same number of rows (both into one store, CPU seconds).
2. Views: CPU per call of `public_meeting` (a meeting page: every item, its case links
   and the privacy rules per linked case) and of `case_decisions` (the case page's
   "Behandlad i ..." block) against `public_case` (the case page as it was), on the same
   store; printed as ratios.
3. Projection: CPU of `public_records` with the meeting lookup of PublicRecord.sammantrade
   (one query per batch of 500 documents that holds a notice or minutes) against the same
   projection with the lookup switched off, after as many meetings of a second committee
   with notice and minutes are added: over the whole store, and over the notices and
   minutes only (every batch looks its meetings up).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import manifests  # noqa: E402  (the tests' register generator)

from diarium import public  # noqa: E402
from diarium.config import load_settings  # noqa: E402
from diarium.meetings import (  # noqa: E402
    Meeting,
    case_decisions,
    list_meetings,
    public_meeting,
    store_meeting,
)
from diarium.pipeline.importing import import_manifest  # noqa: E402
from diarium.public import public_case  # noqa: E402
from diarium.store import Store  # noqa: E402

T = TypeVar("T")


def cpu(fn: Callable[[], T]) -> tuple[T, float]:
    started = time.process_time()
    result = fn()
    return result, time.process_time() - started


def meetings_manifest(path: Path, register: list[dict[str, str]], meetings: int,
                      items: int) -> int:
    """A meetings manifest: `meetings` meetings of Kommunstyrelsen, `items` items each,
    every item linked to one case of the register (round robin); returns the rows."""
    cases = list(dict.fromkeys((r["organisation"], r["diarienummer"]) for r in register
                               if r["organisation"] == "ks"))
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(("organisation", "namnd", "datum", "justerat", "anslagsdatum",
                         "paragraf", "rubrik", "diarienummer", "beslut", "typ"))
        for m in range(meetings):
            datum = (date(2015, 1, 5) + timedelta(weeks=m)).isoformat()  # one a week
            for n in range(1, items + 1):
                _org, dnr = cases[(m * items + n) % len(cases)]
                writer.writerow(("ks", "Kommunstyrelsen", datum, datum, datum, n,
                                 f"Ärende {dnr}", dnr, "Kommunstyrelsen beslutar enligt "
                                 "förslaget.", "beslut"))
                rows += 1
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--meetings", type=int, default=200)
    parser.add_argument("--items", type=int, default=25)
    parser.add_argument("--calls", type=int, default=200, help="view calls to average")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "data"
        data.mkdir()
        settings = load_settings(data)
        n_rows = args.meetings * args.items
        register = manifests.rows(n_rows)
        manifests.write_csv(root / "register.csv", register)
        n_meeting_rows = meetings_manifest(root / "meetings.csv", register, args.meetings,
                                           args.items)
        with Store(settings.store_path) as store:
            docs, docs_cpu = cpu(lambda: import_manifest(store, settings,
                                                         root / "register.csv"))
            held, held_cpu = cpu(lambda: import_manifest(store, settings,
                                                         root / "meetings.csv"))
            assert held.rejected == 0 and docs.rejected == 0, (held.rejections[:3],
                                                               docs.rejections[:3])
            print(f"import: documents {docs.rows_read} rows in {docs_cpu:.2f} s CPU "
                  f"({docs.rows_read / docs_cpu:,.0f} rows/s); meetings {n_meeting_rows} "
                  f"items in {held_cpu:.2f} s CPU ({n_meeting_rows / held_cpu:,.0f} items/s); "
                  f"ratio meetings/documents CPU per row "
                  f"{(held_cpu / n_meeting_rows) / (docs_cpu / docs.rows_read):.2f}")
            again, again_cpu = cpu(lambda: import_manifest(store, settings,
                                                           root / "meetings.csv"))
            print(f"re-import unchanged: {again.unchanged} items in {again_cpu:.2f} s CPU")

            meeting_ids = [m.meeting_id for m in list_meetings(store, settings)]
            case_ids = [int(r[0]) for r in store.conn.execute(
                "SELECT c.id FROM cases c JOIN meeting_item_cases l ON l.dnr_key = c.dnr_key "
                "AND l.organisation_id = c.organisation_id GROUP BY c.id")]
            calls = args.calls
            _, meeting_cpu = cpu(lambda: [public_meeting(store, settings,
                                                         meeting_ids[i % len(meeting_ids)])
                                          for i in range(calls)])
            _, decisions_cpu = cpu(lambda: [case_decisions(store, settings,
                                                           case_ids[i % len(case_ids)])
                                            for i in range(calls)])
            _, case_cpu = cpu(lambda: [public_case(store, settings, case_ids[i % len(case_ids)])
                                       for i in range(calls)])
            per = {k: v / calls * 1000 for k, v in (("meeting", meeting_cpu),
                                                    ("decisions", decisions_cpu),
                                                    ("case", case_cpu))}
            print(f"views ({calls} calls each, {args.items} items per meeting): "
                  f"public_meeting {per['meeting']:.2f} ms CPU, case_decisions "
                  f"{per['decisions']:.2f} ms, public_case {per['case']:.2f} ms; "
                  f"ratios meeting/case {per['meeting'] / per['case']:.1f}, "
                  f"decisions/case {per['decisions'] / per['case']:.2f}")

            (root / "kallelse.txt").write_text("Kallelse", "utf-8")
            (root / "protokoll.txt").write_text("Protokoll", "utf-8")
            for m in range(args.meetings):
                store_meeting(store, settings, Meeting(
                    "ks", "Byggnadsnämnden", date(2015, 1, 7) + timedelta(weeks=m),
                    kallelse=root / "kallelse.txt", protokoll=root / "protokoll.txt"))
            folder_docs = [int(i) for r in store.conn.execute(
                "SELECT kallelse_document_id, protokoll_document_id FROM meetings")
                for i in r if i is not None]
            for label, ids in (("all", None), ("notices and minutes", folder_docs)):
                def project(ids: list[int] | None = ids) -> int:
                    return sum(1 for _ in public.public_records(store, settings, ids))

                lookup = public._meetings_of
                project()  # warm the caches of the privacy rules first
                public._meetings_of = lambda conn, rows: {}  # type: ignore[assignment]
                try:
                    _, without_cpu = cpu(project)
                finally:
                    public._meetings_of = lookup
                projected, with_cpu = cpu(project)
                print(f"projection, {label} ({projected} documents): {with_cpu:.3f} s CPU "
                      f"with the meeting lookup, {without_cpu:.3f} s without; ratio "
                      f"{with_cpu / without_cpu:.2f}")


if __name__ == "__main__":
    main()
