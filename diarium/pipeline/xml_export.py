"""Register exports in XML: FGS Ärendehantering 1.0, FGS 2.0 (CITS ERMS 2.1.x / 3.0.x) and
Noark 5 arkivstruktur.xml, read as a stream of manifest rows.

Each format is one class (`diarium.pipeline.fgs`, `.erms`, `.noark5`) that says which
elements are folders (cases), which are records (documents) and how one folder or record
maps to the store's fields. This module does the rest, the same for every format:

- recognise the format from the root element and its namespace (`sniff`);
- find the organisation: the export's archive creator (arkivbildare, arkivskaper) matched by
  name to an organisation of diarium.toml, unless `--organisation` names one;
- stream the file (lxml iterparse with a tag filter, so only folders and records reach
  Python), clearing and removing each record once mapped, so memory stays bounded by one
  case (the records of a case are held until the case element ends, because Noark 5 writes
  the case's own fields, saksstatus, saksansvarlig, after its records);
- turn each (case, record) pair into one manifest row: the same columns a CSV manifest has
  (importing.COLUMNS), every element without a column kept as metadata under its path
  relative to the record ("record/agents/agent[2]/name") as JSON in "\\0extra", the case's
  own metadata as JSON in "\\0case_extra", the files as JSON in "\\0files", a bad value as
  "\\0bad" with its XML path. The rows then go through the manifest import unchanged: one
  validation, one row hash, one rejects file, one writer.

A case without records still becomes a row ("\\0case_only"), so no case is lost.

A large export is parsed by a second process (`stream`) while this one validates and
writes, so the two halves of the work use two cores; the rows arrive in the same order.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import unicodedata
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from diarium import diarienummer
from diarium.config import Settings
from diarium.errors import DiariumError, ManifestError
from diarium.parties import UNKNOWN, PartyKind
from diarium.pipeline import xml_safety

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
CASE_FIELDS = ("arendemening", "status", "namnd", "enhet", "handlaggare", "klassificering")
# A restriction that names no provision: the entry is still secret (as a CSV "ja").
SEKRETESS_UNSPECIFIED = "OSL"
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:$|[T ]|Z$|[+-]\d{2}:?\d{2}$)")
_DOC_PART = re.compile(r"\s*[:\-/.]\s*0*(\d+)\s*$")
HEAD_LIMIT = 20_000  # elements read for the archive creator before the first case
_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


@dataclass
class FileRef:
    """A file named by the export, with the checksum the export gives for it."""

    path: str
    checksum: str = ""
    algorithm: str = ""


class Bad(Exception):
    """A value a mapper cannot read; `where` is its path relative to the record or case."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


@dataclass
class CaseData:
    identifier: str
    fields: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)
    # A meeting folder (Noark 5 moetemappe): the meeting's own fields (namnd, datum, tid,
    # plats), or a Bad when they cannot be read; None for every other case.
    meeting: dict[str, str] | Bad | None = None


@dataclass
class DocData:
    fields: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)
    files: list[FileRef] = field(default_factory=list)
    identifier: str = ""          # the document's own id (objectId, ArkivobjektID, ...)
    # A registration of a meeting folder: {"role": "kallelse"|"protokoll"} for the notice
    # or the minutes, {"item": {...}} for an agenda item (paragraf, rubrik, beslut, typ,
    # sekretess, diarienummer), or a Bad for an item that cannot be read.
    meeting: dict[str, Any] | Bad | None = None


# ---------------------------------------------------------------------------------------
# Helpers for the format classes


_LOCAL: dict[str, str] = {}


def local(elem: Any) -> str:
    """An element's local name ("" for comments and processing instructions)."""
    tag = elem.tag
    if not isinstance(tag, str):
        return ""
    name = _LOCAL.get(tag)
    if name is None:
        name = _LOCAL[tag] = tag.rpartition("}")[2]
    return name


def index(elem: Any) -> dict[str, list[Any]]:
    """The child elements by local name, in document order: one pass over the children,
    so a mapper looks each field up instead of scanning the children again."""
    out: dict[str, list[Any]] = {}
    for child in elem:
        tag = child.tag
        if isinstance(tag, str):
            name = _LOCAL.get(tag)
            if name is None:
                name = _LOCAL[tag] = tag.rpartition("}")[2]
            group = out.get(name)
            if group is None:
                out[name] = [child]
            else:
                group.append(child)
    return out


def first(idx: dict[str, list[Any]], name: str) -> Any:
    """The first child called `name` in an index(), or None."""
    group = idx.get(name)
    return group[0] if group else None


