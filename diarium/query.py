"""The query language: one parser, compiled per backend.

Grammar (DESIGN.md, "Query language")::

    bygglov ansökan              words are ANDed
    "exakt fras"                 an exact phrase
    -skola   NOT skola           exclusion (INTE, in Swedish)
    skola OR förskola  a | b     alternatives (OR upper-case, or ELLER; `|` anywhere)
    bygglov AND garage           the same as without AND (or OCH)
    (skola OR förskola) beslut   grouping
    bygg*                        prefix
    dnr:KS-2023/123              field filters, also field:"quoted value"
    datum:2023-01-01..2023-06-30 date range (inclusive; `datum:2023`, `datum:2023-05` too)

`parse(text)` never raises: unbalanced quotes or parentheses and stray operators degrade
to words, so a visitor never meets an error page. Input is cut at MAX_LENGTH characters
and parentheses nested deeper than MAX_DEPTH are ignored.

The result is an AST of frozen dataclasses (the `Node` union below). Backends compile it;
the compiler for tantivy lives in indexer/embedded.py, the one for Elasticsearch and
OpenSearch with that backend. Invariants a compiler may rely on:

- `MatchAll` appears only as the whole query (empty input) or as the positive first child
  of an `And` whose other children are all `Not` (a query made only of exclusions).
- `Not` appears only as a child of an `And` that has at least one positive child, so a
  compiler never has to build a purely negative boolean query.
- `And` and `Or` have at least two children; nested `And`s are flattened.
- Word, Prefix and Phrase texts contain no whitespace inside a word and no leading or
  trailing punctuation; they keep the case and the å/ä/ö the user typed.
- A part of the query that looks like a diarienummer becomes
  `Or((<the words as typed>, Diarienummer(...)))`, so it matches the text AND the
  case-number field; a `dnr:` filter becomes a bare `Diarienummer`.
"""

from __future__ import annotations

import calendar
import contextlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from diarium import diarienummer as dnr_parser
from diarium.config import OrgSettings
from diarium.errors import InvalidDiarienummer
from diarium.models import Riktning

MAX_LENGTH = 1000
# Operators as words, in capitals only (`eller` and `inte` stay words): English, as most
# search engines take them, and Swedish, as a Swedish journalist types them.
_OR_WORDS = frozenset({"OR", "ELLER"})
_NOT_WORDS = frozenset({"NOT", "INTE"})
_AND_WORDS = frozenset({"AND", "OCH"})
_OPERATOR_WORDS = _OR_WORDS | _NOT_WORDS | _AND_WORDS
MAX_DEPTH = 8
MIN_PREFIX = 2          # `b*` would expand to half the index; shorter stems stay words
_DNR_WINDOW = 3         # at most "Dnr KS 2023/123": how many words a diarienummer spans


# ---------------------------------------------------------------------------------------
# The AST


@dataclass(frozen=True)
class MatchAll:
    """Every record: the empty query, or the positive side of a query of exclusions."""


@dataclass(frozen=True)
class Word:
    """One word as typed (case and å/ä/ö kept). Compile with the free-text analyzers
    (stemmed, exact, folded only when the word has no å/ä/ö). If the analyzer splits it
    into several tokens (`2023:1`, `e-post`), match those tokens as a phrase."""

    text: str


@dataclass(frozen=True)
class Prefix:
    """Words starting with `text` (typed `bygg*`); at least MIN_PREFIX characters.
    Match against the unstemmed exact field, lowercased."""

    text: str


