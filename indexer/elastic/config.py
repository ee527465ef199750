"""How to reach an Elasticsearch or OpenSearch cluster: ElasticConfig and load_config.

Connection settings come from, in order: explicit options, environment variables
(DIARIUM_ES_URL, DIARIUM_ES_API_KEY, DIARIUM_ES_USERNAME, DIARIUM_ES_PASSWORD,
DIARIUM_ES_CA_CERT, DIARIUM_ES_INDEX, DIARIUM_ES_PROFILE; DIARIUM_OS_* for OpenSearch) and
the [elasticsearch] / [opensearch] tables of diarium.toml. Secrets never appear in
messages, logs or repr().
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from diarium.config import Settings
from diarium.errors import ConfigError
from diarium.indexer.elastic.settings import PROFILES
from diarium.search import FALSE_WORDS, TRUE_WORDS

ENGINES: tuple[str, ...] = ("elasticsearch", "opensearch")
ENV_PREFIX: dict[str, str] = {"elasticsearch": "DIARIUM_ES_", "opensearch": "DIARIUM_OS_"}
DEFAULT_URL = "http://localhost:9200"
DEFAULT_ALIAS = "diarium"


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
    # The layout of new indices: "none", or "organisation" (routing.py, docs/scale.md).
    routing: str = "none"

    def __repr__(self) -> str:
        # A URL may carry user:password (https://u:p@host): repr shows it without them.
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)
                          if f.repr and f.name not in ("engine", "url"))
        return f"ElasticConfig(engine={self.engine!r}, url={self.safe_url!r}, {shown})"

    @property
    def urls(self) -> tuple[str, ...]:
        """Every node URL: `url` may name several nodes of one cluster, comma-separated
        (`http://a:9200,http://b:9200`); the client spreads requests over them and
        retries a request on another node when one is down."""
        return tuple(u.strip().rstrip("/") for u in self.url.split(",") if u.strip())

    @property
    def safe_url(self) -> str:
        """The URL(s) without any user:password part, for messages."""
        def safe(url: str) -> str:
            scheme, sep, rest = url.partition("://")
            if "@" in rest:
                rest = rest.split("@", 1)[1]
            return f"{scheme}{sep}{rest}"
        return ",".join(safe(u) for u in self.urls)


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
            url=",".join(u.strip().rstrip("/") for u in str(
                values.get("url", DEFAULT_URL)).split(",") if u.strip()),
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
            routing=str(values.get("routing", "none")),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"[{engine}] settings: {exc}") from exc
    if not config.urls or not all(u.startswith(("http://", "https://"))
                                  for u in config.urls):
        raise ConfigError(f"[{engine}] url must start with http:// or https:// (several "
                          f"nodes separated by commas), got {config.safe_url!r}")
    if len({u.split("://")[0] for u in config.urls}) > 1:
        raise ConfigError(f"[{engine}] url: every node must use the same scheme, got "
                          f"{config.safe_url!r}")
    if config.routing not in ("none", "organisation"):
        raise ConfigError(f"[{engine}] routing is {config.routing!r}; use \"none\" (the "
                          "default) or \"organisation\" (docs/scale.md)")
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