def kids(elem: Any) -> Iterator[Any]:
    """The child elements (no comments)."""
    for child in elem:
        if isinstance(child.tag, str):
            yield child


def text(elem: Any) -> str:
    """An element's text, whitespace-trimmed (its descendants' text too)."""
    if elem is None:
        return ""
    if len(elem) == 0:
        return (elem.text or "").strip()
    return " ".join("".join(elem.itertext()).split())


def xsi_type(elem: Any) -> str:
    """The local part of xsi:type ("saksmappe" for "n5:saksmappe")."""
    return str(elem.get(XSI_TYPE, "")).rpartition(":")[2]


def iso_date(value: str, where: str) -> str:
    """YYYY-MM-DD of an xs:date or xs:dateTime ("2019-05-03T10:00:00+02:00").

    Raises Bad when it is not one.
    """
    m = _DATE.match(value.strip())
    if m is None:
        raise Bad(where, f"{value!r} is not a date (YYYY-MM-DD or an xs:dateTime)")
    try:
        day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise Bad(where, f"{value!r} is not a date (no such day)") from None
    return day.isoformat()


def running_number(value: str, where: str) -> str:
    """A document's running number as the store keeps it ("7" for "007"); "" when the
    export writes none, or a whole number below 1 (the schemas type it xs:int or
    xs:integer, and generated or migrated exports write 0: the caller then keeps the value
    as metadata and numbers the document by its id or position).

    Raises Bad when it is no whole number.
    """
    value = value.strip()
    if not value:
        return ""
    if not re.fullmatch(r"[+-]?\d+", value):
        raise Bad(where, f"{value!r} is not a whole number")
    number = int(value)
    return str(number) if number > 0 else ""


def first_date(dates: dict[str, tuple[str, Any]], order: tuple[tuple[str, str], ...]
               ) -> tuple[str, str, Any] | None:
    """The document's date by the format's order of preference: (ISO date, the Swedish
    kind of date, the element it came from), or None when it has none of them."""
    for name, swedish in order:
        found = dates.get(name)
        if found is not None:
            return found[0], swedish, found[1]
    return None


def child_path(elem: Any, root: Any) -> str:
    """The path of `elem` below `root`, with [n] where a name repeats ("dates/date[2]")."""
    parts: list[str] = []
    node = elem
    while node is not None and node is not root:
        name = local(node)
        parent = node.getparent()
        if parent is not None:
            same = [c for c in kids(parent) if local(c) == name]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/".join(reversed(parts))


def flatten(elem: Any, consumed: set[Any], prefix: str, out: dict[str, str],
            idx: dict[str, list[Any]] | None = None) -> None:
    """Every text and attribute below `elem` not in `consumed` (elements, and attributes
    as (element, name) pairs), keyed by its path from `prefix` ("record/agents/agent[2]/name",
    "record/@systemIdentifier"). `idx` is elem's index() when the caller has it."""
    attrib = elem.attrib
    if attrib:
        for name, value in attrib.items():
            if value.strip() and (elem, name) not in consumed:
                out[f"{prefix}/@{name.rpartition('}')[2]}"] = value.strip()
    own = elem.text
    if own and own.strip() and len(elem):
        out[prefix] = own.strip()
    for name, group in (idx if idx is not None else index(elem)).items():
        many = len(group) > 1
        for n, child in enumerate(group, start=1):
            if child in consumed:
                continue
            key = f"{prefix}/{name}[{n}]" if many else f"{prefix}/{name}"
            if len(child):
                flatten(child, consumed, key, out)
                continue
            value = child.text
            if value and value.strip():
                out[key] = value.strip()
            if child.attrib:
                for attr, attr_value in child.attrib.items():
                    if attr_value.strip() and (child, attr) not in consumed:
                        out[f"{key}/@{attr.rpartition('}')[2]}"] = attr_value.strip()


def doc_part(identifier: str) -> tuple[str, int] | None:
    """("S 2010-0034", 1) for a document id "S 2010-0034:1"; None when it has no number
    after the case number."""
    parsed = diarienummer.try_parse(identifier)
    if parsed is None or parsed.doc is None:
        return None
    m = _DOC_PART.search(identifier)
    if m is None:
        return None
    return identifier[: m.start()].strip(), int(m.group(1))


def join_parties(names: list[str]) -> str:
    return "; ".join(dict.fromkeys(n for n in names if n))


