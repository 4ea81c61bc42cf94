"""The alert state machine over a real SQLite state store and a real local webhook receiver."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from tests.ownership.receivers import HttpReceiver
from weave.ownership.alerts import AlertRouter, Routing
from weave.ownership.evaluate import SloResult
from weave.ownership.notify import AlertSettings
from weave.ownership.slo import Slo
from weave.state import open_state

FRESH = Slo("freshness", 60)
ERRORS = Slo("error_rate", 0.05)


def _routing(receiver: HttpReceiver, after: float | None = 30) -> Routing:
    return Routing("ship", "ops", contacts={"webhook": f"{receiver.url}/owner"},
                   escalation_contacts={"webhook": f"{receiver.url}/duty"}, escalation_after_s=after)


def _bad(slo: Slo = FRESH) -> SloResult:
    return SloResult(slo, False, 999.0, "stale")


def _ok(slo: Slo = FRESH) -> SloResult:
    return SloResult(slo, True, 1.0, "fresh")


def _types(receiver: HttpReceiver, path: str) -> list[str]:
    return [f"{p.json['type']}:{p.json['alert']['slo']}" for p in receiver.at(path)]


def _run(tmp_path: Path, scenario: Any) -> Any:
    async def main() -> Any:
        async with await open_state(f"sqlite:///{tmp_path / 'state.db'}") as store:
            router = AlertRouter(store, AlertSettings(timeout_s=2))
            try:
                return await scenario(store, router)
            finally:
                await router.aclose()

    return asyncio.run(main())


def test_one_alert_per_slo_escalation_once_then_resolved(tmp_path: Path, http_receiver: HttpReceiver) -> None:
    routing = _routing(http_receiver, after=30)

    async def scenario(store: Any, router: AlertRouter) -> None:
        now = time.time()
        for _ in range(5):  # the breach persists over many rounds: notified once
            await router.apply(routing, [_bad(), _ok(ERRORS)], now=now)
        assert _types(http_receiver, "/owner") == ["alert.triggered:freshness"]
        assert await router.apply(routing, [_bad()], now=now + 29) == []  # not yet
        sent = await router.apply(routing, [_bad()], now=now + 31)
        assert [(s.action, s.ok) for s in sent] == [("escalate", True)]
        await router.apply(routing, [_bad()], now=now + 60)
        assert _types(http_receiver, "/duty") == ["alert.escalated:freshness"]
        await router.apply(routing, [_ok(), _ok(ERRORS)], now=now + 61)
        await router.apply(routing, [_ok()], now=now + 62)
        assert _types(http_receiver, "/owner") == ["alert.triggered:freshness", "alert.resolved:freshness"]
        assert _types(http_receiver, "/duty") == ["alert.escalated:freshness", "alert.resolved:freshness"]
        [alert] = await store.alerts_list()
        assert alert.status == "resolved" and alert.escalated_at is not None
        # a new breach is a new alert
        await router.apply(routing, [_bad()], now=now + 100)
        assert len(await store.alerts_list(status="open")) == 1 and len(http_receiver.at("/owner")) == 3

    _run(tmp_path, scenario)


def test_acknowledged_alerts_do_not_escalate(tmp_path: Path, http_receiver: HttpReceiver) -> None:
    routing = _routing(http_receiver, after=1)

    async def scenario(store: Any, router: AlertRouter) -> None:
        now = time.time()
        await router.apply(routing, [_bad()], now=now)
        [alert] = await store.alerts_list(status="open")
        assert await store.alerts_ack(alert.id, "ann")
        await router.apply(routing, [_bad()], now=now + 3600)
        assert http_receiver.at("/duty") == []
        await router.apply(routing, [_ok()], now=now + 3601)
        assert _types(http_receiver, "/owner") == ["alert.triggered:freshness", "alert.resolved:freshness"]

    _run(tmp_path, scenario)


def test_silenced_integration_records_but_does_not_notify(tmp_path: Path, http_receiver: HttpReceiver) -> None:
    routing = _routing(http_receiver, after=0)

    async def scenario(store: Any, router: AlertRouter) -> None:
        now = time.time()
        assert await router.apply(routing, [_bad(), _bad(ERRORS)], now=now, silenced=True) == []
        assert sorted(a.slo for a in await store.alerts_list(status="open")) == ["error_rate", "freshness"]
        assert await router.apply(routing, [_ok(), _ok(ERRORS)], now=now + 5, silenced=True) == []
        assert await store.alerts_list(status="open") == []
        assert http_receiver.posts == []

    _run(tmp_path, scenario)


def test_failed_notification_is_reported_and_the_alert_kept(tmp_path: Path, http_receiver: HttpReceiver) -> None:
    http_receiver.status = 503
    routing = Routing("ship", "ops", contacts={"webhook": f"{http_receiver.url}/owner"})
    logged: list[tuple[Any, str, dict[str, Any]]] = []

    async def scenario(store: Any, router: AlertRouter) -> None:
        router.log = lambda integration, msg, **fields: logged.append((integration, msg, fields))
        [sent] = await router.apply(routing, [_bad()], now=time.time())
        assert not sent.ok and sent.error == "webhook: receiver answered HTTP 503"
        assert len(http_receiver.at("/owner")) == 3  # retried
        assert len(await store.alerts_list(status="open")) == 1

    _run(tmp_path, scenario)
    assert any(msg == "notification failed" and f["channel"] == "webhook" for _, msg, f in logged)


def test_an_owner_without_contacts_is_logged(tmp_path: Path) -> None:
    logged: list[str] = []

    async def scenario(store: Any, router: AlertRouter) -> None:
        router.log = lambda integration, msg, **fields: logged.append(msg)
        assert await router.apply(Routing("ship", "ghost"), [_bad()], now=time.time()) == []
        assert len(await store.alerts_list(status="open")) == 1

    _run(tmp_path, scenario)
    assert "alert has nobody to notify" in logged


def test_unconfigured_channels_are_not_retried(tmp_path: Path) -> None:
    routing = Routing("ship", "ops", contacts={"email": "ops@acme.example", "webhook": "${env:WEAVE_TEST_UNSET}"})

    async def scenario(store: Any, router: AlertRouter) -> list[Any]:
        started = time.monotonic()
        sent = await router.apply(routing, [_bad()], now=time.time())
        assert time.monotonic() - started < 0.2  # no retry back-off for a missing SMTP server or secret
        return sent

    sent = _run(tmp_path, scenario)
    assert sorted((s.channel, s.ok) for s in sent) == [("email", False), ("webhook", False)]
    errors = {s.channel: s.error for s in sent}
    assert "no SMTP server configured" in str(errors["email"]) and "${env:WEAVE_TEST_UNSET}" in str(errors["webhook"])
