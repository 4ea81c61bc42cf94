"""API gateway: partners, customers and third parties reach into the CRM through one controlled,
monitored and secured entry point (weave.gateway does the work).

Every integration planned as api-gateway contributes its `gateway.routes`; the revision's gateway is ONE
raw ASGI app serving all of them (consumers, auth, scopes, rate limits, validation, transforms, OpenAPI),
mounted by `weave serve` behind its own routes. Consumer API keys live in the state store (hashes only).
"""

from __future__ import annotations

import os
import time
from typing import Any

from weave.patterns.base import Flow, FlowServices, Planned
from weave.spec.model import Integration, Project


class ApiGatewayFlow(Flow):
    pattern = "api-gateway"

    def __init__(self, integration: Integration, planned: Planned, project: Project) -> None:
        super().__init__(integration, planned, project)
        block = integration.raw.get("gateway") or {}
        if not block.get("routes"):
            self.not_runnable = "needs `gateway: {routes: [...]}`"

    async def prepare(self, services: FlowServices) -> None:
        await super().prepare(services)
        self.app = self._shared_app(services)

    def _shared_app(self, services: FlowServices) -> Any:
        """One gateway app per revision serves every api-gateway integration; the revision closes it."""

        def build() -> Any:
            from weave.gateway import GatewayApp, StateKeyStore
            from weave.gateway.project import config_from_project

            settings: dict[str, Any] = {}
            bus_url = str(getattr(services.bus, "url", "") or "")
            if bus_url.startswith(("redis://", "rediss://")):
                settings["redis_url"] = bus_url  # rate limits shared by every worker
            config = config_from_project(self.project, settings)
            app = GatewayApp(config, keys=StateKeyStore(services.state), env=dict(os.environ))
            app.on_complete = self._accounting(services)
            return app

        return services.shared("gateway-app", build)

    @staticmethod
    def _accounting(services: FlowServices) -> Any:
        metrics = services.metrics()

        def on_complete(route: Any, consumer: str, status: int, seconds: float) -> None:
            if status >= 500:
                services.record_delivery(route.integration, False, seconds * 1000)
                metrics.delivery(route.integration, "gateway", False, seconds)
            elif status < 400:
                services.record_delivery(route.integration, True, seconds * 1000)
                metrics.delivery(route.integration, "gateway", True, seconds)
            metrics.message(route.integration, f"http_{status // 100}xx")

        return on_complete

    def asgi_app(self) -> Any:
        return self.app

    async def exercise(self, base_url: str, client: Any) -> str:
        """The demo: call this integration's documented example routes with a fresh demo key."""
        from weave.gateway import StateKeyStore, create_key

        block = self.integration.raw.get("gateway") or {}
        allowed = block.get("consumers") or list(self.project.consumers)
        consumer = next((name for name in allowed if name in self.project.consumers and
                         (self.project.consumers[name].raw.get("auth") or {}).get("type") == "api-key"), None)
        if consumer is None:
            return "no api-key consumer to call with"
        key, _ = await create_key(StateKeyStore(self.services.state), consumer, label="weave demo")
        header = (self.project.consumers[consumer].raw.get("auth") or {}).get("header", "X-API-Key")
        calls = 0
        started = time.perf_counter()
        for route in block.get("routes") or []:
            example = route.get("example")
            if not example:
                continue
            method = route.get("method", "GET")
            response = await client.request(method, f"{base_url}{example['path']}", headers={header: key},
                                            json=example.get("body") if method != "GET" else None)
            response.raise_for_status()
            calls += 1
        return f"{calls} gateway call(s) as {consumer} in {(time.perf_counter() - started) * 1000:.0f} ms"


def compile(integration: Integration, planned: Planned, project: Project) -> Flow:  # noqa: A001
    return ApiGatewayFlow(integration, planned, project)
