"""Point-to-point: a direct, synchronous delivery from the trigger to the target, with its own mapping.

Webhook trigger: the request is answered after delivery (or after the record was dead-lettered, so
nothing is lost). Poll/manual trigger: records are read from the source and delivered one by one.
"""

from __future__ import annotations

from typing import Any

from weave.errors import TransformError
from weave.patterns._ingest import Ingest
from weave.patterns._poll import PollLoop
from weave.patterns._sink import Sink, replay_to_sinks
from weave.patterns._steps import Pipeline, build_pipeline
from weave.patterns.base import Flow, FlowServices, HttpRequest, HttpResponse, HttpRoute, Planned
from weave.spec.model import Integration, Project

SYNC_BUDGET_SECONDS = 8.0


class PointToPointFlow(Flow):
    pattern = "point-to-point"

    def __init__(self, integration: Integration, planned: Planned, project: Project) -> None:
        super().__init__(integration, planned, project)
        trigger = integration.raw.get("trigger") or {}
        self.ingest = Ingest.from_spec(self.name, trigger["webhook"]) if "webhook" in trigger else None
        self.poll_block = trigger.get("poll")
        # a webhook sender waits for the answer: bound the retries, then dead-letter (nothing is lost)
        self.budget: float | None = SYNC_BUDGET_SECONDS if self.ingest is not None else None
        if not (self.ingest or self.poll_block or "manual" in trigger):
            self.not_runnable = "needs `trigger:` with webhook, poll or manual"
        elif not integration.targets:
            self.not_runnable = "needs a `target:`"

    def routes(self) -> list[HttpRoute]:
        if self.ingest is None:
            return []
        return [HttpRoute("POST", self.ingest.path, self.handle_webhook, self.name)]

    async def prepare(self, services: FlowServices) -> None:
        await super().prepare(services)
        self.pipeline: Pipeline | None = (
            build_pipeline(self.integration.raw["steps"], services, self.integration, ("steps",))
            if self.integration.raw.get("steps") else None
        )
        entries = self.integration.raw.get("deliver") or [{"target": t} for t in self.integration.targets]
        self.sinks = [Sink(self.integration, i, entry, services) for i, entry in enumerate(entries)]

    async def start(self, services: FlowServices) -> None:
        await super().start(services)
        if self.poll_block:
            loop = PollLoop(self, services, self.poll_block, self.process)
            self.spawn(loop.run(), "poll")

    async def handle_webhook(self, request: HttpRequest) -> HttpResponse:
        assert self.ingest is not None
        records, refusal = self.ingest.parse(request, self.services)
        if refusal is not None:
            return refusal
        counts = await self.process(records)
        return HttpResponse(200, {"integration": self.name, **counts})

    async def process(self, records: list[dict[str, Any]]) -> dict[str, int]:
        counts = {"delivered": 0, "dead_lettered": 0, "duplicates": 0, "skipped": 0}
        metrics = self.services.metrics()
        self.inflight += 1
        try:
            for record in records:
                try:
                    outputs = self.pipeline.run(record) if self.pipeline else [record]
                except TransformError as exc:
                    await self.services.dead_letter(self.name, record, str(exc), 0)
                    counts["dead_lettered"] += 1
                    metrics.message(self.name, "dead_letter")
                    continue
                for output in outputs:
                    for sink in self.sinks:
                        result = await sink.deliver(output, budget=self.budget)
                        bucket = {"delivered": "delivered", "dead_letter": "dead_lettered",
                                  "duplicate": "duplicates"}.get(result.status, "skipped")
                        counts[bucket] += 1
                        metrics.message(self.name, result.status)
        finally:
            self.inflight -= 1
        return counts

    async def replay(self, payload: Any, target: str | None, key: str | None) -> str:
        return await replay_to_sinks(self.sinks, self.pipeline, payload, target, key)

    async def run_once(self, **options: Any) -> dict[str, Any]:
        if not self.poll_block and not self.integration.raw.get("extract"):
            return await super().run_once(**options)
        loop = PollLoop(self, self.services, self.poll_block or {"every": "1m"}, self.process)
        return await loop.poll_once()


def compile(integration: Integration, planned: Planned, project: Project) -> Flow:  # noqa: A001
    return PointToPointFlow(integration, planned, project)