def typed_parties(found: list[tuple[str, PartyKind | None]]) -> tuple[str, str]:
    """The party field and its `part_typ` (one kind per party, "okänd" where the export
    does not say; "" when it says for none, so the heuristic decides them all) of the
    (name, kind) pairs an export gives, duplicates dropped as join_parties does."""
    kinds: dict[str, PartyKind | None] = {}
    for name, kind in found:
        if name and kinds.get(name) is None:
            kinds[name] = kind
    part = "; ".join(kinds)
    if all(kind is None for kind in kinds.values()):
        return part, ""
    return part, "; ".join(k.value if k is not None else UNKNOWN for k in kinds.values())


# ---------------------------------------------------------------------------------------
# The format classes' shape


class ExportFormat:
    """One XML export format. Subclasses set the class attributes and the mapping methods."""

    name: ClassVar[str]
    label: ClassVar[str]
    root: ClassVar[str]                       # local name of the root element
    namespaces: ClassVar[tuple[str, ...]]     # "" when the export may omit it
    folder_tags: ClassVar[tuple[str, ...]]    # elements that may be cases
    record_tags: ClassVar[tuple[str, ...]]    # elements that are documents
    container_tags: ClassVar[tuple[str, ...]] = ()  # tracked only for paths (Noark klasse)

    def __init__(self, namespace: str) -> None:
        self.ns = namespace

    def q(self, name: str) -> str:
        return f"{{{self.ns}}}{name}" if self.ns else name

    def is_case(self, elem: Any) -> bool:
        """Whether a folder is a case (not a class or a volume)."""
        return True

    def case_context(self, elem: Any) -> dict[str, str]:
        """Fields a case takes from its surroundings, read when the folder starts."""
        return {}

    def organisation(self, head: dict[str, list[str]]) -> str:
        """The archive creator's name from the texts before the first folder, by path."""
        return ""

    def case(self, elem: Any, context: dict[str, str]) -> CaseData:
        raise NotImplementedError

    def record(self, elem: Any) -> DocData:
        raise NotImplementedError


def formats() -> tuple[type[ExportFormat], ...]:
    from diarium.pipeline.erms import Erms
    from diarium.pipeline.fgs import Fgs
    from diarium.pipeline.noark5 import Noark5

    return (Fgs, Erms, Noark5)


FORMAT_NAMES = ("fgs1", "erms", "noark5")


def sniff(path: Path, forced: str | None = None) -> ExportFormat:
    """The format of an XML export from its root element and namespace (or `forced`).

    Raises ManifestError when the root is none of them (naming what it is).
    """
    namespace, root, _elem = xml_safety.root_of(path)
    known = formats()
    if forced is not None:
        for cls in known:
            if cls.name == forced:
                if root != cls.root:
                    # Forcing reads a namespace it does not expect, never another format.
                    raise ManifestError(f"{path}: the root element is {root!r}, not "
                                        f"{cls.label}'s {cls.root!r}; --format {forced} "
                                        "does not fit this file")
                return cls(namespace)
        raise ManifestError(f"unknown format {forced!r}: use one of {', '.join(FORMAT_NAMES)}")
    for cls in known:
        if root == cls.root and (namespace in cls.namespaces):
            return cls(namespace)
    for cls in known:  # the right root in an unexpected namespace: say which was expected
        if root == cls.root:
            raise ManifestError(
                f"{path}: root element {root!r} in namespace {namespace!r}, but {cls.label} "
                f"uses {' or '.join(repr(n) for n in cls.namespaces if n)}; force the format "
                f"with --format {cls.name} if the export is one anyway"
            )
    where = f" in namespace {namespace!r}" if namespace else ""
    raise ManifestError(
        f"{path}: root element {root!r}{where} is no register export diarium reads "
        "(FGS 1.0 Leveransobjekt, CITS ERMS erms, Noark 5 arkiv); use --format to force one"
    )


# ---------------------------------------------------------------------------------------
# Organisation


_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u", "ø": "o", "æ": "ae"})


def slugify(name: str) -> str:
    base = unicodedata.normalize("NFC", name).strip().lower().translate(_FOLD)
    return re.sub(r"[^a-z0-9]+", "-", base).strip("-")[:60].strip("-")


