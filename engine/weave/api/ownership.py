"""Library calls for ownership in operation: `owners()`, `alerts()`, `ack()`, `silence()`, `codeowners()`.
They return typed results and never print."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from weave.diagnostics import Diagnostic
from weave.ownership.codeowners import CodeownersResult, build_codeowners, find_codeowners
from weave.ownership.owners import OwnersReport, owners_view
from weave.spec import load_project
from weave.state import Alert, Silence, open_state

ALERTS_FORMAT = "weave.alerts/v1"


async def owners(paths: Sequence[str | Path], state_url: str | None = None) -> tuple[OwnersReport, list[Diagnostic]]:
    """Each owner with contacts, integrations, systems and the deployed revision's health (if any)."""
    load = load_project(paths)
    if state_url is None:
        return owners_view(load.project), load.diagnostics
    from weave.runtime.status import integration_rows

    state = await open_state(state_url)
    try:
        revision = await state.current_revision()
        if revision is None:
            return owners_view(load.project), load.diagnostics
        rows = await integration_rows(state, revision.plan or {})
        alerts: dict[str, tuple[str, ...]] = {}
        for alert in await state.alerts_list(status="open", limit=1000):
            alerts[alert.integration] = (*alerts.get(alert.integration, ()), alert.slo)
        health = {str(r["name"]): str(r["health"]) for r in rows}
        return owners_view(load.project, health, alerts, revision=revision.id), load.diagnostics
    finally:
        await state.close()


@dataclass(frozen=True)
class AlertsReport:
    alerts: tuple[Alert, ...]
    silences: tuple[Silence, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"format": ALERTS_FORMAT,
                "alerts": [{"id": a.id, "integration": a.integration, "slo": a.slo, "owner": a.owner,
                            "status": a.status, "message": a.message, "detail": a.detail, "opened_at": a.opened_at,
                            "resolved_at": a.resolved_at, "acked_at": a.acked_at, "acked_by": a.acked_by,
                            "escalated_at": a.escalated_at} for a in self.alerts],
                "silences": [{"integration": s.integration, "until": s.until, "created_at": s.created_at,
                              "created_by": s.created_by, "reason": s.reason} for s in self.silences]}


async def alerts(state_url: str, *, status: str | None = None, integration: str | None = None,
                 limit: int = 100) -> AlertsReport:
    async with await open_state(state_url) as state:
        return AlertsReport(tuple(await state.alerts_list(status=status, integration=integration, limit=limit)),
                            tuple(await state.alerts_silences()))


async def ack(state_url: str, alert_id: int, by: str | None = None) -> tuple[bool, Alert | None]:
    """(acknowledged now, the alert): False with the alert when it is resolved or already acknowledged."""
    async with await open_state(state_url) as state:
        done = await state.alerts_ack(alert_id, by)
        return done, await state.alerts_get(alert_id)


async def resolve(state_url: str, alert_id: int) -> tuple[bool, Alert | None]:
    """Close an open alert by hand (e.g. its integration was removed); no notice is sent."""
    async with await open_state(state_url) as state:
        done = await state.alerts_resolve(alert_id)
        return done, await state.alerts_get(alert_id)


async def silence(state_url: str, integration: str, seconds: float, *, by: str | None = None,
                  reason: str | None = None) -> Silence:
    """Silence an integration's alert notifications for `seconds` from now (0 lifts the silence)."""
    async with await open_state(state_url) as state:
        return await state.alerts_silence(integration, time.time() + seconds, by=by, reason=reason)


def codeowners(paths: Sequence[str | Path], *, root: str | Path | None = None) -> CodeownersResult:
    """The CODEOWNERS text for the specs at `paths`, and the committed file's staleness (if one exists)."""
    load = load_project(paths)
    base = Path(root or load.project.root or ".").resolve()
    return build_codeowners(load.project, base, existing=find_codeowners(base))
