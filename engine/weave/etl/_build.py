"""Build a `BatchJob` (and its `Schedule`) from spec mappings: the integration's `trigger.schedule`, `extract:`,
`deliver:` and `batch:` blocks plus the source and target systems (`api`, `peak_hours`).

Secrets (`${env:...}`) are resolved here, at run time, and only handed to the HTTP clients / database drivers;
the job gets them back only to replace them by `***` in a run's error text (`BatchJob.secret_values`).
The caller passes the compiled transform (a `weave.transforms` pipeline or any callable) and the hooks.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from weave import secrets
from weave.etl._cursor import CursorSpec
from weave.etl._errors import BatchConfigError
from weave.etl._runner import BatchJob
from weave.etl._schedule import OperatingWindows, Schedule
from weave.etl._types import CheckpointStore, Source, Target
from weave.etl.sources import FileSource, PostgresSource, RestSource, SoapSource, SqliteSource
from weave.etl.targets import FileTarget, HttpBulkTarget, PostgresTarget, SqliteTarget


def _auth_headers(auth: Mapping[str, Any] | None) -> dict[str, str]:
    if not auth:
        return {}
    kind = auth.get("type")
    if kind == "bearer":
        return {"Authorization": f"Bearer {secrets.resolve(auth['token'])}"}
    if kind == "basic":
        raw = f"{secrets.resolve(auth['username'])}:{secrets.resolve(auth['password'])}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
    if kind in ("api_key", "api-key", "apikey"):
        return {str(auth.get("header", "X-API-Key")): str(secrets.resolve(auth.get("value") or auth.get("key")))}
    raise BatchConfigError(f"auth type {kind!r} is not supported by batch jobs "
                           "(bearer, basic, api-key, oauth2-client-credentials)")


class _ConnectorAuth(httpx.Auth):
    """OAuth2 client credentials for batch jobs: the connectors' token cache (refresh before expiry, one
    fetch for concurrent requests), applied per request, with one retry on 401 after a fresh token."""

    def __init__(self, config: Mapping[str, Any], base_url: str) -> None:
        from weave.connectors.http.auth import build_auth
        from weave.connectors.http.backend import HttpxBackend

        self._auth = build_auth(config, backend=HttpxBackend(), base_url=base_url, timeout=30.0)

    async def async_auth_flow(self, request: httpx.Request) -> Any:
        headers: dict[str, str] = {}
        await self._auth.apply(headers, {})
        request.headers.update(headers)
        response = yield request
        if response.status_code == 401:
            self._auth.invalidate()
            headers = {}
            await self._auth.apply(headers, {})
            request.headers.update(headers)
            yield request


def _client(system: Mapping[str, Any]) -> httpx.AsyncClient:
    api = system.get("api") or {}
    if not api.get("base_url"):
        raise BatchConfigError(f"system {system.get('name')} has no api.base_url")
    base_url = str(secrets.resolve(api["base_url"]))
    auth = api.get("auth") or {}
    if auth.get("type") in ("oauth2-client-credentials", "oauth2"):
        return httpx.AsyncClient(base_url=base_url, auth=_ConnectorAuth(auth, base_url), timeout=60.0)
    return httpx.AsyncClient(base_url=base_url, headers=_auth_headers(auth), timeout=60.0)


def _dsn(system: Mapping[str, Any]) -> str:
    api = system.get("api") or {}
    dsn = api.get("dsn") or api.get("base_url")
    if not dsn:
        raise BatchConfigError(f"system {system.get('name')} has no api.base_url (a database URL)")
    return str(secrets.resolve(dsn))


def _sqlite_path(dsn: str) -> str | None:
    for prefix in ("sqlite:///", "sqlite://"):
        if dsn.startswith(prefix):
            return dsn[len(prefix):]
    return dsn if dsn.endswith((".db", ".sqlite", ".sqlite3")) else None


def build_source(extract: Mapping[str, Any], system: Mapping[str, Any], cursor: CursorSpec | None,
                 cursor_param: str | None, base_dir: Path) -> Source:
    if "http" in extract:
        op = extract["http"]
        from weave.connectors.http.pagination import build_paginator  # the spec's pagination vocabulary

        return RestSource(_client(system), str(op["path"]), records=op.get("records"),
                          paginator=build_paginator(op.get("pagination")), method=str(op.get("method", "GET")),
                          params=dict(op.get("params") or {}), cursor_param=cursor_param or op.get("cursor_param"))
    if "sql" in extract:
        dsn, query = _dsn(system), str(extract["sql"]["query"])
        path = _sqlite_path(dsn)
        return SqliteSource(path, query, cursor) if path else PostgresSource(dsn, query, cursor)
    if "file" in extract:
        op = extract["file"]
        return FileSource(str(op["path"]), str(op.get("format", "csv")), delimiter=str(op.get("delimiter", ",")),
                          encoding=str(op.get("encoding", "utf-8")), base_dir=str(base_dir))
    if "soap" in extract:
        op = extract["soap"]
        envelope = op["envelope"]
        if not str(envelope).lstrip().startswith("<"):
            envelope = (base_dir / str(envelope)).read_text()
        api = system.get("api") or {}
        return SoapSource(_client(system), str(op.get("path", "")) or str(secrets.resolve(api["base_url"])), envelope,
                          records=str(op["records"]), soap_action=op.get("soap_action") or op.get("operation"),
                          page_size=int(op.get("page_size", 500)))
    raise BatchConfigError(f"extract needs one of http, sql, file, soap (got {sorted(extract)})")


def build_target(deliver: Mapping[str, Any], system: Mapping[str, Any], batch: Mapping[str, Any],
                 checkpoints: CheckpointStore | None, base_dir: Path) -> Target:
    load = batch.get("load") or {}
    pk = load.get("primary_key") or (deliver.get("sql") or {}).get("primary_key") or ()
    pk_tuple = (pk,) if isinstance(pk, str) else tuple(pk)
    mode = str(load.get("mode") or (deliver.get("sql") or {}).get("mode") or ("merge" if pk_tuple else "insert"))
    drift = str(batch.get("schema_drift", "evolve"))
    if "sql" in deliver:
        table = str(load.get("table") or deliver["sql"]["table"])
        dsn = _dsn(system)
        path = _sqlite_path(dsn)
        create = bool(load.get("create", True))
        if path:
            return SqliteTarget(path, table, pk_tuple, mode, drift, create)
        return PostgresTarget(dsn, table, pk_tuple, mode, drift, create)
    if checkpoints is None:
        raise BatchConfigError("HTTP and file targets need a checkpoint store (the state store)")
    if "http" in deliver:
        op = deliver["http"]
        size = op.get("batch") if isinstance(op.get("batch"), int) and op.get("batch") is not True else None
        return HttpBulkTarget(_client(system), str(op["path"]), checkpoints, batch_size=int(size or 500),
                              wrap=op.get("body_key"), count_field=op.get("count_field"), method=str(op.get("method", "POST")))
    if "file" in deliver:
        op = deliver["file"]
        return FileTarget(str(base_dir / str(op["path"])), checkpoints, str(op.get("format", "jsonl")),
                          schema_drift=drift)
    raise BatchConfigError(f"deliver needs one of sql, http, file for a batch job (got {sorted(deliver)})")


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield from (m.group(0) for m in secrets.REF_RE.finditer(value))
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _references(item)


def secret_values(*systems: Mapping[str, Any]) -> Callable[[], list[str]]:
    """The resolved value of every secret reference in these systems, resolved when asked (a run's error is being
    recorded), never kept; a reference that does not resolve (now) is left out."""
    refs = sorted({ref for system in systems for ref in _references(system)})

    def values() -> list[str]:
        out: list[str] = []
        for ref in refs:
            try:
                out.append(str(secrets.resolve(ref)))
            except secrets.SecretError:
                continue
        return out

    return values


def windows_for(integration: Mapping[str, Any], systems: Mapping[str, Mapping[str, Any]]) -> OperatingWindows:
    names = [integration.get("source"), *(integration.get("targets") or [integration.get("target")])]
    return OperatingWindows.from_systems({n: systems.get(n, {}).get("peak_hours") for n in names if n})


def schedule_for(integration: Mapping[str, Any], systems: Mapping[str, Mapping[str, Any]]) -> Schedule | None:
    spec = (integration.get("trigger") or {}).get("schedule")
    return Schedule.from_spec(spec, windows_for(integration, systems)) if spec else None


def build_job(integration: Mapping[str, Any], systems: Mapping[str, Mapping[str, Any]], *, transform: Any = None,
              checkpoints: CheckpointStore | None = None, base_dir: str | Path = ".", **hooks: Any) -> BatchJob:
    """`hooks`: lease, lease_ttl_s, recorder, on_chunk, on_reject, on_drift, clock (see `BatchJob`)."""
    from weave.spec.durations import parse_duration

    name = str(integration["name"])
    batch = integration.get("batch") or {}
    extract = integration.get("extract")
    deliveries = integration.get("deliver") or []
    if not extract or not deliveries:
        raise BatchConfigError(f"integration {name}: a batch job needs `extract:` and one `deliver:` entry")
    if len(deliveries) != 1:
        raise BatchConfigError(f"integration {name}: a batch job delivers to exactly one target ({len(deliveries)} given)")
    deliver = deliveries[0]
    cursor_spec = batch.get("cursor")
    cursor = CursorSpec.from_spec(cursor_spec) if cursor_spec else None
    base = Path(base_dir)
    source = build_source(extract, systems[str(integration["source"])], cursor,
                          (cursor_spec or {}).get("param"), base)
    target = build_target(deliver, systems[str(deliver["target"])], batch, checkpoints, base)
    if "lease_ttl" in batch:
        hooks.setdefault("lease_ttl_s", parse_duration(batch["lease_ttl"]))
    hooks.setdefault("secret_values", secret_values(systems[str(integration["source"])],
                                                    systems[str(deliver["target"])]))
    return BatchJob(
        name, source, target, transform=transform, cursor=cursor, chunk_size=int(batch.get("chunk_size", 10_000)),
        windows=windows_for(integration, systems), verify_total=bool(batch.get("verify_total", True)), **hooks,
    )
