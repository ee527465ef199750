"""Search benchmark of the embedded (tantivy) backend on a synthetic register.

Measured side by side in one run, on the same documents and the same machine:

- indexing: diarium's EmbeddedBackend.index() in docs/s, with and without the
  diarium.swedish fields (compound parts, lemmas, identifiers), against raw tantivy
  `add_document` of the very same tantivy Documents built beforehand (same schema and
  analyzers: the ratio is diarium's own overhead);
- queries: p50/p95 of 20 query shapes (word, phrase, boolean, prefix, diarienummer; each
  plain, with two facet filters, with filters + date range + newest first, and on page
  500 of 20), all with all eight facets counted, against the raw tantivy query (the same
  compiled query, top 20 at the same offset, documents fetched) and raw query + the same
  aggregations;
- peak memory (max RSS) and index size.

    .venv/bin/python benchmarks/search_bench.py              # 100,000 documents
    .venv/bin/python benchmarks/search_bench.py --docs 2000  # smoke run
"""

from __future__ import annotations

import argparse
import gc
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

import tantivy  # noqa: E402
from diarium.indexer.embedded import SCHEMA, EmbeddedBackend  # noqa: E402
from diarium.indexer.embedded.facets import filters as request_filters  # noqa: E402

from diarium.public import PublicRecord  # noqa: E402
from diarium.search import FACET_SIZE, FACETS, SearchRequest  # noqa: E402
from diarium.synthetic import generate_records  # noqa: E402

FILTERS = {"organisation": ("exkommun", "norrby"), "handlingstyp": ("Beslut", "Yttrande")}
KINDS: dict[str, str] = {
    "word": "beslutade",
    "phrase": '"beslut om bygglov"',
    "boolean": "(upphandling OR avtal) -skolskjuts tillsyn",
    "prefix": "föresk*",
    "diarienummer": "",     # filled with a case number of the generated corpus
}


def shapes(dnr: str) -> list[tuple[str, SearchRequest]]:
    """The 20 query shapes: each kind plain, filtered, filtered+dated+sorted, deep."""
    out: list[tuple[str, SearchRequest]] = []
    for kind, text in {**KINDS, "diarienummer": dnr}.items():
        out.append((f"{kind}", SearchRequest(text)))
        out.append((f"{kind} +filters", SearchRequest(text, filters=FILTERS)))
        out.append((f"{kind} +filters+dates+newest", SearchRequest(
            text, filters=FILTERS, date_from="2018-01-01", date_to="2023-12-31",
            sort="newest")))
        out.append((f"{kind} page 500", SearchRequest(text, page=500, per_page=20)))
    return out


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def time_index(records: list[PublicRecord], path: Path, swedish: bool) -> tuple[float, int]:
    backend = EmbeddedBackend(path, swedish=swedish)
    backend.setup()
    if swedish and backend.swedish.active:
        backend.swedish.document_fields("förskoleverksamheten ansökningar")  # load data
    start = time.perf_counter()
    written = backend.index(records)
    elapsed = time.perf_counter() - start
    backend.close()
    return elapsed, written


