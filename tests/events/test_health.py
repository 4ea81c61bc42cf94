"""A stuck subscriber is visible: pending count and oldest pending age in metrics, /status/api and
`weave status`, while the healthy subscriber of the same event shows nothing pending."""

from __future__ import annotations

import json

import httpx
from click.testing import CliRunner

from tests.runtime.support import RunningServe, post_standard, received, wait_until
from weave.cli.main import cli
from weave.sandbox.cluster import SandboxCluster


def order(i: int) -> dict:
    return {"type": "order.created", "data": {"id": f"ORD-H{i:03d}", "account_id": "ACC-0001", "currency": "EUR",
                                               "total": 5.0, "lines": [{"sku": "BOLT-M8", "quantity": 10,
                                                                        "unit_price": 0.5, "amount": 5.0}]}}


def _gauge(text: str, name: str, integration: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") and f'integration="{integration}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return -1.0


def test_stuck_subscriber_shows_pending_and_age(cluster: SandboxCluster, deployed: str, bus_url: str,
                                                sandbox_env: dict[str, str]) -> None:
    secret = sandbox_env["CRM_WEBHOOK_SECRET"]
    httpx.post(f"{cluster.urls['erp']}/_faults", json={"status": 503}).raise_for_status()
    with RunningServe(deployed, bus_url) as serve, httpx.Client() as client:
        for i in range(2):
            assert post_standard(client, f"{serve.url}/hooks/crm/orders", order(i), secret).status_code == 202
        wait_until(lambda: len(received(cluster, "operations")) >= 2, timeout=30)

        def stuck() -> dict | None:
            rows = {r["name"]: r for r in client.get(f"{serve.url}/status/api").json()["integrations"]}
            erp = rows["order-to-erp"]
            return rows if erp["pending"] >= 1 and (erp["oldest_pending_age_s"] or 0) > 0.5 else None

        rows = wait_until(stuck, timeout=30, interval=0.2)
        ops = rows["order-to-fulfillment"]
        assert (ops["lag"], ops["pending"], ops["oldest_pending_age_s"]) == (0, 0, None)
        metrics = client.get(f"{serve.url}/metrics").text
        assert _gauge(metrics, "weave_subscriber_oldest_pending_age_seconds", "order-to-erp") > 0.5
        assert _gauge(metrics, "weave_subscriber_pending", "order-to-erp") >= 1
        assert _gauge(metrics, "weave_subscriber_oldest_pending_age_seconds", "order-to-fulfillment") == 0.0

        # `weave status` reads the state store and the bus, no server involved
        result = CliRunner().invoke(cli, ["status", "--format", "json", "--state", deployed, "--bus", bus_url])
        cli_rows = {r["name"]: r for r in json.loads(result.output)["integrations"]}
        assert cli_rows["order-to-erp"]["pending"] >= 1 and cli_rows["order-to-erp"]["oldest_pending_age_s"] > 0.5
        assert cli_rows["order-to-fulfillment"]["pending"] == 0
    httpx.delete(f"{cluster.urls['erp']}/_faults").raise_for_status()
