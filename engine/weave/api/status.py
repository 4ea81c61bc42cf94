"""`status()`: every deployed integration's health, read from the state store (no server needed)."""

from __future__ import annotations

from typing import Any

from weave.runtime.status import STATUS_FORMAT, integration_rows
from weave.state import open_state


async def status(state_url: str) -> dict[str, Any]:
    state = await open_state(state_url)
    try:
        revision = await state.current_revision()
        if revision is None:
            return {"format": STATUS_FORMAT, "revision": 0, "integrations": []}
        rows = await integration_rows(state, revision.plan or {})
        latest_runs = {r.integration: r for r in reversed(await state.runs(limit=500))}
        for row in rows:
            run = latest_runs.get(row["name"])
            if run is not None:
                row["last_run"] = {"id": run.id, "status": run.status, "started_at": run.started_at,
                                   "finished_at": run.finished_at, "counts": run.counts}
        return {"format": STATUS_FORMAT, "revision": revision.id, "integrations": rows}
    finally:
        await state.close()
