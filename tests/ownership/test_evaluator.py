"""`SloEvaluator.evaluate()` over a supervisor-shaped object: running flows of a revision, a real SQLite store,
a real webhook receiver."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.ownership.receivers import HttpReceiver
from weave.ownership.evaluator import SloEvaluator, routing_for
from weave.spec import load_sources
from weave.state import open_state

SPECS = """\
kind: owner
name: ops
contacts: {webhook: "${env:OPS_HOOK}", timezone: Europe/Berlin}
escalation: {after: 5m, contacts: {email: duty@acme.example}}
---
kind: integration
name: ship
owner: ops
source: crm
target: operations
direction: push
timing: near-real-time
volume: {records_per_transaction: 1, transactions_per_day: 100}
coupling: loose
slo: {freshness: 1h, dlq_depth: 2}
---
kind: integration
name: events
owner: ops
source: crm
target: operations
direction: push
timing: real-time
volume: {records_per_transaction: 1, transactions_per_day: 100}
coupling: loose
"""


class _Flow:
    def __init__(self, name: str, pattern: str, lag: int = 0) -> None:
        self.name, self.pattern, self.lag = name, pattern, lag

    async def status_fields(self) -> dict[str, Any]:
        return {"lag": self.lag}


class _Logger:
    def __init__(self) -> None:
        self.lines: list[tuple[Any, str]] = []

    def log(self, integration: Any, msg: str, **fields: Any) -> None:
        self.lines.append((integration, msg))


def test_evaluate_rounds(tmp_path: Path, http_receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPS_HOOK", f"{http_receiver.url}/ops")
    monkeypatch.delenv("WEAVE_SLO_INTERVAL", raising=False)
    project = load_sources([{"file": "specs/all.yaml", "text": SPECS}], settings={"slo": {"interval": "7s"}}).project
    routing = routing_for(project, "ship")
    assert (routing.owner, routing.escalation_after_s) == ("ops", 300)
    assert routing.escalation_contacts == {"email": "duty@acme.example"}

    async def main() -> None:
        async with await open_state(f"sqlite:///{tmp_path / 'state.db'}") as store:
            lagging = _Flow("events", "event-driven", lag=5000)
            current = SimpleNamespace(flows=[_Flow("ship", "point-to-point"), lagging],
                                      services=SimpleNamespace(project=project))
            sup = SimpleNamespace(current=current, state=store, logger=_Logger())
            evaluator = SloEvaluator(sup)
            assert evaluator.settings.interval_s == 7
            await store.record_delivery("ship", True, 5.0)
            for n in range(3):
                await store.dlq_put("ship", {"n": n}, "boom")
            sent = await evaluator.evaluate()
            assert sorted((s.action, s.alert_id) for s in sent) == [("trigger", 1), ("trigger", 2)]
            open_alerts = {(a.integration, a.slo) for a in await store.alerts_list(status="open")}
            assert open_alerts == {("ship", "dlq_depth"), ("events", "lag")}  # dlq limit 2 from the spec
            assert await evaluator.evaluate() == []  # same breaches: nothing new
            lagging.lag = 10
            resolved = await evaluator.evaluate()
            assert [(s.action, s.alert_id) for s in resolved] == [("resolve", 2)]
            # the next revision no longer runs `ship`: its alert is closed quietly
            current.flows = [lagging]
            assert await evaluator.evaluate() == []
            assert await store.alerts_list(status="open") == []
            assert ("ship", "alert closed: integration no longer running") in sup.logger.lines
            types = [p.json["type"] for p in http_receiver.at("/ops")]
            assert sorted(types) == ["alert.resolved", "alert.triggered", "alert.triggered"]
            await evaluator.stop()

    asyncio.run(main())
