"""The alert state machine: SLO results in, alerts and notifications out.

    breach, no open alert      -> open it (the store dedups across workers) -> notify the owner
    breach, alert open         -> nothing, unless `escalation.after` has passed unacknowledged
                                  -> mark escalated (once) -> notify the escalation contacts
    met again, alert open      -> resolve it (once) -> resolved notice to whoever was notified
    integration silenced       -> the alert is still recorded; nobody is notified

Exactly one notification per transition: each is guarded by a compare-and-set in the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from weave.ownership.channels import Channel, ChannelConfigError, ChannelError, channels_for
from weave.ownership.evaluate import SloResult
from weave.ownership.notify import AlertSettings, Notification
from weave.secrets import SecretError
from weave.state import Alert

SEND_ATTEMPTS = 3


@dataclass(frozen=True)
class Routing:
    """Who hears about one integration's alerts."""

    integration: str
    owner: str | None
    contacts: Mapping[str, Any] = field(default_factory=dict)
    escalation_contacts: Mapping[str, Any] = field(default_factory=dict)
    escalation_after_s: float | None = None


@dataclass(frozen=True)
class Sent:
    """One notification attempt's outcome (for logs and tests)."""

    action: str
    alert_id: int
    channel: str
    ok: bool
    error: str | None = None


Log = Callable[..., None]


def _no_log(*_: Any, **__: Any) -> None:
    return None


class AlertRouter:
    def __init__(self, state: Any, settings: AlertSettings, *, log: Log = _no_log,
                 client: httpx.AsyncClient | None = None) -> None:
        self.state = state
        self.settings = settings
        self.log = log
        self._client = client
        self._own_client = client is None

    async def aclose(self) -> None:
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.settings.timeout_s)
        return self._client

    async def apply(self, routing: Routing, results: Sequence[SloResult], *, now: float,
                    silenced: bool = False) -> list[Sent]:
        """Move every alert of one integration one step; returns what was sent."""
        sent: list[Sent] = []
        open_alerts = {a.slo: a for a in await self.state.alerts_list(status="open", integration=routing.integration)}
        for result in results:
            alert = open_alerts.get(result.kind)
            if not result.ok:
                if alert is None:
                    alert, opened = await self.state.alerts_open(
                        routing.integration, result.kind, result.message, owner=routing.owner,
                        detail={"value": result.value, "threshold": result.slo.threshold, "slo": result.slo.describe})
                    if opened:
                        self.log(routing.integration, "alert opened", slo=result.kind, alert=alert.id,
                                 reason=result.message, silenced=silenced)
                        if not silenced:
                            sent += await self._notify("trigger", alert, result, routing, routing.contacts, "owner")
                sent += await self._maybe_escalate(alert, result, routing, now=now, silenced=silenced)
            elif alert is not None and await self.state.alerts_resolve(alert.id, at=now):
                self.log(routing.integration, "alert resolved", slo=result.kind, alert=alert.id)
                if not silenced:
                    sent += await self._notify("resolve", alert, result, routing, routing.contacts, "owner")
                    if alert.escalated_at is not None:
                        sent += await self._notify("resolve", alert, result, routing, routing.escalation_contacts,
                                                   "escalation")
        return sent

    async def _maybe_escalate(self, alert: Alert, result: SloResult, routing: Routing, *, now: float,
                              silenced: bool) -> list[Sent]:
        after = routing.escalation_after_s
        if (after is None or silenced or alert.acked or alert.escalated_at is not None
                or now - alert.opened_at < after or not routing.escalation_contacts):
            return []
        if not await self.state.alerts_escalate(alert.id, at=now):
            return []  # another worker escalated it, or it was acked meanwhile
        self.log(routing.integration, "alert escalated", slo=result.kind, alert=alert.id)
        return await self._notify("escalate", alert, result, routing, routing.escalation_contacts, "escalation")

    async def _notify(self, action: str, alert: Alert, result: SloResult, routing: Routing,
                      contacts: Mapping[str, Any], whose: str) -> list[Sent]:
        fresh = await self.state.alerts_get(alert.id) or alert
        note = Notification(action=action, alert=fresh, description=result.slo.describe, owner=routing.owner,
                            contacts_of=whose)
        channels = channels_for(contacts, self.settings)
        if not channels:
            self.log(routing.integration, "alert has nobody to notify", level="warning", alert=alert.id,
                     contacts_of=whose)
        return list(await asyncio.gather(*(self._send(channel, note) for channel in channels)))

    async def _send(self, channel: Channel, note: Notification) -> Sent:
        error = ""
        for attempt in range(SEND_ATTEMPTS):
            try:
                await channel.send(note, self.client)
                return Sent(note.action, note.alert.id, channel.kind, True)
            except (SecretError, ChannelConfigError) as exc:  # names the reference, never a value; final
                error = str(exc)
                break
            except ChannelError as exc:
                error = str(exc)
                await asyncio.sleep(0.2 * (attempt + 1))
        self.log(note.alert.integration, "notification failed", level="error", channel=channel.kind,
                 alert=note.alert.id, action=note.action, error=error)
        return Sent(note.action, note.alert.id, channel.kind, False, error)
