"""Settings: the data folder and `diarium.toml` inside it.

Everything has a default, so a data folder without a diarium.toml works. Example::

    [organisations.helsingborg]
    name = "Helsingborgs stad"
    dnr_order = "serial/year"        # 47/2017; the default is "year/serial" (2017/47)
    dnr_prefixes = ["KS", "SBN"]
    two_digit_years = true           # accept "Dnr 0263/19"
    registry_email = "registrator@example.se"
    base_url = "https://diarium.example.se"

    [organisations.helsingborg.synonyms]
    SBN = "stadsbyggnadsnämnden"

    [search]
    engine = "embedded"              # or "elasticsearch", "opensearch"

    [opendata]                       # the DCAT-AP-SE catalogue and the bulk dumps
    base_url = "https://diarium.example.se"
    organisation_number = "212000-1234"
    publisher = "Exempelby kommun"
    license = "http://creativecommons.org/publicdomain/zero/1.0/"
    contact_email = "registrator@example.se"
    dump_on_sync = true

    [smtp]                           # outgoing mail: alerts, confirmations, requests
    host = "smtp.example.se"
    port = 587
    security = "starttls"            # or "tls" (port 465) or "none" (a local relay)
    user = "diarium"
    password_env = "DIARIUM_SMTP_PASSWORD"   # the password is read from this variable
    sender = "Diariet <diariet@example.se>"
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diarium.errors import ConfigError
from diarium.files import FileStore
from diarium.privacy.policy import PrivacyPolicy, parse_policy

DATA_ENV = "DIARIUM_DATA"
DEFAULT_DATA_DIR = "diarium-data"
CONFIG_NAME = "diarium.toml"
DNR_ORDERS = ("year/serial", "serial/year")

DEFAULT_SYNONYMS: dict[str, str] = {
    "KS": "kommunstyrelsen",
    "KF": "kommunfullmäktige",
    "BUN": "barn- och utbildningsnämnden",
    "TN": "tekniska nämnden",
    "ON": "omsorgsnämnden",
    "MN": "miljönämnden",
    "DNR": "diarienummer",
    # National laws and bodies, written the same way in every register (only letters
    # that are no Swedish word: not SoL, which is `sol`, nor KL, which is `kl.`).
    "OSL": "offentlighets- och sekretesslagen",
    "GDPR": "dataskyddsförordningen",
    "PBL": "plan- och bygglagen",
    "LOU": "lagen om offentlig upphandling",
    "LSS": "lagen om stöd och service till vissa funktionshindrade",
    "HSL": "hälso- och sjukvårdslagen",
    "SKR": "Sveriges Kommuner och Regioner",
}


@dataclass(frozen=True)
class OrgSettings:
    """Per-organisation settings; `slug` is the key used in manifests and URLs."""

    slug: str
    name: str = ""
    dnr_order: str = "year/serial"
    dnr_prefixes: tuple[str, ...] = ()
    two_digit_years: bool = False
    registry_email: str = ""
    base_url: str = ""
    synonyms: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SYNONYMS))
    organisation_number: str = ""    # ten digits, no hyphen (DCAT-AP-SE publisher IRI)
    # private names, show_days, own_names, sensitive matters (diarium.privacy.policy)
    privacy: PrivacyPolicy = field(default_factory=PrivacyPolicy)

    @property
    def display_name(self) -> str:
        return self.name or self.slug

    @property
    def serial_first(self) -> bool:
        return self.dnr_order == "serial/year"


CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"
_ORG_NUMBER = re.compile(r"\d{6}-?\d{4}")


@dataclass(frozen=True)
class OpenDataSettings:
    """The `[opendata]` table: who publishes the catalogue and the dumps, under what licence.

    `base_url` is the site's absolute address (IRIs of the catalogue are built on it);
    `organisation_number` the publishing body's (ten digits); `license` an IRI, CC0 by
    default; `dump_on_sync` makes `diarium sync` write a new dump after indexing.
    """

    base_url: str = ""
    organisation_number: str = ""
    publisher: str = ""
    license: str = CC0
    contact_name: str = ""
    contact_email: str = ""
    title: str = ""
    description: str = ""
    dump_on_sync: bool = False


SMTP_SECURITY = ("starttls", "tls", "none")
_SMTP_DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


@dataclass(frozen=True)
class SmtpSettings:
    """The `[smtp]` table: where diarium.mail delivers the outbox.

    `security`: "starttls" (upgrade a plain connection, port 587 by default), "tls"
    (implicit TLS, port 465) or "none" (a relay on the same host, port 25). The password
    is never in the file: `password_env` names the environment variable holding it.
    `sender` is the From address; `base_url` the site's absolute address for links in
    mails (default: opendata.base_url).
    """

    host: str = ""
    port: int = 587
    security: str = "starttls"
    user: str = ""
    password_env: str = ""
    sender: str = ""
    timeout: float = 30.0
    base_url: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.host and self.sender)

    def password(self) -> str:
        """The password from the environment variable `password_env` ("" when unset)."""
        return os.environ.get(self.password_env, "") if self.password_env else ""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    organisations: dict[str, OrgSettings] = field(default_factory=dict)
    engine: str = "embedded"
    raw: dict[str, Any] = field(default_factory=dict)
    opendata: OpenDataSettings = field(default_factory=OpenDataSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)

    @property
    def store_path(self) -> Path:
        return self.data_dir / "diarium.sqlite"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def files(self) -> FileStore:
        """The content-addressed store of the files (diarium.files)."""
        return FileStore(self.files_dir)

    def file_path(self, sha256: str) -> Path:
        """Where a stored file lives: files/<first two hex digits>/<sha256>."""
        return self.files.path(sha256)

    def org(self, slug: str) -> OrgSettings:
        """Settings for one organisation; defaults when diarium.toml does not name it."""
        found = self.organisations.get(slug)
        return found if found is not None else OrgSettings(slug=slug)

    def section(self, name: str) -> dict[str, Any]:
        """A raw top-level table of diarium.toml (for example `elasticsearch`), or {}."""
        value = self.raw.get(name, {})
        return value if isinstance(value, dict) else {}


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: the argument, else $DIARIUM_DATA, else ./diarium-data."""
    chosen = data_dir if data_dir is not None else os.environ.get(DATA_ENV) or DEFAULT_DATA_DIR
    return Path(chosen).expanduser().resolve()


