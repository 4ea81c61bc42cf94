"""HTTP/REST connector: auth, pagination, the system's rate limit, timeouts, error translation.

    op (read):  {method: GET, path: /api/orders, params: {...}, headers: {...}, body: {...},
                 pagination: {type: page|offset|cursor|link, ...}, records: data, max_pages: 10000}
    op (write): {method: POST, path: /orders/{id}, headers: {...}, batch: false | true | 100,
                 body_key: items, idempotency_header: Idempotency-Key, concurrency: 1, duplicate_status: [409]}

`params`/`headers`/`body` string values may be Jinja templates over `state` (the resume state handed to `read`).
`path` placeholders `{field}` in a write are filled from the record, URL-quoted.
A write sends one request per record (or per chunk when `batch:` is set) and returns only when all
succeeded; a failure raises TransientError/TerminalError. With idempotency keys the whole write is
safe to retry: each request carries its key in the `Idempotency-Key` header. Statuses listed in
`duplicate_status` (e.g. 409 from a target that refuses a second create) count as already delivered
(`WriteResult.skipped`), not as errors.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
import urllib.parse
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import jmespath
import orjson

from weave.connectors.base import Page, ProbeResult, SystemConfig, WriteResult
from weave.connectors.http.auth import Auth, build_auth
from weave.connectors.http.backend import HttpResponse, make_backend
from weave.connectors.http.errors import raise_for_status
from weave.connectors.http.pagination import build_paginator
from weave.delivery.ratelimit import TokenBucket
from weave.errors import TerminalError, WeaveError
from weave.secrets import resolve

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
_DEFAULT_RECORD_KEYS = ("data", "items", "results", "records")


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=str)


def _extract_records(body: Any, expr: Any, what: str) -> list[Any]:
    if expr is not None:
        found = expr.search(body)
    elif isinstance(body, list):
        found = body
    elif isinstance(body, dict):
        found = next((body[k] for k in _DEFAULT_RECORD_KEYS if isinstance(body.get(k), list)), [body])
    else:
        found = [] if body is None else [body]
    if found is None:
        return []
    if isinstance(found, dict):
        return [found]
    if not isinstance(found, list):
        raise TerminalError(f"{what}: `records:` selected a {type(found).__name__}, not a list of objects")
    return found


def _drop_query(url: str, names: frozenset[str]) -> str:
    parts = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if k not in names]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _set_path(tree: Any, path: list[str], value: Any) -> Any:
    """A copy of a JSON tree with `value` at the dotted `path` (intermediate objects created)."""
    if not path:
        return value
    out = dict(tree) if isinstance(tree, dict) else {}
    out[path[0]] = _set_path(out.get(path[0]), path[1:], value)
    return out


class HttpConnector:
    style = "rest"

    def __init__(self, system: SystemConfig, *, transport: Any = None) -> None:
        self.system = system
        self._backend = make_backend(transport, max_connections=int(system.options.get("max_connections", 100)))
        self._auth: Auth = build_auth(system.auth, backend=self._backend, base_url=system.base_url, timeout=system.timeout)
        # burst of 1 by default: requests are paced evenly, so no one-second window ever sees more than the limit (+1)
        burst = float(system.options.get("burst", 1))
        self._bucket = TokenBucket(system.rate_limit, capacity=burst) if system.rate_limit else None
        self._templates: Any = None

    # -- plumbing -----------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        base = str(resolve(self.system.base_url)).rstrip("/")
        if path.startswith("?"):
            return base + path  # a query on the base URL itself, e.g. `?wsdl`
        return f"{base}/{path.lstrip('/')}" if path else base

    def _render(self, value: Any, variables: Mapping[str, Any]) -> Any:
        if isinstance(value, str) and "{{" in value:
            if self._templates is None:
                from weave.transforms.jinja import TemplateEngine

                self._templates = TemplateEngine()
            return self._templates.from_string(value).render(variables)
        return value

    def _render_tree(self, value: Any, variables: Mapping[str, Any]) -> Any:
        if isinstance(value, dict):
            return {k: self._render_tree(v, variables) for k, v in value.items()}
        if isinstance(value, list):
            return [self._render_tree(v, variables) for v in value]
        return self._render(value, variables)

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        timeout: float | None = None,
        raise_errors: bool = True,
    ) -> HttpResponse:
        """One request with auth and rate limit; non-2xx answers raise the translated error
        (unless `raise_errors` is False: SOAP reads faults from 500 answers itself)."""
        what = f"{method} {urllib.parse.urlsplit(url).path or '/'}"
        for attempt in (1, 2):
            hdrs = {"Accept": "application/json", **(headers or {})}
            prms = dict(params or {})
            await self._auth.apply(hdrs, prms)
            if self._bucket is not None:
                await self._bucket.acquire()
            resp = await self._backend.request(
                method, url, headers=hdrs, params=prms, content=content, timeout=timeout or self.system.timeout
            )
            if resp.status == 401 and self._auth.refreshable and attempt == 1:
                self._auth.invalidate()  # a revoked/expired token: fetch a new one once
                continue
            if raise_errors:
                raise_for_status(resp, system=self.system.name, what=what, secrets=self._auth.secret_values)
            return resp
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _json(resp: HttpResponse, what: str) -> Any:
        if not resp.body.strip():
            return None
        try:
            return orjson.loads(resp.body)
        except orjson.JSONDecodeError as exc:
            ctype = resp.header("content-type", "?")
            raise TerminalError(f"{what}: response is not JSON (content-type {ctype}): {exc}") from None

    # -- read -----------------------------------------------------------------------------------
    async def read(self, op: Mapping[str, Any], *, state: dict[str, Any] | None = None) -> AsyncIterator[Page]:
        method = str(op.get("method", "GET")).upper()
        path = str(op.get("path", ""))
        paginator = build_paginator(op.get("pagination"))
        records_expr = jmespath.compile(op["records"]) if op.get("records") else None
        max_pages = int(op.get("max_pages", 10_000))
        page_state: dict[str, Any] = dict((state or {}).get("page_state") or {})
        variables = {"state": state or {}}
        base_params = {k: self._render(v, variables) for k, v in (op.get("params") or {}).items()}
        headers = {k: str(self._render(v, variables)) for k, v in (op.get("headers") or {}).items()}
        body_template = None
        if op.get("body") is not None:  # e.g. a search or GraphQL query sent with POST
            body_template = self._render_tree(op["body"], variables)
            headers.setdefault("Content-Type", "application/json")
        what = f"{self.system.name}: {method} {path}"
        number = 0
        while True:
            number += 1
            url_override, page_params = paginator.request(page_state)
            url = url_override or self._url(path)
            params = {} if url_override else {**base_params, **page_params}
            content = None
            if body_template is not None:
                request_body = body_template
                placed = paginator.body_cursor(page_state)
                if placed is not None:
                    request_body = _set_path(body_template, placed[0], placed[1])
                content = _dumps(request_body)
            resp = await self.request(method, url, headers=headers, params=params, content=content)
            body = self._json(resp, what)
            records = _extract_records(body, records_expr, what)
            nxt = paginator.advance(page_state, body, records, resp.headers, resp.url)
            if nxt is not None and nxt.get("url") and self._auth.query_params():
                # servers echo every query parameter into next links: never keep a key in a stored state
                nxt = {**nxt, "url": _drop_query(str(nxt["url"]), self._auth.query_params())}
            if nxt is not None and nxt == page_state:
                nxt = None  # the server pointed at the page it just gave: stop instead of looping
            done = nxt is None or number >= max_pages
            yield Page(records, {"page_state": nxt} if nxt is not None else {}, done, number)
            if done:
                return
            assert nxt is not None
            page_state = nxt

    # -- write ----------------------------------------------------------------------------------
    def _path_for(self, template: str, record: Mapping[str, Any]) -> str:
        def sub(match: re.Match[str]) -> str:
            value = jmespath.search(match.group(1), record)
            if value is None:
                raise TerminalError(f"path {template!r} needs field {match.group(1)!r}, missing in the record")
            return urllib.parse.quote(str(value), safe="")

        return _PLACEHOLDER.sub(sub, template)

    async def write(
        self,
        op: Mapping[str, Any],
        records: Sequence[dict[str, Any]],
        *,
        idempotency_keys: Sequence[str] | None = None,
    ) -> WriteResult:
        if idempotency_keys is not None and len(idempotency_keys) != len(records):
            raise ValueError("idempotency_keys must match records one to one")
        method = str(op.get("method", "POST")).upper()
        path = str(op.get("path", ""))
        key_header = op.get("idempotency_header", "Idempotency-Key")
        headers = {"Content-Type": "application/json", **{k: str(v) for k, v in (op.get("headers") or {}).items()}}
        batch = op.get("batch", False)
        requests: list[tuple[str, bytes, str | None]] = []
        if batch:
            size = len(records) if batch is True else int(batch)
            body_key = op.get("body_key")
            for i in range(0, len(records), max(1, size)):
                chunk = list(records[i : i + size])
                keys = idempotency_keys[i : i + size] if idempotency_keys else None
                key = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:32] if keys else None
                payload = {str(body_key): chunk} if body_key else chunk
                requests.append((self._url(path), _dumps(payload), key))
        else:
            for i, record in enumerate(records):
                key = idempotency_keys[i] if idempotency_keys else None
                requests.append((self._url(self._path_for(path, record)), _dumps(record), key))

        duplicate_statuses = frozenset(int(x) for x in op.get("duplicate_status", ()))
        duplicates: list[str] = []

        async def send(url: str, body: bytes, key: str | None) -> Any:
            hdrs = dict(headers)
            if key is not None and key_header:
                hdrs[str(key_header)] = key
            try:
                resp = await self.request(method, url, headers=hdrs, content=body)
            except TerminalError as exc:
                if exc.status is not None and exc.status in duplicate_statuses:
                    duplicates.append(url)  # the target already holds it: delivered before
                    return {"duplicate": True, "status": exc.status}
                raise
            try:
                return orjson.loads(resp.body) if resp.body.strip() else None
            except orjson.JSONDecodeError:
                return resp.text[:1000]

        concurrency = max(1, int(op.get("concurrency", 1)))
        if concurrency == 1:
            responses = [await send(*req) for req in requests]
        else:
            sem = asyncio.Semaphore(concurrency)

            async def guarded(req: tuple[str, bytes, str | None]) -> Any:
                async with sem:
                    return await send(*req)

            tasks = [asyncio.ensure_future(guarded(r)) for r in requests]
            try:
                responses = list(await asyncio.gather(*tasks))
            except BaseException:
                for task in tasks:  # one failed: stop the rest instead of leaving them running unobserved
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
        skipped = len(duplicates) if not batch else 0
        return WriteResult(written=len(records) - skipped, skipped=skipped, responses=tuple(responses),
                           detail={"requests": len(requests), "duplicate_requests": len(duplicates)})

    # -- probe ----------------------------------------------------------------------------------
    async def probe(self) -> ProbeResult:
        """A safe read-only call (`api.probe: {method: GET, path: /health}`; default GET base_url)."""
        probe_op = self.system.options.get("probe") or {}
        method = str(probe_op.get("method", "GET")).upper()
        if method not in ("GET", "HEAD", "OPTIONS"):
            return ProbeResult(self.system.name, False, message=f"probe method {method} is not read-only")
        start = time.perf_counter()
        try:
            resp = await self.request(method, self._url(str(probe_op.get("path", ""))))
        except WeaveError as exc:
            status = getattr(exc, "status", None)
            latency = (time.perf_counter() - start) * 1000
            auth_ok = False if status in (401, 403) else None  # a 404 or 5xx says nothing about credentials
            ok = status is not None and status < 500 and status not in (401, 403, 408, 429)
            return ProbeResult(self.system.name, ok, latency, status, auth_ok, str(exc)[:300])
        latency = (time.perf_counter() - start) * 1000
        return ProbeResult(self.system.name, True, latency, resp.status, True, "reachable")

    async def aclose(self) -> None:
        await self._backend.aclose()
