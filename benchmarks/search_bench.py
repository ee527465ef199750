"""Search benchmark of the embedded (tantivy) backend on a synthetic register.

Measured side by side in one run, on the same documents and the same machine:

- indexing: diarium's EmbeddedBackend.index() in docs/s, with and without the
  diarium.swedish fields (compound parts, lemmas, identifiers), against raw tantivy
  `add_document` of the very same tantivy Documents built beforehand (same schema and
  analyzers: the ratio is diarium's own overhead);
- queries: p50/p95 and CPU seconds of 22 query shapes (word, phrase, boolean, prefix,
  diarienummer; each plain, with two facet filters, with filters + date range + newest
  first, and on page 500 of 20; plus the empty query and a pure filter), all with every
  facet counted, side by side with the raw tantivy query (the same compiled query
  AND filters, top 20 at the same offset, the page's stored documents fetched with
  `searcher.doc`: what any application must do to show a page) plus one aggregation
  request of the same facets. `EmbeddedBackend.search()` is timed with its caches
  (facet counts, plans) emptied before every call (the figure the ratio uses), each run
  interleaved with a raw run so load from neighbours falls on both sides alike, and warm
  (a user paging on); `--dated` adds five relevance-sorted shapes dated before the
  recency band (ranked without it);
- the same page by raw tantivy (`same_page`): what an application calling tantivy
  directly does to show diarium's results page, with the query compiled beforehand: the
  ranked query (proximity and the recency band) for the page's top 20 with the count,
  the stored records read and decoded, tantivy's SnippetGenerator on each hit's text
  (in the field the query's terms are in: stemmed for a query with words, exact for a
  phrase or a prefix, as diarium tries first), and the facet counts a filtered facet
  needs (counted without its own filter: one `filter` aggregation per group, the
  straightforward request). Timed interleaved with
  `search()` (caches emptied) and checked to give the same page and the same counts,
  so the ratio is diarium's own overhead over the engine doing the same work;
- peak memory (max RSS) and index size.

    .venv/bin/python benchmarks/search_bench.py              # 100,000 documents
    .venv/bin/python benchmarks/search_bench.py --docs 2000  # smoke run
    .venv/bin/python benchmarks/search_bench.py --docs 20000 --queries-only --keep /tmp/sb
        # queries only; the index in /tmp/sb is reused when it holds 20,000 records
"""

from __future__ import annotations

import argparse
import gc
import json
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
from diarium.indexer.embedded.compiler import Compiler, latest_day  # noqa: E402
from diarium.indexer.embedded.facets import filters as request_filters  # noqa: E402
from diarium.public import PublicRecord  # noqa: E402
from diarium.search import (  # noqa: E402
    FACET_SIZE,
    FACETS,
    SNIPPET_CHARS,
    SearchRequest,
    SearchResult,
)
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
    """The 22 query shapes: each kind plain, filtered, filtered+dated+sorted, deep; the
    empty query (the landing page) and a pure filter."""
    out: list[tuple[str, SearchRequest]] = [
        ("empty query", SearchRequest("")),
        ("filters only", SearchRequest("", filters=FILTERS)),
    ]
    for kind, text in {**KINDS, "diarienummer": dnr}.items():
        out.append((f"{kind}", SearchRequest(text)))
        out.append((f"{kind} +filters", SearchRequest(text, filters=FILTERS)))
        out.append((f"{kind} +filters+dates+newest", SearchRequest(
            text, filters=FILTERS, date_from="2018-01-01", date_to="2023-12-31",
            sort="newest")))
        out.append((f"{kind} page 500", SearchRequest(text, page=500, per_page=20)))
    return out


def dated_shapes() -> list[tuple[str, SearchRequest]]:
    """Relevance-sorted shapes dated before the recency band (the dates or the year a user
    sets to look at older records), run with --dated: they rank without the band."""
    out = [(f"{kind} to 2022-12-31", SearchRequest(text, date_to="2022-12-31"))
           for kind, text in KINDS.items() if text]
    out.append(("word, year 2019", SearchRequest(KINDS["word"], filters={"year": ("2019",)})))
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


