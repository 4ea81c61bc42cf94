"""Scale-out: two `weave serve` workers on one PostgreSQL state store and one Redis bus share a
hub-and-spoke flow and an event-driven subscriber. One is killed with SIGKILL mid-stream: nothing is
lost, and nothing with an idempotency key reaches the operations system twice (it does not dedup)."""

from __future__ import annotations

import collections
import json
import time
from pathlib import Path

import httpx

from tests.operate.support import Worker, metric_value, repo_project, weave
from tests.runtime.support import post_signed, post_standard, received, wait_until
from weave.sandbox.cluster import SandboxCluster

ORDERS, CUSTOMERS = 40, 40


def _order(i: int) -> dict:
    return {"type": "order.created", "data": {"id": f"ORD-7{i:05d}", "account_id": "ACC-0001", "currency": "EUR",
                                               "total": 5.0, "lines": [{"sku": "BOLT-M8", "quantity": 10,
                                                                        "unit_price": 0.5, "amount": 5.0}]}}


def _customer(i: int) -> dict:
    return {"id": f"ACC-7{i:04d}", "name": f"N{i}", "tier": "gold", "contact": {"email": f"c{i}@example.com"}}


def _stable(cluster: SandboxCluster, system: str, quiet: float = 0.4) -> bool:
    """True when nothing new reached `system` for `quiet` seconds (requests that started earlier are done)."""
    before = len(received(cluster, system))
    time.sleep(quiet)
    return len(received(cluster, system)) == before


def test_two_workers_share_work_and_survive_kill_9(cluster: SandboxCluster, sandbox_env: dict[str, str],
                                                   repo_root: Path, tmp_path: Path, pg_dsn: str,
                                                   redis_url: str) -> None:
    specs = repo_project(repo_root, tmp_path, with_ship_orders=False)
    scope = ["--only", "crm-order-events", "--only", "order-to-fulfillment", "--only", "customer-sync"]
    env = {"WEAVE_STATE": pg_dsn, "WEAVE_BUS": redis_url}  # configuration from the environment
    applied = weave("apply", str(specs), *scope, "--auto-approve", env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    ops, email = cluster.urls["operations"], cluster.urls["email"]
    for system in (ops, email):
        httpx.post(f"{system}/_faults", json={"delay_ms": 300}).raise_for_status()
    secret = sandbox_env["CRM_WEBHOOK_SECRET"]
    with Worker("--worker-id", "w1", env=env, log_path=tmp_path / "w1.log") as w1, \
            Worker("--worker-id", "w2", env=env, log_path=tmp_path / "w2.log") as w2:
        w1.wait_ready()
        w2.wait_ready()
        with httpx.Client() as client:
            for i in range(max(ORDERS, CUSTOMERS)):
                worker = (w1, w2)[i % 2]  # the gateway runs on all workers: a load balancer's round robin
                if i < ORDERS:
                    assert post_standard(client, f"{worker.url}/hooks/crm/orders", _order(i), secret).status_code == 202
                if i < CUSTOMERS:
                    assert post_signed(client, f"{worker.url}/hooks/customers", _customer(i)).status_code == 202
        # both workers deliver: hub queue claims (PostgreSQL) and the subscriber's consumer group (Redis)
        wait_until(lambda: all(metric_value(w.metrics(), "weave_deliveries_total", result="ok") > 0
                               for w in (w1, w2)), timeout=30)
        wait_until(lambda: len(received(cluster, "operations")) >= 8, timeout=30)
        # Kill w1 at a moment when its requests still open at the targets will not be applied (503 after
        # a delay): an at-least-once worker cannot know the fate of a request in flight at a target that
        # does not deduplicate. Everything w1 delivered before is committed under its idempotency key.
        for system in (ops, email):
            httpx.delete(f"{system}/_faults").raise_for_status()
            httpx.post(f"{system}/_faults", json={"status": 503, "delay_ms": 1500}).raise_for_status()
        wait_until(lambda: _stable(cluster, "operations") and _stable(cluster, "email"), timeout=20)
        mid_ops = len(received(cluster, "operations"))
        w1.kill()
        for system in (ops, email):
            httpx.delete(f"{system}/_faults").raise_for_status()
        expected_ops = {f"ORD-7{i:05d}" for i in range(ORDERS)} | {f"VIP-KIT-ACC-7{i:04d}" for i in range(CUSTOMERS)}
        got = wait_until(lambda: (r := received(cluster, "operations")) and
                         expected_ops <= {e["body"]["order_ref"] for e in r} and r, timeout=60)
        mails = wait_until(lambda: (r := received(cluster, "email")) and len({m["body"]["to"] for m in r})
                           == CUSTOMERS and r, timeout=30)
        assert w2.terminate() == 0
    # `weave status` reads the shared PostgreSQL state: every worker's deliveries, one table
    status = weave("status", "--format", "json", env=env)
    rows = {r["name"]: r for r in json.loads(status.stdout)["integrations"]}
    assert set(rows) == {"crm-order-events", "order-to-fulfillment", "customer-sync"}
    assert all(r["delivered"] > 0 and r["dlq_depth"] == 0 for r in rows.values()), rows
    assert mid_ops < len(expected_ops), "the kill happened mid-stream"
    refs = collections.Counter(e["body"]["order_ref"] for e in got)
    assert set(refs) == expected_ops
    assert {ref: n for ref, n in refs.items() if n > 1} == {}, "delivered twice"
    recipients = collections.Counter(m["body"]["to"] for m in mails)
    assert {to: n for to, n in recipients.items() if n > 1} == {}, "mailed twice"