def time_raw_index(records: list[PublicRecord], path: Path,
                   backend: EmbeddedBackend) -> float:
    """Raw tantivy: the same Documents (built before the clock starts) added and committed
    with the same writer settings."""
    docs = [backend.to_document(r) for r in records]
    path.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(SCHEMA, path=str(path), reuse=False)
    from diarium.indexer.embedded import ANALYZERS

    for name, analyzer in ANALYZERS.items():
        index.register_tokenizer(name, analyzer)
    writer = index.writer(backend.writer_heap, backend.writer_threads)
    start = time.perf_counter()
    for doc in docs:
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    elapsed = time.perf_counter() - start
    del docs
    return elapsed


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def measure(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    for _ in range(2):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return percentiles(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000, help="documents (100,000)")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per query shape")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None,
                        help="build the index here and keep it (default: a temp folder)")
    args = parser.parse_args(argv)
    if args.docs < 1 or args.repeat < 1:
        parser.error("--docs and --repeat must be 1 or more")

    work = args.keep or Path(tempfile.mkdtemp(prefix="search-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"search benchmark: {args.docs:,} synthetic documents, {args.repeat} runs per "
          f"query, tantivy {tantivy.__version__}")
    start = time.perf_counter()
    records = list(generate_records(args.docs, seed=args.seed))
    text_mb = sum(len(r.text.encode()) for r in records) / 1e6
    print(f"generated in {time.perf_counter() - start:.1f}s ({text_mb:.0f} MB of text); "
          f"max RSS {max_rss_mb():.0f} MB")

    # A case number typed differently from how the register writes it.
    middle = records[len(records) // 2]
    prefix, year, serial = middle.dnr_key.split("|")
    dnr = f"{prefix.lower()} {year}-{int(serial):04d}".strip()

    print("\n== indexing (docs/s; ratio = raw tantivy time / diarium time)")
    base_rss = max_rss_mb()
    plain_s, _ = time_index(records, work / "plain", swedish=False)
    shutil.rmtree(work / "plain", ignore_errors=True)
    gc.collect()
    full_s, written = time_index(records, work / "embedded", swedish=True)
    assert written == args.docs
    index_rss = max_rss_mb()
    gc.collect()
    probe = EmbeddedBackend(work / "probe", swedish=True)
    raw_s = time_raw_index(records, work / "raw", probe)
    shutil.rmtree(work / "raw", ignore_errors=True)
    gc.collect()
    extras = "on" if probe.swedish.active else "absent"
    print(f"{'raw tantivy add_document (prebuilt docs)':44} {args.docs / raw_s:9,.0f} docs/s")
    print(f"{'diarium index(), no swedish extras':44} {args.docs / plain_s:9,.0f} docs/s"
          f"   ratio {raw_s / plain_s:.2f}")
    print(f"{'diarium index(), swedish extras ' + extras:44} {args.docs / full_s:9,.0f} docs/s"
          f"   ratio {raw_s / full_s:.2f}")
    print(f"index size {dir_mb(work / 'embedded'):.0f} MB; max RSS {base_rss:.0f} MB with the "
          f"records in memory, {index_rss:.0f} MB after diarium's indexing, "
          f"{max_rss_mb():.0f} MB after the raw run (its prebuilt documents)")
    del records
    gc.collect()

    backend = EmbeddedBackend(work / "embedded")
    backend.setup()
    searcher = backend.index_obj.searcher()
    aggs = {f.name: {"terms": {"field": f.field, "size": FACET_SIZE}} for f in FACETS}
    print("\n== queries, all eight facets counted (ms; ratio = diarium p50 / raw p50)")
    print(f"{'shape':38} {'hits':>7} {'raw p50':>8} {'raw p95':>8} {'+aggs p50':>9} "
          f"{'p50':>7} {'p95':>7} {'ratio':>6}")
    ratios = []
    print(f"(diarienummer query: {dnr!r}, the register writes {middle.diarienummer!r})")
    for label, request in shapes(dnr):
        # The raw query: the same tantivy query diarium runs (query AND filters).
        compiled = backend.compile(request.query)
        filters, _ = request_filters(request)
        clauses = [(tantivy.Occur.Must, compiled)] + [
            (tantivy.Occur.Must, f) for f in filters.values()]
        raw_query = tantivy.Query.boolean_query(clauses)
        offset = (request.page - 1) * request.per_page
        order = {"newest": tantivy.Order.Desc, "oldest": tantivy.Order.Asc}.get(request.sort)

        def raw(query: tantivy.Query = raw_query, offset: int = offset,
                order: tantivy.Order | None = order) -> object:
            if order is None:
                found = searcher.search(query, 20, count=True, offset=offset)
            else:
                found = searcher.search(query, 20, count=True, offset=offset,
                                        order_by_field="datum", order=order)
            return [searcher.doc(address) for _, address in found.hits]

        def raw_aggs(query: tantivy.Query = raw_query, raw: Callable[[], object] = raw
                     ) -> object:
            raw()
            return searcher.aggregate(query, aggs)

        def ours(request: SearchRequest = request) -> object:
            return backend.search(request)

        total = backend.search(request).total
        raw50, raw95 = measure(raw, args.repeat)
        agg50, _ = measure(raw_aggs, args.repeat)
        our50, our95 = measure(ours, args.repeat)
        ratio = our50 / raw50 if raw50 else float("nan")
        ratios.append(ratio)
        print(f"{label:38} {total:7,} {raw50:8.2f} {raw95:8.2f} {agg50:9.2f} "
              f"{our50:7.2f} {our95:7.2f} {ratio:6.1f}")
    print(f"median ratio diarium/raw over the 20 shapes: {statistics.median(ratios):.1f}")
    print(f"\npeak memory (max RSS of this process): {max_rss_mb():.0f} MB")
    backend.close()
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