def measure(fn: Callable[[], object], repeat: int,
            before: Callable[[], object] | None = None) -> tuple[float, float, float]:
    """p50 and p95 wall milliseconds of `fn` and its CPU milliseconds per call
    (`before` runs untimed ahead of every call)."""
    for _ in range(2):
        fn()
    samples = []
    cpu = 0.0
    for _ in range(repeat):
        if before is not None:
            before()
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        cpu += time.process_time() - start_cpu
        samples.append((time.perf_counter() - start) * 1000)
    p50, p95 = percentiles(samples)
    return p50, p95, cpu * 1000 / repeat


def measure_pair(theirs: Callable[[], object], ours: Callable[[], object], repeat: int,
                 before_ours: Callable[[], object] | None = None
                 ) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """measure() of two functions interleaved, each run of one beside a run of the other
    (which goes first alternates), so a neighbour's burst of load falls on both sides:
    ((p50, p95, cpu) of `theirs`, (p50, p95, cpu) of `ours`)."""
    for _ in range(2):
        theirs()
        ours()
    walls: tuple[list[float], list[float]] = ([], [])
    cpus = [0.0, 0.0]

    def run(side: int, fn: Callable[[], object]) -> None:
        if side == 1 and before_ours is not None:
            before_ours()
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        cpus[side] += time.process_time() - start_cpu
        walls[side].append((time.perf_counter() - start) * 1000)

    for number in range(repeat):
        for side in ((0, 1) if number % 2 == 0 else (1, 0)):
            run(side, theirs if side == 0 else ours)
    out = tuple((*percentiles(walls[side]), cpus[side] * 1000 / repeat) for side in (0, 1))
    return out[0], out[1]


SamePage = tuple[list[str], int, dict[str, list[tuple[str, int]]]]
FACETS_BY_NAME = frozenset(f.name for f in FACETS)


def same_page(backend: EmbeddedBackend, request: SearchRequest
              ) -> Callable[[], SamePage]:
    """Diarium's results page for `request` made by raw tantivy calls (see the module
    docstring), the query planned and compiled beforehand: a function returning the
    page's doc_ids, the count and the facet counts (value, count) per facet with any."""
    searcher = backend.index_obj.searcher()
    planned = backend.plan(request.query)
    compiler = Compiler(backend.swedish, backend.ranking)
    main = compiler.top(planned)
    filters, filter_terms = request_filters(request)
    order = {"newest": tantivy.Order.Desc, "oldest": tantivy.Order.Asc}.get(request.sort)
    latest = latest_day(planned.node, request.date_to, request.filters.get("year"))

    def all_of(*queries: tantivy.Query) -> tantivy.Query:
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, q_) for q_ in queries])

    # Facets: a facet with a filter of its own counts without it, the others within all.
    unfiltered = [f for name, f in filters.items() if name not in filter_terms]
    ranked = compiler.ranked(all_of(main, *filters.values()), order, latest)
    base = all_of(main, *unfiltered)
    # Graceful AND: when nothing matches every word, the records matching most of them.
    relaxed = compiler.relaxed(planned)
    if relaxed is not None:
        relaxed_ranked = compiler.ranked(all_of(relaxed, *filters.values()), order, latest)
        relaxed_base = all_of(relaxed, *unfiltered)
    offset = (request.page - 1) * request.per_page
    sort = {} if order is None else {"order_by_field": "datum", "order": order}
    # A phrase or a prefix has its terms in the exact field only: a snippet of the
    # stemmed text would mark nothing.
    field = "text" if planned.has_words else "text_exact"

    def terms(names: list[str]) -> dict[str, object]:
        return {f.name: {"terms": {"field": f.field, "size": FACET_SIZE}}
                for f in FACETS if f.name in names}

    def within(names: list[str], aggs: dict[str, object]) -> dict[str, object]:
        if not names:
            return aggs
        return {"filter": " AND ".join("(" + " OR ".join(f'kw:"{t}"' for t in filter_terms[n])
                                       + ")" for n in names), "aggs": aggs}

    own = list(filter_terms)
    aggs: dict[str, object] = terms([f.name for f in FACETS if f.name not in own])
    if own:
        aggs = {"_shared": within(own, aggs)}
        for name in own:
            others = [n for n in own if n != name]
            aggs.update({f"_own_{name}": within(others, terms([name]))} if others
                        else terms([name]))

    def run() -> SamePage:
        found, counted, marked = searcher.search(
            ranked, request.per_page, count=True, offset=offset, **sort), base, main
        if found.count == 0 and relaxed is not None:
            found, counted, marked = searcher.search(
                relaxed_ranked, request.per_page, count=True, offset=offset, **sort
            ), relaxed_base, relaxed
        records = [json.loads(searcher.doc(address).get_first("record"))
                   for _, address in found.hits]
        if planned.markable and records:
            generator = tantivy.SnippetGenerator.create(searcher, marked, SCHEMA, field)
            generator.set_max_num_chars(SNIPPET_CHARS)
            for record in records:
                doc = tantivy.Document()
                for text in record["pages"] or [record["text"] or ""]:
                    doc.add_text(field, text)
                snippet = generator.snippet_from_doc(doc)
                snippet.fragment(), snippet.highlighted()
        answer = searcher.aggregate(counted, aggs)
        flat: dict[str, dict[str, object]] = {}
        for key, value in answer.items():
            flat.update({k: v for k, v in value.items() if k in FACETS_BY_NAME}
                        if key.startswith("_") else {key: value})
        counts = {name: [(str(b["key"]), int(b["doc_count"])) for b in value["buckets"]]
                  for name, value in flat.items() if value["buckets"]}
        return [str(r["doc_id"]) for r in records], int(found.count), counts

    return run


