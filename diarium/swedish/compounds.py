"""Splitting Swedish compounds into their parts, for the lower-weight `parts` field.

`bygglovsansökan` → `bygglov ansökan`, `förskoleverksamheten` → `förskola verksamhet`,
`läkemedelsförsörjning` → `läkemedel försörjning`, `ramavtalet` → `ram avtal`.

`compound_parts` emits base forms: a modifier is given back its word (`förskole` →
`förskola`) and the head its lemma (`avtalet` → `avtal`). A backend may match them as
keywords against a query word or its lemma (the embedded engine), or run them through its
Swedish stemmer like any text; either way `avtal`, `avtalet`, `förskola` and `förskolan`
in a query meet them. `split_compound` gives the parts as written in the word.

How a split is chosen (after Koehn & Knight 2003, "Empirical methods for compound
splitting", with guards that suit Swedish):
- a modifier (every part but the last) is written as the word itself (`ram`), with a
  linking `s` (`bygglovs`), with a linking vowel replacing the final vowel (`förskole`
  for förskola, `kyrko` for kyrka, `gatu` for gata) or added (`barna`), or with its final
  vowel dropped (`skol` for skola);
- every part is a real word: listed in the word list with a minimum frequency, at least
  three letters, not a stopword and not a bare derivational suffix (`het`, `ning`, `lig`:
  `fastighet` is not fastig + het);
- the split with the fewest parts wins, then the one whose parts are most frequent;
- a rare whole word (below RARE_ZIPF) is split whenever a valid split exists; a common one
  only when its parts are clearly more frequent than it and each is at least four letters
  (`kommunstyrelsen` is kommun + styrelsen, but `kontroll` never kon + troll, `ansvar`
  never ans + var, `bygglov` never bygg + lov);
- a rare inflected head counts by its base form (`anvisningen`: anvisning).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from diarium.swedish import lemmas, stopwords, wordcache, wordlist
from diarium.swedish.lemmas import lemma
from diarium.swedish.stopwords import STOPWORDS
from diarium.swedish.wordlist import zipf

MIN_WORD = 6            # shorter words are never split
MAX_WORD = 45           # longer 'words' are junk (OCR, hashes): not worth the search
MIN_PART = 3            # letters in every part, as written and as base form
MAX_PARTS = 4
MODIFIER_ZIPF = 2.5     # a modifier's base form must be at least this common
NESTED_ZIPF = 1.0       # a modifier that is itself a compound may be this rare
SHORT_ZIPF = 3.5        # a three-letter part must be at least this common
HEAD_ZIPF = 2.0         # heads are inflected forms, rarer than base forms
RARE_ZIPF = 3.0         # below this a whole word is taken as a productive compound
COMMON_MARGIN = 0.25    # a common word splits only when its parts beat it by this much
COMMON_MIN_PART = 4

# Derivational suffixes and bound forms that are listed as words but never stand as a
# compound's part: without this, fastighet = fastig + het and barndom = barn + dom.
_SUFFIXES = """het heten heter hets ning ningen ningar ing ingen ingar lig liga ligt ligen
    else elsen elser are aren arna ande ende ande skap skapet skapen dom domen domar
    sam samt isk iska iskt ism ist ister nad naden nader ör ors ens ern erna ers ade
    nde ande ast aste era erat ering eringen ion ionen ioner tion tionen tioner ansen
    lik ligare ligast bar bart bara vis"""
# Verb particles: upphandling is not uppe + handling, föreskrift not före + skrift.
_PARTICLES = """upp uppe uppa före samman över fram bort genom kring åter tillbaka inne ute nere
    ned ner utom bakom hem emot omkring intill jämte förbi igenom ihop iväg sönder undan
    bi till från"""
_NOT_PARTS = frozenset(_SUFFIXES.split()) | frozenset(_PARTICLES.split())

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_VOWELS = "aeiouyåäö"


def _part_ok(surface: str, base: str, minimum: float) -> float:
    """Zipf of `base` when it may stand as a part, else 0.0."""
    if len(surface) < MIN_PART or len(base) < MIN_PART:
        return 0.0
    if base in STOPWORDS or base in _NOT_PARTS:
        return 0.0
    value = zipf(base)
    if len(base) == MIN_PART:
        # Three-letter words are many and mostly not parts (kon, ans): only common ones.
        minimum = max(minimum, SHORT_ZIPF)
    return value if value >= minimum else 0.0


def _modifier_base(surface: str, following: str) -> tuple[str, float]:
    """The base form a modifier written as `surface` stands for, and its Zipf value;
    ("", 0.0) when it is no modifier. `following` is the next letter of the word."""
    if surface in STOPWORDS or surface in _NOT_PARTS:
        return "", 0.0      # före is a particle, not a respelt föra
    last = surface[-1]
    if last in "aeou" and (surface[:-1] in STOPWORDS or surface[:-1] in _NOT_PARTS):
        return "", 0.0      # föro|rening is för + o, never föra
    if last == following:
        # Three equal consonants are written as two: remis|svar is remiss + svar.
        value = _part_ok(surface, surface + last, MODIFIER_ZIPF)
        if value:
            return surface + last, value
    stripped: list[str] = []
    if last == "s" and len(surface) > MIN_PART + 1:
        # The linking s is the commonest joint, and its word is attested by the compound
        # itself, so a rarer base form is accepted (vattenlednings → vattenledning, not
        # the genitive; utbildnings → utbildning).
        stripped = [surface[:-1], surface[:-1] + "e"]
        best, best_z = _best(surface, stripped, HEAD_ZIPF)
        if best_z:
            return best, best_z
    candidates = [surface]
    if last in "ae" and len(surface) > MIN_PART:
        candidates.append(surface[:-1])                 # barna → barn, tjänste → tjänst
    if last in "eou" and len(surface) > MIN_PART:
        candidates.append(surface[:-1] + "a")           # förskole → förskola, kyrko → kyrka
    if last not in _VOWELS and len(surface) > MIN_PART:
        candidates.append(surface + "a")                # skol → skola
        candidates.append(surface + "e")                # pojk → pojke
    # The most frequent reading wins (sociala or social: the stemmer joins them anyway).
    best, best_z = _best(surface, candidates, MODIFIER_ZIPF)
    if not best_z:
        # A rarer modifier is accepted when it is itself a compound (detaljplan(e) in
        # detaljplaneändring): it is then a word made of real words, and
        # compound_parts emits its parts too.
        for base in [*stripped, *candidates]:
            if len(base) >= 2 * MIN_PART and zipf(base) >= NESTED_ZIPF and split_compound(base):
                return base, zipf(base)
    return best, best_z


@lru_cache(maxsize=400_000)
def _modifier_memo(surface: str, following: str) -> tuple[str, float]:
    """`_modifier_base`, memoised, and quick to say no: every reading it weighs is one
    of the strings below, and a reading must be a listed word. Exact for Latin letters,
    whose lowercase strings are their own lookup form (`zipf` may normalize others)."""
    if max(surface) < "\u0250":
        words = wordlist.table()
        stem = surface[:-1]
        if (surface not in words and stem not in words and surface + "a" not in words
                and surface + "e" not in words and stem + "a" not in words
                and stem + "e" not in words and surface + surface[-1] not in words):
            return "", 0.0
    return _modifier_base(surface, following)


def _best(surface: str, candidates: Sequence[str], minimum: float) -> tuple[str, float]:
    best, best_z = "", 0.0
    for base in candidates:
        value = _part_ok(surface, base, minimum)
        if value > best_z:
            best, best_z = base, value
    return best, best_z


def _head_value(head: str) -> float:
    """Zipf of `head` as the last part, else 0.0. A rare inflected head counts by its base
    form (anvisningen: anvisning)."""
    return _part_ok(head, head, HEAD_ZIPF) or (
        _part_ok(head, lemma(head), HEAD_ZIPF) if len(head) > MIN_PART + 2 else 0.0)


_head_memo = lru_cache(maxsize=400_000)(_head_value)

_Split = tuple[int, float, tuple[str, ...]]     # (count of parts, summed Zipf, parts)


def _segment(word: str) -> tuple[tuple[str, ...], float] | None:
    """The best split of `word` into two or more parts: (base forms, summed Zipf)."""
    n = len(word)
    # A modifier or head is weighed once per process, not once per word and budget of
    # parts (kommun in every kommun* word), except under a swapped `zipf` (benchmarks try
    # another word list): memoised values would outlive the swap.
    memo = zipf is wordlist.zipf
    modifier_base = _modifier_memo if memo else _modifier_base
    head_value = _head_memo if memo else _head_value
    starting: dict[int, list[tuple[int, str, float]]] = {}
    tails: dict[tuple[int, int], _Split | None] = {}

    def modifiers(i: int) -> list[tuple[int, str, float]]:
        # The modifiers word[i:j] that are words, by j: (j, base form, Zipf).
        found = starting.get(i)
        if found is None:
            found = []
            for j in range(i + MIN_PART, n - MIN_PART + 1):
                base, value = modifier_base(word[i:j], word[j])
                if value:
                    found.append((j, base, value))
            starting[i] = found
        return found

    def tail(i: int, budget: int) -> _Split | None:
        # Best split of word[i:] into at most `budget` parts.
        key = (i, budget)
        if key in tails:
            return tails[key]
        best: _Split | None = None
        head = word[i:]
        value = head_value(head)
        if value:
            best = (1, value, (head,))
        if budget > 1:
            for j, base, value in modifiers(i):
                rest = tail(j, budget - 1)
                if rest is None:
                    continue
                option = (rest[0] + 1, rest[1] + value, (base, *rest[2]))
                if best is None or (option[0], -option[1]) < (best[0], -best[1]):
                    best = option
        tails[key] = best
        return best

    best: _Split | None = None
    for j, base, value in modifiers(0):
        rest = tail(j, MAX_PARTS - 1)
        if rest is None:
            continue
        option = (rest[0] + 1, rest[1] + value, (base, *rest[2]))
        if best is None or (option[0], -option[1]) < (best[0], -best[1]):
            best = option
    if best is None:
        return None
    return best[2], best[1]


@lru_cache(maxsize=200_000)
def split_compound(word: str) -> tuple[str, ...]:
    """Return the parts of a compound word as written in it (base-form modifiers, the head
    inflected as in the word: `ram`, `avtalet`), or () when `word` is not split.
    Lowercases its input; never raises."""
    word = word.lower()
    if not MIN_WORD <= len(word) <= MAX_WORD or not word.isalpha():
        return ()
    found = _segment(word)
    if found is None:
        return ()
    parts, total = found
    whole = zipf(word)
    if whole >= RARE_ZIPF:
        mean = total / len(parts)
        if mean < whole + COMMON_MARGIN or min(len(p) for p in parts) < COMMON_MIN_PART:
            return ()
    return parts


def compound_parts(text: str) -> str:
    """Return the parts of every compound in `text` in base form, space-joined, for the
    `parts` field: `ramavtalet` → `ram avtal`, `förskoleverksamheten` → `förskola
    verksamhet`.

    Base forms suit both ways a backend may search the field: as keywords matched by the
    query word or its lemma (the embedded engine), or through a Swedish stemmer, which
    stems a base form like any inflected form. A part that is itself a compound is
    followed by its own parts (`äldreomsorgsförvaltningen` → `äldreomsorg äldre omsorg
    förvaltning`). Words that are not compounds contribute nothing. Never raises.
    """
    out: list[str] = []
    for word in _WORD.findall(text.lower()):
        if len(word) >= MIN_WORD:
            out.extend(_word_parts(word))
    return " ".join(out)


# Parts found by earlier processes (wordcache.WordMemo), keyed by the code that finds
# them: this module, the lemmas of heads, the stopwords and the word list.
_SOURCES = (Path(__file__), Path(lemmas.__file__), Path(stopwords.__file__),
            Path(wordlist.__file__), Path(wordcache.__file__))
MEMO = wordcache.WordMemo("sv-parts-memo", ("wordfreq", "simplemma"), _SOURCES)


@lru_cache(maxsize=200_000)
def _word_parts(word: str) -> tuple[str, ...]:
    # Not under a swapped `zipf` (benchmarks try another word list).
    memo = MEMO if zipf is wordlist.zipf and lemmas.zipf is wordlist.zipf else None
    if memo is not None:
        kept = memo.get(word)
        if kept is not None:
            return tuple(kept)
    found = tuple(_expand(word, 0))
    if memo is not None:
        memo.put(word, found)
    return found


def _expand(word: str, depth: int) -> list[str]:
    parts = split_compound(word)
    if not parts:
        return []
    if depth == 0:
        # The head is inflected as in the text (avtalet); modifiers are base forms, and
        # so are the parts of a part (lemmatizing nämnd again would give the verb nämna).
        parts = (*parts[:-1], lemma(parts[-1]))
    out: list[str] = []
    for part in parts:
        out.append(part)
        if depth < 2:
            out.extend(_expand(part, depth + 1))
    return out
