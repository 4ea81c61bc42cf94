"""The supervisor of `weave serve`: builds flows from the deployed revision, serves their routes,
watches for new revisions and swaps flows without dropping in-flight messages (drain, then switch)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from weave.patterns import Flow, Planned, compiler_for
from weave.runtime.logs import JsonLogger
from weave.runtime.metrics import Metrics
from weave.runtime.server import RouteTable, RuntimeApp
from weave.runtime.services import DeliveryRecorder, RuntimeServices
from weave.spec import load_sources

REVISION_POLL_SECONDS = 1.0
HEALTH_REFRESH_SECONDS = 2.0
DELIVERY_FLUSH_SECONDS = 0.5


@dataclass
class LoadedRevision:
    id: int
    flows: list[Flow] = field(default_factory=list)
    services: RuntimeServices | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # integration -> why it does not run


def planned_patterns(plan: Any) -> dict[str, tuple[str, ...]]:
    """integration -> patterns, from a stored plan JSON."""
    out: dict[str, tuple[str, ...]] = {}
    for entry in (plan or {}).get("integrations", []):
        patterns = tuple(entry.get("patterns") or ())
        if patterns:
            out[str(entry["name"])] = patterns
    return out


class Supervisor:
    def __init__(self, *, state: Any, bus: Any, worker_id: str | None = None, admin_token: str | None = None,
                 logger: JsonLogger | None = None, poll_seconds: float = REVISION_POLL_SECONDS) -> None:
        self.state = state
        self.bus = bus
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.metrics = Metrics()
        self.logger = logger or JsonLogger(worker=self.worker_id)
        self.poll_seconds = poll_seconds
        self.current: LoadedRevision | None = None
        self.started = False
        self._watch: asyncio.Task[None] | None = None
        self._health: asyncio.Task[None] | None = None
        self._switch_lock = asyncio.Lock()
        self._revision_hint = asyncio.Event()  # set by an in-process apply (`--watch`): look now, not at the next poll
        self.recorder = DeliveryRecorder(state)
        self._flusher: asyncio.Task[None] | None = None
        self.app = RuntimeApp(metrics_body=self.metrics.render, metrics_type=self.metrics.content_type,
                              ready=lambda: self.started, status=self.status, admin_token=admin_token,
                              status_page=self._status_page, detail=self.integration_detail,
                              topology_svg=self.topology_svg)
        self._svg: tuple[int, str] | None = None  # (revision, picture): drawn once per revision
        self.app.on_error = self._log_error

    # --- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        revision = await self.state.current_revision()
        if revision is not None:
            await self.switch(revision)
        self.started = True
        self._watch = asyncio.create_task(self._watch_revisions(), name="weave:watch-revisions")
        self._health = asyncio.create_task(self._refresh_health(), name="weave:health")
        self._flusher = asyncio.create_task(self._flush_deliveries(), name="weave:deliveries")
        from weave.ownership.evaluator import SloEvaluator  # weave.ownership: SLOs + alerts (hook 1/2)

        self.slo = SloEvaluator(self)
        self.slo.start()

    async def stop(self, timeout: float = 30.0) -> None:
        self.started = False
        if getattr(self, "slo", None) is not None:  # weave.ownership: SLOs + alerts (hook 2/2)
            await self.slo.stop()
        # A revision switch in progress finishes first (its old flows drain); cancelling it halfway would
        # leave them running unowned.
        async with self._switch_lock:
            for task in (self._watch, self._health, self._flusher):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            await self.app.quiesce(self.app.table, timeout)  # requests already dispatched get their answer
            if self.current is not None:
                await self._drain(self.current, timeout)
                self.current = None
        await self.recorder.flush()

    async def _watch_revisions(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._revision_hint.wait(), self.poll_seconds)
            self._revision_hint.clear()
            try:
                latest = await self.state.latest_revision_id()
                if latest and (self.current is None or latest != self.current.id):
                    revision = await self.state.get_revision(latest)
                    if revision is not None:
                        await self.switch(revision)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep serving the old revision
                self.logger.log(None, "revision switch failed", level="error", error=str(exc))

    def revision_applied(self) -> None:
        """A revision was just applied in this process: switch without waiting for the next poll."""
        self._revision_hint.set()

    # --- building and switching ----------------------------------------------------------------
    def build(self, revision: Any) -> tuple[LoadedRevision, RuntimeServices]:
        snapshot = revision.specs or {}
        load = load_sources(snapshot.get("documents", []), root=snapshot.get("root"),
                            settings=snapshot.get("settings"))
        project = load.project
        services = RuntimeServices(state=self.state, bus=self.bus, project=project, revision=revision.id,
                                   worker_id=self.worker_id, metrics=self.metrics, logger=self.logger,
                                   assets=snapshot.get("assets", {}), recorder=self.recorder)
        loaded = LoadedRevision(id=revision.id, services=services)
        for name, patterns in planned_patterns(revision.plan).items():
            integration = project.integrations.get(name)
            if integration is None:
                continue
            for pattern in patterns:
                try:
                    flow = compiler_for(pattern)(integration, Planned(patterns, revision.id), project)
                except Exception as exc:  # noqa: BLE001 - one broken integration never stops the others
                    loaded.skipped[f"{name}/{pattern}"] = f"failed to compile: {exc}"
                    self.logger.log(name, "flow failed to compile", level="error", error=str(exc))
                    continue
                why = getattr(flow, "not_runnable", None)
                if why:
                    loaded.skipped[f"{name}/{pattern}"] = why
                    continue
                self.metrics.register(name, pattern, integration.owner)
                loaded.flows.append(flow)
        return loaded, services

    async def switch(self, revision: Any) -> None:
        """Start the new revision's flows, route traffic to them, then drain the old ones."""
        async with self._switch_lock:
            new, services = self.build(revision)
            started = []
            for flow in new.flows:
                try:
                    await flow.start(services)
                except Exception as exc:  # noqa: BLE001 - one broken integration never stops the others
                    new.skipped[f"{flow.name}/{flow.pattern}"] = f"failed to start: {exc}"
                    self.logger.log(flow.name, "flow failed to start", level="error", error=str(exc))
                    await flow.drain(0)
                    continue
                started.append(flow)
            new.flows = started
            routes = [route for flow in new.flows for route in flow.routes()]
            fallback = next((flow.asgi_app() for flow in new.flows if hasattr(flow, "asgi_app")), None)
            old = self.current
            old_table = self.app.swap(RouteTable.build(routes, fallback))
            self.current = new
            self.logger.revision = revision.id
            self.metrics.revision.set(revision.id)
            self.logger.log(None, "serving revision", flows=len(new.flows), skipped=len(new.skipped))
            if old is not None:
                # requests matched on the old table finish on the old flows; only then drain them
                await self.app.quiesce(old_table)
                await self._drain(old)

    async def _drain(self, loaded: LoadedRevision, timeout: float = 30.0) -> None:
        await asyncio.gather(*(flow.drain(timeout) for flow in loaded.flows), return_exceptions=True)
        if loaded.services is not None:
            await loaded.services.aclose()

    async def _flush_deliveries(self) -> None:
        while True:
            await asyncio.sleep(DELIVERY_FLUSH_SECONDS)
            try:
                await self.recorder.flush()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - counts are retried with the next flush
                self.logger.log(None, "delivery stats flush failed", level="warning", error=str(exc))

    # --- health ----------------------------------------------------------------------------------
    async def _refresh_health(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                await self._update_gauges()
            await asyncio.sleep(HEALTH_REFRESH_SECONDS)

    async def _update_gauges(self) -> None:
        now = time.time()
        for stats in await self.state.dlq_stats():
            self.metrics.set_dlq(stats.integration, stats.depth, now - stats.oldest_at if stats.oldest_at else 0.0)
        if self.current is None:
            return
        for flow in self.current.flows:
            health = getattr(flow, "health", None)
            if health is not None:
                await health()

    async def status(self) -> dict[str, Any]:
        from weave.runtime.status import collect_status

        return await collect_status(self)

    def _log_error(self, integration: str, exc: BaseException) -> None:
        import traceback

        self.logger.log(integration, "request failed", level="error", error=f"{type(exc).__name__}: {exc}",
                        trace=traceback.format_exception(exc)[-3:])

    async def integration_detail(self, name: str) -> dict[str, Any] | None:
        from weave.runtime.status import integration_detail

        return await integration_detail(self, name)

    async def topology_svg(self) -> str:
        from weave.runtime.status import topology_svg

        revision_id = self.current.id if self.current else 0
        if self._svg is None or self._svg[0] != revision_id:
            revision = await self.state.get_revision(revision_id) if revision_id else None
            self._svg = (revision_id, await asyncio.to_thread(topology_svg, revision))
        return self._svg[1]

    def _status_page(self) -> str:
        from weave.runtime.status import render_status_page

        return render_status_page()
