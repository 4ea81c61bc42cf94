"""Polling change detection: read the source's `extract:` operation with a cursor, hand records on,
then commit the cursor (only after the records were handled, so a crash re-reads rather than skips)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from weave.patterns.base import Flow, FlowServices
from weave.spec.durations import parse_duration

Process = Callable[[list[dict[str, Any]]], Awaitable[dict[str, int]]]


class PollLoop:
    def __init__(self, flow: Flow, services: FlowServices, block: dict[str, Any], process: Process) -> None:
        self.flow = flow
        self.services = services
        self.every = parse_duration(block.get("every", "30s"))
        self.cursor_spec = block.get("cursor") or {}
        self.process = process
        extract = flow.integration.raw.get("extract") or {}
        kind = next(iter(extract), None)
        self.operation: dict[str, Any] = dict(extract.get(kind, {})) if kind else {}
        self.cursor_name = f"poll:{flow.name}"

    async def poll_once(self) -> dict[str, Any]:
        state = await self.services.state.get_cursor(self.cursor_name)
        if state is None and self.cursor_spec.get("initial") is not None:
            state = {"value": self.cursor_spec["initial"]}
        connector = self.services.connector(self.flow.integration.source)
        totals = {"read": 0, "delivered": 0, "dead_lettered": 0, "duplicates": 0, "skipped": 0}
        field = self.cursor_spec.get("field")
        tie = self.cursor_spec.get("tie_breaker")
        best = (state or {}).get("value"), (state or {}).get("tie")
        async for page in connector.read(self.operation, state=self._request_state(state)):
            records = list(page.records)
            if field:
                records = [r for r in records if (r.get(field), r.get(tie) if tie else None) > best
                           or best[0] is None]
            totals["read"] += len(records)
            if records:
                counts = await self.process(records)
                for k, v in counts.items():
                    totals[k] = totals.get(k, 0) + v
                if field:
                    last = max(records, key=lambda r: (str(r.get(field)), str(r.get(tie)) if tie else ""))
                    best = (last.get(field), last.get(tie) if tie else None)
                    await self.services.state.set_cursor(self.cursor_name, {"value": best[0], "tie": best[1]})
        return totals

    def _request_state(self, state: dict[str, Any] | None) -> dict[str, Any] | None:
        if not state or not self.cursor_spec.get("param"):
            return None
        return {"params": {self.cursor_spec["param"]: state["value"]}}

    async def run(self) -> None:
        while not self.flow.stopping:
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a failed poll is retried next interval
                self.services.log(self.flow.name, "poll failed", error=str(exc))
            await asyncio.sleep(self.every)