def load_settings(data_dir: str | os.PathLike[str] | None = None) -> Settings:
    """Read `diarium.toml` from the data folder (absent file: all defaults).

    Raises ConfigError naming the file and key when a value is invalid.
    """
    root = resolve_data_dir(data_dir)
    path = root / CONFIG_NAME
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    orgs: dict[str, OrgSettings] = {}
    for slug, table in (raw.get("organisations") or {}).items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [organisations.{slug}] must be a table")
        orgs[slug] = _org_settings(path, slug, table)
    engine = str((raw.get("search") or {}).get("engine", "embedded"))
    if engine not in ("embedded", "elasticsearch", "opensearch"):
        raise ConfigError(
            f"{path}: search.engine is {engine!r}; use embedded, elasticsearch or opensearch"
        )
    opendata = _opendata_settings(path, raw.get("opendata", {}))
    smtp = _smtp_settings(path, raw.get("smtp", {}), opendata.base_url)
    return Settings(data_dir=root, organisations=orgs, engine=engine, raw=raw,
                    opendata=opendata, smtp=smtp)


def _smtp_settings(path: Path, table: Any, default_base_url: str) -> SmtpSettings:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [smtp] must be a table")
    security = str(table.get("security", "starttls")).strip().lower()
    if security not in SMTP_SECURITY:
        raise ConfigError(f"{path}: smtp.security is {security!r}; use one of "
                          f"{', '.join(SMTP_SECURITY)}")
    port = table.get("port", _SMTP_DEFAULT_PORTS[security])
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ConfigError(f"{path}: smtp.port is {port!r}; write a port number such as 587")
    timeout = table.get("timeout", 30.0)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise ConfigError(f"{path}: smtp.timeout must be a positive number of seconds")
    sender = str(table.get("sender", "")).strip()
    if sender and "@" not in sender:
        raise ConfigError(f"{path}: smtp.sender is {sender!r}; not an e-mail address")
    if "password" in table:
        raise ConfigError(f"{path}: smtp.password is not read from the file; put the "
                          "password in an environment variable and name it in "
                          "smtp.password_env")
    base_url = str(table.get("base_url", "")).strip().rstrip("/") or default_base_url
    if base_url and not re.match(r"https?://[^/\s]+", base_url):
        raise ConfigError(f"{path}: smtp.base_url is {base_url!r}; write an absolute "
                          "address such as https://diarium.example.se")
    return SmtpSettings(
        host=str(table.get("host", "")).strip(), port=port, security=security,
        user=str(table.get("user", "")).strip(),
        password_env=str(table.get("password_env", "")).strip(),
        sender=sender, timeout=float(timeout), base_url=base_url)


def _organisation_number(path: Path, key: str, value: Any) -> str:
    """A Swedish organisation number as ten digits ("212000-1234" -> "2120001234")."""
    text = str(value or "").strip()
    if not text:
        return ""
    if not _ORG_NUMBER.fullmatch(text):
        raise ConfigError(f"{path}: {key} is {text!r}; write ten digits, e.g. 212000-1234")
    return text.replace("-", "")


