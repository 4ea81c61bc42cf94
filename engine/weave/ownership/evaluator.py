"""`weave serve`'s SLO loop: every interval, observe each running integration, evaluate its SLOs and move
its alerts. One place, whatever the pattern. The supervisor creates it in `start()` and stops it in `stop()`."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from typing import Any

from weave.ownership.alerts import AlertRouter, Routing, Sent
from weave.ownership.evaluate import Observation, evaluate_all
from weave.ownership.notify import AlertSettings
from weave.ownership.slo import Slo, slos_for
from weave.spec.durations import DurationError, parse_duration
from weave.spec.model import Project


def owner_timezone(project: Project, owner: str | None) -> str:
    spec = project.owners.get(owner or "")
    return str((spec.contacts.get("timezone") if spec else None) or "UTC")


def routing_for(project: Project, name: str) -> Routing:
    integration = project.integrations[name]
    owner = project.owners.get(integration.owner or "")
    escalation = (owner.raw.get("escalation") or {}) if owner else {}
    after: float | None = None
    with contextlib.suppress(DurationError, TypeError):
        after = parse_duration(escalation["after"]) if escalation.get("after") is not None else None
    return Routing(integration=name, owner=integration.owner, contacts=owner.contacts if owner else {},
                   escalation_contacts=escalation.get("contacts") or {}, escalation_after_s=after)


def integration_slos(project: Project, name: str, patterns: Iterable[str]) -> tuple[Slo, ...]:
    integration = project.integrations[name]
    raw = integration.raw.get("slo")
    return slos_for(raw if isinstance(raw, dict) else None, patterns,
                    timezone=owner_timezone(project, integration.owner))


async def observe(state: Any, name: str, slos: tuple[Slo, ...], *, now: float, watching_since: float,
                  dlq: dict[str, Any], extra: dict[str, Any] | None = None) -> Observation:
    """Read what the SLOs of one integration need from the state store (and the flow's status fields)."""
    windows = {s.window_s for s in slos if s.kind in ("error_rate", "error_5xx_rate", "p99_latency")}
    counts: dict[float, tuple[int, int]] = {}
    last_success: float | None = None
    max_latency_s: float | None = None
    for window in sorted(windows) or [900.0]:
        stats = await state.delivery_stats(name, now - window)
        counts[window] = (stats.delivered, stats.failed)
        last_success = stats.last_success_at
        if stats.max_latency_ms is not None:
            max_latency_s = max(max_latency_s or 0.0, stats.max_latency_ms / 1000)
    last_batch: float | None = None
    if any(s.kind == "finish_by" for s in slos):
        for run in await state.runs(name, limit=20, kind="batch"):
            if run.status == "ok" and run.finished_at is not None:
                last_batch = max(last_batch or 0.0, run.finished_at)
    d = dlq.get(name)
    fields = extra or {}
    p99 = fields.get("p99_latency_s")
    return Observation(integration=name, now=now, watching_since=watching_since, window_counts=counts,
                       last_success_at=last_success, dlq_depth=d.depth if d else 0,
                       dlq_oldest_age_s=d.oldest_age_s if d else None,
                       lag=fields.get("lag") if isinstance(fields.get("lag"), int) else None,
                       p99_latency_s=float(p99) if p99 is not None else max_latency_s,
                       last_batch_ok_at=last_batch)


class SloEvaluator:
    """Created by the supervisor; `start()` runs `evaluate()` every `[slo] interval` (WEAVE_SLO_INTERVAL)."""

    def __init__(self, supervisor: Any) -> None:
        self.supervisor = supervisor
        self.watching_since: dict[str, float] = {}
        self.router: AlertRouter | None = None
        self._task: asyncio.Task[None] | None = None
        self.rounds = 0

    @property
    def settings(self) -> AlertSettings:
        current = self.supervisor.current
        project = current.services.project if current is not None and current.services is not None else None
        return AlertSettings.from_settings(project.settings if project is not None else None)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="weave:slo")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.router is not None:
            await self.router.aclose()

    async def _loop(self) -> None:
        while True:
            try:
                await self.evaluate()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a bad round must not stop the loop
                self.supervisor.logger.log(None, "slo evaluation failed", level="error",
                                           error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(self.settings.interval_s)

    async def evaluate(self) -> list[Sent]:
        """One round over every running integration; returns the notifications sent."""
        current = self.supervisor.current
        if current is None or current.services is None:
            return []
        project: Project = current.services.project
        settings = self.settings
        if self.router is None or self.router.settings != settings:
            if self.router is not None:
                await self.router.aclose()
            self.router = AlertRouter(self.supervisor.state, settings, log=self.supervisor.logger.log)
        patterns: dict[str, list[str]] = {}
        extra: dict[str, dict[str, Any]] = {}
        for flow in current.flows:
            patterns.setdefault(flow.name, []).append(flow.pattern)
            status = getattr(flow, "status_fields", None)
            if status is not None:
                with contextlib.suppress(Exception):
                    extra.setdefault(flow.name, {}).update(await status())
        now = time.time()
        state = self.supervisor.state
        dlq = {s.integration: s for s in await state.dlq_stats()}
        silenced = {s.integration for s in await state.alerts_silences()}
        sent: list[Sent] = []
        for name, names in patterns.items():
            if name not in project.integrations:
                continue
            slos = integration_slos(project, name, names)
            since = self.watching_since.setdefault(name, now)
            obs = await observe(state, name, slos, now=now, watching_since=since, dlq=dlq, extra=extra.get(name))
            sent += await self.router.apply(routing_for(project, name), evaluate_all(slos, obs), now=now,
                                            silenced=name in silenced)
        await self._close_orphans(set(patterns) & set(project.integrations), now)
        self.rounds += 1
        return sent

    async def _close_orphans(self, running: set[str], now: float) -> None:
        """Alerts of integrations this revision no longer runs are resolved (quietly: nothing to recover)."""
        for alert in await self.supervisor.state.alerts_list(status="open", limit=1000):
            if alert.integration not in running and await self.supervisor.state.alerts_resolve(alert.id, at=now):
                self.supervisor.logger.log(alert.integration, "alert closed: integration no longer running",
                                           slo=alert.slo, alert=alert.id)
