"""Delivery of one record to one target: per-target steps, routing condition, idempotency, retry,
circuit breaker, and the dead-letter store. Shared by every pattern that writes to a system."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from weave.delivery import Outcome, RetryPolicy, deliver_with_retry
from weave.errors import TransformError
from weave.patterns._steps import Pipeline, build_pipeline, compile_expression
from weave.patterns.base import FlowServices
from weave.spec.model import Integration
from weave.state import IdemEvent, IdemStatus

OPERATION_KEYS = ("http", "soap", "sql", "file")
IDEM_TTL = 15.0  # a reservation left by a crashed worker expires after this many seconds


@dataclass
class SinkResult:
    target: str
    status: str  # delivered | duplicate | skipped | busy | dead_letter
    attempts: int = 0
    reason: str | None = None


class Sink:
    """One `deliver:` entry of an integration (for hub-and-spoke: one spoke)."""

    def __init__(self, integration: Integration, index: int, entry: dict[str, Any], services: FlowServices) -> None:
        self.integration = integration
        self.services = services
        self.target = str(entry["target"])
        self.operation_kind = next((k for k in OPERATION_KEYS if k in entry), None)
        self.operation = entry.get(self.operation_kind, {}) if self.operation_kind else {}
        self.when = compile_expression(entry["when"]) if entry.get("when") else None
        self.pipeline: Pipeline | None = (
            build_pipeline(entry["steps"], services, integration, ("deliver", index, "steps"))
            if entry.get("steps") else None
        )
        self.policy = RetryPolicy.from_spec(integration.raw.get("delivery"))
        key_expr = integration.raw.get("idempotency_key")
        self.key_expr = compile_expression(key_expr) if key_expr else None
        self.scope = f"{integration.name}:{self.target}"

    def matches(self, record: dict[str, Any]) -> bool:
        return self.when is None or self.when.search(record) is True

    def record_key(self, record: dict[str, Any]) -> str | None:
        if self.key_expr is None:
            return None
        value = self.key_expr.search(record)
        return None if value is None else str(value)

    async def deliver(self, record: dict[str, Any], *, key: str | None = None, dead_letter: bool = True,
                      budget: float | None = None, event: IdemEvent | None = None) -> SinkResult:
        """Deliver one canonical record; never raises for data or target errors (they dead-letter).
        `event`: the bus event it came from, stored with the idempotency record (what a replay forgets)."""
        services = self.services
        name = self.integration.name
        if not self.matches(record):
            return SinkResult(self.target, "skipped")
        key = key if key is not None else self.record_key(record)
        try:
            records = self.pipeline.run(record) if self.pipeline else [record]
        except TransformError as exc:
            if dead_letter:
                await services.dead_letter(name, record, str(exc), 0, target=self.target, key=key)
            return SinkResult(self.target, "dead_letter", 0, str(exc))
        if not records:
            return SinkResult(self.target, "skipped")
        if key is not None:
            status = await services.state.idem_reserve(self.scope, key, services.worker_id, IDEM_TTL,
                                                        event=event)
            if status is IdemStatus.DUPLICATE:
                services.metrics().duplicate(name, self.target)
                return SinkResult(self.target, "duplicate")
            if status is IdemStatus.BUSY:  # another worker is delivering it right now
                return SinkResult(self.target, "busy", reason="another worker holds the reservation")
        connector = services.connector(self.target)
        started = time.perf_counter()
        attempt = deliver_with_retry(
            lambda: connector.write(self.operation, records,
                                    idempotency_keys=[key] * len(records) if key else None),
            self.policy,
            services.breaker(self.target),
        )
        try:
            outcome = await (asyncio.wait_for(attempt, budget) if budget else attempt)
        except TimeoutError:
            outcome = Outcome("dead_letter", 0, reason=f"not delivered within the {budget:g}s budget of a "
                              "synchronous call (target failing or circuit open)")
        latency_ms = (time.perf_counter() - started) * 1000
        services.record_delivery(name, outcome.delivered, latency_ms)
        services.metrics().delivery(name, self.target, outcome.delivered, latency_ms / 1000)
        if outcome.delivered:
            if key is not None:
                await services.state.idem_commit(self.scope, key, services.worker_id, event=event)
            return SinkResult(self.target, "delivered", outcome.attempts)
        if key is not None:
            await services.state.idem_release(self.scope, key, services.worker_id)
        if dead_letter:
            await services.dead_letter(name, record, outcome.reason or "delivery failed", outcome.attempts,
                                       target=self.target, key=key)
        return SinkResult(self.target, "dead_letter", outcome.attempts, outcome.reason)


async def replay_to_sinks(sinks: list[Sink], pipeline: Any, payload: Any, target: str | None,
                          key: str | None) -> str:
    """Re-deliver one dead letter: to `target` as stored (it was dead-lettered after its mapping), or
    through `pipeline` to every sink when the transform itself had failed. Never dead-letters again."""
    chosen = [s for s in sinks if target is None or s.target == target]
    if not chosen:
        return f"failed: no target {target!r} in the deployed revision"
    records = [payload]
    if target is None and pipeline is not None:
        try:
            records = pipeline.run(payload)
        except TransformError as exc:
            return f"failed: {exc}"
    results = [await sink.deliver(r, key=key, dead_letter=False) for r in records for sink in chosen]
    failed = [r for r in results if r.status in ("dead_letter", "busy")]
    if failed:
        return f"failed: {failed[0].reason}"
    return "duplicate" if results and all(r.status == "duplicate" for r in results) else "delivered"
