"""Helpers for runtime end-to-end tests: signing, applying specs, a running `weave serve`, polling."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import httpx

from weave.api.deploy import apply_deploy, git_meta, plan_deploy
from weave.runtime.serve import Server
from weave.sandbox.cluster import SandboxCluster
from weave.sandbox.services import free_port
from weave.state import open_state

HOOK_SECRET = "test-hook-secret-0123456789"


def sign_github(body: bytes, secret: str = HOOK_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"x-hub-signature-256": f"sha256={digest}", "content-type": "application/json"}


def post_signed(client: httpx.Client, url: str, payload: Any) -> httpx.Response:
    body = json.dumps(payload).encode()
    return client.post(url, content=body, headers=sign_github(body), timeout=60)


async def apply_specs(specs: Path, state_url: str, only: tuple[str, ...] = ()) -> int:
    async with await open_state(state_url) as state:
        current = await state.current_revision()
        deploy = plan_deploy([specs], current, only=only)
        assert deploy.ok, [d.to_dict() for d in deploy.diagnostics if d.severity.value == "error"]
        return await apply_deploy(state, deploy, git_meta([specs]), holder="test")


class RunningServe:
    """`weave serve` running in a background thread with its own event loop."""

    def __init__(self, state_url: str, bus_url: str | None = None) -> None:
        self.state_url = state_url
        self.bus_url = bus_url or state_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.stop_event: asyncio.Event | None = None
        self.server: Server | None = None
        self.thread: Any = None

    def __enter__(self) -> RunningServe:
        import threading

        ready = threading.Event()

        async def main() -> None:
            self.stop_event = asyncio.Event()
            self.server = Server(state_url=self.state_url, bus_url=self.bus_url, port=self.port,
                                 log=bool(__import__("os").environ.get("WEAVE_TEST_LOG")))
            await self.server.open()

            async def on_ready(_: Server) -> None:
                ready.set()

            self.server.on_ready = on_ready
            await self.server.serve_forever(self.stop_event)

        self.thread = threading.Thread(target=lambda: self.loop.run_until_complete(main()), daemon=True)
        self.thread.start()
        assert ready.wait(30), "weave serve did not start"
        return self

    def call(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __exit__(self, *exc: object) -> None:
        assert self.stop_event is not None
        self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(30)
        with contextlib.suppress(Exception):
            self.loop.close()


def received(cluster: SandboxCluster, system: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{cluster.urls[system]}/_received")
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def wait_until(predicate: Any, timeout: float = 20.0, interval: float = 0.05) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def post_standard(client: httpx.Client, url: str, payload: Any, secret: str) -> httpx.Response:
    """POST signed like the CRM does (Standard Webhooks)."""
    import time as _time
    import uuid

    from weave.sandbox import sign_webhook

    body = json.dumps(payload).encode()
    headers = dict(sign_webhook("standard", secret, f"msg_{uuid.uuid4().hex}", int(_time.time()), body))
    headers["content-type"] = "application/json"
    return client.post(url, content=body, headers=headers, timeout=60)
