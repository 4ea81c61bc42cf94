"""ETL/batch: scheduled, incremental, resumable bulk movement (weave.etl does the work).

The flow builds a `BatchJob` from the spec's `extract:`, `deliver:`, `batch:` and `steps:`, runs it on its
cron schedule outside both systems' peak hours (`trigger.schedule`) under a lease in the state store (one
worker runs a job across many `weave serve` workers), and on demand (`weave run`, the demo). Rejected
records go to the dead-letter store; every run is recorded (`weave runs`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from weave.patterns._steps import Pipeline, build_pipeline
from weave.patterns.base import Flow, FlowServices, Planned
from weave.spec.model import Integration, Project


class EtlBatchFlow(Flow):
    pattern = "etl-batch"

    def __init__(self, integration: Integration, planned: Planned, project: Project) -> None:
        super().__init__(integration, planned, project)
        raw = integration.raw
        trigger = raw.get("trigger") or {}
        self.schedule_block = trigger.get("schedule")
        deliveries = raw.get("deliver") or []
        if not raw.get("extract"):
            self.not_runnable = "a batch job needs `extract:` (what to read from the source)"
        elif len(deliveries) != 1:
            self.not_runnable = "a batch job needs exactly one `deliver:` entry"
        elif not (self.schedule_block or "manual" in trigger):
            self.not_runnable = "a batch job needs `trigger:` with schedule (or manual)"
        self.scheduler: Any = None

    async def prepare(self, services: FlowServices) -> None:
        await super().prepare(services)
        raw = self.integration.raw
        self.pipeline: Pipeline | None = (
            build_pipeline(raw["steps"], services, self.integration, ("steps",)) if raw.get("steps") else None
        )

    def _base_dir(self) -> str:
        """Where relative paths in the spec (SOAP envelopes, files) resolve: transforms/ for templates."""
        extract = self.integration.raw.get("extract") or {}
        if "soap" in extract:
            roots = self.services.library().template_roots
            if roots:
                return roots[0]
        return self.project.root or "."

    def build_job(self, **hooks: Any) -> Any:
        from weave.etl import StateCheckpointStore, StateDeadLetters, StateLease, StateRunRecorder, build_job

        services = self.services
        state = services.state
        systems = {name: spec.raw for name, spec in self.project.systems.items()}
        target = (self.integration.raw.get("deliver") or [{}])[0].get("target")
        hooks.setdefault("lease", StateLease(state, services.worker_id))
        hooks.setdefault("recorder", StateRunRecorder(state, revision=services.revision, worker=services.worker_id))
        hooks.setdefault("on_reject", StateDeadLetters(state, self.name, source=self.integration.source,
                                                       target=target))
        return build_job(self.integration.raw, systems, transform=self.pipeline,
                         checkpoints=StateCheckpointStore(state), base_dir=Path(self._base_dir()), **hooks)

    async def start(self, services: FlowServices) -> None:
        await super().start(services)
        if self.schedule_block:
            from weave.etl import BatchScheduler, StateFireLog, schedule_for

            systems = {name: spec.raw for name, spec in self.project.systems.items()}
            schedule = schedule_for(self.integration.raw, systems)
            if schedule is not None:
                self.scheduled_job = self.build_job()
                # Waking at least once per lease TTL lets a worker that found the lease busy take over a fire
                # time whose holder died (its lease expires unrenewed) instead of waiting for the next fire.
                self.scheduler = BatchScheduler([(self.scheduled_job, schedule)], StateFireLog(services.state),
                                                on_tick=self._on_tick,
                                                max_sleep_s=min(60.0, float(self.scheduled_job.lease_ttl_s)))
                self.spawn(self.scheduler.serve(), "scheduler")

    async def drain(self, timeout: float = 30.0) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
        await super().drain(timeout)
        if self.scheduler is not None:
            await self.scheduled_job.aclose()

    def _on_tick(self, tick: Any) -> None:
        for result in tick.ran:
            self._account(result)
        for error in tick.failed:
            self.services.record_delivery(self.name, False, 0.0)
            self.services.log(self.name, "batch run failed", level="error", error=error)

    def _account(self, result: Any) -> None:
        counts = result.counts
        metrics = self.services.metrics()
        for stage in ("extracted", "transformed", "loaded", "rejected", "skipped"):
            metrics.rows(self.name, stage, int(getattr(counts, stage)))
        if counts.loaded:
            per_row_ms = (result.duration_s * 1000) / counts.loaded
            self.services.record_delivery(self.name, True, per_row_ms, count=int(counts.loaded))
        if counts.rejected:
            self.services.record_delivery(self.name, False, 0.0, count=int(counts.rejected))

    async def run_once(self, **options: Any) -> dict[str, Any]:
        """`weave run NAME [--full-refresh] [--since X] [--force]`: one run now, with progress hooks."""
        hooks = {k: options.pop(k) for k in ("on_chunk", "on_drift", "clock") if k in options}
        job = self.build_job(**hooks)
        started = time.perf_counter()
        try:
            result = await job.run(force=bool(options.get("force", False)),
                                   full_refresh=bool(options.get("full_refresh", False)), since=options.get("since"))
        finally:
            await job.aclose()
        self._account(result)
        out: dict[str, Any] = result.to_json()
        out.setdefault("seconds", round(time.perf_counter() - started, 3))
        return out


def compile(integration: Integration, planned: Planned, project: Project) -> Flow:  # noqa: A001
    return EtlBatchFlow(integration, planned, project)
