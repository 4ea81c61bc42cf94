"""What an operator sees: /metrics per integration, pattern and owner after real traffic, and JSON logs
and dead letters that carry the integration, the revision and the sender's correlation id."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.operate.support import OWNER, Worker, metric_value, repo_project, samples, weave
from tests.runtime.support import received, sign_github, wait_until
from weave.sandbox import sign_webhook
from weave.sandbox.cluster import SandboxCluster
from weave.state import open_state


def _github(client: httpx.Client, url: str, payload: Any, delivery: str) -> httpx.Response:
    body = json.dumps(payload).encode()
    return client.post(url, content=body, headers={**sign_github(body), "x-github-delivery": delivery})


def _standard(client: httpx.Client, url: str, payload: Any, secret: str, msg_id: str) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {**dict(sign_webhook("standard", secret, msg_id, int(time.time()), body)),
               "content-type": "application/json"}
    return client.post(url, content=body, headers=headers)


async def _dead_letters(state_url: str) -> dict[str, Any]:
    async with await open_state(state_url) as state:
        return {e.integration: e for e in await state.dlq_list()}


def test_metrics_and_logs_after_traffic(cluster: SandboxCluster, sandbox_env: dict[str, str], repo_root: Path,
                                        tmp_path: Path) -> None:
    state = f"sqlite:///{tmp_path}/state.db"
    scope = ["--only", "ship-orders", "--only", "customer-sync", "--only", "crm-order-events",
             "--only", "order-to-fulfillment"]
    applied = weave("apply", str(repo_project(repo_root, tmp_path)), *scope, "--state", state, "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    ops, email = cluster.urls["operations"], cluster.urls["email"]
    secret = sandbox_env["CRM_WEBHOOK_SECRET"]
    event_id = f"msg_{uuid.uuid4().hex}"
    with Worker("--state", state, log_path=tmp_path / "serve.log") as serve, httpx.Client(timeout=30) as client:
        serve.wait_ready()
        for i in range(5):
            good = _github(client, f"{serve.url}/hooks/orders", {"id": f"ORD-{i}", "lines": [{"sku": "A", "qty": 1}]},
                           f"gh-ok-{i}")
            assert good.json()["delivered"] == 1 and good.headers["x-correlation-id"] == f"gh-ok-{i}"
        # a record the target refuses (422: terminal) is dead-lettered under the sender's delivery id
        bad = _github(client, f"{serve.url}/hooks/orders", {"id": "ORD-BAD", "lines": "x"}, "gh-p2p-bad")
        assert bad.json()["dead_lettered"] == 1
        # the hub dead-letters asynchronously, after the queue: the id travels with the message
        httpx.post(f"{email}/_faults", json={"status": 422, "count": 1}).raise_for_status()
        customer = {"id": "ACC-1", "name": "Ada", "tier": "silver", "contact": {"email": "ada@example.com"}}
        assert _github(client, f"{serve.url}/hooks/customers", customer, "gh-hub-1").status_code == 202
        wait_until(lambda: "customer-sync" in asyncio.run(_dead_letters(state)), timeout=20)
        # and across the event bus to a subscriber (the Standard Webhooks message id)
        received_before = len(received(cluster, "operations"))
        httpx.post(f"{ops}/_faults", json={"status": 422, "count": 1}).raise_for_status()
        event = {"type": "order.created", "data": {"id": "ORD-E1", "account_id": "ACC-0001", "currency": "EUR",
                                                    "total": 5.0, "lines": [{"sku": "BOLT-M8", "quantity": 10,
                                                                             "unit_price": 0.5, "amount": 5.0}]}}
        assert _standard(client, f"{serve.url}/hooks/crm/orders", event, secret, event_id).status_code == 202
        dead = wait_until(lambda: (d := asyncio.run(_dead_letters(state))) and "order-to-fulfillment" in d and d,
                          timeout=20)
        assert len(received(cluster, "operations")) == received_before
        # gauges are refreshed every 2 s
        text = wait_until(lambda: (t := serve.metrics()) and
                          metric_value(t, "weave_dlq_depth", integration="order-to-fulfillment") == 1 and t,
                          timeout=15)
        assert serve.terminate() == 0

    assert {name: e.headers.get("correlation_id") for name, e in dead.items()} == {
        "ship-orders": "gh-p2p-bad", "customer-sync": "gh-hub-1", "order-to-fulfillment": event_id}

    p2p = {"integration": "ship-orders", "pattern": "point-to-point", "owner": OWNER}
    assert metric_value(text, "weave_messages_total", **p2p, outcome="delivered") == 5
    assert metric_value(text, "weave_messages_total", **p2p, outcome="dead_letter") == 1
    assert metric_value(text, "weave_deliveries_total", **p2p, target="operations", result="ok") == 5
    assert metric_value(text, "weave_deliveries_total", **p2p, target="operations", result="failed") == 1
    assert metric_value(text, "weave_delivery_latency_seconds_count", **p2p, target="operations") == 6
    buckets = re.findall(r'weave_delivery_latency_seconds_bucket\{([^}]*integration="ship-orders"[^}]*)\} (\S+)', text)
    assert len(buckets) >= 10 and any('le="+Inf"' in labels and float(v) == 6 for labels, v in buckets)
    assert all(f'owner="{OWNER}"' in labels and 'pattern="point-to-point"' in labels for labels, _ in buckets)
    for name, pattern in (("ship-orders", "point-to-point"), ("customer-sync", "hub-and-spoke"),
                          ("order-to-fulfillment", "event-driven")):
        assert metric_value(text, "weave_dlq_depth", integration=name, pattern=pattern, owner=OWNER) == 1, name
    # everything was consumed: no lag, nothing pending
    sub = {"integration": "order-to-fulfillment", "pattern": "event-driven", "owner": OWNER}
    assert samples(text, "weave_subscriber_lag", **sub) == [0.0]
    assert samples(text, "weave_subscriber_pending", **sub) == [0.0]
    assert metric_value(text, "weave_deliveries_total", integration="crm-order-events", pattern="event-driven",
                        owner="crm-platform", target="event:crm.order.created", result="ok") == 1
    assert re.search(r"^weave_revision 1\.0$", text, re.M)

    logs = serve.logs()
    assert all({"ts", "level", "msg", "worker", "revision"} <= set(r) for r in logs)
    lettered = {r["integration"]: r for r in logs if r["msg"] == "dead-lettered"}
    assert {name: (r["revision"], r["correlation_id"]) for name, r in lettered.items()} == {
        "ship-orders": (1, "gh-p2p-bad"), "customer-sync": (1, "gh-hub-1"), "order-to-fulfillment": (1, event_id)}