def page_of(result: SearchResult) -> SamePage:
    """What same_page() returns, from diarium's SearchResult."""
    return ([hit.record.doc_id for hit in result.hits], result.total,
            {name: [(v.value, v.count) for v in values] for name, values in result.facets.items()
             if values})


def build_index(args: argparse.Namespace, work: Path) -> str:
    """Index the synthetic records through diarium (reusing a kept index holding exactly
    --docs records); returns the middle record's case number typed differently from how
    the register writes it."""
    path = work / "embedded"
    backend = EmbeddedBackend(path)
    backend.setup()
    if backend.count() != args.docs:
        backend.clear()
        start = time.perf_counter()
        backend.index(generate_records(args.docs, seed=args.seed))
        print(f"indexed {args.docs:,} documents in {time.perf_counter() - start:.1f}s")
    else:
        print(f"reusing the index in {path} ({args.docs:,} documents)")
    backend.close()
    for number, record in enumerate(generate_records(args.docs, seed=args.seed)):
        if number == args.docs // 2:
            return typed_dnr(record)
    raise AssertionError("no middle record")


def typed_dnr(record: PublicRecord) -> str:
    prefix, year, serial = record.dnr_key.split("|")
    return f"{prefix.lower()} {year}-{int(serial):04d}".strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000, help="documents (100,000)")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per query shape")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None,
                        help="build the index here and keep it (default: a temp folder)")
    parser.add_argument("--queries-only", action="store_true",
                        help="skip the indexing comparison; reuse a kept index of --docs")
    parser.add_argument("--dated", action="store_true",
                        help="also run relevance-sorted shapes dated before the recency band")
    args = parser.parse_args(argv)
    if args.docs < 1 or args.repeat < 1:
        parser.error("--docs and --repeat must be 1 or more")

    work = args.keep or Path(tempfile.mkdtemp(prefix="search-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"search benchmark: {args.docs:,} synthetic documents, {args.repeat} runs per "
          f"query, tantivy {tantivy.__version__}")
    if args.queries_only:
        queries(args, work, build_index(args, work))
    else:
        index_comparison(args, work)
    print(f"\npeak memory (max RSS of this process): {max_rss_mb():.0f} MB")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def index_comparison(args: argparse.Namespace, work: Path) -> None:
    """Indexing through diarium against raw tantivy, then the queries on that index."""
    start = time.perf_counter()
    records = list(generate_records(args.docs, seed=args.seed))
    text_mb = sum(len(r.text.encode()) for r in records) / 1e6
    print(f"generated in {time.perf_counter() - start:.1f}s ({text_mb:.0f} MB of text); "
          f"max RSS {max_rss_mb():.0f} MB")

    # A case number typed differently from how the register writes it.
    middle = records[len(records) // 2]
    dnr = typed_dnr(middle)
    print(f"(diarienummer query: {dnr!r}, the register writes {middle.diarienummer!r})")

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
    queries(args, work, dnr)


def queries(args: argparse.Namespace, work: Path, dnr: str) -> None:
    """Every shape through EmbeddedBackend.search() and as raw tantivy, side by side."""
    backend = EmbeddedBackend(work / "embedded")
    backend.setup()
    searcher = backend.index_obj.searcher()
    aggs = {f.name: {"terms": {"field": f.field, "size": FACET_SIZE}} for f in FACETS}
    print(f"\n== queries, all {len(FACETS)} facets counted (ms; cpu = CPU ms per call; "
          "ratio = diarium / raw+aggs)")
    print(f"{'shape':38} {'hits':>7} {'raw p50':>8} {'+aggs p50':>9} {'p95':>6} "
          f"{'cpu':>6} {'ours p50':>8} {'p95':>6} {'cpu':>6} {'p95 ratio':>9} "
          f"{'cpu ratio':>9} {'warm p95':>8}")
    ratios: list[float] = []
    cpu_ratios: list[float] = []
    page_rows: list[tuple[str, float, float, float, float, str]] = []
    for label, request in shapes(dnr) + (dated_shapes() if args.dated else []):
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
        raw50, _, _ = measure(raw, args.repeat)
        (agg50, agg95, agg_cpu), (our50, our95, our_cpu) = measure_pair(
            raw_aggs, ours, args.repeat, before_ours=getattr(
                backend, "clear_caches", backend.facet_cache.clear))
        _, warm95, _ = measure(ours, args.repeat)
        made = same_page(backend, request)
        same = "same" if made() == page_of(backend.search(request)) else "DIFFERS"
        (_, page95, page_cpu), (_, ours95, ours_cpu) = measure_pair(
            made, ours, args.repeat, before_ours=getattr(
                backend, "clear_caches", backend.facet_cache.clear))
        page_rows.append((label, page_cpu, ours_cpu, ours95 / page95, ours_cpu / page_cpu,
                          same))
        ratio = our95 / agg95 if agg95 else float("nan")
        cpu_ratio = our_cpu / agg_cpu if agg_cpu else float("nan")
        ratios.append(ratio)
        cpu_ratios.append(cpu_ratio)
        print(f"{label:38} {total:7,} {raw50:8.2f} {agg50:9.2f} {agg95:6.2f} "
              f"{agg_cpu:6.2f} {our50:8.2f} {our95:6.2f} {our_cpu:6.2f} {ratio:9.2f} "
              f"{cpu_ratio:9.2f} {warm95:8.2f}")
    print(f"p95 ratio diarium/(raw+aggs) over the {len(ratios)} shapes: median "
          f"{statistics.median(ratios):.2f}, worst {max(ratios):.2f}; CPU ratio median "
          f"{statistics.median(cpu_ratios):.2f}, worst {max(cpu_ratios):.2f}")
    print("\n== the same page by raw tantivy (same_page: ranked query, records decoded, "
          "snippets of the text, the same facet counts; CPU ms per call)")
    print(f"{'shape':38} {'page cpu':>8} {'ours cpu':>8} {'p95 ratio':>9} {'cpu ratio':>9} "
          f"{'page, counts':>12}")
    for label, page_cpu, ours_cpu, p95_ratio, cpu_ratio, same in page_rows:
        print(f"{label:38} {page_cpu:8.2f} {ours_cpu:8.2f} {p95_ratio:9.2f} {cpu_ratio:9.2f} "
              f"{same:>12}")
    print(f"ratio diarium / same page over the {len(page_rows)} shapes: p95 median "
          f"{statistics.median(r[3] for r in page_rows):.2f}, worst "
          f"{max(r[3] for r in page_rows):.2f}; CPU median "
          f"{statistics.median(r[4] for r in page_rows):.2f}, worst "
          f"{max(r[4] for r in page_rows):.2f}")
    backend.close()


if __name__ == "__main__":
    sys.exit(main())