@dataclass(frozen=True)
class Phrase:
    """An exact phrase (typed in double quotes): the words in this order, adjacent.
    May have a single word, which then asks for an exact (unstemmed) match."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class Not:
    """Exclude records matching `node`. Only ever a child of an And (see module doc)."""

    node: Node


@dataclass(frozen=True)
class And:
    """All children must match (Not children must not)."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """At least one child must match."""

    children: tuple[Node, ...]


# Fields of a PublicRecord a `field:value` filter can name, by how a compiler matches them.
KEYWORD_FIELDS: tuple[str, ...] = (
    "handlingstyp", "riktning", "namnd", "enhet", "status", "organisation",
)
TEXT_FIELDS: tuple[str, ...] = ("part", "rubrik")
FIELD_NAMES: tuple[str, ...] = KEYWORD_FIELDS + TEXT_FIELDS


@dataclass(frozen=True)
class Field:
    """A field filter. `name` is a PublicRecord field from FIELD_NAMES.

    - KEYWORD_FIELDS: the record's field equals `value`, ignoring case (compile as a term
      on a lowercased keyword copy of the field). `riktning` values are already the
      canonical Riktning words ("Inkommande", "Utgående", "Upprättad") when recognised.
    - TEXT_FIELDS (part, rubrik): the words of `value` occur as a phrase in that field.
    """

    name: str
    value: str


@dataclass(frozen=True)
class DateRange:
    """Records whose `datum` lies in [start, end], ISO dates, inclusive; None = open."""

    start: str | None
    end: str | None


@dataclass(frozen=True)
class Diarienummer:
    """A case number. `key` is the canonical "PREFIX|YEAR|SERIAL" (prefix "" when none was
    typed); `year_serial` is "YEAR|SERIAL". Compile: with a prefix match the record's
    dnr_key exactly; without one match every series with that year and serial (the
    dnr_key ends with "|" + year_serial). `written` is the text as typed, for display."""

    written: str
    key: str
    year_serial: str

    @property
    def prefix(self) -> str:
        return self.key.split("|", 1)[0]


Node = MatchAll | Word | Prefix | Phrase | Not | And | Or | Field | DateRange | Diarienummer


# ---------------------------------------------------------------------------------------
# Field names as users type them (folded and lower-cased before the lookup)

_FIELD_ALIASES: dict[str, str] = {
    "dnr": "dnr", "diarienummer": "dnr", "diarienr": "dnr", "arende": "dnr",
    "arendenummer": "dnr", "arendenr": "dnr",
    "avsandare": "part", "mottagare": "part", "part": "part", "motpart": "part",
    "typ": "handlingstyp", "handlingstyp": "handlingstyp",
    "riktning": "riktning",
    "namnd": "namnd",
    "enhet": "enhet", "forvaltning": "enhet",
    "status": "status",
    "org": "organisation", "organisation": "organisation",
    "ar": "year", "year": "year",
    "datum": "datum", "date": "datum",
    "rubrik": "rubrik", "titel": "rubrik",
}

_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o"})


def _field_name(text: str) -> str | None:
    return _FIELD_ALIASES.get(text.casefold().translate(_FOLD))


# ---------------------------------------------------------------------------------------
# Tokens


@dataclass
class _Tok:
    kind: str           # WORD PHRASE FIELD LPAREN RPAREN OR NEG
    text: str = ""      # raw text as typed
    field: str = ""     # FIELD: canonical field name
    depth_ok: bool = True


_SPECIAL = set('()"|')


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "(":
            tokens.append(_Tok("LPAREN", c))
            i += 1
        elif c == ")":
            tokens.append(_Tok("RPAREN", c))
            i += 1
        elif c == "|":
            tokens.append(_Tok("OR", c))
            i += 1
        elif c == '"':
            end = text.find('"', i + 1)
            if end < 0:
                i += 1          # an unbalanced quote: the rest is read as plain words
            else:
                if any(_strip_all(part) for part in text[i + 1:end].split()):
                    tokens.append(_Tok("PHRASE", text[i + 1:end]))   # "" or "!" say nothing
                i = end + 1
        elif c == "-" and i + 1 < n and not text[i + 1].isspace() and text[i + 1] != "-":
            tokens.append(_Tok("NEG", c))
            i += 1
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in _SPECIAL:
                i += 1
            raw = text[start:i]
            # Leading punctuation is dropped from words anyway, so "*typ:x" is typ:x.
            head, colon, value = _lstrip(raw).partition(":")
            name = _field_name(head) if colon else None
            if name is not None and not value and i < n and text[i] == '"':
                end = text.find('"', i + 1)
                if end >= 0:
                    tokens.append(_Tok("FIELD", text[i + 1:end], field=name))
                    i = end + 1
                    continue
            if name is not None and value:
                tokens.append(_Tok("FIELD", value, field=name))
            elif raw in _OR_WORDS or raw == "||":
                tokens.append(_Tok("OR", raw))
            elif raw in _NOT_WORDS:
                tokens.append(_Tok("NEG", raw))
            elif raw in _AND_WORDS or raw in ("&&", "+"):
                continue        # words are ANDed anyway
            else:
                tokens.append(_Tok("WORD", raw.lstrip("+") or raw))
    return tokens


_STARTS = {"WORD", "PHRASE", "FIELD", "LPAREN", "NEG"}
_ENDS = {"WORD", "PHRASE", "FIELD", "RPAREN"}


def _repair(tokens: list[_Tok]) -> list[_Tok]:
    """Make the token list well-formed: unmatched or too deep parentheses go, a stray
    operator becomes a word (OR) or goes (`|`, `-`, NOT)."""
    stack: list[int] = []
    drop: set[int] = set()
    for i, tok in enumerate(tokens):
        if tok.kind == "LPAREN":
            stack.append(i)
        elif tok.kind == "RPAREN":
            if stack:
                opened = stack.pop()
                if len(stack) >= MAX_DEPTH:
                    drop.update((opened, i))
            else:
                drop.add(i)
    drop.update(stack)
    tokens = [t for i, t in enumerate(tokens) if i not in drop]
    # Empty groups "()" carry nothing.
    changed = True
    while changed:
        changed = False
        for i in range(len(tokens) - 1):
            if tokens[i].kind == "LPAREN" and tokens[i + 1].kind == "RPAREN":
                del tokens[i:i + 2]
                changed = True
                break
    out: list[_Tok] = []
    for i, tok in enumerate(tokens):
        if tok.kind == "OR":
            prev = out[-1].kind if out else None
            nxt = tokens[i + 1].kind if i + 1 < len(tokens) else None
            if prev in _ENDS and nxt in _STARTS:
                out.append(tok)
            elif tok.text in _OR_WORDS:
                out.append(_Tok("WORD", tok.text.lower()))
        elif tok.kind == "NEG":
            nxt = tokens[i + 1].kind if i + 1 < len(tokens) else None
            if nxt in _STARTS:
                out.append(tok)
            elif tok.text in _NOT_WORDS:
                out.append(_Tok("WORD", tok.text.lower()))
        else:
            out.append(tok)
    return out


# ---------------------------------------------------------------------------------------
# Parsing


def parse(text: str, orgs: Iterable[OrgSettings] = ()) -> Node:
    """Parse a query as a visitor typed it; returns the AST. Never raises.

    Diarienummer are read with the default conventions (year/serial, four-digit years);
    pass the organisations' settings (`settings.organisations.values()`) to also read
    them as each organisation writes them (serial/year, two-digit years such as
    "Dnr 0263/19", its own series prefixes). Every distinct reading becomes an
    alternative."""
    try:
        return _parse(text, tuple(orgs))
    except Exception:  # noqa: BLE001 - a bug here must not become an error page
        words = [_plain_word(w) for w in str(text)[:MAX_LENGTH].split()]
        return _finish(_and([w for w in words if w is not None]))


def _parse(text: str, orgs: tuple[OrgSettings, ...]) -> Node:
    text = unicodedata.normalize("NFC", str(text))[:MAX_LENGTH]
    tokens = _repair(_tokenize(text))
    parser = _Parser(tokens, _distinct_conventions(orgs))
    node = parser.or_expr()
    return _finish(node)


class _Parser:
    def __init__(self, tokens: list[_Tok], orgs: tuple[OrgSettings, ...]) -> None:
        self.tokens = tokens
        self.orgs = orgs
        self.pos = 0
        self.all_words = all(t.kind == "WORD" for t in tokens)

    def peek(self) -> _Tok | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def or_expr(self) -> Node | None:
        parts = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.pos += 1
            parts.append(self.and_expr())
        return _or([p for p in parts if p is not None])

    def and_expr(self) -> Node | None:
        items: list[tuple[Node | None, _Tok | None]] = []
        while (tok := self.peek()) is not None and tok.kind not in ("OR", "RPAREN"):
            if tok.kind == "WORD":
                self.pos += 1
                items.append((None, tok))   # plain words: resolved below (diarienummer)
            else:
                items.append((self.unary(), None))
        return _and(_resolve_words(items, self.orgs, whole=self.all_words))

    def unary(self) -> Node | None:
        negate = False
        while (tok := self.peek()) is not None and tok.kind == "NEG":
            self.pos += 1
            negate = not negate
        node = self.primary()
        if node is None or not negate:
            return node
        return node.node if isinstance(node, Not) else Not(node)

    def primary(self) -> Node | None:
        tok = self.peek()
        if tok is None:
            return None
        self.pos += 1
        if tok.kind == "LPAREN":
            node = self.or_expr()
            if (close := self.peek()) is not None and close.kind == "RPAREN":
                self.pos += 1
            return node
        if tok.kind == "PHRASE":
            return _phrase(tok.text, self.orgs)
        if tok.kind == "FIELD":
            return _field(tok.field, tok.text, self.orgs)
        if tok.kind == "WORD":
            return _resolve_run([tok], self.orgs, whole=self.all_words)
        return None


def _resolve_words(
    items: list[tuple[Node | None, _Tok | None]], orgs: tuple[OrgSettings, ...],
    whole: bool = False,
) -> list[Node]:
    """Turn runs of plain words into nodes, spotting diarienummer that span words."""
    out: list[Node] = []
    run: list[_Tok] = []
    for node, tok in items + [(None, None)]:
        if tok is not None:
            run.append(tok)
            continue
        if run:
            resolved = _resolve_run(run, orgs, whole=whole)
            if resolved is not None:
                out.append(resolved)
            run = []
        if node is not None:
            out.append(node)
    return out


_LEAD_WORDS = frozenset({"dnr", "dnr.", "dnr:", "diarienr", "diarienummer", "ärendenr"})


def _resolve_run(run: list[_Tok], orgs: tuple[OrgSettings, ...],
                 whole: bool = False) -> Node | None:
    """Words → nodes; a window of words that reads as a diarienummer becomes
    Or(words, Diarienummer). `whole`: the run is the entire query."""
    words = [w for t in run if (w := _word(t.text)) is not None]
    nodes: list[Node] = []
    i = 0
    while i < len(words):
        for width in range(min(_DNR_WINDOW, len(words) - i), 0, -1):
            window = words[i:i + width]
            if not _dnr_window_ok(window, whole and width == len(words)):
                continue
            dnrs = _diarienummers(" ".join(w.text for w in window), orgs, strict=True)
            if not dnrs:
                continue
            if width > 1 and not _dnr_window_ok(window, False):
                # "möte 2023/123" typed alone: maybe no series at all, so also every
                # series with that year and serial.
                keys = {d.key for d in dnrs}
                dnrs += [d for d in _diarienummers(window[-1].text, orgs, strict=True)
                         if d.key not in keys]
            alternatives: list[Node] = [_and(list(window)) or dnrs[0], *dnrs]
            nodes.append(_or(alternatives) or dnrs[0])
            i += width
            break
        else:
            nodes.append(words[i])
            i += 1
    return _and(nodes)


def _dnr_window_ok(window: list[Word | Prefix], whole: bool) -> bool:
    """Whether words may be read together as one diarienummer. The last word must hold a
    digit; words before it count as a series prefix only when typed in capitals (KS),
    as a lead-in (Dnr), or when the window is all the visitor typed ("ks 2023/123"):
    in "möte 2023/123" the word "möte" is not a series."""
    if not all(isinstance(w, Word) for w in window):
        return False
    if not any(ch.isdigit() for ch in window[-1].text):
        return False
    if whole:
        return True
    return all(w.text.casefold() in _LEAD_WORDS or w.text.isupper() for w in window[:-1])


def _lstrip(text: str) -> str:
    start = 0
    while start < len(text) and not text[start].isalnum():
        start += 1
    return text[start:]


def _strip_all(text: str) -> str:
    """Drop leading and trailing characters that are not letters or digits."""
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return text[start:end]


def _strip(text: str) -> str:
    """Drop leading and trailing punctuation, keeping letters, digits and '*'."""
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not (text[end - 1].isalnum() or text[end - 1] == "*"):
        end -= 1
    return text[start:end]


def _plain_word(text: str) -> Word | None:
    core = _strip_all(text)
    if core in _OPERATOR_WORDS:
        core = core.lower()     # an operator that ended up a word must stay one in to_text
    return Word(core) if core else None


def _word(text: str) -> Word | Prefix | None:
    core = _strip(text)
    if core.endswith("*"):
        stem = _strip_all(core)
        if len(stem) >= MIN_PREFIX:
            return Prefix(stem)
        return Word(stem) if stem else None
    return _plain_word(core)


def _phrase(text: str, orgs: tuple[OrgSettings, ...]) -> Node | None:
    words = tuple(w for part in text.split() if (w := _strip_all(part)))
    if not words:
        return None
    phrase = Phrase(words)
    dnrs = _diarienummers(" ".join(words), orgs)
    return Or((phrase, *dnrs)) if dnrs else phrase


def _field(name: str, value: str, orgs: tuple[OrgSettings, ...]) -> Node | None:
    value = " ".join(value.split())
    if name == "dnr":
        dnrs = _diarienummers(value, orgs)
        return _or(list(dnrs)) if dnrs else _degrade(value)
    if name in ("datum", "year"):
        rng = _date_range(value)
        return rng if rng is not None else _degrade(value)
    core = _strip_all(value)
    if not core:
        return None
    if name == "riktning":
        with contextlib.suppress(ValueError):   # an unknown direction is kept as typed
            core = Riktning.parse(core).value
    return Field(name, core)


def _degrade(value: str) -> Node | None:
    """A filter value we cannot read is searched as words (colons, parentheses, quotes and
    bars separate words here, so that the words never read as query syntax)."""
    parts = re.sub(r'[:()"|]', " ", value).split()
    return _and([w for part in parts if (w := _plain_word(part)) is not None])


_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def _date_bound(text: str, end: bool) -> str | None | bool:
    """ISO date for a bound ('' → None, open); False when unreadable."""
    if not text:
        return None
    m = _DATE.match(text)
    if not m:
        return False
    year = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else (12 if end else 1)
    try:
        last = calendar.monthrange(year, month)[1] if end else 1
        day = int(m.group(3)) if m.group(3) else last
        return date(year, month, day).isoformat()
    except ValueError:
        return False


def _date_range(value: str) -> DateRange | None:
    value = value.replace(" ", "")
    if ".." in value:
        left, _, right = value.partition("..")
    else:
        left = right = value
    start = _date_bound(left, end=False)
    stop = _date_bound(right, end=True)
    if start is False or stop is False or (start is None and stop is None):
        return None
    assert not isinstance(start, bool) and not isinstance(stop, bool)
    if start is not None and stop is not None and start > stop:
        start, stop = (
            _date_bound(right, end=False), _date_bound(left, end=True)  # typed backwards
        )
        assert not isinstance(start, bool) and not isinstance(stop, bool)
    return DateRange(start, stop)


def _and(nodes: list[Node]) -> Node | None:
    flat: list[Node] = []
    for node in nodes:
        if isinstance(node, And):
            flat.extend(node.children)
        elif node is not None:
            flat.append(node)
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def _or(nodes: list[Node]) -> Node | None:
    flat: list[Node] = []
    for node in nodes:
        # A word-or-diarienummer pair stays a group of its own, so it displays as typed.
        if isinstance(node, Or) and not any(isinstance(c, Diarienummer) for c in node.children):
            flat.extend(node.children)
        elif node is not None:
            flat.append(node)
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def _finish(node: Node | None) -> Node:
    """Establish the invariants in the module doc (Not only beside a positive child)."""
    if node is None:
        return MatchAll()
    return _anchor(node)


def _anchor(node: Node) -> Node:
    if isinstance(node, Not):
        return And((MatchAll(), Not(_anchor(node.node))))
    if isinstance(node, And):
        children = [
            Not(_anchor(c.node)) if isinstance(c, Not) else _anchor(c) for c in node.children
        ]
        if all(isinstance(c, Not) for c in children):
            children.insert(0, MatchAll())
        return And(tuple(children))
    if isinstance(node, Or):
        return Or(tuple(_anchor(c) for c in node.children))
    return node


# ---------------------------------------------------------------------------------------
# Diarienummer


def _distinct_conventions(orgs: tuple[OrgSettings, ...]) -> tuple[OrgSettings, ...]:
    """The organisations whose way of writing diarienummer differs from the defaults,
    one per distinct convention (a hundred default organisations cost nothing)."""
    seen: set[tuple[object, ...]] = set()
    out: list[OrgSettings] = []
    for org in orgs:
        conv = (org.dnr_order, org.two_digit_years, org.dnr_prefixes)
        if conv == ("year/serial", False, ()) or conv in seen:
            continue
        seen.add(conv)
        out.append(org)
    return tuple(out)


def _diarienummers(text: str, orgs: tuple[OrgSettings, ...] = (),
                   strict: bool = False) -> list[Diarienummer]:
    """The distinct readings of `text` as a diarienummer: with the default conventions
    first, then each organisation's; [] when it reads as none. `strict` (free query words,
    not a dnr: filter) also asks looks_like_diarienummer: short series prefixes only."""
    text = text.strip().strip(".,;:!?")
    if not text or not any(ch.isdigit() for ch in text):
        return []
    found: dict[str, Diarienummer] = {}
    for org in (None, *orgs):
        parsed = dnr_parser.try_parse(text, org)
        if parsed is None or parsed.key in found:
            continue
        if strict and not dnr_parser.typed_as_diarienummer(parsed, org):
            continue
        found[parsed.key] = Diarienummer(written=text, key=parsed.key,
                                         year_serial=parsed.year_serial)
    if not found and dnr_parser.looks_like_identifier(text, spaces=not strict):
        # An identifier that is no diarienummer (an opaque system id) is stored under
        # "#" + its canonical spelling: the same key finds it, however it is spelled.
        with contextlib.suppress(InvalidDiarienummer):
            ident = dnr_parser.opaque(text)
            found[ident.key] = Diarienummer(written=text, key=ident.key,
                                            year_serial=ident.year_serial)
    return list(found.values())


# ---------------------------------------------------------------------------------------
# Helpers for highlighting and display


def terms(node: Node) -> list[str]:
    """The positive words and phrases of a query, in order, for highlighting.

    Excluded parts (Not) give none; a phrase gives its words joined by spaces; a prefix
    gives its stem; a part/rubrik filter gives its value; duplicates are dropped."""
    found: list[str] = []
    for part in _positive(node):
        if isinstance(part, Word | Prefix):
            found.append(part.text)
        elif isinstance(part, Phrase):
            found.append(" ".join(part.words))
        elif part.name in TEXT_FIELDS:
            found.append(part.value)
    return list(dict.fromkeys(found))


def text_terms(node: Node) -> list[Word | Prefix | Phrase]:
    """The positive words, prefixes and phrases of a query as nodes, in order, duplicates
    dropped: what a highlighter marks in a record's free text.

    Like terms(), but typed (a prefix stays a Prefix) and without field filters: a
    `part:` or `rubrik:` value is looked for in that field, not in the text."""
    return list(dict.fromkeys(p for p in _positive(node) if not isinstance(p, Field)))


def _positive(node: Node) -> list[Word | Prefix | Phrase | Field]:
    """The word-bearing leaves outside any Not, in query order."""
    if isinstance(node, Word | Prefix | Phrase | Field):
        return [node]
    if isinstance(node, And | Or):
        return [leaf for child in node.children for leaf in _positive(child)]
    return []


def to_text(node: Node) -> str:
    """The query written back in the query language (normalised), for display.

    parse(to_text(node)) gives back an equivalent query."""
    return _text(node, top=True)


def _quote(value: str) -> str:
    return '"' + value.replace('"', "") + '"'


def _text(node: Node, top: bool = False) -> str:
    if isinstance(node, MatchAll):
        return ""
    if isinstance(node, Word):
        return node.text
    if isinstance(node, Prefix):
        return node.text + "*"
    if isinstance(node, Phrase):
        return _quote(" ".join(node.words))
    if isinstance(node, Not):
        return "-" + _text(node.node)
    if isinstance(node, And):
        inner = " ".join(t for c in node.children if (t := _text(c)))
        return inner if top else f"({inner})"
    if isinstance(node, Or):
        words = [c for c in node.children if not isinstance(c, Diarienummer)]
        dnrs = [c for c in node.children if isinstance(c, Diarienummer)]
        if dnrs and len(words) == 1:
            # The diarienummer alternatives were added by the parser: show what was typed.
            return _text(words[0], top=top)
        if dnrs and not words and len({d.written for d in dnrs}) == 1:
            return _text(dnrs[0])       # one dnr: filter read in several conventions
        inner = " OR ".join(_text(c) for c in node.children)
        return inner if top else f"({inner})"
    if isinstance(node, Field):
        label = {"namnd": "nämnd", "organisation": "org", "handlingstyp": "typ"}.get(
            node.name, node.name
        )
        value = node.value if re.fullmatch(r"[^\s()\"|]+", node.value) else _quote(node.value)
        return f"{label}:{value}"
    if isinstance(node, DateRange):
        if node.start == node.end and node.start is not None:
            return f"datum:{node.start}"
        return f"datum:{node.start or ''}..{node.end or ''}"
    if isinstance(node, Diarienummer):
        return f"dnr:{_quote(node.written) if ' ' in node.written else node.written}"
    return ""