def resolve_organisation(settings: Settings, creator: str, given: str | None) -> str:
    """The organisation slug for the export's rows: `given` (--organisation) when set,
    else the configured organisation whose name (or slug) is the archive creator's, else,
    with no organisations configured, a slug made from the creator's name.

    Raises ManifestError when none can be told (before anything is written).
    """
    known = settings.organisations
    if given:
        if known and given not in known:
            raise ManifestError(
                f"--organisation {given!r} is none of the organisations in diarium.toml "
                f"({', '.join(sorted(known))})")
        return given
    wanted = unicodedata.normalize("NFC", creator).strip().casefold()
    if wanted:
        for slug, org in known.items():
            if wanted in (org.display_name.casefold(), slug.casefold()):
                return slug
        if not known and slugify(creator):
            return slugify(creator)
        raise ManifestError(
            f"the export's archive creator {creator!r} is none of the organisations in "
            f"diarium.toml ({', '.join(sorted(known))}); name one with --organisation SLUG"
        )
    if len(known) == 1:
        return next(iter(known))
    raise ManifestError("the export names no archive creator (arkivbildare/arkivskaper); "
                        "name the organisation with --organisation SLUG")


def _head(path: Path, fmt: ExportFormat) -> dict[str, list[str]]:
    """Texts of the elements before the first folder or record, by local-name path."""
    stops = {fmt.q(t) for t in (*fmt.folder_tags, *fmt.record_tags)}
    found: dict[str, list[str]] = {}
    names: list[str] = []
    for seen, (event, elem) in enumerate(xml_safety.iterparse(path, ("start", "end"))):
        if event == "start":
            if elem.tag in stops or seen > HEAD_LIMIT:
                break
            names.append(local(elem))
            continue
        value = (elem.text or "").strip()
        if value:
            found.setdefault("/".join(names), []).append(value)
        names.pop()
    return found


# ---------------------------------------------------------------------------------------
# Streaming


@dataclass
class _Frame:
    kind: str                       # folder | record | container
    path: str
    elem: Any = None
    counter: dict[str, int] = field(default_factory=dict)
    is_case: bool = False
    context: dict[str, str] = field(default_factory=dict)
    records: list[tuple[str, DocData | Bad]] = field(default_factory=list)


