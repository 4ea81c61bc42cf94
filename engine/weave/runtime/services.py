"""The services a running flow gets (implements weave.patterns.base.FlowServices)."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from weave import correlation
from weave.delivery import BreakerConfig, BreakerRegistry
from weave.runtime.logs import JsonLogger
from weave.runtime.metrics import Metrics
from weave.spec.model import Project


class DeliveryRecorder:
    """Delivery accounting, aggregated in memory and written in one statement per integration and
    outcome every flush (a write per delivered record was the hub's first measured bottleneck)."""

    def __init__(self, state: Any) -> None:
        self.state = state
        self._pending: dict[tuple[str, bool], list[float]] = {}

    def add(self, integration: str, ok: bool, latency_ms: float, count: int = 1) -> None:
        entry = self._pending.setdefault((integration, ok), [0, 0.0])
        entry[0] += count
        entry[1] += latency_ms * count

    async def flush(self) -> None:
        pending, self._pending = self._pending, {}
        for (integration, ok), (count, latency_sum) in pending.items():
            await self.state.record_delivery(integration, ok, latency_sum / count, count=int(count))


class RuntimeServices:
    def __init__(self, *, state: Any, bus: Any, project: Project, revision: int, worker_id: str,
                 metrics: Metrics, logger: JsonLogger, assets: dict[str, str] | None = None,
                 breakers: BreakerRegistry | None = None, recorder: DeliveryRecorder | None = None) -> None:
        self.state = state
        self.bus = bus
        self.project = project
        self.revision = revision
        self.worker_id = worker_id
        self._metrics = metrics
        self.logger = logger
        self.assets = assets or {}
        self.breakers = breakers or BreakerRegistry()
        self._connectors: dict[str, Any] = {}
        self._shared: dict[str, Any] = {}
        self._workdir: Path | None = None
        self.recorder = recorder or DeliveryRecorder(state)

    # --- connectors and breakers ---------------------------------------------------------------
    def connector(self, system: str) -> Any:
        conn = self._connectors.get(system)
        if conn is None:
            from weave.runtime.connect import connector_for_system

            conn = connector_for_system(self.project, system, self)
            self._connectors[system] = conn
        return conn

    def breaker(self, system: str) -> Any:
        spec = self.project.systems.get(system)
        config = BreakerConfig.from_spec(((spec.raw.get("api") or {}).get("circuit_breaker")) if spec else None)
        return self.breakers.get(system, config)

    async def aclose(self) -> None:
        """Close what this revision opened: connectors, shared objects (the gateway app), template files."""
        for resource in [*self._connectors.values(), *self._shared.values()]:
            close = getattr(resource, "aclose", None)
            if close is not None:
                await close()
        self._connectors.clear()
        self._shared.clear()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    # --- per-revision resources ----------------------------------------------------------------
    def shared(self, name: str, factory: Callable[[], Any]) -> Any:
        """One object per revision (e.g. the gateway app all api-gateway flows serve), closed with it."""
        if name not in self._shared:
            self._shared[name] = factory()
        return self._shared[name]

    def library(self) -> Any:
        """The revision's transform library; its Jinja templates are written out once, to a directory
        removed when the revision is closed."""
        return self.shared("library", self._build_library)

    def _build_library(self) -> Any:
        from weave.patterns._steps import library_for

        if not self.assets:
            return library_for(self.project)
        self._workdir = Path(tempfile.mkdtemp(prefix="weave-templates-"))
        for name, text in self.assets.items():
            target = self._workdir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        return library_for(self.project, self._workdir)

    # --- observability -------------------------------------------------------------------------
    def record_delivery(self, integration: str, ok: bool, latency_ms: float, count: int = 1) -> None:
        """Count deliveries (buffered; the supervisor flushes them to the state store)."""
        self.recorder.add(integration, ok, latency_ms, count)

    def metrics(self) -> Metrics:
        return self._metrics

    def log(self, integration: str, message: str, **fields: Any) -> None:
        self.logger.log(integration, message, **fields)

    async def dead_letter(self, integration: str, payload: Any, error: str, attempts: int,
                          target: str | None = None, key: str | None = None) -> None:
        spec = self.project.integrations.get(integration)
        await self.state.dlq_put(integration, payload, error, attempts=max(attempts, 1), revision=self.revision,
                                 source=spec.source if spec else None, target=target, key=key,
                                 headers=correlation.headers())
        self._metrics.message(integration, "dead_letter_stored")
        self.logger.log(integration, "dead-lettered", level="warning", error=error, target=target, key=key,
                        attempts=attempts)

    # --- spec resources ------------------------------------------------------------------------
    def template_source(self, name: str) -> str:
        for candidate in (name, f"transforms/{name}"):
            if candidate in self.assets:
                return self.assets[candidate]
        raise KeyError(f"template {name!r} is not part of the deployed revision")

    def transform_steps(self, name: str) -> list[dict[str, Any]]:
        spec = self.project.transforms.get(name)
        if spec is None:
            raise KeyError(f"unknown transform {name!r}")
        return list(spec.raw.get("steps") or [])

    def lookup_table(self, name: str) -> dict[str, Any]:
        spec = self.project.tables.get(name)
        if spec is None:
            raise KeyError(f"unknown table {name!r}")
        return dict(spec.raw)

    def event_schema(self, name: str) -> dict[str, Any] | None:
        spec = self.project.events.get(name)
        return spec.schema if spec else None

    def now(self) -> float:
        return time.time()
