"""Everyday words for the official terms a register uses (a resident's `sophämtning`,
the documents' `avfall`).

A resident searches with the words of daily life; the documents are written in the
administration's terms. A query word found here is widened to the official term(s), at
the synonyms' lower weight (the word as typed still ranks first): `dagis` also searches
`förskola`, `tippen` also `återvinningscentral`. One way only: a search for `förskola`
does not bring the documents that say `dagis`, so an official term keeps its precision.

Only pairs whose meaning is the same in a municipality's register, never a looser
relative: `tomt` is a `fastighet` in a building permit, but `bostad` is not a `boende`.
An expansion of several words is searched as a phrase. Keys are the forms people type
(`grannar` and `granne`): the lookup is by the typed word, lowercased.
"""

from __future__ import annotations

EVERYDAY: dict[str, tuple[str, ...]] = {
    # waste and recycling
    "sophämtning": ("avfall", "avfallshantering"),
    "sopor": ("avfall",),
    "soporna": ("avfall",),
    "soptunna": ("avfallskärl",),
    "soptunnan": ("avfallskärl",),
    "soptipp": ("återvinningscentral",),
    "tippen": ("återvinningscentral",),
    # children, school
    "dagis": ("förskola",),
    "dagiset": ("förskola",),
    "lekis": ("förskola",),
    "fritids": ("fritidshem",),
    "skolmat": ("skolmåltider",),
    "hemspråk": ("modersmål",),
    "gymnasiet": ("gymnasieskola",),
    # care, social services
    "ålderdomshem": ("särskilt boende",),
    "socialbidrag": ("ekonomiskt bistånd",),
    "soc": ("socialtjänsten",),
    "handikapp": ("funktionsnedsättning",),
    "handikappad": ("funktionsnedsättning",),
    "handikappade": ("funktionsnedsättning",),
    # streets, parking, emergency services
    "gatlykta": ("gatubelysning",),
    "gatlampa": ("gatubelysning",),
    "gatlampor": ("gatubelysning",),
    "gupp": ("farthinder",),
    "vägbula": ("farthinder",),
    "trottoar": ("gångbana",),
    "trottoaren": ("gångbana",),
    "snöplogning": ("snöröjning", "vinterväghållning"),
    "p-böter": ("felparkeringsavgift", "parkeringsanmärkning"),
    "parkeringsböter": ("felparkeringsavgift", "parkeringsanmärkning"),
    "brandkåren": ("räddningstjänsten",),
    # building, planning
    "tomt": ("fastighet",),
    "tomten": ("fastighet",),
    "granne": ("sakägare",),
    "grannar": ("sakägare",),
    "grannen": ("sakägare",),
    "stadsplan": ("detaljplan",),
    # the municipality itself
    "politikerna": ("förtroendevalda",),
    "politiker": ("förtroendevalda",),
    "bibblan": ("bibliotek",),
    "badhus": ("simhall",),
    "badhuset": ("simhall",),
}


def official_terms(word: str) -> tuple[str, ...]:
    """The official terms an everyday word stands for (lowercased; () when none)."""
    return EVERYDAY.get(word.strip().lower(), ())
