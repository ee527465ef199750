"""The DCAT-AP-SE 3 catalogue of the open data: what the national data portal harvests.

One catalogue, one dataset per organisation, and per dataset its distributions: the
gzipped CSV and JSON Lines files of the published dump (diarium.opendata.dump) and the
JSON API, which is described as a `dcat:DataService`. The portal's harvesting rules
(diggsweden/DCAT-AP-SE, docs/harvesting.md) shape it:

- every IRI is absolute, built on `[opendata] base_url`, and nothing is a blank node
  (catalogue, datasets, distributions, publishers and contact points least of all; the
  periods of time and checksums get IRIs too);
- a publisher's IRI is `http://dataportal.se/organisation/SE<organisation number>`, with
  a `-<slug>` suffix for an organisation of the deployment that has no number of its own;
  publishers and contact points never share an IRI;
- licences are IRIs written exactly as the portal expects (CC0 by default).

`build_catalogue()` returns an rdflib Graph; `serialize()` writes it as RDF/XML (what the
portal reads), Turtle or JSON-LD.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF

from diarium.config import Settings
from diarium.errors import ConfigError
from diarium.opendata.dump import Dump, DumpFile, OrgSummary

SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
ADMS_PUBLISHER = Namespace("http://purl.org/adms/publishertype/")
EU = "http://publications.europa.eu/resource/authority/"
LANGUAGE_SV = URIRef(EU + "language/SWE")
THEME_GOVERNMENT = URIRef(EU + "data-theme/GOVE")
ACCESS_PUBLIC = URIRef(EU + "access-right/PUBLIC")
DATA_THEME_TAXONOMY = URIRef(EU + "data-theme")
IANA = "http://www.iana.org/assignments/media-types/"
PORTAL_ORGANISATION = "http://dataportal.se/organisation/SE"
GZIP = URIRef(IANA + "application/gzip")

FORMATS = {
    "turtle": ("text/turtle", "turtle"),
    "json-ld": ("application/ld+json", "json-ld"),
    "rdf-xml": ("application/rdf+xml", "xml"),
}
KEYWORDS = ("diarium", "allmänna handlingar", "offentlighetsprincipen", "postlista",
            "ärenden", "handlingar", "diarienummer")
_KIND_SV = {"documents": "handlingar", "cases": "ärenden", "meetings": "sammanträden"}
_FORMAT_SV = {"csv": "CSV", "jsonl": "JSON Lines"}


@dataclass(frozen=True)
class _Publisher:
    iri: URIRef
    name: str
    number: str


def publisher_iri(organisation_number: str, suffix: str = "") -> URIRef:
    """The portal's IRI of a publisher: organisation number without hyphen, optional
    suffix for a body that shares its number."""
    digits = organisation_number.replace("-", "")
    return URIRef(PORTAL_ORGANISATION + digits + (f"-{suffix}" if suffix else ""))


def build_catalogue(settings: Settings, dump: Dump, base_url: str | None = None) -> Graph:
    """The DCAT-AP-SE catalogue of `dump` (one dataset per organisation it holds).

    `base_url` defaults to `[opendata] base_url`. Raises ConfigError when there is no
    absolute base URL or no organisation number to build the publisher IRIs from.
    """
    base = (base_url or settings.opendata.base_url).rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ConfigError("the open-data catalogue needs absolute addresses: set "
                          "[opendata] base_url in diarium.toml (https://…)")
    od = settings.opendata
    if not od.organisation_number and not any(
            settings.org(o.slug).organisation_number for o in dump.organisations):
        raise ConfigError("the open-data catalogue needs the publisher's organisation "
                          "number: set [opendata] organisation_number in diarium.toml")
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dcterms", DCTERMS), ("foaf", FOAF),
                       ("vcard", VCARD), ("spdx", SPDX)):
        g.bind(prefix, ns)
    data = f"{base}/data"
    first_name = dump.organisations[0].name if dump.organisations else ""
    main = _Publisher(publisher_iri(od.organisation_number) if od.organisation_number
                      else URIRef(""), od.publisher or first_name, od.organisation_number)
    licence = URIRef(od.license)
    modified = Literal(dump.created, datatype=XSD.dateTime)

    catalogue = URIRef(f"{data}/catalog")
    g.add((catalogue, RDF.type, DCAT.Catalog))
    g.add((catalogue, DCTERMS.title, Literal(od.title or "Sökbart diarium: öppna data",
                                             lang="sv")))
    g.add((catalogue, DCTERMS.description, Literal(
        od.description or "Det offentliga diariet (registrerade allmänna handlingar och "
        "ärenden) som öppna data: hela registret som CSV och JSON Lines och ett "
        "sök-API.", lang="sv")))
    g.add((catalogue, DCTERMS.license, licence))
    g.add((catalogue, DCTERMS.language, LANGUAGE_SV))
    g.add((catalogue, DCTERMS.modified, modified))
    g.add((catalogue, FOAF.homepage, URIRef(f"{base}/")))
    g.add((catalogue, DCAT.themeTaxonomy, DATA_THEME_TAXONOMY))

    publishers: dict[URIRef, _Publisher] = {}
    if main.number:
        publishers[main.iri] = main
        g.add((catalogue, DCTERMS.publisher, main.iri))

    service = URIRef(f"{data}/service/api")
    api = f"{base}/api/"
    g.add((catalogue, DCAT.service, service))
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCTERMS.title, Literal("Diariets sök-API", lang="sv")))
    g.add((service, DCTERMS.description, Literal(
        "JSON-API för sökning i diariet, ärenden och handlingar (OpenAPI-beskrivning på "
        "endpointDescription).", lang="sv")))
    g.add((service, DCAT.endpointURL, URIRef(api)))
    g.add((service, DCAT.endpointDescription, URIRef(f"{base}/api/openapi.json")))
    g.add((service, DCTERMS.format, Literal("application/json")))
    g.add((service, DCTERMS.license, licence))
    g.add((service, DCTERMS.accessRights, ACCESS_PUBLIC))
    for word in ("sök-API", "diarium"):
        g.add((service, DCAT.keyword, Literal(word, lang="sv")))

    for org in dump.organisations:
        org_settings = settings.org(org.slug)
        if org_settings.organisation_number:
            publisher = _Publisher(publisher_iri(org_settings.organisation_number),
                                   org.name, org_settings.organisation_number)
        elif len(dump.organisations) == 1 or org.name == main.name:
            publisher = main
        else:
            publisher = _Publisher(publisher_iri(main.number, _slug_iri(org.slug)),
                                   org.name, main.number)
        publishers[publisher.iri] = publisher
        if not main.number and (catalogue, DCTERMS.publisher, None) not in g:
            g.add((catalogue, DCTERMS.publisher, publisher.iri))
        dataset = URIRef(f"{data}/dataset/{_slug_iri(org.slug)}")
        g.add((catalogue, DCAT.dataset, dataset))
        g.add((service, DCAT.servesDataset, dataset))
        _dataset(g, settings, dump, org, dataset, publisher, licence, modified, data, base,
                 service)
        email = org_settings.registry_email or od.contact_email
        if email:
            contact = URIRef(f"{data}/contact/{_slug_iri(org.slug)}")
            g.add((dataset, DCAT.contactPoint, contact))
            g.add((contact, RDF.type, VCARD.Organization))
            g.add((contact, VCARD.fn, Literal(od.contact_name or f"Registratorn, {org.name}")))
            g.add((contact, VCARD.hasEmail, URIRef(f"mailto:{email}")))
            if (service, DCAT.contactPoint, None) not in g:
                g.add((service, DCAT.contactPoint, contact))
    if (service, DCTERMS.publisher, None) not in g:
        first = next(iter(publishers.values()), None)
        if first is not None:
            g.add((service, DCTERMS.publisher, main.iri if main.number else first.iri))
    for publisher in publishers.values():
        g.add((publisher.iri, RDF.type, FOAF.Agent))
        g.add((publisher.iri, FOAF.name, Literal(publisher.name or publisher.number,
                                                 lang="sv")))
        g.add((publisher.iri, DCTERMS.identifier, Literal(publisher.number)))
        g.add((publisher.iri, DCTERMS.type, ADMS_PUBLISHER.LocalAuthority))
    return g


def _dataset(g: Graph, settings: Settings, dump: Dump, org: OrgSummary, dataset: URIRef,
             publisher: _Publisher, licence: URIRef, modified: Literal, data: str,
             base: str, service: URIRef) -> None:
    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, DCTERMS.title, Literal(f"Diarium för {org.name}", lang="sv")))
    g.add((dataset, DCTERMS.description, Literal(
        f"Registrerade allmänna handlingar och ärenden hos {org.name}: "
        f"{org.documents} handlingar i {org.cases} ärenden från {org.first_date} till "
        f"{org.last_date}. Sekretessbelagda handlingar visas bara som registeruppgift; "
        "personnummer är maskerade.", lang="sv")))
    g.add((dataset, DCTERMS.publisher, publisher.iri))
    g.add((dataset, DCTERMS.modified, modified))
    g.add((dataset, DCTERMS.language, LANGUAGE_SV))
    g.add((dataset, DCAT.theme, THEME_GOVERNMENT))
    g.add((dataset, DCTERMS.accessRights, ACCESS_PUBLIC))
    g.add((dataset, DCAT.landingPage, URIRef(
        f"{base}/?organisation={quote(org.slug, safe='')}")))
    for word in (*KEYWORDS, *org.committees):
        g.add((dataset, DCAT.keyword, Literal(word, lang="sv")))
    if org.first_date and org.last_date:
        period = URIRef(f"{dataset}/period")
        g.add((dataset, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        g.add((period, DCAT.startDate, Literal(org.first_date, datatype=XSD.date)))
        g.add((period, DCAT.endDate, Literal(org.last_date, datatype=XSD.date)))
    for entry in dump.files_of(org.slug):
        _distribution(g, dataset, entry, licence, modified, data)
    api = URIRef(f"{dataset}/api")
    g.add((dataset, DCAT.distribution, api))
    g.add((api, RDF.type, DCAT.Distribution))
    g.add((api, DCTERMS.title, Literal(f"Sök-API för {org.name}", lang="sv")))
    g.add((api, DCTERMS.description, Literal(
        "Sökning, ärenden och handlingar som JSON (diariets API).", lang="sv")))
    g.add((api, DCAT.accessURL, URIRef(f"{base}/api/")))
    g.add((api, DCAT.accessService, service))
    g.add((api, DCTERMS.format, Literal("application/json")))
    g.add((api, DCAT.mediaType, URIRef(IANA + "application/json")))
    g.add((api, DCTERMS.license, licence))


def _distribution(g: Graph, dataset: URIRef, entry: DumpFile, licence: URIRef,
                  modified: Literal, data: str) -> None:
    dist = URIRef(f"{dataset}/{entry.kind}-{entry.format}")
    url = URIRef(f"{data}/{quote(entry.path)}")
    g.add((dataset, DCAT.distribution, dist))
    g.add((dist, RDF.type, DCAT.Distribution))
    what = f"Alla {_KIND_SV[entry.kind]} som {_FORMAT_SV[entry.format]} (gzip)"
    g.add((dist, DCTERMS.title, Literal(what, lang="sv")))
    g.add((dist, DCTERMS.description, Literal(
        f"{what}, {entry.records} poster. Kontrollsumma SHA-256 i "
        f"{data}/manifest.json.", lang="sv")))
    g.add((dist, DCAT.accessURL, url))
    g.add((dist, DCAT.downloadURL, url))
    g.add((dist, DCTERMS.format, Literal(entry.media_type)))
    g.add((dist, DCAT.mediaType, URIRef(IANA + entry.media_type)))
    g.add((dist, DCAT.compressFormat, GZIP))
    g.add((dist, DCAT.byteSize, Literal(entry.bytes, datatype=XSD.nonNegativeInteger)))
    g.add((dist, DCTERMS.license, licence))
    g.add((dist, DCTERMS.modified, modified))
    checksum = URIRef(f"{dist}/sha256")
    g.add((dist, SPDX.checksum, checksum))
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((checksum, SPDX.checksumValue, Literal(entry.sha256, datatype=XSD.hexBinary)))


def _slug_iri(slug: str) -> str:
    return quote(slug, safe="")


def serialize(graph: Graph, fmt: str = "rdf-xml") -> bytes:
    """The catalogue as bytes in `fmt` ("rdf-xml", "turtle" or "json-ld")."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown catalogue format {fmt!r}: use {', '.join(FORMATS)}")
    return graph.serialize(format=FORMATS[fmt][1], encoding="utf-8")


def negotiate(accept: str) -> str:
    """The catalogue format for an HTTP Accept header (RDF/XML unless Turtle or JSON-LD
    is preferred)."""
    best, best_q = "rdf-xml", 0.0
    for part in accept.split(","):
        kind, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        for fmt, (media, _) in FORMATS.items():
            if kind.strip().lower() == media and q > best_q:
                best, best_q = fmt, q
    return best
