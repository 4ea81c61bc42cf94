"""The root ASGI app of `weave serve`: health, metrics, status, webhook ingest routes, and the gateway.

Raw ASGI (no framework middleware) so the hot paths stay cheap. The route table is swapped atomically
when the supervisor switches revisions.
"""

from __future__ import annotations

import asyncio
import hmac
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from weave import correlation
from weave.patterns.base import HttpRequest, HttpResponse, HttpRoute

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_BYTES = 1024 * 1024
_PARAM_RE = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


def _compile_path(path: str) -> re.Pattern[str]:
    return re.compile("^" + _PARAM_RE.sub(r"(?P<\1>[^/]+)", re.escape(path).replace(r"\{", "{").replace(r"\}", "}"))
                      + "$")


@dataclass
class RouteTable:
    """Exact routes first (webhooks), then templated ones; `fallback` (the gateway app) last."""

    exact: dict[tuple[str, str], HttpRoute] = field(default_factory=dict)
    templated: list[tuple[str, re.Pattern[str], HttpRoute]] = field(default_factory=list)
    fallback: ASGIApp | None = None
    inflight: int = 0  # requests dispatched through this table and not yet answered

    @classmethod
    def build(cls, routes: list[HttpRoute], fallback: ASGIApp | None = None) -> RouteTable:
        table = cls(fallback=fallback)
        for route in routes:
            if "{" in route.path:
                table.templated.append((route.method, _compile_path(route.path), route))
            else:
                table.exact[(route.method, route.path)] = route
        return table

    def match(self, method: str, path: str) -> tuple[HttpRoute | None, dict[str, str], bool]:
        """(route, path params, path_exists_with_other_method)."""
        route = self.exact.get((method, path))
        if route is not None:
            return route, {}, True
        other = any(p == path for (_, p) in self.exact)
        for m, pattern, candidate in self.templated:
            found = pattern.match(path)
            if found:
                if m == method:
                    return candidate, found.groupdict(), True
                other = True
        return None, {}, other


