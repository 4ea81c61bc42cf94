"""Gateway test fixtures: real uvicorn servers (httptools) on free loopback ports, in threads."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from weave.gateway import GatewayApp, GatewayConfig, MemoryKeyStore, create_key
from weave.gateway.protocol import GatewayHttpProtocol
from weave.sandbox.services import free_port

from .upstream_app import app as upstream_asgi


class ServerThread:
    """uvicorn serving `app` on 127.0.0.1:<free port> in a background thread with its own loop."""

    def __init__(self, app: Any, http: Any = "httptools", **options: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, http=http, loop="asyncio",
                                lifespan="on", access_log=False, log_level="warning", **options)
        self.server = uvicorn.Server(config)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self.server.serve())

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def run(self, coro: Any, timeout: float = 10.0) -> Any:
        """Run a coroutine on the server's loop (e.g. to create a key in its store)."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def upstream() -> Iterator[ServerThread]:
    with ServerThread(upstream_asgi) as server:
        yield server


class Gateway:
    def __init__(self, app: GatewayApp, server: ServerThread) -> None:
        self.app = app
        self.server = server
        self.url = server.url

    def new_key(self, consumer: str) -> str:
        key, _ = self.server.run(create_key(self.app.keys, consumer))
        return str(key)


def start_gateway(config: GatewayConfig, **kwargs: Any) -> tuple[GatewayApp, ServerThread]:
    app = GatewayApp(config, keys=kwargs.pop("keys", MemoryKeyStore()), **kwargs)
    return app, ServerThread(app, http=GatewayHttpProtocol)  # the protocol `weave serve` uses


@contextlib.contextmanager
def running_gateway(config: GatewayConfig, **kwargs: Any) -> Iterator[Gateway]:
    """A gateway for `config` served until the block ends (for a module's `gw` fixture)."""
    app, server = start_gateway(config, **kwargs)
    with server:
        yield Gateway(app, server)


# `client` and `key` serve the module's own `gw` fixture (each module configures its gateway)
@pytest.fixture(scope="module")
def client(gw: Gateway) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gw.url, timeout=10) as c:
        yield c


@pytest.fixture(scope="module")
def key(gw: Gateway) -> str:
    return gw.new_key("partner-acme")


def raw_request(port: int, data: bytes, timeout: float = 5.0) -> tuple[int, bytes]:
    """Send exact request bytes (no client-side path normalisation); (status, whole response)."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            response = b"".join(chunks)
            head, sep, body = response.partition(b"\r\n\r\n")
            if sep:
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length" and len(body) >= int(value):
                        return int(head.split(b" ")[1]), response
    response = b"".join(chunks)
    return (int(response.split(b" ")[1]) if response else 0), response
