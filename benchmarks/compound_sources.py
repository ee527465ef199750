"""Word list for compound splitting: wordfreq against Debian's hunspell-sv, measured.

    .venv/bin/python benchmarks/compound_sources.py [--dic /usr/share/hunspell/sv_SE.dic]

Runs diarium.swedish's splitter with each word list on a gold set of compounds (expected
parts) and of words that must stay whole, and prints accuracy, load time and memory side
by side. hunspell-sv gives base forms without frequencies: every listed word counts the
same (Zipf 4), and inflected forms are missing unless the affix rules are expanded (they
are not here, which is what a plain dictionary lookup gives).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from diarium.swedish import compounds, lemmas, wordlist  # noqa: E402

GOLD: dict[str, tuple[str, ...]] = {
    "bygglovsansökan": ("bygglov", "ansökan"),
    "förskoleverksamheten": ("förskola", "verksamheten"),
    "läkemedelsförsörjning": ("läkemedel", "försörjning"),
    "ramavtalet": ("ram", "avtalet"),
    "kyrkogården": ("kyrka", "gården"),
    "gatukontoret": ("gata", "kontoret"),
    "remissvar": ("remiss", "svar"),
    "detaljplaneändring": ("detaljplan", "ändring"),
    "avfallshanteringen": ("avfall", "hanteringen"),
    "kollektivtrafiken": ("kollektiv", "trafiken"),
    "markanvisningen": ("mark", "anvisningen"),
    "vattenledningsnätet": ("vattenledning", "nätet"),
    "brandskyddskontrollen": ("brandskydd", "kontrollen"),
    "snöröjningsavtalet": ("snöröjning", "avtalet"),
    "miljöförvaltningen": ("miljö", "förvaltningen"),
    "utbildningsnämnden": ("utbildning", "nämnden"),
    "medborgarförslag": ("medborgare", "förslag"),
    "tjänsteskrivelse": ("tjänst", "skrivelse"),
    "fastighetsägare": ("fastighet", "ägare"),
    "delegationsbeslut": ("delegation", "beslut"),
    "barnomsorg": ("barn", "omsorg"),
    "äldreomsorgen": ("äldre", "omsorgen"),
    "informationsmöte": ("information", "möte"),
    "hissolyckan": ("hiss", "olyckan"),
    "anslagstavlan": ("anslag", "tavlan"),
}
WHOLE: tuple[str, ...] = (
    "kontroll", "fastighet", "ansvar", "kontrollen", "fastigheten", "ansvarig", "bygglov",
    "upphandlingen", "föreskrifter", "sammanträdet", "förorening", "verksamhet",
    "ansökningar", "läkemedel", "uppdrag", "barndom", "tillstånd", "ordförande",
    "överklagande", "landstinget",
)


def hunspell_words(path: Path) -> set[str]:
    """The base forms of a hunspell .dic file (flags and morphology dropped)."""
    words = set()
    with path.open(encoding="utf-8", errors="replace") as handle:
        next(handle, None)                      # the first line is the entry count
        for line in handle:
            word = line.split("/", 1)[0].split("\t", 1)[0].strip().lower()
            if word.isalpha():
                words.add(word)
    return words


def _clear_caches() -> None:
    for cache in (compounds.split_compound, compounds._word_parts, lemmas.lemma):
        cache.cache_clear()


def evaluate(name: str, zipf: Callable[[str], float], load: Callable[[], object]) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    load()
    load_s = time.perf_counter() - start
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    original = wordlist.zipf
    compounds.zipf = zipf        # the splitter's lookup, switched for this run
    lemmas.zipf = zipf
    _clear_caches()
    try:
        right = sum(compounds.split_compound(w) == parts for w, parts in GOLD.items())
        kept = sum(compounds.split_compound(w) == () for w in WHOLE)
        wrong = [(w, compounds.split_compound(w)) for w, p in GOLD.items()
                 if compounds.split_compound(w) != p]
    finally:
        compounds.zipf = original
        lemmas.zipf = original
        # Results cached under the switched lookup must not outlive it (the test suite
        # runs this in-process, before the splitter's own tests).
        _clear_caches()
    print(f"{name:<12}{right:>4}/{len(GOLD)} split right {kept:>4}/{len(WHOLE)} kept whole"
          f"   load {load_s:5.2f} s  +{grown:5.0f} MB")
    for word, parts in wrong[:8]:
        print(f"{'':12}  {word} → {' '.join(parts) or '(whole)'}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dic", type=Path, default=Path("/usr/share/hunspell/sv_SE.dic"))
    args = parser.parse_args(argv)
    evaluate("wordfreq", wordlist.zipf, wordlist.load)
    if not args.dic.exists():
        print(f"hunspell-sv: {args.dic} not found (apt-get install hunspell-sv)")
        return
    found: set[str] = set()
    evaluate("hunspell-sv", lambda w: 4.0 if w.lower() in found else 0.0,
             lambda: found.update(hunspell_words(args.dic)))


if __name__ == "__main__":
    main()
