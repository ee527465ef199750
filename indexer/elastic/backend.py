"""The Elasticsearch and OpenSearch backend: one class, two clients.

Elasticsearch is reached through the official `elasticsearch` client (its major version
must match the server's: 9.x for ES 9), OpenSearch through `opensearch-py` (the
Elasticsearch client refuses OpenSearch servers). Both speak the same REST API for what
diarium needs, so the backend sends the same JSON through a thin `Connection` and shares
settings (settings.py), query compilation (compiler.py), bulk indexing (bulk.py) and
result parsing.

The backend searches and writes through an alias (default `diarium`) that points at one
versioned index `<alias>-v<schema>-<timestamp>`; `diarium reindex` (reindex.py)
builds a new one and moves the alias atomically.

Connection settings come from, in order: explicit options, environment variables
(DIARIUM_ES_URL, DIARIUM_ES_API_KEY, DIARIUM_ES_USERNAME, DIARIUM_ES_PASSWORD,
DIARIUM_ES_CA_CERT, DIARIUM_ES_INDEX, DIARIUM_ES_PROFILE; DIARIUM_OS_* for OpenSearch) and
the [elasticsearch] / [opensearch] tables of diarium.toml. Secrets never appear in
messages, logs or repr().
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from diarium.indexer.base import Capabilities
from diarium.indexer.derived import SwedishExtras
from diarium.indexer.elastic import compiler as es_query
from diarium.indexer.elastic.settings import (
    PROFILES,
    SCHEMA_VERSION,
    index_body,
    resolve_profile,
)

from diarium.config import DEFAULT_SYNONYMS, OrgSettings, Settings
from diarium.errors import ConfigError, EngineUnavailable, QueryError
from diarium.public import PublicRecord
from diarium.search import (
    FACET_SIZE,
    FACETS,
    FALSE_WORDS,
    SNIPPET_CHARS,
    TRUE_WORDS,
    FacetValue,
    Hit,
    Mark,
    SearchRequest,
    SearchResult,
    Snippet,
    filter_value,
    validate_request,
)
from diarium.swedish.folding import fold

ENGINES: tuple[str, ...] = ("elasticsearch", "opensearch")
ENV_PREFIX: dict[str, str] = {"elasticsearch": "DIARIUM_ES_", "opensearch": "DIARIUM_OS_"}
DEFAULT_URL = "http://localhost:9200"
DEFAULT_ALIAS = "diarium"
WINDOW = 10_000            # from+size limit of the index (max_result_window)
SCROLL_BATCH = 1_000       # search_after batch size when paging deeper than WINDOW
PRE, POST = "\u0002", "\u0003"   # highlight markers: control characters never in text
_RECORD_FIELDS = tuple(f.name for f in fields(PublicRecord))


class EngineRefused(EngineUnavailable):
    """The engine answered with an error status (kept here: only this backend has HTTP
    statuses). `status` is the HTTP status, `reason` the engine's error type."""

    def __init__(self, message: str, status: int, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


# --- configuration ---------------------------------------------------------------------


@dataclass(frozen=True)
class ElasticConfig:
    """How to reach one cluster. Secrets are excluded from repr()."""

    engine: str = "elasticsearch"
    url: str = DEFAULT_URL
    api_key: str = field(default="", repr=False)
    username: str = ""
    password: str = field(default="", repr=False)
    ca_cert: str = ""
    verify_certs: bool = True
    index: str = DEFAULT_ALIAS
    profile: str = "auto"
    shards: int = 1
    replicas: int = 0
    timeout: float = 30.0

    @property
    def safe_url(self) -> str:
        """The URL without any user:password part, for messages."""
        scheme, sep, rest = self.url.partition("://")
        if "@" in rest:
            rest = rest.split("@", 1)[1]
        return f"{scheme}{sep}{rest}"


_KEYS = ("url", "api_key", "username", "password", "ca_cert", "index", "profile")


def load_config(settings: Settings | None, engine: str,
                overrides: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> ElasticConfig:
    """The connection settings for `engine`: overrides, then environment, then the
    [elasticsearch] / [opensearch] table of diarium.toml, then defaults.

    Raises ConfigError naming the bad key.
    """
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
    env = os.environ if environ is None else environ
    table = dict(settings.section(engine)) if settings is not None else {}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in {f.name for f in fields(ElasticConfig)} or key == "engine":
            raise ConfigError(
                f"diarium.toml [{engine}]: unknown key {key!r}; known keys: "
                + ", ".join(f.name for f in fields(ElasticConfig) if f.name != "engine")
            )
        values[key] = value
    prefix = ENV_PREFIX[engine]
    for key in _KEYS:
        if env.get(prefix + key.upper()):
            values[key] = env[prefix + key.upper()]
    for key, value in (overrides or {}).items():
        if value is not None and value != "":
            values[key] = value
    try:
        config = ElasticConfig(
            engine=engine,
            url=str(values.get("url", DEFAULT_URL)).rstrip("/"),
            api_key=str(values.get("api_key", "")),
            username=str(values.get("username", "")),
            password=str(values.get("password", "")),
            ca_cert=str(values.get("ca_cert", "")),
            verify_certs=_as_bool(values.get("verify_certs", True)),
            index=str(values.get("index", DEFAULT_ALIAS)),
            profile=str(values.get("profile", "auto")),
            shards=int(values.get("shards", 1)),
            replicas=int(values.get("replicas", 0)),
            timeout=float(values.get("timeout", 30.0)),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"[{engine}] settings: {exc}") from exc
    if not config.url.startswith(("http://", "https://")):
        raise ConfigError(f"[{engine}] url must start with http:// or https://, "
                          f"got {config.safe_url!r}")
    if config.profile not in PROFILES:
        raise ConfigError(f"[{engine}] profile is {config.profile!r}; use one of "
                          f"{', '.join(PROFILES)}")
    if not config.index or config.index != config.index.lower() or "*" in config.index:
        raise ConfigError(f"[{engine}] index must be a lowercase name, got {config.index!r}")
    if config.ca_cert and not os.path.exists(config.ca_cert):
        raise ConfigError(f"[{engine}] ca_cert {config.ca_cert!r} does not exist")
    return config


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(f"not a yes/no value: {value!r}")


# --- connection --------------------------------------------------------------------------


class Connection:
    """JSON over HTTP to one cluster through the engine's own client. Every failure
    becomes EngineUnavailable (unreachable) or EngineRefused (an error status)."""

    def __init__(self, config: ElasticConfig, max_retries: int = 2) -> None:
        self.config = config
        self.engine = config.engine
        try:
            if config.engine == "elasticsearch":
                import elasticsearch

                kwargs: dict[str, Any] = {
                    "request_timeout": config.timeout, "max_retries": max_retries,
                    "retry_on_timeout": True,
                }
                if config.api_key:
                    kwargs["api_key"] = config.api_key
                elif config.username:
                    kwargs["basic_auth"] = (config.username, config.password)
                if config.url.startswith("https://"):
                    kwargs["verify_certs"] = config.verify_certs
                    if config.ca_cert:
                        kwargs["ca_certs"] = config.ca_cert
                self._es = elasticsearch.Elasticsearch(config.url, **kwargs)
                self._os = None
            else:
                import opensearchpy

                okw: dict[str, Any] = {
                    "timeout": config.timeout, "max_retries": max_retries,
                    "retry_on_timeout": True, "use_ssl": config.url.startswith("https://"),
                    "verify_certs": config.verify_certs,
                }
                if config.api_key:
                    okw["headers"] = {"Authorization": f"ApiKey {config.api_key}"}
                elif config.username:
                    okw["http_auth"] = (config.username, config.password)
                if config.ca_cert:
                    okw["ca_certs"] = config.ca_cert
                self._os = opensearchpy.OpenSearch([config.url], **okw)
                self._es = None
        except Exception as exc:  # noqa: BLE001 - client constructors raise many kinds
            raise ConfigError(f"cannot configure the {config.engine} client for "
                              f"{config.safe_url}: {type(exc).__name__}") from exc

    def request(self, method: str, path: str, body: Any = None,
                params: Mapping[str, Any] | None = None, ndjson: bytes | None = None) -> Any:
        """Send one request; returns the decoded JSON answer.

        Raises EngineUnavailable when the cluster cannot be reached, EngineRefused (with
        the HTTP status) when it answers with an error.
        """
        try:
            if self._es is not None:
                headers = {"accept": "application/json"}
                payload: Any = body
                if ndjson is not None:
                    headers["content-type"] = "application/x-ndjson"
                    payload = ndjson
                elif body is not None:
                    headers["content-type"] = "application/json"
                answer = self._es.perform_request(method, path, params=params,
                                                  headers=headers, body=payload)
                return answer.body
            assert self._os is not None
            headers = {"content-type": "application/x-ndjson"} if ndjson is not None else None
            return self._os.transport.perform_request(
                method, path, params=params, body=ndjson if ndjson is not None else body,
                headers=headers)
        except Exception as exc:  # noqa: BLE001 - mapped to the library's errors below
            raise self._translate(exc, method, path) from exc

    def _translate(self, exc: Exception, method: str, path: str) -> EngineUnavailable:
        status = getattr(getattr(exc, "meta", None), "status", None)
        if status is None:
            code = getattr(exc, "status_code", None)
            status = code if isinstance(code, int) else None
        where = f"{self.engine} at {self.config.safe_url}"
        if type(exc).__name__ == "UnsupportedProductError":
            return EngineUnavailable(
                f"{where} is not Elasticsearch (an OpenSearch server?): use "
                "--engine opensearch")
        if status is None:
            name = type(exc).__name__
            return EngineUnavailable(
                f"{where} cannot be reached ({name}); is it running? Check the URL "
                f"(option --url, env {ENV_PREFIX[self.engine]}URL, or [{self.engine}] url "
                "in diarium.toml). Nothing in the store was changed.")
        reason = _error_reason(exc)
        if status in (401, 403):
            return EngineRefused(
                f"{where} refused the credentials ({status}): check the API key or "
                f"user/password ({ENV_PREFIX[self.engine]}API_KEY, ..._USERNAME, "
                "..._PASSWORD)", status, reason)
        return EngineRefused(f"{where} answered {status} to {method} {path}: {reason}",
                             status, reason)

    def close(self) -> None:
        client = self._es if self._es is not None else self._os
        if client is not None:
            client.close()


def _error_reason(exc: Exception) -> str:
    """The engine's error type and reason from an API error, short and secret-free."""
    body = getattr(exc, "body", None)
    if body is None:
        body = getattr(exc, "info", None)
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            root = (error.get("root_cause") or [error])[0]
            return f"{root.get('type', '')}: {root.get('reason', '')}"[:500]
        if error:
            return str(error)[:500]
    return type(exc).__name__


# --- documents -----------------------------------------------------------------------------


def facet_value(record: PublicRecord, name: str) -> str:
    """A record's facet value as shown ("true"/"false" for bools, year as digits)."""
    value = record.year if name == "year" else getattr(record, name)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class DocumentBuilder:
    """Turns a PublicRecord into the engine's JSON document (module doc of es_settings)."""

    def __init__(self, swedish: SwedishExtras | None = None) -> None:
        self.swedish = swedish if swedish is not None else SwedishExtras()

    def source(self, record: PublicRecord) -> dict[str, Any]:
        """The _source of one record: every PublicRecord field plus derived fields."""
        doc: dict[str, Any] = {name: getattr(record, name) for name in _RECORD_FIELDS
                               if name not in ("text", "pages")}
        # As in the embedded backend, `text` holds one value per page (a phrase never
        # spans two pages, and a snippet's page is the value it came from); the record's
        # own text is kept unindexed in `body`.
        doc["text"] = list(record.pages) if record.pages else (
            [record.text] if record.text else [])
        doc["paged"] = bool(record.pages)
        doc["body"] = record.text
        free = _free_text(record)
        extras = self.swedish.document_fields(free)
        doc["parts"] = extras.get("parts", "")
        doc["lemma"] = extras.get("lemma", "")
        doc["ident"] = [str(i) for i in extras.get("identifiers") or ()]
        # The folded text first (its positions are those of the original text, for
        # highlights), then the folded lemmas, so `foreskrift` finds `föreskrifterna`
        # without a stemmer that would need å/ä/ö.
        doc["folded"] = fold(free + "\n" + doc["lemma"]) if free else ""
        doc["year"] = str(record.year)
        doc["kw"] = [f"{f.name}={facet_value(record, f.field).casefold()}" for f in FACETS
                     if facet_value(record, f.field)]
        doc["dnr_year_serial"] = record.dnr_key.split("|", 1)[-1]
        return doc


def _free_text(record: PublicRecord) -> str:
    """All free text of a record joined by newlines: rubrik, part, arendemening, then the
    body (its pages when it has them), the order of the folded field."""
    body = "\n".join(record.pages) if record.pages else record.text
    values = [record.rubrik, record.part, record.arendemening, body]
    return "\n".join(v for v in values if v)


def record_from_source(source: Mapping[str, Any]) -> PublicRecord:
    """The PublicRecord stored in a document's _source."""
    data = {k: source[k] for k in _RECORD_FIELDS if k in source}
    data["pages"] = tuple(source.get("text") or ()) if source.get("paged") else ()
    data["text"] = source.get("body", "")
    return PublicRecord(**data)


def new_index_name(alias: str, now: datetime | None = None) -> str:
    """A fresh versioned index name: `<alias>-v<schema>-<UTC timestamp>`."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S%f")
    return f"{alias}-v{SCHEMA_VERSION}-{stamp}"


# --- the backend -------------------------------------------------------------------------


class ElasticBackend:
    capabilities = Capabilities(purge="native", aliases=True)
    """SearchBackend on Elasticsearch or OpenSearch, through the alias `config.index`."""

    def __init__(self, config: ElasticConfig, connection: Connection | None = None,
                 synonyms: Sequence[Mapping[str, str]] = (),
                 orgs: Sequence[OrgSettings] = ()) -> None:
        """`synonyms`: abbreviation tables (OrgSettings.synonyms), as for the embedded
        backend; none given means the defaults of diarium.config."""
        self.config = config
        self.orgs = tuple(orgs)  # read diarienummer in queries as each organisation does
        self.name = config.engine
        self.alias = config.index
        self.conn = connection or Connection(config)
        swedish = SwedishExtras(True, synonyms)
        self.builder = DocumentBuilder(swedish)
        self.compiler = es_query.Compiler(swedish)
        self._profile: str | None = None
        # Pages ending beyond this go through search_after (the index's from+size limit).
        self.window = WINDOW

    @property
    def state_name(self) -> str:
        """The index_state key of this index ("elasticsearch:diarium")."""
        return f"{self.name}:{self.alias}"

    # -- cluster ----------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """The cluster's root answer (name, version). Raises EngineUnavailable."""
        answer: dict[str, Any] = {}
        if self.name == "elasticsearch":
            # The nodes info API first: minimal Elasticsearch nodes (the integ-test
            # distribution) lack the module serving "/", and a 405 there would make the
            # client mark the node dead for a second.
            try:
                nodes = self.conn.request("GET", "/_nodes/_local",
                                          params={"filter_path": "nodes.*.version"})
                first = next(iter(nodes.get("nodes", {}).values()), {})
                if first.get("version"):
                    answer = {"version": {"number": first["version"]}}
            except EngineRefused as exc:
                if exc.status in (401,):
                    raise
        if not answer:
            answer = self.conn.request("GET", "/")
        version = answer.get("version", {})
        distribution = version.get("distribution", "elasticsearch")
        if self.name == "opensearch" and distribution != "opensearch":
            raise EngineUnavailable(
                f"{self.config.safe_url} is Elasticsearch, not OpenSearch: use "
                "--engine elasticsearch")
        if self.name == "elasticsearch":
            import elasticsearch

            major = str(version.get("number", "0")).split(".")[0]
            client_major = str(elasticsearch.__versionstr__).split(".")[0]
            if major != client_major:
                raise EngineUnavailable(
                    f"Elasticsearch {version.get('number')} at {self.config.safe_url} needs "
                    f"the {major}.x client, but elasticsearch {elasticsearch.__versionstr__} "
                    f"is installed: pip install 'elasticsearch>={major},<{int(major) + 1}'")
        return dict(answer)

    def modules(self) -> set[str]:
        """Names of the modules and plugins on the cluster's nodes."""
        answer = self.conn.request("GET", "/_nodes/plugins")
        names: set[str] = set()
        for node in answer.get("nodes", {}).values():
            for kind in ("modules", "plugins"):
                names.update(item.get("name", "") for item in node.get(kind, []))
        return names

    def hunspell_works(self) -> bool:
        """Whether the nodes have the sv_SE hunspell dictionary (one _analyze call)."""
        try:
            self.conn.request("POST", "/_analyze", body={
                "tokenizer": "standard",
                "filter": ["lowercase", {"type": "hunspell", "locale": "sv_SE"}],
                "text": "husen"})
        except EngineRefused:
            return False
        return True

    def profile(self) -> str:
        """The concrete analysis profile for this cluster (auto resolved once)."""
        if self._profile is None:
            self._profile = resolve_profile(self.config.profile, self.modules,
                                            self.hunspell_works)
        return self._profile

    # -- indices and the alias --------------------------------------------------------

    def create_index(self, name: str, meta: Mapping[str, Any] | None = None,
                     bulk_mode: bool = False) -> None:
        """Create a versioned index. `bulk_mode`: no refreshes and no replicas until
        end_bulk_mode(). Raises EngineRefused when it exists."""
        body = index_body(self.profile(), self.config.shards,
                          0 if bulk_mode else self.config.replicas)
        if bulk_mode:
            body["settings"]["index"]["refresh_interval"] = "-1"
        body["mappings"]["_meta"] = dict(meta or {})
        self.conn.request("PUT", f"/{name}", body=body)

    def end_bulk_mode(self, name: str) -> None:
        """Restore refreshes and replicas after a bulk load, then refresh."""
        self.conn.request("PUT", f"/{name}/_settings", body={"index": {
            "refresh_interval": None, "number_of_replicas": self.config.replicas}})
        self.refresh(name)

    def refresh(self, name: str | None = None) -> None:
        self.conn.request("POST", f"/{name or self.alias}/_refresh")

    def alias_targets(self) -> list[str]:
        """The indices the alias points at (one, normally; none before setup)."""
        try:
            answer = self.conn.request("GET", f"/_alias/{self.alias}")
        except EngineRefused as exc:
            if exc.status == 404:
                return []
            raise
        return sorted(answer)

    def versioned_indices(self) -> dict[str, dict[str, Any]]:
        """This alias's versioned indices with their `_meta` ({} when none)."""
        try:
            answer = self.conn.request("GET", f"/{self.alias}-v*/_mapping")
        except EngineRefused as exc:
            if exc.status == 404:
                return {}
            raise
        return {name: (body.get("mappings", {}).get("_meta") or {})
                for name, body in answer.items()}

    def set_meta(self, name: str, meta: Mapping[str, Any]) -> None:
        """Replace an index's `_meta` (reindex state and checkpoints live there)."""
        self.conn.request("PUT", f"/{name}/_mapping", body={"_meta": dict(meta)})

    def move_alias(self, target: str) -> None:
        """Point the alias at `target` only, in one atomic request."""
        actions: list[dict[str, Any]] = [
            {"remove": {"index": old, "alias": self.alias}}
            for old in self.alias_targets() if old != target
        ]
        actions.append({"add": {"index": target, "alias": self.alias,
                                "is_write_index": True}})
        self.conn.request("POST", "/_aliases", body={"actions": actions})

    def delete_index(self, name: str) -> None:
        try:
            self.conn.request("DELETE", f"/{name}")
        except EngineRefused as exc:
            if exc.status != 404:
                raise

    def setup(self) -> None:
        """Check the cluster, and create the first versioned index and its alias when
        the alias does not exist. Safe to run repeatedly.

        Raises EngineUnavailable (unreachable, wrong client), ConfigError (analysis).
        """
        self.info()
        if self.alias_targets():
            return
        exists = True
        try:
            self.conn.request("GET", f"/{self.alias}/_settings",
                              params={"filter_path": "*.settings.index.uuid"})
        except EngineRefused as exc:
            if exc.status != 404:
                raise
            exists = False
        if exists:
            raise ConfigError(
                f"{self.alias!r} on {self.config.safe_url} is an index, not an alias: "
                "choose another index name ([" + self.name + "] index) or delete it")
        name = new_index_name(self.alias)
        self.create_index(name, {"state": "live", "schema": SCHEMA_VERSION})
        self.move_alias(name)

    # -- writing --------------------------------------------------------------------------

    def index(self, records: Iterable[PublicRecord]) -> int:
        """Add or replace records by doc_id, visible to searches on return; returns how
        many were written. Raises EngineUnavailable / EngineRefused."""
        from diarium.indexer.elastic.bulk import BulkIndexer

        indexer = BulkIndexer(self.conn, self.alias)
        written = indexer.index((r.doc_id, self.builder.source(r)) for r in records)
        if written:
            self.refresh()
        return written

    def delete(self, doc_ids: Iterable[str]) -> int:
        """Remove records by doc_id; returns how many were in the index."""
        from diarium.indexer.elastic.bulk import BulkIndexer

        ids = list(dict.fromkeys(doc_ids))
        if not ids:
            return 0
        found = BulkIndexer(self.conn, self.alias).delete(ids)
        self.refresh()
        return found

    def clear(self) -> None:
        """Point the alias at a new empty index and delete the old one (the start of
        `diarium index --rebuild`; `diarium reindex` fills a new index before switching,
        without downtime). A fresh index, not delete-by-query: minimal nodes lack that
        API, and old segments would keep the removed text on disk."""
        old = self.alias_targets()
        name = new_index_name(self.alias)
        self.create_index(name, {"state": "live", "schema": SCHEMA_VERSION})
        self.move_alias(name)
        for index in old:
            self.delete_index(index)

    def purge(self) -> None:
        """Make withdrawn content (a document deleted, made secret or stripped of its
        text) leave the disk, not only the search results.

        A force merge is not enough: the engines keep soft-deleted documents in their
        segments for peer recovery (retention leases), so the old text would stay in the
        files. Instead the live documents are copied into a new index, the alias moves
        to it, and every other index of the alias is deleted: the previous one kept for
        rollback and a half-built reindex hold the withdrawn text too.
        Raises EngineUnavailable / EngineRefused; the alias only moves after the copy
        is complete and counted.
        """
        from diarium.indexer.elastic.bulk import BulkIndexer

        old = self.alias_targets()
        name = new_index_name(self.alias)
        self.create_index(name, {"state": "live", "schema": SCHEMA_VERSION}, bulk_mode=True)
        try:
            BulkIndexer(self.conn, name, parallel=2).index(
                (str(source["doc_id"]), source) for source in self.raw_sources())
            self.end_bulk_mode(name)
            expected = self.count()
            if self.count(name) != expected:
                raise EngineUnavailable(
                    f"purging {self.alias!r}: the copy holds {self.count(name)} records "
                    f"instead of {expected}; the old index is still in use")
        except BaseException:
            self.delete_index(name)
            raise
        self.move_alias(name)
        for index in self.versioned_indices():
            if index != name:
                self.delete_index(index)
        for index in old:
            self.delete_index(index)

    # -- reading --------------------------------------------------------------------------

    def count(self, name: str | None = None) -> int:
        return int(self.conn.request("GET", f"/{name or self.alias}/_count")["count"])

    def get(self, doc_id: str) -> PublicRecord | None:
        """The indexed PublicRecord with this doc_id, or None."""
        answer = self.conn.request("POST", f"/{self.alias}/_search", body={
            "size": 1, "query": {"term": {"doc_id": doc_id}}})
        hits = answer["hits"]["hits"]
        return record_from_source(hits[0]["_source"]) if hits else None

    def raw_sources(self, name: str | None = None) -> Iterator[dict[str, Any]]:
        """Every stored _source of an index (search_after in doc_id order), as stored."""
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {"size": SCROLL_BATCH, "sort": [{"doc_id": "asc"}],
                                    "query": es_query.MATCH_ALL}
            if after is not None:
                body["search_after"] = after
            hits = self.conn.request("POST", f"/{name or self.alias}/_search",
                                     body=body)["hits"]["hits"]
            if not hits:
                return
            for hit in hits:
                yield hit["_source"]
            after = hits[-1]["sort"]

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a search: the page's hits with snippets, total and facets.

        Raises QueryError for a bad filter, sort or page; EngineUnavailable otherwise.
        """
        validate_request(request)
        from diarium import query as q

        node = q.parse(request.query, self.orgs)
        # A compiler per search: top() keeps the query's proximity boosts for ranked(),
        # and one backend serves many threads (the web site).
        compiler = es_query.Compiler(self.compiler.swedish)
        main = compiler.top(node, request.query)
        filters = self._filters(request)
        result = self._run(compiler.ranked(main, request.sort), filters, request)
        partial = False
        if result["hits"]["total"]["value"] == 0:
            relaxed = compiler.relaxed(node)
            if relaxed is not None:
                main = relaxed
                result = self._run(compiler.ranked(main, request.sort), filters, request)
                partial = result["hits"]["total"]["value"] > 0
        hits = tuple(self._hit(h, request.sort == "relevance") for h in result["hits"]["hits"])
        facets = self._facets(result.get("aggregations", {}), filters) \
            if request.with_facets else {}
        return SearchResult(total=int(result["hits"]["total"]["value"]), hits=hits,
                            facets=facets, page=request.page, per_page=request.per_page,
                            partial=partial)

    def _filters(self, request: SearchRequest) -> dict[str, dict[str, Any]]:
        by_name = {f.name: f for f in FACETS}
        out: dict[str, dict[str, Any]] = {}
        for name, values in request.filters.items():
            facet = by_name.get(name)
            if facet is None:
                raise QueryError(f"unknown filter {name!r}: use one of {', '.join(by_name)}")
            if isinstance(values, str):
                values = (values,)
            terms = [f"{name}={filter_value(facet.kind, v)}" for v in values if v != ""]
            if terms:
                out[name] = {"terms": {"kw": terms}}
        if request.date_from or request.date_to:
            _check_date(request.date_from)
            _check_date(request.date_to)
            out["datum"] = es_query.date_range(request.date_from, request.date_to)
        return out

    def _sort(self, sort: str) -> list[Any]:
        if sort == "newest":
            return [{"datum": "desc"}, {"doc_id": "asc"}]
        if sort == "oldest":
            return [{"datum": "asc"}, {"doc_id": "asc"}]
        return [{"_score": "desc"}, {"doc_id": "asc"}]

    def _aggs(self, filters: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
        """Facet aggregations. A facet with a filter of its own is counted without that
        filter (OR within a facet), the others under all filters (as the embedded one)."""
        def terms(facet_field: str) -> dict[str, Any]:
            return {"terms": {"field": facet_field, "size": FACET_SIZE,
                              "order": [{"_count": "desc"}, {"_key": "asc"}]}}

        shared = {f.name: terms(f.field) for f in FACETS if f.name not in filters}
        aggs: dict[str, Any] = {}
        if shared:
            aggs["shared"] = {"filter": es_query._must(list(filters.values()))
                              if filters else es_query.MATCH_ALL, "aggs": shared}
        by_name = {f.name: f.field for f in FACETS}
        for name in filters:
            if name in by_name:
                others = [v for k, v in filters.items() if k != name]
                aggs[f"own_{name}"] = {
                    "filter": es_query._must(others) if others else es_query.MATCH_ALL,
                    "aggs": {name: terms(by_name[name])}}
        return aggs

    def _run(self, main: dict[str, Any], filters: Mapping[str, dict[str, Any]],
             request: SearchRequest) -> dict[str, Any]:
        offset = (request.page - 1) * request.per_page
        body: dict[str, Any] = {
            "query": main,
            "size": request.per_page,
            "sort": self._sort(request.sort),
            "track_total_hits": True,
            "track_scores": request.sort == "relevance",
            "highlight": self._highlight(),
        }
        if filters:
            body["post_filter"] = es_query._must(list(filters.values()))
        if request.with_facets:
            body["aggs"] = self._aggs(filters)
        if offset + request.per_page <= self.window:
            body["from"] = offset
        else:
            body["search_after"] = self._seek(body, offset)
        return dict(self.conn.request("POST", f"/{self.alias}/_search", body=body))

    def _seek(self, body: Mapping[str, Any], offset: int) -> list[Any] | None:
        """The sort values just before `offset`, walked with search_after (deep pages
        beyond the index's from+size window)."""
        after: list[Any] | None = None
        skipped = 0
        while skipped < offset:
            step = min(SCROLL_BATCH, offset - skipped)
            probe: dict[str, Any] = {"query": body["query"], "size": step,
                                     "sort": body["sort"], "_source": False,
                                     "track_total_hits": False}
            if "post_filter" in body:
                probe["post_filter"] = body["post_filter"]
            if after is not None:
                probe["search_after"] = after
            hits = self.conn.request("POST", f"/{self.alias}/_search",
                                     body=probe)["hits"]["hits"]
            if not hits:
                break
            after = hits[-1]["sort"]
            skipped += len(hits)
        return after

    def _highlight(self) -> dict[str, Any]:
        names = []
        for name in ("text", "rubrik", "arendemening", "part"):
            names += [name, f"{name}.exact"]
        names.append("folded")
        return {
            "pre_tags": [PRE], "post_tags": [POST], "encoder": "default",
            "type": "unified", "fragment_size": SNIPPET_CHARS, "number_of_fragments": 1,
            "fields": {name: {} for name in names},
        }

    def _hit(self, raw: Mapping[str, Any], scored: bool) -> Hit:
        record = record_from_source(raw["_source"])
        score = float(raw.get("_score") or 0.0) if scored else 0.0
        snippet = _snippet(record, raw.get("highlight") or {}, raw["_source"].get("folded", ""))
        return Hit(record=record, score=score, snippets=(snippet,) if snippet else ())

    def _facets(self, aggs: Mapping[str, Any],
                filters: Mapping[str, Any]) -> dict[str, tuple[FacetValue, ...]]:
        out: dict[str, tuple[FacetValue, ...]] = {}
        for facet in FACETS:
            holder = aggs.get(f"own_{facet.name}") if facet.name in filters \
                else aggs.get("shared")
            buckets = (holder or {}).get(facet.name, {}).get("buckets", [])
            out[facet.name] = tuple(
                FacetValue(str(b.get("key_as_string", b["key"])), int(b["doc_count"]))
                for b in buckets)
        return out

    def close(self) -> None:
        self.conn.close()


# --- helpers -----------------------------------------------------------------------------


def _check_date(value: str | None) -> None:
    if value:
        try:
            datetime.fromisoformat(value[:10])
        except ValueError as exc:
            raise QueryError(f"invalid date {value!r}: write dates as YYYY-MM-DD") from exc


def parse_marked(fragment: str) -> tuple[str, tuple[Mark, ...]]:
    """Plain text and marked ranges of a fragment carrying PRE/POST markers."""
    text: list[str] = []
    marks: list[Mark] = []
    start = 0
    length = 0
    for ch in fragment:
        if ch == PRE:
            start = length
        elif ch == POST:
            marks.append(Mark(start, length))
        else:
            text.append(ch)
            length += 1
    return "".join(text), tuple(marks)


def _page_of(fragment: str, pages: tuple[str, ...]) -> int | None:
    for number, page in enumerate(pages, 1):
        if fragment and fragment in page:
            return number
    return None


def _segments(record: PublicRecord) -> list[tuple[str, str, int | None]]:
    """(field, text, page) lines in the order of _free_text."""
    out: list[tuple[str, str, int | None]] = []
    for name in ("rubrik", "part", "arendemening"):
        if getattr(record, name):
            out.append((name, getattr(record, name), None))
    if record.pages:
        out += [("text", page, number) for number, page in enumerate(record.pages, 1)]
    elif record.text:
        out.append(("text", record.text, 1))
    return out


def _folded_snippet(record: PublicRecord, fragment: str, folded: str) -> Snippet | None:
    """A snippet of the original text for a highlight of the folded field.

    fold() keeps every character's position, so a mark's place in the folded text is its
    place in the original free text; the snippet is the original line (field value or
    page) holding the first mark. None when the marks fall only on the folded lemmas.
    """
    text, marks = parse_marked(fragment)
    at = folded.find(text)
    if at < 0 or not marks:
        return None
    first = at + marks[0].start
    offset = 0
    for name, value, page in _segments(record):
        line_end = offset + len(value)
        if offset <= first < line_end:
            lo, hi = max(at, offset), min(at + len(text), line_end)
            kept = tuple(Mark(at + m.start - lo, at + m.end - lo) for m in marks
                         if at + m.start >= lo and at + m.end <= hi)
            return Snippet(value[lo - offset:hi - offset], kept, name, page)
        offset = line_end + 1
    return None


def _snippet(record: PublicRecord, highlight: Mapping[str, list[str]],
             folded: str) -> Snippet | None:
    """The best snippet: body text (with its page), else title, case title, party."""
    for name in ("text", "text.exact"):
        if highlight.get(name):
            text, marks = parse_marked(highlight[name][0])
            page = _page_of(text.strip(), record.pages) if record.pages else 1
            return Snippet(text, marks, "text", page)
    if highlight.get("folded") and folded:
        found = _folded_snippet(record, highlight["folded"][0], folded)
        if found is not None:
            return found
    for name in ("rubrik", "arendemening", "part"):
        for key in (name, f"{name}.exact"):
            if highlight.get(key):
                text, marks = parse_marked(highlight[key][0])
                return Snippet(text, marks, name, None)
    return None


def open_elastic(settings: Settings | None, engine: str,
                 overrides: Mapping[str, Any] | None = None) -> ElasticBackend:
    """An ElasticBackend for `engine` from settings/env/overrides, set up and ready.

    Raises ConfigError, EngineUnavailable.
    """
    tables: list[Mapping[str, str]] = []
    if settings is not None:
        tables = [DEFAULT_SYNONYMS] + [o.synonyms for o in settings.organisations.values()]
    backend = ElasticBackend(load_config(settings, engine, overrides), synonyms=tables,
                             orgs=tuple(settings.organisations.values()))
    try:
        backend.setup()
    except BaseException:
        backend.close()
        raise
    return backend


def dumps(doc: Mapping[str, Any]) -> str:
    """Compact JSON, UTF-8 kept (bulk bodies are smaller that way)."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
