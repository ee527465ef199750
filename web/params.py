"""Reading the search state from a URL's query string, and writing it back.

The URL holds the whole search (query, case number, facet filters, date range, sort, page),
so a search is shareable, bookmarkable and the back button restores it. Everything is
validated here, at the edge: a malformed parameter raises BadParameter with a Swedish
message that the view turns into a 400 page (or a JSON error in the API).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urlencode

from diarium.errors import QueryError
from diarium.search import (
    FACET_NAMES,
    FACETS,
    FALSE_WORDS,
    MAX_PER_PAGE,
    SORTS,
    TRUE_WORDS,
    SearchRequest,
)

MAX_QUERY_LENGTH = 500          # characters in the query box
MAX_DNR_LENGTH = 80
MAX_FILTER_VALUES = 30          # values of one facet
MAX_FILTER_LENGTH = 200         # characters of one facet value
MAX_RESULT_WINDOW = 10_000      # deepest result reachable by paging (page * per_page)
DEFAULT_PER_PAGE = 20
FEED_SIZE = 50
EXPORT_DEFAULT = 1_000
EXPORT_MAX = 10_000

SORT_LABELS: dict[str, str] = {
    "relevance": "Relevans", "newest": "Nyast först", "oldest": "Äldst först",
}
FACET_LABELS: dict[str, str] = {f.name: f.label for f in FACETS}
BOOL_FACETS = frozenset(f.name for f in FACETS if f.kind == "bool")
YEAR_FACETS = frozenset(f.name for f in FACETS if f.kind == "year")


_BEFORE_FILTERS = frozenset({"q", "dnr"})


class BadParameter(QueryError):
    """A query-string parameter is malformed; the message (Swedish) is shown to the
    visitor. A QueryError, so every caller that handles a bad request handles it."""


@dataclass(frozen=True)
class SearchState:
    """Everything a search URL says. `request()` turns it into a backend SearchRequest."""

    q: str = ""
    dnr: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    date_from: str = ""
    date_to: str = ""
    sort: str = ""                 # "" = the default for this search
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    exact: bool = False            # `exakt=ja`: keyword-only, no related results

    @property
    def is_empty(self) -> bool:
        """True when the visitor asked for nothing: the page lists the newest records."""
        return not (self.q or self.dnr or self.filters or self.date_from or self.date_to)

    @property
    def effective_sort(self) -> str:
        """The sort in force: relevance for a text query, else newest first."""
        if self.sort:
            return self.sort
        return "relevance" if (self.q or self.dnr) else "newest"

    def query_text(self) -> str:
        """The query handed to the engine: the text query plus a dnr filter for the box."""
        parts = [self.q] if self.q else []
        if self.dnr:
            # Quotes keep a written form with spaces ("KS 2023/123") one value; a quote
            # inside it cannot close the filter early because it was removed on input.
            parts.append(f'dnr:"{self.dnr}"')
        return " ".join(parts)

    def request(self, **changes: object) -> SearchRequest:
        """The backend request for this state (with `changes` applied, e.g. page=3)."""
        state = replace(self, **changes) if changes else self  # type: ignore[arg-type]
        return SearchRequest(
            query=state.query_text(),
            filters=dict(state.filters),
            date_from=state.date_from or None,
            date_to=state.date_to or None,
            sort=state.effective_sort,  # type: ignore[arg-type]
            page=state.page,
            per_page=state.per_page,
            semantic=not state.exact,
        )

    def params(self, **changes: object) -> list[tuple[str, str]]:
        """The query-string pairs for this state (defaults left out), with `changes`."""
        state = replace(self, **changes) if changes else self  # type: ignore[arg-type]
        pairs: list[tuple[str, str]] = []
        if state.q:
            pairs.append(("q", state.q))
        if state.dnr:
            pairs.append(("dnr", state.dnr))
        for name in FACET_NAMES:
            for value in state.filters.get(name, ()):
                pairs.append((name, value))
        if state.date_from:
            pairs.append(("from", state.date_from))
        if state.date_to:
            pairs.append(("to", state.date_to))
        if state.sort:
            pairs.append(("sort", state.sort))
        if state.per_page != DEFAULT_PER_PAGE:
            pairs.append(("per_page", str(state.per_page)))
        if state.exact:
            pairs.append(("exakt", "ja"))
        if state.page != 1:
            pairs.append(("page", str(state.page)))
        return pairs

    def query_string(self, **changes: object) -> str:
        """`params()` URL-encoded, without the leading '?'."""
        return urlencode(self.params(**changes))

    def toggled(self, facet: str, value: str) -> str:
        """The query string with one facet value switched on or off (back to page 1)."""
        return self.toggler(facet)(value)

    def toggler(self, facet: str) -> Callable[[str], str]:
        """A function value -> `toggled(facet, value)`. The pairs that do not change are
        encoded once, since a search page links every value of every facet."""
        pairs = self.params(page=1)
        current = self.filters.get(facet, ())
        before = urlencode([p for p in pairs if p[0] in _BEFORE_FILTERS])
        others = [p for p in pairs if p[0] in FACET_NAMES and p[0] != facet]
        after = urlencode([p for p in pairs if p[0] not in FACET_NAMES
                           and p[0] not in _BEFORE_FILTERS])
        position = FACET_NAMES.index(facet)
        head = urlencode([p for p in others if FACET_NAMES.index(p[0]) < position])
        tail = urlencode([p for p in others if FACET_NAMES.index(p[0]) > position])
        kept = [urlencode([(facet, v)]) for v in current]

        def toggle(value: str) -> str:
            mine = ([k for k, v in zip(kept, current, strict=True) if v != value]
                    if value in current else [*kept, urlencode([(facet, value)])])
            return "&".join(part for part in (before, head, *mine, tail, after) if part)

        return toggle

    def selected(self, facet: str, value: str) -> bool:
        return value in self.filters.get(facet, ())


def _one(args: Mapping[str, list[str]], name: str) -> str:
    values = args.get(name, [])
    if len(values) > 1:
        raise BadParameter(f"Parametern ”{name}” får bara anges en gång.")
    return values[0].strip() if values else ""


def _int(args: Mapping[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    text = _one(args, name)
    if not text:
        return default
    if not text.isdigit() or len(text) > 9:
        raise BadParameter(f"Parametern ”{name}” ska vara ett heltal, inte ”{text[:40]}”.")
    value = int(text)
    if not low <= value <= high:
        raise BadParameter(f"Parametern ”{name}” ska vara mellan {low} och {high}.")
    return value


def _date(args: Mapping[str, list[str]], name: str, label: str) -> str:
    text = _one(args, name)
    if not text:
        return ""
    try:
        return date.fromisoformat(text).isoformat() if len(text) == 10 else _bad_date(label, text)
    except ValueError:
        return _bad_date(label, text)


def _bad_date(label: str, text: str) -> str:
    raise BadParameter(
        f"{label} ska skrivas ÅÅÅÅ-MM-DD, till exempel 2024-03-31 (inte ”{text[:40]}”)."
    )


def _clean(text: str) -> str:
    """Drop control characters that have no place in a query (and could upset a log)."""
    return "".join(ch for ch in text if ch.isprintable() or ch == " ").strip()


def parse_state(args: Mapping[str, list[str]], *, max_per_page: int = MAX_PER_PAGE) -> SearchState:
    """Read a SearchState from query-string args (name -> list of values).

    Raises BadParameter naming the parameter when one is malformed or over a limit.
    """
    q = _clean(_one(args, "q"))
    if len(q) > MAX_QUERY_LENGTH:
        raise BadParameter(f"Sökfrågan är för lång: högst {MAX_QUERY_LENGTH} tecken.")
    dnr = _clean(_one(args, "dnr")).replace('"', " ").strip()
    if len(dnr) > MAX_DNR_LENGTH:
        raise BadParameter(f"Diarienumret är för långt: högst {MAX_DNR_LENGTH} tecken.")
    filters: dict[str, tuple[str, ...]] = {}
    for name in FACET_NAMES:
        values = [_clean(v) for v in args.get(name, []) if v.strip()]
        if not values:
            continue
        if len(values) > MAX_FILTER_VALUES:
            raise BadParameter(
                f"För många värden för {FACET_LABELS[name]}: högst {MAX_FILTER_VALUES}."
            )
        for value in values:
            if len(value) > MAX_FILTER_LENGTH:
                raise BadParameter(f"Ett värde för {FACET_LABELS[name]} är för långt.")
            if name in YEAR_FACETS and not (value.isdigit() and len(value) == 4):
                raise BadParameter(f"{FACET_LABELS[name]} ska vara ett årtal, inte ”{value[:40]}”.")
            if name in BOOL_FACETS and value not in ("true", "false"):
                raise BadParameter(f"{FACET_LABELS[name]} ska vara true eller false.")
        filters[name] = tuple(dict.fromkeys(values))
    date_from = _date(args, "from", "Från-datum")
    date_to = _date(args, "to", "Till-datum")
    if date_from and date_to and date_from > date_to:
        raise BadParameter("Från-datum ligger efter till-datum.")
    sort = _one(args, "sort")
    if sort and sort not in SORTS:
        raise BadParameter(f"Sortering ska vara en av {', '.join(SORTS)}.")
    per_page = _int(args, "per_page", DEFAULT_PER_PAGE, 1, max_per_page)
    page = _int(args, "page", 1, 1, MAX_RESULT_WINDOW)
    if page * per_page > MAX_RESULT_WINDOW:
        raise BadParameter(
            f"Så djupt går det inte att bläddra: högst {MAX_RESULT_WINDOW} träffar. "
            "Avgränsa sökningen i stället."
        )
    exact = _one(args, "exakt").strip().casefold()
    if exact and exact not in TRUE_WORDS | FALSE_WORDS:
        raise BadParameter("exakt ska vara ja eller nej.")
    return SearchState(q, dnr, filters, date_from, date_to, sort, page, per_page,
                       exact in TRUE_WORDS)


def export_limit(args: Mapping[str, list[str]]) -> int:
    """The number of rows an export asked for (`max`), capped at EXPORT_MAX.

    Raises BadParameter when `max` is not a whole number in range.
    """
    return _int(args, "max", EXPORT_DEFAULT, 1, EXPORT_MAX)