def _opendata_settings(path: Path, table: Any) -> OpenDataSettings:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [opendata] must be a table")
    base_url = str(table.get("base_url", "")).strip().rstrip("/")
    if base_url and not re.match(r"https?://[^/\s]+", base_url):
        raise ConfigError(f"{path}: opendata.base_url is {base_url!r}; write an absolute "
                          "address such as https://diarium.example.se")
    license_iri = str(table.get("license", CC0)).strip() or CC0
    if not re.match(r"https?://\S+$", license_iri):
        raise ConfigError(f"{path}: opendata.license must be the licence's IRI, e.g. {CC0}")
    email = str(table.get("contact_email", "")).strip().removeprefix("mailto:")
    if email and "@" not in email:
        raise ConfigError(f"{path}: opendata.contact_email is {email!r}; not an e-mail address")
    return OpenDataSettings(
        base_url=base_url,
        organisation_number=_organisation_number(
            path, "opendata.organisation_number", table.get("organisation_number")),
        publisher=str(table.get("publisher", "")).strip(),
        license=license_iri,
        contact_name=str(table.get("contact_name", "")).strip(),
        contact_email=email,
        title=str(table.get("title", "")).strip(),
        description=str(table.get("description", "")).strip(),
        dump_on_sync=bool(table.get("dump_on_sync", False)),
    )


def _org_settings(path: Path, slug: str, table: dict[str, Any]) -> OrgSettings:
    order = str(table.get("dnr_order", "year/serial"))
    if order not in DNR_ORDERS:
        raise ConfigError(
            f"{path}: organisations.{slug}.dnr_order is {order!r}; use one of {DNR_ORDERS}"
        )
    prefixes = table.get("dnr_prefixes", [])
    if not isinstance(prefixes, list) or not all(isinstance(p, str) for p in prefixes):
        raise ConfigError(f"{path}: organisations.{slug}.dnr_prefixes must be a list of strings")
    synonyms = dict(DEFAULT_SYNONYMS)
    extra = table.get("synonyms", {})
    if not isinstance(extra, dict):
        raise ConfigError(f"{path}: organisations.{slug}.synonyms must be a table")
    synonyms.update({str(k).upper(): str(v) for k, v in extra.items()})
    return OrgSettings(
        slug=slug,
        name=str(table.get("name", "")),
        dnr_order=order,
        dnr_prefixes=tuple(p.upper() for p in prefixes),
        two_digit_years=bool(table.get("two_digit_years", False)),
        registry_email=str(table.get("registry_email", "")),
        base_url=str(table.get("base_url", "")),
        synonyms=synonyms,
        organisation_number=_organisation_number(
            path, f"organisations.{slug}.organisation_number", table.get("organisation_number")),
        privacy=parse_policy(f"{path}: organisations.{slug}", table),
    )


def write_default_config(data_dir: Path) -> Path:
    """Write a commented diarium.toml if none exists; returns its path."""
    path = data_dir / CONFIG_NAME
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(_DEFAULT_TOML, encoding="utf-8")
    return path


_DEFAULT_TOML = """\
# diarium settings. Every key is optional; see the README for all of them.

[search]
engine = "embedded"   # embedded (tantivy), elasticsearch or opensearch

# One table per organisation, keyed by the `organisation` column of the manifest:
# [organisations.ks]
# name = "Exempelkommunen, kommunstyrelsen"
# dnr_order = "year/serial"   # or "serial/year" (47/2017)
# dnr_prefixes = ["KS"]
# two_digit_years = false
# registry_email = "registrator@example.se"
# base_url = "https://diarium.example.se"
# organisation_number = "212000-1234"   # the publisher in the open-data catalogue
# private_names = "hide"      # private persons' names shown as "Privatperson" (default);
#                             # "show", or show_days = 365 (searchable for 365 days)
# [[organisations.ks.sensitive]]   # entries shown with a neutral title (README "Privacy")
# namnd = ["Socialnämnden"]
# text = "Ärende inom socialtjänsten"

# Open data (diarium dump, /data/ and the DCAT-AP-SE catalogue /data/dcat.rdf):
# [opendata]
# base_url = "https://diarium.example.se"
# organisation_number = "212000-1234"
# publisher = "Exempelkommunen"
# license = "http://creativecommons.org/publicdomain/zero/1.0/"   # CC0, the default
# contact_email = "registrator@example.se"
# dump_on_sync = true                    # diarium sync writes a new dump

# Semantic search (related results, "Liknande handlingar"; README "Semantic search"):
# [semantic]
# enabled = true
# max_passages = 4                       # text passages embedded per document and title
# passage_chars = 1200
# threshold = 0.83                       # least cosine similarity of a related result
# min_z = 2.8                            # and how far it stands out from the rest
# threads = 0                            # the model's threads (0: all cores)

# Outgoing mail (alerts, confirmations, requests for documents; README "Mail"):
# [smtp]
# host = "smtp.example.se"
# port = 587
# security = "starttls"                  # or "tls" (port 465) or "none"
# user = "diarium"
# password_env = "DIARIUM_SMTP_PASSWORD" # the password is read from this variable
# sender = "Diariet <diariet@example.se>"
"""
