"""Reading untrusted XML exports safely, and reading them fully before anything is written.

A register export comes from outside, so its XML is hostile until proven otherwise:
- a DOCTYPE is refused outright. Register exports (FGS, CITS ERMS, Noark 5) are defined by
  XML Schemas and never need one, and every entity attack (billion laughs, quadratic
  blow-up, external entities that read local files or fetch URLs) needs a DOCTYPE to
  declare its entities. With no DOCTYPE, an entity reference other than the five built-in
  ones is a well-formedness error;
- the parsers never resolve entities, never load a DTD and never touch the network
  (`resolve_entities=False`, `load_dtd=False`, `no_network=True`), as a second wall;
- libxml2's limits on depth and text size stay on (no `huge_tree`).

`check_document` reads the whole file once with a parser that builds nothing (a target
without callbacks: libxml2 at C speed), so a malformed file stops the import with its file,
line and column before a single row is written. `iterparse` then streams the checked file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from lxml import etree

from diarium.errors import ManifestError

_CHUNK = 1 << 20
_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "load_dtd": False,
    "no_network": True,
    "dtd_validation": False,
    "huge_tree": False,
}


class DoctypeRefused(ManifestError):
    """The XML carries a DOCTYPE (the way in for entity expansion and external entities)."""


class _Refuse:
    """A parser target that builds nothing and refuses a DOCTYPE."""

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        where = f" (it names the external {system!r})" if system else ""
        raise DoctypeRefused(
            f"the XML declares a DOCTYPE {name!r}{where}; register exports never need one "
            "and entities from it could expand without bound or read local files, so it is "
            "refused. Remove the DOCTYPE (and any entities it declares) and import again"
        )

    def close(self) -> None:
        return None


def _located(path: Path, exc: etree.XMLSyntaxError) -> ManifestError:
    line, column = exc.position if exc.position else (exc.lineno or 0, 0)
    message = str(exc.msg or exc).split(" (", 1)[0]
    # libxml2 repeats the position at the end of its message: it is given once, in front.
    message = re.sub(r",? line \d+, column \d+$", "", message)
    # libxml2 says "Entity 'x' not defined" for an entity a DOCTYPE would have had to declare.
    hint = ("; entities other than &amp; &lt; &gt; &quot; &apos; are not allowed"
            if "Entity" in message else "")
    return ManifestError(
        f"{path}: line {line}, column {column}: malformed XML: {message}{hint}; "
        "nothing was imported"
    )


def check_document(path: Path) -> None:
    """Read the whole file; returns None when it is well-formed XML without a DOCTYPE.

    Raises DoctypeRefused for a DOCTYPE, ManifestError with the line and column for
    malformed XML (nothing has been written either way).
    """
    parser = etree.XMLParser(target=_Refuse(), **_PARSER_OPTIONS)
    try:
        with path.open("rb") as fh:
            fed = False
            while chunk := fh.read(_CHUNK):
                fed = fed or bool(chunk.strip())
                parser.feed(chunk)
            if not fed:
                raise ManifestError(f"{path}: the file is empty (no XML); nothing was imported")
        parser.close()
    except etree.XMLSyntaxError as exc:
        raise _located(path, exc) from None
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read: {exc}") from exc


def iterparse(path: Path, events: Sequence[str], tags: Sequence[str] | None = None
              ) -> Iterator[tuple[str, Any]]:
    """Stream (event, element) pairs of a file, with the same refusals as check_document.

    Raises ManifestError for malformed XML (with line and column) or a DOCTYPE.
    """
    context = etree.iterparse(str(path), events=tuple(events), tag=tags, remove_comments=True,
                              remove_pis=True, **_PARSER_OPTIONS)
    try:
        yield from context
    except etree.XMLSyntaxError as exc:
        raise _located(path, exc) from None


def root_of(path: Path) -> tuple[str, str, etree._Element]:
    """(namespace, local name, element) of the document's root element, reading only the
    start of the file. Raises ManifestError when there is none or the XML has a DOCTYPE."""
    context = etree.iterparse(str(path), events=("start",), **_PARSER_OPTIONS)
    try:
        for _event, elem in context:
            if elem.getroottree().docinfo.doctype:
                raise DoctypeRefused(
                    f"{path}: the XML declares a DOCTYPE; register exports never need one "
                    "and entities from it could expand without bound or read local files, "
                    "so it is refused"
                )
            qname = etree.QName(elem)
            return qname.namespace or "", qname.localname, elem
    except etree.XMLSyntaxError as exc:
        raise _located(path, exc) from None
    raise ManifestError(f"{path}: no XML root element")
