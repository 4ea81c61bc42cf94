"""`SimService`: what every simulated system shares — the admin endpoints, the log of what arrived,
fault injection, outbound webhooks and JSON error handling.

A service subclasses it, sets `name`, implements `routes()` and `reset_state()` (its seeded data), and
lists its credentials in `credentials()`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any, ClassVar

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from weave.sandbox._faults import FaultInjector, FaultMiddleware, Traffic, parse_rule
from weave.sandbox._http import HttpError, error_response, int_param, json_response, read_json, utc_now_iso
from weave.sandbox._webhooks import WebhookConfig, WebhookSender

# never recorded in /_received: they carry credentials
_SECRET_HEADERS = {b"authorization", b"proxy-authorization", b"cookie", b"x-api-key", b"api-key"}


class SimService:
    """Base class of the simulated systems."""

    name: ClassVar[str] = "service"
    title: ClassVar[str] = "simulated service"
    webhook_scheme: ClassVar[str | None] = None
    #: entries kept for `GET /_received`; older ones are dropped (``seq`` keeps counting)
    received_limit: int = 100_000

    def __init__(self, *, seed: int = 42, webhook: WebhookConfig | None = None) -> None:
        self.seed = seed
        self.received: list[dict[str, Any]] = []
        self.received_total = 0
        self.counters: Counter[str] = Counter()
        self.faults = FaultInjector()
        self.traffic = Traffic()
        self.webhooks = WebhookSender(self.webhook_scheme, webhook) if self.webhook_scheme else None
        self._arrived = asyncio.Event()
        self._app: ASGIApp | None = None
        self.reset_state()

    # -- to implement -------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        raise NotImplementedError

    def reset_state(self) -> None:
        """(Re)build the seeded, deterministic state."""

    def credentials(self) -> dict[str, str]:
        """Credential names to values, exported as `<NAME>_<KEY>` environment variables by the cluster."""
        return {}

    # -- helpers for handlers -----------------------------------------------------------------
    def record(self, request: Request, body: Any, operation: str | None = None) -> dict[str, Any]:
        """Log one accepted request for `GET /_received`."""
        self.received_total += 1
        scope = request.scope
        entry = {
            "seq": self.received_total,
            "at": utc_now_iso(),
            "method": scope["method"],
            "path": scope["path"],
            "operation": operation,
            "query": dict(request.query_params) if scope.get("query_string") else {},
            "headers": {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]
                        if k not in _SECRET_HEADERS},
            "body": body,
        }
        self.received.append(entry)
        if len(self.received) > self.received_limit:
            del self.received[: len(self.received) - self.received_limit]
        self._arrived.set()
        return entry

    async def emit(self, event: str, payload: dict[str, Any], *, wait: bool = False, copies: int = 1) -> list[Any]:
        if self.webhooks is None:
            return []
        return await self.webhooks.send(event, payload, wait=wait, copies=copies)

    # -- the ASGI app -------------------------------------------------------------------------
    @property
    def app(self) -> ASGIApp:
        if self._app is None:
            app = Starlette(
                routes=[*self.routes(), *self._admin_routes()],
                exception_handlers={HttpError: self._on_http_error, HTTPException: self._on_starlette_error},
            )
            self._app = FaultMiddleware(app, self.faults, self.traffic)
        return self._app

    async def aclose(self) -> None:
        if self.webhooks is not None:
            await self.webhooks.aclose()

    @staticmethod
    async def _on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HttpError)
        return error_response(exc)

    @staticmethod
    async def _on_starlette_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(HttpError(exc.status_code, code, str(exc.detail), headers=exc.headers))

    def _admin_routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route("/_health", self._health, methods=["GET"]),
            Route("/_faults", self._faults_get, methods=["GET"]),
            Route("/_faults", self._faults_add, methods=["POST"]),
            Route("/_faults", self._faults_clear, methods=["DELETE"]),
            Route("/_received", self._received, methods=["GET"]),
            Route("/_stats", self._stats, methods=["GET"]),
            Route("/_reset", self._reset, methods=["POST"]),
        ]
        if self.webhooks is not None:
            routes += [
                Route("/_webhooks", self._webhooks_get, methods=["GET"]),
                Route("/_webhooks", self._webhooks_set, methods=["POST", "PUT"]),
                Route("/_webhooks", self._webhooks_clear, methods=["DELETE"]),
                Route("/_webhooks/deliveries", self._deliveries, methods=["GET"]),
            ]
        return routes

    async def _health(self, request: Request) -> Response:
        return json_response({"status": "ok", "system": self.name})

    async def _faults_get(self, request: Request) -> Response:
        return json_response({"rules": [r.view() for r in self.faults.rules]})

    async def _faults_add(self, request: Request) -> Response:
        data = await read_json(request)
        rules = [parse_rule(d) for d in (data if isinstance(data, list) else [data])]
        self.faults.rules.extend(rules)
        return json_response({"rules": [r.view() for r in self.faults.rules]}, 201)

    async def _faults_clear(self, request: Request) -> Response:
        self.faults.clear()
        return json_response({"rules": []})

    async def _received(self, request: Request) -> Response:
        wait_for = int_param(request, "min", 0)
        try:
            timeout = min(float(request.query_params.get("timeout", "10")), 60.0)
        except ValueError:
            raise HttpError(400, "invalid_parameter", "timeout must be a number of seconds") from None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        items = self._filtered(request)
        while len(items) < wait_for and loop.time() < deadline:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), max(deadline - loop.time(), 0.0))
            except TimeoutError:
                pass
            items = self._filtered(request)
        return json_response({"count": len(items), "items": items})

    def _filtered(self, request: Request) -> list[dict[str, Any]]:
        q = request.query_params
        after = int_param(request, "after", 0)
        first_seq = self.received[0]["seq"] if self.received else 1
        items = self.received[max(after - first_seq + 1, 0):]
        if q.get("path"):
            items = [e for e in items if e["path"].startswith(q["path"])]
        if q.get("operation"):
            items = [e for e in items if e["operation"] == q["operation"]]
        if q.get("method"):
            items = [e for e in items if e["method"] == q["method"].upper()]
        return items

    async def _stats(self, request: Request) -> Response:
        return json_response({"system": self.name, "received": self.received_total, **self.traffic.view(),
                              "counters": dict(self.counters)})

    def reset(self) -> None:
        """Back to the seeded state: received log, faults, stats, counters and webhook config too.

        Call it on the service's event loop (`POST /_reset` or `SandboxCluster.reset()` do)."""
        self.received.clear()
        self.received_total = 0
        self.counters.clear()
        self.faults.clear()
        self.traffic.requests = self.traffic.faulted = 0
        self.traffic.statuses.clear()
        if self.webhooks is not None:
            self.webhooks.reset()
        self.reset_state()

    async def _reset(self, request: Request) -> Response:
        self.reset()
        return json_response({"reset": True, "system": self.name})

    async def _webhooks_get(self, request: Request) -> Response:
        assert self.webhooks is not None
        cfg = self.webhooks.config
        return json_response({"webhook": cfg.view() if cfg else None})

    async def _webhooks_set(self, request: Request) -> Response:
        assert self.webhooks is not None and self.webhook_scheme is not None
        self.webhooks.config = WebhookConfig.from_json(await read_json(request), self.webhook_scheme)
        return json_response({"webhook": self.webhooks.config.view()})

    async def _webhooks_clear(self, request: Request) -> Response:
        assert self.webhooks is not None
        self.webhooks.config = None
        return json_response({"webhook": None})

    async def _deliveries(self, request: Request) -> Response:
        assert self.webhooks is not None
        if request.query_params.get("drain") in ("1", "true"):
            await self.webhooks.drain()
        return json_response({"count": len(self.webhooks.deliveries),
                              "items": [d.view() for d in self.webhooks.deliveries]})
