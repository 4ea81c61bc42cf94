"""Helpers of the sandbox tests."""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from weave.sandbox import SimService


class Receiver(SimService):
    """A webhook receiver: records the raw body and every header of each POST /hook."""

    name: ClassVar[str] = "receiver"
    title: ClassVar[str] = "test webhook receiver"

    def routes(self) -> list[BaseRoute]:
        return [Route("/hook", self.hook, methods=["POST"])]

    async def hook(self, request: Request) -> Response:
        self.record(request, (await request.body()).decode(), operation="hook")
        return Response(status_code=204)


def received(http: httpx.Client, url: str, **params: Any) -> list[dict[str, Any]]:
    response = http.get(f"{url}/_received", params=params)
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["items"]
    return items
