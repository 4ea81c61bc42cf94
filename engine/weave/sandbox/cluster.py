"""`SandboxCluster`: every simulated system on its own free loopback port, served by uvicorn from one
event loop — in the caller's loop (``async with``) or in one background thread (``with`` /
``start_in_thread()``). `sandbox_process()` runs the same cluster in a child process (for benchmarks,
so the simulated systems do not share the GIL with the code being measured).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import uvicorn

from weave.sandbox._base import SimService
from weave.sandbox._webhooks import WebhookConfig

# system name -> "module:class", imported lazily
SERVICES: dict[str, str] = {
    "crm": "weave.sandbox.crm:CrmService",
    "erp": "weave.sandbox.erp:ErpService",
    "operations": "weave.sandbox.operations:OperationsService",
    "email": "weave.sandbox.email_platform:EmailService",
    "marketing": "weave.sandbox.marketing:MarketingService",
    "telephony": "weave.sandbox.telephony:TelephonyService",
    "documents": "weave.sandbox.documents:DocumentsService",
    "payments": "weave.sandbox.payments:PaymentsService",
    "bulk": "weave.sandbox.bulk:BulkService",
}


def service_class(name: str) -> type[SimService]:
    target = SERVICES.get(name)
    if target is None:
        raise ValueError(f"unknown simulated system {name!r}; known: {', '.join(SERVICES)}")
    module, _, attr = target.partition(":")
    cls: type[SimService] = getattr(importlib.import_module(module), attr)
    return cls


@dataclass
class _Running:
    service: SimService
    server: uvicorn.Server
    sock: socket.socket
    task: asyncio.Task[None]


class SandboxCluster:
    """Start the simulated systems; `urls` maps system name to base URL (no trailing slash).

    ``options`` passes keyword arguments to a service's constructor, e.g.
    ``{"bulk": {"records": 10_000}, "crm": {"webhook": WebhookConfig(url, secret)}}``.
    ``ports`` pins a system to a port (default: a free one). ``extra`` adds systems of your own
    (`SimService` subclasses), e.g. a webhook receiver in a test; they start after ``systems``.
    ``received_limit`` caps each system's `GET /_received` log (default 100,000 entries; benchmarks
    that push millions of messages set it low — `/_stats` keeps counting).
    """

    def __init__(self, systems: Iterable[str] | None = None, *, seed: int = 42,
                 options: Mapping[str, Mapping[str, Any]] | None = None,
                 ports: Mapping[str, int] | None = None, host: str = "127.0.0.1",
                 extra: Mapping[str, type[SimService]] | None = None, received_limit: int | None = None) -> None:
        self.classes = {name: service_class(name) for name in (systems if systems is not None else SERVICES)}
        self.classes.update(extra or {})
        self.names = list(self.classes)
        self.seed = seed
        self.options = {k: dict(v) for k, v in (options or {}).items()}
        self.ports = dict(ports or {})
        self.host = host
        self.received_limit = received_limit
        self.services: dict[str, SimService] = {}
        self.urls: dict[str, str] = {}
        self._running: list[_Running] = []
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None

    # -- info ---------------------------------------------------------------------------------
    def url(self, name: str) -> str:
        return self.urls[name]

    def env(self) -> dict[str, str]:
        """Environment variables for specs: ``CRM_URL``, ``CRM_TOKEN``, ``ERP_USER`` … (see sandbox.md)."""
        out: dict[str, str] = {}
        for name, service in self.services.items():
            prefix = name.upper()
            out[f"{prefix}_URL"] = self.urls[name]
            for key, value in service.credentials().items():
                out[f"{prefix}_{key.upper()}"] = value
        return out

    def reset(self) -> None:
        """Every system back to its seeded state (``POST /_reset`` on each), on the cluster's own loop."""
        if self._thread is not None and threading.current_thread() is not self._thread:
            self.run_coroutine(self._reset_all())
        else:
            for service in self.services.values():
                service.reset()

    async def _reset_all(self) -> None:
        for service in self.services.values():
            service.reset()

    def set_webhook(self, name: str, url: str | None, *, secret: str | None = None, scheme: str | None = None,
                    events: Iterable[str] = ("*",)) -> None:
        """Point a system's outbound webhooks at ``url`` (None stops them); default: its own secret and scheme.

        No I/O, so it is safe from any thread and in either mode (the same as ``POST /_webhooks``)."""
        service = self.services[name]
        if service.webhooks is None or service.webhook_scheme is None:
            raise ValueError(f"{name} sends no webhooks")
        if url is None:
            service.webhooks.config = None
            return
        service.webhooks.config = WebhookConfig(
            url=url, secret=secret or service.credentials()["webhook_secret"],
            scheme=scheme or service.webhook_scheme, events=tuple(events))

    # -- async lifecycle (in the caller's event loop) --------------------------------------------
    async def start(self) -> SandboxCluster:
        try:
            for name in self.names:
                await self._start_one(name)
        except BaseException:
            await self.stop_async()
            raise
        return self

    async def _start_one(self, name: str) -> None:
        service = self.classes[name](seed=self.seed, **self.options.get(name, {}))
        if self.received_limit is not None:
            service.received_limit = self.received_limit
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.ports.get(name, 0)))
        sock.set_inheritable(True)
        config = uvicorn.Config(service.app, log_level="warning", access_log=False, lifespan="off",
                                http="httptools", timeout_graceful_shutdown=2, timeout_keep_alive=30)
        server = uvicorn.Server(config)
        # `_serve` is `serve` without the signal capture, which belongs to the host process
        task = asyncio.ensure_future(server._serve([sock]))
        self._running.append(_Running(service, server, sock, task))
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError(f"sandbox service {name} stopped during startup")
            await asyncio.sleep(0.005)
        port = sock.getsockname()[1]
        self.services[name] = service
        self.urls[name] = f"http://{self.host}:{port}"

    async def stop_async(self) -> None:
        running, self._running = self._running, []
        for item in running:
            item.server.should_exit = True
        for item in running:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await item.task
            await item.service.aclose()
            item.sock.close()

    async def __aenter__(self) -> SandboxCluster:
        return await self.start()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop_async()

    # -- background-thread lifecycle (sync callers: CLI, demo, tests) ----------------------------
    def start_in_thread(self, timeout: float = 30.0) -> SandboxCluster:
        if self._thread is not None:
            raise RuntimeError("cluster already started")
        ready = threading.Event()
        failure: list[BaseException] = []

        def main() -> None:
            with asyncio.Runner(loop_factory=_loop_factory()) as runner:
                runner.run(self._thread_main(ready, failure))

        self._thread = threading.Thread(target=main, name="weave-sandbox", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise TimeoutError("sandbox cluster did not start in time")
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    async def _thread_main(self, ready: threading.Event, failure: list[BaseException]) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        try:
            await self.start()
        except BaseException as exc:  # reported to the starting thread
            failure.append(exc)
            ready.set()
            return
        ready.set()
        await self._stop_event.wait()
        await self.stop_async()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop a cluster started with `start_in_thread()`; returns when its thread has ended."""
        thread, loop, event = self._thread, self._loop, self._stop_event
        if thread is None:
            return
        if loop is not None and event is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)
        thread.join(timeout)
        if thread.is_alive():
            raise RuntimeError("sandbox thread did not stop")
        self._thread = self._loop = self._stop_event = None

    def run_coroutine(self, coro: Any, timeout: float = 30.0) -> Any:
        """Run a coroutine on the cluster's loop (thread mode), e.g. to touch service state safely."""
        if self._loop is None:
            raise RuntimeError("cluster is not running in a thread")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def __enter__(self) -> SandboxCluster:
        return self.start_in_thread()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def _loop_factory() -> Any:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        return None
    return uvloop.new_event_loop


@dataclass(frozen=True)
class SandboxProcess:
    """A cluster in a child process: its URLs and environment, and the process to stop."""

    urls: dict[str, str]
    env: dict[str, str]
    pid: int


@contextlib.contextmanager
def sandbox_process(systems: Iterable[str] | None = None, *, seed: int = 42, bulk_records: int | None = None,
                    timeout: float = 30.0) -> Iterator[SandboxProcess]:
    """Run ``python -m weave.sandbox --format json`` and yield its URLs; the child is stopped on exit."""
    cmd = [sys.executable, "-m", "weave.sandbox", "--format", "json", "--seed", str(seed)]
    for name in systems or ():
        cmd += ["--only", name]
    if bulk_records is not None:
        cmd += ["--bulk-records", str(bulk_records)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        line = _readline(proc, timeout)
        info = json.loads(line)
        yield SandboxProcess(urls=info["systems"], env=info["env"], pid=proc.pid)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _readline(proc: subprocess.Popen[str], timeout: float) -> str:
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(proc.stdout.readline() if proc.stdout else ""),
                              daemon=True)
    reader.start()
    reader.join(timeout)
    if not result or not result[0].strip():
        err = proc.stderr.read() if proc.poll() is not None and proc.stderr else ""
        raise RuntimeError(f"sandbox process did not report its URLs: {err.strip()[-2000:]}")
    return result[0]
