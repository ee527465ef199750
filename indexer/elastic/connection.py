"""JSON over HTTP to one Elasticsearch or OpenSearch cluster, and the mapping of every
client failure to the library's errors.

Elasticsearch is reached through the official `elasticsearch` client (its major version
must match the server's: 9.x for ES 9), OpenSearch through `opensearch-py` (the
Elasticsearch client refuses OpenSearch servers). Both speak the same REST API for what
diarium needs, so the rest of the package sends the same JSON through `Connection`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from diarium.errors import ConfigError, EngineUnavailable
from diarium.indexer.elastic.config import ENV_PREFIX, ElasticConfig

# The default of `Connection.request(missing=...)`: raise on 404 (None is a valid value).
_RAISE: Any = object()


class EngineRefused(EngineUnavailable):
    """The engine answered with an error status (kept here: only this backend has HTTP
    statuses). `status` is the HTTP status, `reason` the engine's error type."""

    def __init__(self, message: str, status: int, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class Connection:
    """JSON over HTTP to one cluster through the engine's own client. Every failure
    becomes EngineUnavailable (unreachable) or EngineRefused (an error status)."""

    def __init__(self, config: ElasticConfig, max_retries: int = 2) -> None:
        self.config = config
        self.engine = config.engine
        # The clients are imported only for the engine in use; one of the two is set.
        self._es: Any = None
        self._os: Any = None
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
                self._es = elasticsearch.Elasticsearch(list(config.urls), **kwargs)
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
                self._os = opensearchpy.OpenSearch(list(config.urls), **okw)
        except Exception as exc:  # noqa: BLE001 - client constructors raise many kinds
            raise ConfigError(f"cannot configure the {config.engine} client for "
                              f"{config.safe_url}: {type(exc).__name__}") from exc

    def request(self, method: str, path: str, body: Any = None,
                params: Mapping[str, Any] | None = None, ndjson: bytes | None = None,
                missing: Any = _RAISE) -> Any:
        """Send one request; returns the decoded JSON answer.

        Raises EngineUnavailable when the cluster cannot be reached, EngineRefused (with
        the HTTP status) when it answers with an error. With `missing` given, a 404 (no
        such index or alias) returns `missing` instead of raising.
        """
        try:
            return self._send(method, path, body, params, ndjson)
        except EngineRefused as exc:
            if exc.status == 404 and missing is not _RAISE:
                return missing
            raise

    def _send(self, method: str, path: str, body: Any,
              params: Mapping[str, Any] | None, ndjson: bytes | None) -> Any:
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
            return self._os.transport.perform_request(
                method, path, params=params, body=ndjson if ndjson is not None else body,
                headers={"content-type": "application/x-ndjson"} if ndjson is not None
                else None)
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


def dumps(doc: Mapping[str, Any]) -> str:
    """Compact JSON, UTF-8 kept (bulk bodies are smaller that way)."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
