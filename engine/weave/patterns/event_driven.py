"""Event-driven: the source publishes catalog events; every subscriber integration consumes them in its
own consumer group, with its own transforms, target and error policy. Adding a subscriber is adding a
spec; the publisher does not change.

- Publisher (`publish: {event}`): a webhook (or poll) becomes events. The sender gets its 2xx only after
  the events are durably on the bus (transactional-outbox idea). A payload that does not match the
  event's schema is refused: it goes to the dead-letter store with the schema problems, and is counted.
- Subscriber (`trigger: {event}`): at-least-once, acknowledged after the sink succeeded (or after the
  record was dead-lettered), per-key order (the event's `key`), idempotency keys at the sink, retries then
  the DLQ per subscriber, so one broken subscriber never holds up another.
"""

from __future__ import annotations

import re
import time
from typing import Any

from weave import correlation
from weave.errors import TransformError, TransientError
from weave.patterns._ingest import Ingest
from weave.patterns._poll import PollLoop
from weave.patterns._sink import Sink, replay_to_sinks
from weave.patterns._steps import Pipeline, build_pipeline, compile_expression
from weave.patterns.base import Flow, FlowServices, HttpRequest, HttpResponse, HttpRoute, Planned
from weave.spec.model import Integration, Project
from weave.state import IdemEvent

VISIBILITY_TIMEOUT = 30.0
_MESSAGE_ID = re.compile(r"^(\d+)(?:-(\d+))?$")


def event_position(message_id: str, backend: str) -> str | None:
    """A bus message id as a string that sorts like the topic's message order (`IdemEvent.position`): the
    embedded bus's integer id in 20 digits; a Redis id's milliseconds and sequence in 20 digits each (a
    bare `ms` is `ms-0`). None for an id of another form (its records then carry no event)."""
    match = _MESSAGE_ID.match(message_id.strip())
    if match is None:
        return None
    if backend == "redis":
        return f"{int(match[1]):020d}-{int(match[2] or 0):020d}"
    if backend == "sqlite" and match[2] is None:
        return f"{int(match[1]):020d}"
    return None


def idem_event(message: Any, backend: str) -> IdemEvent | None:
    """The event an idempotency record of this delivered message stands for."""
    position = event_position(str(message.id), backend)
    return None if position is None else IdemEvent(message.topic, str(message.id), position)


