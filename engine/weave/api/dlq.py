"""The dead-letter store: list, show, replay (idempotent), purge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from weave.bus import open_bus
from weave.runtime.supervisor import Supervisor
from weave.state import open_state


@dataclass(frozen=True)
class ReplayResult:
    entry_id: int
    integration: str
    target: str | None
    outcome: str  # delivered | duplicate | already-replayed | failed: ...


async def replay(state_url: str, bus_url: str, *, ids: list[int] | None = None, integration: str | None = None,
                 limit: int = 1000) -> list[ReplayResult]:
    """Re-deliver dead letters through the deployed revision's flows. Replaying twice never delivers
    twice: an entry is marked replayed once delivered, and sinks dedup on idempotency keys."""
    state = await open_state(state_url)
    bus = await open_bus(bus_url)
    supervisor = Supervisor(state=state, bus=bus, worker_id="weave-dlq-replay")
    try:
        revision = await state.current_revision()
        if revision is None:
            raise ValueError("nothing is deployed: apply a revision before replaying")
        loaded, services = supervisor.build(revision)
        flows: dict[str, Any] = {}
        flow: Any
        for flow in loaded.flows:
            if flow.name not in flows:
                await flow.prepare(services)
                flows[flow.name] = flow
        if ids:
            entries = [e for e in [await state.dlq_get(i) for i in ids] if e is not None]
        else:
            entries = await state.dlq_list(integration, limit=limit)
        results = []
        for entry in entries:
            if entry.replayed_at is not None:
                results.append(ReplayResult(entry.id, entry.integration, entry.target, "already-replayed"))
                continue
            flow = flows.get(entry.integration)
            if flow is None:
                results.append(ReplayResult(entry.id, entry.integration, entry.target,
                                            "failed: the integration is not deployed"))
                continue
            outcome = await flow.replay(entry.payload, entry.target, entry.key)
            if not outcome.startswith("failed") and not await state.dlq_mark_replayed(entry.id):
                outcome = "already-replayed"
            results.append(ReplayResult(entry.id, entry.integration, entry.target, outcome))
        await services.recorder.flush()
        await services.aclose()
        return results
    finally:
        await bus.close()
        await state.close()