@dataclass
class XmlExport:
    """An opened export: its format and organisation; `rows()` streams manifest rows."""

    path: Path
    fmt: ExportFormat
    organisation: str
    creator: str

    def rows(self) -> Iterator[tuple[str, dict[str, str], tuple[str, ...]]]:
        """(XML path, row values, ()) per document, in order; the rejects file takes the
        values of a rejected row from the row itself."""
        fmt = self.fmt
        folders = {fmt.q(t) for t in fmt.folder_tags}
        records = {fmt.q(t) for t in fmt.record_tags}
        tags = sorted(folders | records | {fmt.q(t) for t in fmt.container_tags})
        stack: list[_Frame] = []
        top: dict[str, dict[str, int]] = {}
        for event, elem in xml_safety.iterparse(self.path, ("start", "end"), tags):
            if event == "start":
                if stack:
                    # Untracked elements between (ArkivobjektListaHandlingar) join the path.
                    above = stack[-1]
                    between = []
                    node = elem.getparent()
                    while node is not None and node is not above.elem:
                        between.append(local(node))
                        node = node.getparent()
                    name = "/".join([*reversed(between), local(elem)])
                    parent_path, counter = above.path, above.counter
                else:
                    name = local(elem)
                    parent_path = _ancestor_path(elem)
                    counter = top.setdefault(parent_path, {})
                n = counter[name] = counter.get(name, 0) + 1
                kind = ("record" if elem.tag in records
                        else "folder" if elem.tag in folders else "container")
                frame = _Frame(kind, f"{parent_path}/{name}[{n}]", elem)
                if kind == "folder":
                    frame.is_case = fmt.is_case(elem)
                    frame.context = fmt.case_context(elem)
                stack.append(frame)
                continue
            frame = stack.pop()
            if frame.kind == "record":
                try:
                    doc: DocData | Bad = fmt.record(elem)
                except Bad as bad:
                    doc = bad
                owner = next((f for f in reversed(stack) if f.kind == "folder" and f.is_case),
                             None)
                if owner is None:
                    owner = next((f for f in reversed(stack) if f.kind == "folder"), None)
                if owner is None:
                    yield from self._standalone(frame.path, doc)
                else:
                    owner.records.append((frame.path, doc))
            elif frame.kind == "folder" and (frame.records or frame.is_case):
                try:
                    case: CaseData | Bad = fmt.case(elem, frame.context)
                except Bad as bad:
                    case = bad
                yield from self._emit(frame.path, case, frame.records)
                frame.records = []
            # Bounded memory: a finished record or folder leaves the tree.
            elem.clear()
            parent = elem.getparent()
            if parent is not None:
                parent.remove(elem)

    def _emit(self, path: str, case: CaseData | Bad,
              docs: list[tuple[str, DocData | Bad]]) -> Iterator[
                  tuple[str, dict[str, str], tuple[str, ...]]]:
        if isinstance(case, Bad):
            # The case cannot be read: each of its documents is rejected with the reason.
            values = {"organisation": self.organisation, "\0bad": case.reason}
            for _doc in range(max(len(docs), 1)):
                yield f"{path}/{case.where}", dict(values), ()
            return
        base = {"organisation": self.organisation, "diarienummer": case.identifier,
                **{c: case.fields.get(c, "") for c in CASE_FIELDS},
                "\0case_extra": _json(case.extra)}
        if not docs:
            values = {**base, "\0case_only": "1"}
            yield path, values, ()
            if case.meeting is not None:
                yield from self._meeting(path, base, case.meeting, {}, [])
            return
        roles: dict[str, int] = {}
        items: list[tuple[str, dict[str, Any] | Bad]] = []
        numbers = _numbers(docs)
        for position, (doc_path, doc) in enumerate(docs, start=1):
            if isinstance(doc, Bad):
                values = {**base, "\0bad": doc.reason}
                yield f"{doc_path}/{doc.where}", values, ()
                continue
            # The metadata goes as one JSON object (sorted keys, NFC, no empty values),
            # encoded here, where a large export is parsed beside the writer.
            values = {**base, **doc.fields, "\0extra": _JSON({
                k: v if v.isascii() else unicodedata.normalize("NFC", v)
                for k, v in doc.extra.items() if v})}
            if not values.get("lopnummer"):
                values["lopnummer"] = str(numbers[position - 1])
            if doc.files:
                values["\0files"] = json.dumps([vars(f) for f in doc.files], ensure_ascii=False)
            yield doc_path, values, ()
            if isinstance(doc.meeting, Bad):
                items.append((doc_path, doc.meeting))
            elif doc.meeting is not None:
                if "role" in doc.meeting:
                    roles.setdefault(doc.meeting["role"], int(values["lopnummer"]))
                if "item" in doc.meeting:
                    items.append((doc_path, doc.meeting["item"]))
        if case.meeting is not None:
            yield from self._meeting(path, base, case.meeting, roles, items)

    @staticmethod
    def _meeting(path: str, base: dict[str, str], meeting: dict[str, str] | Bad,
                 roles: dict[str, int], items: list[tuple[str, dict[str, Any] | Bad]]
                 ) -> Iterator[tuple[str, dict[str, str], tuple[str, ...]]]:
        """After a meeting folder's rows: a rejected row per value that cannot be read,
        then the meeting itself as one row ("\\0meeting", JSON) for the importer, which
        stores it once the folder's register entries are written."""
        if isinstance(meeting, Bad):
            yield f"{path}/{meeting.where}", {**base, "\0bad": meeting.reason}, ()
            return
        good: list[dict[str, Any]] = []
        for doc_path, item in items:
            if isinstance(item, Bad):
                yield f"{doc_path}/{item.where}", {**base, "\0bad": item.reason}, ()
            else:
                good.append({**item, "path": doc_path})
        payload = {**meeting, "items": good, "kallelse": roles.get("kallelse"),
                   "protokoll": roles.get("protokoll")}
        yield path, {**base, "\0meeting": json.dumps(payload, ensure_ascii=False)}, ()

    def _standalone(self, path: str, doc: DocData | Bad) -> Iterator[
            tuple[str, dict[str, str], tuple[str, ...]]]:
        """A record outside any folder: its case is its own id without the document part
        ("S 2010-0034:1" is document 1 of case S 2010-0034), or the id itself."""
        if isinstance(doc, Bad):
            yield from self._emit(path.rpartition("/")[0], CaseData("", {}), [(path, doc)])
            return
        part = doc_part(doc.identifier) if doc.identifier else None
        identifier = part[0] if part else doc.identifier
        if not identifier:
            values = {"organisation": self.organisation,
                      "\0bad": "a record outside any case without an identifier"}
            yield path, values, ()
            return
        if part and not doc.fields.get("lopnummer"):
            doc.fields["lopnummer"] = str(part[1])
        yield from self._emit(path, CaseData(identifier, {}), [(path, doc)])