class EventDrivenFlow(Flow):
    pattern = "event-driven"

    def __init__(self, integration: Integration, planned: Planned, project: Project) -> None:
        super().__init__(integration, planned, project)
        raw = integration.raw
        trigger = raw.get("trigger") or {}
        self.publishes = integration.publishes
        self.subscribes = integration.subscribes_to
        self.ingest = Ingest.from_spec(self.name, trigger["webhook"]) if "webhook" in trigger else None
        self.poll_block = trigger.get("poll")
        event_name = self.publishes or self.subscribes
        event = project.events.get(event_name) if event_name else None
        if not self.publishes and not self.subscribes:
            self.not_runnable = "needs `publish: {event}` (publisher) or `trigger: {event}` (subscriber)"
        elif event is None:
            self.not_runnable = f"event {event_name!r} is not in the catalog"
        elif self.publishes and not (self.ingest or self.poll_block):
            self.not_runnable = "a publisher needs `trigger:` with webhook or poll"
        elif self.subscribes and not integration.targets:
            self.not_runnable = "a subscriber needs a `target:`"
        self.event = event
        publish = raw.get("publish") or {}
        key_expr = publish.get("key") or (event.raw.get("key") if event else None)
        self.key_expr = compile_expression(key_expr) if key_expr else None
        self.subscriber: Any = None

    # --- lifecycle ----------------------------------------------------------------------------
    def routes(self) -> list[HttpRoute]:
        if self.ingest is None or not self.publishes:
            return []
        return [HttpRoute("POST", self.ingest.path, self.handle_webhook, self.name)]

    async def prepare(self, services: FlowServices) -> None:
        await super().prepare(services)
        raw = self.integration.raw
        self.pipeline: Pipeline | None = (
            build_pipeline(raw["steps"], services, self.integration, ("steps",)) if raw.get("steps") else None
        )
        self.sinks: list[Sink] = []
        if self.subscribes:
            entries = raw.get("deliver") or [{"target": t} for t in self.integration.targets]
            self.sinks = [Sink(self.integration, i, entry, services) for i, entry in enumerate(entries)]
        if self.event is not None and self.event.raw.get("retention"):
            # the catalog's `retention:` is how much history the topic keeps on the bus (for replay). Trimmed
            # by age at most once a second on publish; exact (Redis XTRIM MINID `=`: cheap at that rate)
            from weave.bus import Retention
            from weave.spec.durations import parse_duration

            services.bus.topic_retention[self.event.name] = Retention(
                max_age_s=parse_duration(self.event.raw["retention"]), approximate=False)
        if self.publishes and self.event is not None:
            from weave.bus import schema_validator

            services.bus.set_validator(self.publishes, schema_validator(self.event.schema))

    async def start(self, services: FlowServices) -> None:
        await super().start(services)
        if self.subscribes:
            from weave.bus import RetryPolicy, Subscriber

            subscription = await services.bus.subscribe(self.subscribes, self.name, services.worker_id,
                                                        visibility_timeout=VISIBILITY_TIMEOUT)
            policy = (self.integration.raw.get("delivery") or {})
            self.subscriber = Subscriber(subscription, self.handle_message, dead_letter=self.exhausted,
                                         retry=RetryPolicy(max_attempts=int(policy.get("retries", 4)) + 1))
            self.spawn(self.subscriber.run(), "subscriber")
        if self.publishes and self.poll_block:
            self.spawn(PollLoop(self, services, self.poll_block, self.publish_records).run(), "poll")

    async def drain(self, timeout: float = 30.0) -> None:
        if self.subscriber is not None:
            self.subscriber.stop()
        await super().drain(timeout)

    # --- publisher ----------------------------------------------------------------------------
    async def handle_webhook(self, request: HttpRequest) -> HttpResponse:
        assert self.ingest is not None
        records, refusal = self.ingest.parse(request, self.services)
        if refusal is not None:
            return refusal
        counts = await self.publish_records(records)
        # 202 only now: the events are durably on the bus (or refused into the dead-letter store)
        return HttpResponse(202, {"integration": self.name, "event": self.publishes, **counts})

    async def publish_records(self, records: list[dict[str, Any]]) -> dict[str, int]:
        from weave.bus import EventRejected

        services = self.services
        metrics = services.metrics()
        counts = {"published": 0, "rejected": 0}
        assert self.publishes is not None
        self.inflight += 1
        try:
            for record in records:
                try:
                    outputs = self.pipeline.run(record) if self.pipeline else [record]
                except TransformError as exc:
                    await services.dead_letter(self.name, record, str(exc), 0)
                    counts["rejected"] += 1
                    continue
                for payload in outputs:
                    key = self.key_expr.search(payload) if self.key_expr is not None else None
                    started = time.perf_counter()
                    try:
                        await services.bus.publish(self.publishes, payload, key=None if key is None else str(key),
                                                   headers=correlation.headers())
                    except EventRejected as exc:
                        metrics.rejected(self.name, "event_schema")
                        await services.dead_letter(self.name, payload, str(exc), 1)
                        counts["rejected"] += 1
                        continue
                    latency = (time.perf_counter() - started) * 1000
                    services.record_delivery(self.name, True, latency)
                    metrics.delivery(self.name, f"event:{self.publishes}", True, latency / 1000)
                    counts["published"] += 1
        finally:
            self.inflight -= 1
        return counts

    # --- subscriber ---------------------------------------------------------------------------
    async def handle_message(self, message: Any) -> None:
        """Transform and deliver one event. Returning acks it; raising TransientError retries it."""
        with correlation.bind(correlation.of(message.headers)):
            await self._handle_message(message)

    async def _handle_message(self, message: Any) -> None:
        services = self.services
        try:
            outputs = self.pipeline.run(message.payload) if self.pipeline else [message.payload]
        except TransformError as exc:
            await services.dead_letter(self.name, message.payload, str(exc), message.delivery_count)
            return
        event = idem_event(message, services.bus.backend)
        for output in outputs:
            for sink in self.sinks:
                result = await sink.deliver(output, event=event)
                services.metrics().message(self.name, result.status)
                if result.status == "busy":
                    raise TransientError("another worker is delivering this key; retry later")

    async def exhausted(self, message: Any, error: BaseException) -> None:
        """The bus gave up on a message (its consumers kept dying, or a terminal error): dead-letter it."""
        with correlation.bind(correlation.of(message.headers)):
            await self.services.dead_letter(self.name, message.payload, f"{type(error).__name__}: {error}",
                                            message.delivery_count)

    async def status_fields(self) -> dict[str, Any]:
        if not self.subscribes:
            return {}
        bus = self.services.bus
        lag = await bus.lag(self.subscribes, self.name)
        pending = await bus.pending(self.subscribes, self.name)
        self.services.metrics().set_lag(self.name, lag, pending.count, pending.oldest_age_s)
        return {"lag": lag, "pending": pending.count, "oldest_pending_age_s": pending.oldest_age_s}

    async def health(self) -> None:
        await self.status_fields()

    async def replay(self, payload: Any, target: str | None, key: str | None) -> str:
        if self.publishes:
            counts = await self.publish_records([payload])
            return "delivered" if counts["published"] else "failed: the event was refused again"
        return await replay_to_sinks(self.sinks, self.pipeline, payload, target, key)

    async def run_once(self, **options: Any) -> dict[str, Any]:
        if self.publishes and self.poll_block:
            return await PollLoop(self, self.services, self.poll_block, self.publish_records).poll_once()
        return await super().run_once(**options)


def compile(integration: Integration, planned: Planned, project: Project) -> Flow:  # noqa: A001
    return EventDrivenFlow(integration, planned, project)
