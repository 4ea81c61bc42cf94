"""Run `weave serve`: the supervisor and the ASGI server in one event loop, graceful on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

from weave.bus import open_bus
from weave.runtime.logs import JsonLogger
from weave.runtime.supervisor import Supervisor
from weave.state import open_state


class Server:
    """A running `weave serve`: open it, wait, stop it. Usable in-process by tests and the demo."""

    def __init__(self, *, state_url: str, bus_url: str, host: str = "127.0.0.1", port: int = 8080,
                 admin_token: str | None = None, worker_id: str | None = None, log: bool = True,
                 on_ready: Callable[[Server], Awaitable[None]] | None = None) -> None:
        self.state_url = state_url
        self.bus_url = bus_url
        self.host = host
        self.port = port
        self.admin_token = admin_token
        self.worker_id = worker_id
        self.logger = JsonLogger(enabled=log)
        self.on_ready = on_ready
        self.supervisor: Supervisor | None = None
        self.uvicorn: uvicorn.Server | None = None
        self._state: Any = None
        self._bus: Any = None

    async def open(self) -> Supervisor:
        """Connect the state store and bus and build the supervisor; flows start in `serve_forever`."""
        self._state = await open_state(self.state_url)
        self._bus = await open_bus(self.bus_url)
        self.supervisor = Supervisor(state=self._state, bus=self._bus, worker_id=self.worker_id,
                                     admin_token=self.admin_token, logger=self.logger)
        self.logger.worker = self.supervisor.worker_id
        # The gateway's protocol (uvicorn's httptools protocol, writing each response in one call) serves every
        # route; the event loop is the caller's (`weave serve` runs on uvloop, see cli/serve_cmd.py).
        config = uvicorn.Config(self.supervisor.app, host=self.host, port=self.port, log_level="warning",
                                lifespan="off", access_log=False, http="weave.gateway.protocol:GatewayHttpProtocol",
                                loop="none", server_header=False, proxy_headers=False)
        self.uvicorn = uvicorn.Server(config)
        # weave handles SIGTERM/SIGINT itself (drain the flows, then stop HTTP): keep uvicorn's hands off
        # them, both in uvicorn < 0.29 (install_signal_handlers) and later (capture_signals)
        self.uvicorn.install_signal_handlers = lambda: None  # type: ignore[attr-defined]
        self.uvicorn.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
        return self.supervisor

    async def serve_forever(self, stop: asyncio.Event | None = None) -> None:
        """Serve until `stop` is set or SIGTERM/SIGINT arrives, then drain and close."""
        assert self.uvicorn is not None
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        server_task = asyncio.create_task(self.uvicorn.serve(), name="weave:http")
        while not self.uvicorn.started and not server_task.done():
            await asyncio.sleep(0.01)
        if server_task.done():
            await server_task  # raises the bind error
        self.logger.log(None, "listening", host=self.host, port=self.port)
        # /healthz answers from here on; /readyz is 503 (and flow routes answer 503 + Retry-After)
        # until the deployed revision's flows have started.
        assert self.supervisor is not None
        try:
            await self.supervisor.start()
        except BaseException:
            await self.close(server_task)
            raise
        self.logger.log(None, "ready", revision=self.supervisor.current.id if self.supervisor.current else 0)
        if self.on_ready is not None:
            await self.on_ready(self)
        stop_task = asyncio.create_task(stop.wait())
        await asyncio.wait({server_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
        await self.close(server_task)
        stop_task.cancel()

    async def close(self, server_task: asyncio.Task[Any] | None = None) -> None:
        if self.supervisor is not None:
            await self.supervisor.stop()  # drain in-flight work first
        if self.uvicorn is not None:
            self.uvicorn.should_exit = True
        if server_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await server_task
        if self._bus is not None:
            await self._bus.close()
        if self._state is not None:
            await self._state.close()
        self.logger.log(None, "stopped")
