"""`status()`: every deployed integration's health, read from the state store (no server needed)."""

from __future__ import annotations

from typing import Any

from weave.runtime.status import STATUS_FORMAT, integration_rows, last_runs
from weave.state import open_state


def _next_runs(revision: Any) -> dict[str, str]:
    """Next allowed start of every scheduled batch job (cron, time zone, peak windows)."""
    import datetime as dt

    from weave.etl import next_run, schedule_for
    from weave.spec import load_sources

    project = load_sources((revision.specs or {}).get("documents", [])).project
    systems = {name: spec.raw for name, spec in project.systems.items()}
    out: dict[str, str] = {}
    now = dt.datetime.now(dt.UTC)
    for name, integration in project.integrations.items():
        if not (integration.raw.get("trigger") or {}).get("schedule"):
            continue
        try:
            schedule = schedule_for(integration.raw, systems)
            if schedule is not None:
                out[name] = next_run(schedule, now)[1].isoformat()
        except Exception:  # noqa: BLE001 - a bad schedule is reported by validate; status stays up
            continue
    return out


async def status(state_url: str, bus_url: str | None = None) -> dict[str, Any]:
    """`bus_url` (default: the SQLite state file) adds subscriber lag, pending and oldest pending age."""
    from weave.api.config import sqlite_path
    from weave.api.events import subscriber_status

    state = await open_state(state_url)
    try:
        revision = await state.current_revision()
        if revision is None:
            return {"format": STATUS_FORMAT, "revision": 0, "integrations": []}
        bus = bus_url or (state_url if sqlite_path(state_url) is not None else None)
        extra = await subscriber_status(bus, (revision.specs or {}).get("documents", [])) if bus else {}
        rows = await integration_rows(state, revision.plan or {}, extra)
        runs = await last_runs(state, revision.plan or {})  # closes a killed worker's run first (`abandoned`)
        schedules = _next_runs(revision)
        for row in rows:
            if row["name"] in runs:
                row["last_run"] = runs[row["name"]]
            if row["name"] in schedules:
                row["next_run"] = schedules[row["name"]]
        return {"format": STATUS_FORMAT, "revision": revision.id, "integrations": rows}
    finally:
        await state.close()
