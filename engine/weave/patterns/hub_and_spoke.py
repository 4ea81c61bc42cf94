"""Hub-and-spoke: every message enters the hub's durable queue, is mapped into the canonical model,
routed by content to spokes, and mapped out per spoke.

Errors, credentials and monitoring are handled centrally; adding a spoke is one more `deliver:` entry.
A message is acknowledged only after every spoke delivered or dead-lettered it, so a crash
(kill -9) re-delivers from the queue, and idempotency keys stop a spoke from receiving it twice.
"""

from __future__ import annotations

import asyncio
from typing import Any

from weave import correlation
from weave.errors import TransformError
from weave.patterns._ingest import Ingest
from weave.patterns._poll import PollLoop
from weave.patterns._sink import Sink, replay_to_sinks
from weave.patterns._steps import Pipeline, build_pipeline, compile_expression
from weave.patterns.base import Flow, FlowServices, HttpRequest, HttpResponse, HttpRoute, Planned
from weave.spec.model import Integration, Project

CLAIM_BATCH = 16
VISIBILITY_TIMEOUT = 15.0  # a killed worker's messages come back after this; live workers extend it
HEARTBEAT_SECONDS = 5.0
BUSY_RETRY_DELAY = 1.0
IDLE_SLEEP = 0.05


class HubAndSpokeFlow(Flow):
    pattern = "hub-and-spoke"

    def __init__(self, integration: Integration, planned: Planned, project: Project) -> None:
        super().__init__(integration, planned, project)
        trigger = integration.raw.get("trigger") or {}
        self.ingest = Ingest.from_spec(self.name, trigger["webhook"]) if "webhook" in trigger else None
        self.poll_block = trigger.get("poll")
        if not (self.ingest or self.poll_block or "manual" in trigger):
            self.not_runnable = "needs `trigger:` with webhook, poll or manual"
        elif not integration.targets:
            self.not_runnable = "needs a `target:`"
        self.queue = f"hub:{self.name}"
        order = integration.raw.get("ordering_key")
        self.order_expr = compile_expression(order) if order else None
        self.wake = asyncio.Event()

    def routes(self) -> list[HttpRoute]:
        if self.ingest is None:
            return []
        return [HttpRoute("POST", self.ingest.path, self.handle_webhook, self.name)]

    async def prepare(self, services: FlowServices) -> None:
        await super().prepare(services)
        self.wake = asyncio.Event()
        raw = self.integration.raw
        self.canonical: Pipeline | None = (
            build_pipeline(raw["steps"], services, self.integration, ("steps",)) if raw.get("steps") else None
        )
        entries = raw.get("deliver") or [{"target": t} for t in self.integration.targets]
        self.spokes = [Sink(self.integration, i, entry, services) for i, entry in enumerate(entries)]

    async def start(self, services: FlowServices) -> None:
        await super().start(services)
        self.spawn(self.consume(), "hub-consumer")
        if self.poll_block:
            self.spawn(PollLoop(self, services, self.poll_block, self.enqueue).run(), "poll")

    async def handle_webhook(self, request: HttpRequest) -> HttpResponse:
        assert self.ingest is not None
        records, refusal = self.ingest.parse(request, self.services)
        if refusal is not None:
            return refusal
        counts = await self.enqueue(records)
        # 202 only now: the messages are durably in the hub queue.
        return HttpResponse(202, {"integration": self.name, "accepted": counts["accepted"]})

    async def enqueue(self, records: list[dict[str, Any]]) -> dict[str, int]:
        keys = [self._order_key(r) for r in records] if self.order_expr is not None else None
        await self.services.state.enqueue_many(self.queue, records, keys=keys, headers=correlation.headers())
        self.services.metrics().message(self.name, "accepted", len(records))
        self.wake.set()
        return {"accepted": len(records)}

    async def consume(self) -> None:
        state = self.services.state
        while not self.stopping:
            items = await state.claim(self.queue, self.services.worker_id, limit=CLAIM_BATCH,
                                      visibility_timeout=VISIBILITY_TIMEOUT)
            if not items:
                self.wake.clear()
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=0.5)
                except TimeoutError:
                    pass
                continue
            self.inflight += 1
            pending = {item.id for item in items}
            beat = asyncio.create_task(self._heartbeat(pending))
            try:
                # messages with the same ordering key go one after another; different keys in parallel
                lanes: dict[Any, list[Any]] = {}
                for item in items:
                    lanes.setdefault(item.key if item.key is not None else ("id", item.id), []).append(item)
                done: list[int] = []
                await asyncio.gather(*(self._lane(lane, pending, done) for lane in lanes.values()))
                if done:
                    await state.ack(done, worker=self.services.worker_id)
            finally:
                beat.cancel()
                self.inflight -= 1

    def _order_key(self, record: dict[str, Any]) -> str | None:
        assert self.order_expr is not None
        value = self.order_expr.search(record)
        return None if value is None else str(value)

    async def _lane(self, items: list[Any], pending: set[int], done: list[int]) -> None:
        for item in items:
            with correlation.bind(correlation.of(item.headers)):
                if await self.handle_item(item):
                    done.append(item.id)
            pending.discard(item.id)

    async def _heartbeat(self, pending: set[int]) -> None:
        """Keep the claimed messages invisible to other workers while this one works through them."""
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            if pending:
                await self.services.state.extend_visibility(sorted(pending), self.services.worker_id,
                                                            VISIBILITY_TIMEOUT)

    async def handle_item(self, item: Any) -> bool:
        """Deliver one queued message to its spokes; True when it can be acknowledged."""
        metrics = self.services.metrics()
        record = item.payload
        try:
            canonical = self.canonical.run(record) if self.canonical else [record]
        except TransformError as exc:
            await self.services.dead_letter(self.name, record, str(exc), item.attempts)
            metrics.message(self.name, "dead_letter")
            return True
        busy = False
        for message in canonical:
            for spoke in self.spokes:
                result = await spoke.deliver(message)
                busy = busy or result.status == "busy"
                metrics.message(self.name, result.status)
        if busy:
            await self.services.state.nack(item.id, delay=BUSY_RETRY_DELAY,
                                           error="a spoke delivery is in progress elsewhere",
                                           worker=self.services.worker_id)
            return False
        return True

    async def replay(self, payload: Any, target: str | None, key: str | None) -> str:
        return await replay_to_sinks(self.spokes, self.canonical, payload, target, key)

    async def run_once(self, **options: Any) -> dict[str, Any]:
        if not self.poll_block and not self.integration.raw.get("extract"):
            return await super().run_once(**options)
        return await PollLoop(self, self.services, self.poll_block or {"every": "1m"}, self.enqueue).poll_once()


def compile(integration: Integration, planned: Planned, project: Project) -> Flow:  # noqa: A001
    return HubAndSpokeFlow(integration, planned, project)
