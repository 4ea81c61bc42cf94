"""Acme's operations/fulfillment system (REST, API key): receives fulfillment orders, serves inventory.

There is deliberately no deduplication: every accepted POST is a new fulfillment order, so a double
delivery shows up twice in ``GET /_received``.
"""

from __future__ import annotations

import random
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from weave.sandbox import _seed
from weave.sandbox._base import SimService
from weave.sandbox._http import (
    HttpError,
    MonotonicClock,
    check_api_key,
    json_response,
    read_object,
    require_fields,
)
from weave.sandbox._pagination import paginate

API_KEY = "ops-demo-key"


class OperationsService(SimService):
    name: ClassVar[str] = "operations"
    title: ClassVar[str] = "Operations / fulfillment (REST)"

    def credentials(self) -> dict[str, str]:
        return {"api_key": API_KEY}

    def reset_state(self) -> None:
        self.clock = MonotonicClock()
        self.orders: dict[str, dict[str, Any]] = {}
        rng = random.Random(self.seed + 2)
        self.inventory = [
            {"id": sku, "sku": sku, "warehouse": "HAM-1", "on_hand": rng.randint(0, 400),
             "reserved": rng.randint(0, 40), "updated_at": _seed.ts(_seed.BASE_TIME)}
            for sku, *_ in _seed.PRODUCTS]

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/fulfillment-orders", self.create_order, methods=["POST"]),
            Route("/v1/fulfillment-orders", self.list_orders, methods=["GET"]),
            Route("/v1/fulfillment-orders/{id}", self.get_order, methods=["GET"]),
            Route("/v1/inventory", self.list_inventory, methods=["GET"]),
        ]

    async def create_order(self, request: Request) -> Response:
        check_api_key(request, "x-api-key", {API_KEY})
        body = await read_object(request)
        require_fields(body, "order_ref", "lines")
        lines = body["lines"]
        if not isinstance(lines, list) or not all(
                isinstance(ln, dict) and ln.get("sku") and isinstance(ln.get("quantity"), int | float)
                and ln["quantity"] > 0 for ln in lines):
            raise HttpError(422, "validation_failed", "lines must be objects with sku and a positive quantity",
                            [{"field": "lines", "error": "invalid"}])
        order_id = f"FO-{len(self.orders) + 1:06d}"
        stamp = self.clock.next()
        order = {**body, "id": order_id, "status": "received", "received_at": stamp, "updated_at": stamp}
        self.orders[order_id] = order
        self.record(request, body, operation="fulfillment_order.create")
        return json_response(order, 201, {"Location": f"/v1/fulfillment-orders/{order_id}"})

    async def list_orders(self, request: Request) -> Response:
        check_api_key(request, "x-api-key", {API_KEY})
        records = list(self.orders.values())
        ref = request.query_params.get("order_ref")
        if ref:
            records = [o for o in records if str(o.get("order_ref")) == ref]
        return paginate(request, records, default_style="offset")

    async def get_order(self, request: Request) -> Response:
        check_api_key(request, "x-api-key", {API_KEY})
        order = self.orders.get(request.path_params["id"])
        if order is None:
            raise HttpError(404, "not_found", "no such fulfillment order")
        return json_response(order)

    async def list_inventory(self, request: Request) -> Response:
        check_api_key(request, "x-api-key", {API_KEY})
        return paginate(request, self.inventory, default_style="page")
