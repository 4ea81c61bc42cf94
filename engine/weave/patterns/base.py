"""What every pattern module shares: the Flow shape, the services a flow gets, and HTTP routes.

Each pattern is one module with the same shape:

    def compile(integration: Integration, planned: Planned, project: Project) -> Flow

A Flow declares the HTTP routes it serves (webhook ingest, gateway), and starts its background
workers (hub consumers, bus subscribers, pollers, schedulers) with `start(services)`. `drain()` stops
taking new work and finishes what is in flight, so the supervisor can swap revisions without loss.

Patterns never import the runtime: the runtime hands them a `FlowServices` implementation.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from weave.spec.model import Integration, Project


@dataclass(frozen=True)
class Planned:
    """The planner's decision as the runtime needs it: the pattern(s), first one primary."""

    patterns: tuple[str, ...]
    revision: int = 0

    @property
    def primary(self) -> str:
        return self.patterns[0]


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    path_params: dict[str, str] = field(default_factory=dict)
    query: str = ""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: Any = None  # JSON-serialisable
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[HttpRequest], Awaitable[HttpResponse]]


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str
    handler: Handler
    integration: str


class FlowServices(Protocol):
    """Runtime services a flow may use. Implemented by weave.runtime."""

    state: Any  # weave.state.StateStore
    bus: Any  # weave.bus.EventBus | None
    worker_id: str
    revision: int

    def connector(self, system: str) -> Any: ...
    def library(self) -> Any: ...  # the revision's transform library (weave.transforms.library.Library)
    def shared(self, name: str, factory: Any) -> Any: ...  # one object per revision, closed with it
    def breaker(self, system: str) -> Any: ...
    def metrics(self) -> Any: ...
    def log(self, integration: str, message: str, **fields: Any) -> None: ...
    def record_delivery(self, integration: str, ok: bool, latency_ms: float, count: int = 1) -> None: ...
    async def dead_letter(self, integration: str, payload: Any, error: str, attempts: int,
                          target: str | None = None, key: str | None = None) -> None: ...
    def template_source(self, name: str) -> str: ...
    def transform_steps(self, name: str) -> list[dict[str, Any]]: ...
    def lookup_table(self, name: str) -> dict[str, Any]: ...
    def event_schema(self, name: str) -> dict[str, Any] | None: ...


class Flow:
    """Base class with the lifecycle plumbing; patterns override what they need."""

    pattern: str = ""
    not_runnable: str | None = None  # why this integration cannot run yet (missing runtime blocks)

    def __init__(self, integration: Integration, planned: Planned, project: Project) -> None:
        self.integration = integration
        self.planned = planned
        self.project = project
        self.name = integration.name
        self.owner = integration.owner
        self._tasks: list[asyncio.Task[Any]] = []
        self._stopping: asyncio.Event | None = None  # made in prepare(), inside the running loop
        self.inflight = 0

    # --- what the runtime calls -----------------------------------------------------------
    def routes(self) -> list[HttpRoute]:
        return []

    async def prepare(self, services: FlowServices) -> None:
        """Build what the flow needs (pipelines, sinks) without starting any worker."""
        self.services = services
        self._stopping = asyncio.Event()

    async def start(self, services: FlowServices) -> None:
        """Prepare, then start the background workers (subclasses extend this)."""
        await self.prepare(services)

    async def drain(self, timeout: float = 30.0) -> None:
        """Stop taking new work, wait for in-flight work, then cancel the workers."""
        if self._stopping is not None:
            self._stopping.set()
        deadline = asyncio.get_running_loop().time() + timeout
        while self.inflight and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def run_once(self, **options: Any) -> dict[str, Any]:
        """`weave run NAME`: run the flow's pull side once. Patterns without one refuse."""
        raise NotImplementedError(f"{self.pattern} flows have no manual run; they are driven by their trigger")

    async def replay(self, payload: Any, target: str | None, key: str | None) -> str:
        """Re-deliver one dead letter; returns "delivered", "duplicate" or "failed: reason".
        A failed replay leaves the entry where it was (no new dead letter)."""
        raise NotImplementedError(f"{self.pattern} flows cannot replay dead letters")

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "pattern": self.pattern, "owner": self.owner,
                "routes": [f"{r.method} {r.path}" for r in self.routes()]}

    # --- helpers --------------------------------------------------------------------------
    @property
    def stopping(self) -> bool:
        return self._stopping is not None and self._stopping.is_set()

    def spawn(self, coro: Awaitable[Any], name: str) -> None:
        self._tasks.append(asyncio.create_task(coro, name=f"{self.name}:{name}"))  # type: ignore[arg-type]
