"""Acceptance: a target goes down under a running `weave serve`; the owner hears about it once per SLO,
the escalation contact after the declared delay, and everybody who was told hears that it recovered."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import httpx
import pytest

from tests.ownership.receivers import HttpReceiver, SmtpReceiver
from tests.runtime.support import RunningServe, apply_specs, post_signed, received, wait_until
from tests.support.specs import api_key, bearer, documents, ship_orders, system
from weave.sandbox.cluster import SandboxCluster

WEBHOOK_SECRET = "owner-webhook-secret-42"

OWNER_OPS = """\
kind: owner
name: ops
contacts:
  email: ops@acme.example
  webhook: "${env:OPS_ALERT_WEBHOOK}"
  webhook_secret: "${env:OPS_ALERT_SECRET}"
  chat_webhook: "${env:OPS_SLACK}"
  pagerduty_routing_key: "${env:OPS_PD_KEY}"
  timezone: Europe/Berlin
escalation: {after: 1s, contacts: {email: duty-manager@acme.example}}
"""
SPECS = documents(
    OWNER_OPS,
    system("crm", "ops", "CRM_URL", role="crm", auth=bearer("CRM_TOKEN")),
    system("operations", "ops", "OPERATIONS_URL", auth=api_key("OPERATIONS_API_KEY")),
    ship_orders(retries=1, backoff=("20ms", "50ms"), circuit_breaker="{failures: 1000, reset: 1s}",
                slo="{freshness: 2s, error_rate: {max: 0.5, window: 1m}, dlq_depth: 1000}"),
)


def _order(n: int) -> dict[str, object]:
    return {"id": f"SO-{n}", "lines": [{"sku": "A", "qty": 1}]}


def _triggers(posts: list[dict[str, object]], kind: str) -> list[str]:
    return sorted(str(p["alert"]["slo"]) for p in posts if p["type"] == kind)  # type: ignore[index]


def test_target_down_alerts_owner_once_escalates_and_resolves(
    tmp_path: Path, cluster: SandboxCluster, sandbox_env: dict[str, str], smtp: SmtpReceiver,
    http_receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEAVE_SLO_INTERVAL", "0.2")
    monkeypatch.setenv("WEAVE_SMTP_URL", smtp.url)
    monkeypatch.setenv("WEAVE_PAGERDUTY_URL", f"{http_receiver.url}/pagerduty")
    monkeypatch.setenv("OPS_ALERT_WEBHOOK", f"{http_receiver.url}/hook")
    monkeypatch.setenv("OPS_ALERT_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("OPS_SLACK", f"{http_receiver.url}/slack")
    monkeypatch.setenv("OPS_PD_KEY", "pd-routing-key-0001")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "all.yaml").write_text(SPECS)
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    import asyncio

    asyncio.run(apply_specs(tmp_path / "specs", state_url))
    hook = lambda: [p.json for p in http_receiver.at("/hook")]  # noqa: E731
    owner_mail = lambda: smtp.to("ops@acme.example")  # noqa: E731
    duty_mail = lambda: smtp.to("duty-manager@acme.example")  # noqa: E731

    with RunningServe(state_url) as serve, httpx.Client() as client:
        assert post_signed(client, f"{serve.url}/hooks/orders", _order(1)).status_code < 300
        wait_until(lambda: len(received(cluster, "operations")) == 1)

        # the target goes down: deliveries fail and dead-letter
        httpx.post(f"{cluster.urls['operations']}/_faults", json={"status": 503}).raise_for_status()
        for n in (2, 3):
            post_signed(client, f"{serve.url}/hooks/orders", _order(n))
        wait_until(lambda: _triggers(hook(), "alert.triggered") == ["error_rate", "freshness"], timeout=30)
        wait_until(lambda: len(owner_mail()) == 2)
        # escalation after its 1s delay, to the escalation contact only
        wait_until(lambda: len(duty_mail()) == 2, timeout=15)
        assert sorted("ESCALATED" in m.subject for m in duty_mail()) == [True, True]
        # more evaluation rounds pass: still one alert per SLO, on every channel (no storm)
        slo = serve.server.supervisor.slo  # type: ignore[union-attr]
        seen = slo.rounds
        wait_until(lambda: slo.rounds >= seen + 8, timeout=15)
        assert sorted(m.subject for m in owner_mail()) == ["[weave] ALERT ship-orders: error_rate",
                                                           "[weave] ALERT ship-orders: freshness"]
        assert _triggers(hook(), "alert.triggered") == ["error_rate", "freshness"]
        assert len(http_receiver.at("/slack")) == 2
        assert sorted(p.json["event_action"] for p in http_receiver.at("/pagerduty")) == ["trigger"] * 2
        for post in http_receiver.at("/hook"):
            timestamp = post.headers["x-weave-timestamp"]
            expected = hmac.new(WEBHOOK_SECRET.encode(), timestamp.encode() + b"." + post.body,
                                hashlib.sha256).hexdigest()
            assert post.headers["x-weave-signature-256"] == f"sha256={expected}"
        assert WEBHOOK_SECRET not in str([p.body for p in http_receiver.posts])
        alerts = serve.call(serve.server.supervisor.state.alerts_list(status="open"))  # type: ignore[union-attr]
        assert sorted(a.slo for a in alerts) == ["error_rate", "freshness"]
        assert all(a.escalated_at is not None and a.escalated_at - a.opened_at >= 1.0 for a in alerts)
        assert all(a.owner == "ops" and a.detail["slo"] for a in alerts)

        # recovery: the target is back, new orders get through
        httpx.delete(f"{cluster.urls['operations']}/_faults").raise_for_status()
        for n in range(4, 8):
            post_signed(client, f"{serve.url}/hooks/orders", _order(n))
        wait_until(lambda: _triggers(hook(), "alert.resolved") == ["error_rate", "freshness"], timeout=30)
        wait_until(lambda: sum("RESOLVED" in m.subject for m in owner_mail()) == 2)
        wait_until(lambda: sum("RESOLVED" in m.subject for m in duty_mail()) == 2)
        resolves = [p.json for p in http_receiver.at("/pagerduty") if p.json["event_action"] == "resolve"]
        triggers = [p.json for p in http_receiver.at("/pagerduty") if p.json["event_action"] == "trigger"]
        assert sorted(r["dedup_key"] for r in resolves) == sorted(t["dedup_key"] for t in triggers)
        assert serve.call(serve.server.supervisor.state.alerts_list(status="open")) == []  # type: ignore[union-attr]