async def send_json(send: Send, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    payload = orjson.dumps(body) if body is not None else b""
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    for k, v in (headers or {}).items():
        raw_headers.append((k.lower().encode(), v.encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


async def send_bytes(send: Send, status: int, body: bytes, content_type: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None when it exceeds `limit` (the rest is drained, not stored)."""
    chunks: list[bytes] = []
    size = 0
    too_big = False
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            too_big = True
        elif chunk:
            chunks.append(chunk)
        if not message.get("more_body"):
            break
    return None if too_big else b"".join(chunks)


class RuntimeApp:
    """ASGI entry point. `state` is read through callables so a revision switch is one assignment."""

    def __init__(self, *, metrics_body: Callable[[], bytes], metrics_type: str,
                 ready: Callable[[], bool], status: Callable[[], Awaitable[dict[str, Any]]],
                 admin_token: str | None = None, status_page: Callable[[], str] | None = None,
                 detail: Callable[[str], Awaitable[dict[str, Any] | None]] | None = None,
                 topology_svg: Callable[[], Awaitable[str]] | None = None) -> None:
        self.table = RouteTable()
        self.metrics_body = metrics_body
        self.metrics_type = metrics_type
        self.ready = ready
        self.status = status
        self.admin_token = admin_token
        self.status_page = status_page
        self.detail = detail
        self.topology_svg = topology_svg
        self.on_error: Callable[[str, BaseException], None] | None = None
        self.inflight = 0

    def swap(self, table: RouteTable) -> RouteTable:
        """Route new requests through `table` (one assignment); returns the previous table."""
        old, self.table = self.table, table
        return old

    async def quiesce(self, table: RouteTable, timeout: float = 30.0) -> bool:
        """Wait until every request dispatched through `table` was answered (True) or `timeout` passed."""
        deadline = asyncio.get_running_loop().time() + timeout
        while table.inflight and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        return table.inflight == 0

    def _authorised(self, scope: Scope) -> bool:
        if not self.admin_token:
            return True
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                supplied = value.decode("latin-1").removeprefix("Bearer ").strip()
                return hmac.compare_digest(supplied.encode(), self.admin_token.encode())
        query = scope.get("query_string", b"").decode("latin-1")
        for part in query.split("&"):
            if part.startswith("token="):
                return hmac.compare_digest(part[6:].encode(), self.admin_token.encode())
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        method: str = scope["method"]
        if path == "/healthz":
            return await send_json(send, 200, {"status": "ok"})
        if path == "/readyz":
            ok = self.ready()
            return await send_json(send, 200 if ok else 503, {"status": "ready" if ok else "starting"})
        if path == "/metrics":
            return await send_bytes(send, 200, self.metrics_body(), self.metrics_type)
        if path.startswith("/status"):
            return await self._status(scope, send, path)
        if not self.ready():  # starting, or draining on SIGTERM: senders retry a 503
            return await send_json(send, 503, {"error": {"code": "unavailable",
                                                         "message": "weave serve is starting or shutting down"}},
                                   {"retry-after": "1"})
        # The request stays on the table it was matched on (and that revision's flows) until it is
        # answered: the supervisor drains an old revision only after its table's in-flight count is 0.
        table = self.table
        table.inflight += 1
        try:
            route, params, other = table.match(method, path)
            if route is None:
                if table.fallback is not None:
                    return await table.fallback(scope, receive, send)
                if other:
                    return await send_json(send, 405, {"error": {"code": "method_not_allowed",
                                                                 "message": f"{method} is not allowed on {path}"}})
                return await send_json(send, 404, {"error": {"code": "not_found", "message": "no such route"}})
            await self._dispatch(route, params, scope, receive, send)
        finally:
            table.inflight -= 1

    async def _dispatch(self, route: HttpRoute, params: dict[str, str], scope: Scope, receive: Receive,
                        send: Send) -> None:
        body = await read_body(receive, MAX_BODY_BYTES)
        if body is None:
            return await send_json(send, 413, {"error": {"code": "payload_too_large",
                                                         "message": f"body exceeds {MAX_BODY_BYTES} bytes"}})
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        request = HttpRequest(method=scope["method"], path=scope["path"], headers=headers, body=body,
                              path_params=params, query=scope.get("query_string", b"").decode("latin-1"))
        correlation_id = correlation.from_headers(headers)
        self.inflight += 1
        try:
            with correlation.bind(correlation_id):
                response: HttpResponse = await route.handler(request)
        except Exception as exc:  # noqa: BLE001 - never leak internals to the caller; log them
            if self.on_error is not None:
                with correlation.bind(correlation_id):
                    self.on_error(route.integration, exc)
            response = HttpResponse(500, {"error": {"code": "internal_error", "message": "internal error"}})
        finally:
            self.inflight -= 1
        await send_json(send, response.status, response.body,
                        {**response.headers, "x-correlation-id": correlation_id})

    async def _status(self, scope: Scope, send: Send, path: str) -> None:
        if not self._authorised(scope):
            return await send_json(send, 401, {"error": {"code": "unauthorized", "message": "admin token required"}},
                                   {"www-authenticate": "Bearer"})
        if path in ("/status", "/status/") and self.status_page is not None:
            return await send_bytes(send, 200, self.status_page().encode(), "text/html; charset=utf-8")
        if path == "/status/api":
            return await send_json(send, 200, await self.status())
        if path == "/status/topology.svg" and self.topology_svg is not None:
            return await send_bytes(send, 200, (await self.topology_svg()).encode(), "image/svg+xml; charset=utf-8")
        if path.startswith("/status/api/integrations/") and self.detail is not None:
            from urllib.parse import unquote

            found = await self.detail(unquote(path.removeprefix("/status/api/integrations/")))
            if found is None:
                return await send_json(send, 404, {"error": {"code": "not_found", "message": "no such integration"}})
            return await send_json(send, 200, found)
        return await send_json(send, 404, {"error": {"code": "not_found", "message": "no such route"}})