def _numbers(docs: list[tuple[str, DocData | Bad]]) -> list[int]:
    """The running number of each document of a case that names none itself: the number
    after the case in its id ("2019/123-4"), else its place in the case, else (that place
    is another document's number: an arkivnotat beside journalposts that carry
    journalpostnummer) the next number no document of the case has. 0 for the others."""
    written: list[int] = []
    for _path, doc in docs:
        number = 0
        if not isinstance(doc, Bad):
            if doc.fields.get("lopnummer", "").isdigit():
                number = int(doc.fields["lopnummer"])
            elif doc.identifier:
                part = doc_part(doc.identifier)
                number = part[1] if part else 0
        written.append(number)
    taken = set(written)
    out: list[int] = []
    spare = max(taken, default=0)
    for position, ((_path, doc), number) in enumerate(zip(docs, written, strict=True),
                                                     start=1):
        if number or isinstance(doc, Bad) or doc.fields.get("lopnummer"):
            out.append(number)
        elif position not in taken:
            taken.add(position)
            out.append(position)
        else:
            spare += 1
            while spare in taken:
                spare += 1
            taken.add(spare)
            out.append(spare)
    return out


def _ancestor_path(elem: Any) -> str:
    names: list[str] = []
    node = elem.getparent()
    while node is not None:
        names.append(local(node))
        node = node.getparent()
    return "/" + "/".join(reversed(names)) if names else ""


def _json(values: dict[str, str]) -> str:
    return _JSON(values) if values else "{}"


def open_export(path: Path, settings: Settings, forced: str | None = None,
                organisation: str | None = None) -> XmlExport:
    """Check the whole file (well-formed, no DOCTYPE), recognise its format and find its
    organisation. Returns an XmlExport whose rows() streams the documents.

    Raises ManifestError (DoctypeRefused for a DOCTYPE) before anything is written.
    """
    xml_safety.check_document(path)
    fmt = sniff(path, forced)
    creator = fmt.organisation(_head(path, fmt))
    slug = resolve_organisation(settings, creator, organisation)
    return XmlExport(path, fmt, slug, creator)


# ---------------------------------------------------------------------------------------
# Parsing beside the writer

# Below this size the second process costs more to start than it saves.
PIPELINE_MIN_BYTES = 4 << 20
_BATCH = 500


def stream(export: XmlExport) -> Generator[tuple[str, dict[str, str], tuple[str, ...]]]:
    """export.rows(), parsed by a second process when the file is large and the machine
    has a second core, so parsing and writing overlap. The same rows in the same order.

    Raises what rows() raises (ManifestError), or ManifestError when the reader process
    dies.
    """
    if (export.path.stat().st_size < PIPELINE_MIN_BYTES or (os.cpu_count() or 1) < 2
            or "fork" not in multiprocessing.get_all_start_methods()):
        yield from export.rows()
        return
    # fork, not spawn: spawn re-imports the caller's main module, which a script that
    # calls import_manifest at its top level cannot survive. The forked reader touches
    # nothing but the XML file and its pipe (never the store's connection) and leaves
    # with os._exit, as multiprocessing's forked children do.
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    reader = ctx.Process(target=_produce, args=(export, sender, receiver),
                         name="diarium-xml-reader", daemon=True)
    reader.start()
    sender.close()
    try:
        while True:
            try:
                message = receiver.recv()
            except EOFError:
                reader.join(5)
                raise ManifestError(f"{export.path}: the XML reader process ended "
                                    f"unexpectedly (exit code {reader.exitcode})") from None
            if message is None:
                return
            if isinstance(message, BaseException):
                raise message
            yield from message
    finally:
        receiver.close()
        if reader.is_alive():
            reader.terminate()
        reader.join(5)


def _produce(export: XmlExport, sender: Any, receiver: Any) -> None:
    """The reader process: rows in batches, then None (or the error). It ends when the
    importer goes away (a closed pipe), so a killed import leaves no reader behind."""
    # The fork copied the importer's end of the pipe too: close it, or a write to a pipe
    # whose importer was killed would block for ever instead of failing.
    receiver.close()
    try:
        batch: list[tuple[str, dict[str, str], tuple[str, ...]]] = []
        for row in export.rows():
            batch.append(row)
            if len(batch) >= _BATCH:
                sender.send(batch)
                batch = []
        if batch:
            sender.send(batch)
        sender.send(None)
    except (BrokenPipeError, ConnectionResetError, EOFError):
        return
    except DiariumError as exc:
        sender.send(exc)
    except Exception as exc:  # noqa: BLE001 - reported to the importer, which stops
        sender.send(ManifestError(f"{export.path}: reading the XML failed: {exc!r}"))
