"""Cost of spelling suggestions (diarium.suggest) on the embedded engine.

A suggestion is looked for only when a search's words find nothing; this measures what it
adds to such a search. On a synthetic register (diarium.synthetic) of --docs records,
optionally with --extra-words words per record drawn from a word list (--words, e.g. the
hunspell sv_SE dictionary's 150,000 stems), so that the term dictionaries hold a
vocabulary the size of a real register's rather than the synthetic one's 1,200 words:

- for each misspelt query: the CPU time of the zero-hit search alone
  (`EmbeddedBackend.search`), of the same search through `diarium.search.search` with
  its suggestion (lookups + counting the candidates + running the corrected query), and
  of the engine's candidate lookup alone (`near_terms`); medians of --repeat runs, each
  pair interleaved so load from neighbours falls on both sides alike;
- the suggestion each query gets.

    .venv/bin/python benchmarks/suggest_bench.py --keep /tmp/sb            # 100,000 records
    .venv/bin/python benchmarks/suggest_bench.py --keep /tmp/sbw \\
        --words /usr/share/hunspell/sv_SE.dic --extra-words 40             # a large vocabulary
    .venv/bin/python benchmarks/suggest_bench.py --docs 2000               # smoke run
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from diarium.indexer.embedded import EmbeddedBackend  # noqa: E402
from diarium.public import PublicRecord  # noqa: E402
from diarium.search import SearchRequest, search  # noqa: E402
from diarium.synthetic import generate_records  # noqa: E402

QUERIES = (
    "bygglof",                  # one wrong letter
    "detaljplam",
    "kommunstyrlsen",           # a letter left out, long word
    "upphandlnig",              # a swap
    "nybygnadd",                # two edits
    "förskla",                  # two-edit walk of a common start (förs…)
    "bygglv",                   # the shortest word with two edits (byg…)
    "boverket bygglof",         # graceful AND's partial hits, then the suggestion
    "typ:beslut bygglof",       # with a filter
    "zzqxkvw",                  # nothing near: the lookups only
)


def word_list(path: Path) -> list[str]:
    """Lower-case words of letters only from a word list (hunspell .dic: `word/flags`)."""
    words = []
    for line in path.read_text("utf-8", errors="replace").splitlines():
        word = line.split("/", 1)[0].strip().lower()
        if len(word) > 2 and word.isalpha():
            words.append(word)
    return words


def records(args: argparse.Namespace) -> Iterator[PublicRecord]:
    words = word_list(args.words) if args.words else []
    rng = random.Random(args.seed)
    for record in generate_records(args.docs, seed=args.seed):
        if words and args.extra_words:
            extra = " ".join(rng.choice(words) for _ in range(args.extra_words))
            record = replace(record, text=f"{record.text} {extra}", pages=())
        yield record


def build(args: argparse.Namespace, path: Path) -> EmbeddedBackend:
    backend = EmbeddedBackend(path)
    backend.setup()
    if backend.count() != args.docs:
        backend.clear()
        start = time.perf_counter()
        backend.index(records(args))
        print(f"indexed {args.docs:,} records in {time.perf_counter() - start:.1f} s")
    else:
        print(f"reusing the index in {path} ({args.docs:,} records)")
    return backend


def cpu_ms(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return (time.process_time() - start) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000, help="records (100,000)")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per query")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--words", type=Path, default=None,
                        help="a word list (hunspell .dic or one word a line)")
    parser.add_argument("--extra-words", type=int, default=0,
                        help="words from --words added to each record's text")
    parser.add_argument("--keep", type=Path, default=None,
                        help="build the index here and keep it (reused when it holds "
                             "--docs records)")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="suggest-bench-"))
    backend = build(args, work / "embedded")
    searcher = backend.index_obj.searcher()
    vocabulary = {name: len(searcher.terms_with_prefix(f"{name}_exact", ""))
                  for name in ("text", "rubrik", "part", "arendemening")}
    print("words in the exact fields' dictionaries: "
          + ", ".join(f"{name} {count:,}" for name, count in vocabulary.items()))
    print(f"CPU ms, median of {args.repeat} runs (zero-hit search alone | with the "
          "suggestion | the candidate lookup alone)")
    print(f"{'query':24} {'search':>8} {'+suggest':>9} {'added':>6} {'lookup':>7}  suggestion")
    for text in QUERIES:
        request = SearchRequest(text, semantic=False)
        plain = SearchRequest(text, semantic=False, suggest=False)
        search(None, request, backend=backend)            # warm: plan, files in cache
        alone, suggested, lookup = [], [], []
        typed = [w.casefold() for w in text.split() if ":" not in w]
        words = [w for w, n in zip(typed, backend.word_counts(typed), strict=True) if n == 0]
        for _ in range(args.repeat):
            alone.append(cpu_ms(lambda r=plain: search(None, r, backend=backend)))
            suggested.append(cpu_ms(lambda r=request: search(None, r, backend=backend)))
            lookup.append(cpu_ms(lambda w=words: backend.near_terms(w)))
        result = search(None, request, backend=backend)
        shown = (f"{result.suggestion.query} ({result.suggestion.total:,})"
                 if result.suggestion else "-")
        a, s, lk = (statistics.median(x) for x in (alone, suggested, lookup))
        print(f"{text:24} {a:8.2f} {s:9.2f} {s - a:6.2f} {lk:7.2f}  {shown}")
    if args.keep is None:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
