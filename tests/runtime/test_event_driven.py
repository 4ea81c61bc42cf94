"""The example ecosystem's event-driven integrations, end to end: the CRM's webhooks become catalog events,
and every subscriber gets them in its own consumer group (embedded bus and Redis Streams)."""

from __future__ import annotations

import httpx

from tests.runtime.support import RunningServe, post_standard, received, wait_until
from weave.sandbox.cluster import SandboxCluster


def order(i: int, account: str = "ACC-0001") -> dict:
    return {"type": "order.created", "data": {"id": f"ORD-9{i:05d}", "account_id": account, "currency": "EUR",
                                               "total": 5.0, "lines": [{"sku": "BOLT-M8", "quantity": 10,
                                                                        "unit_price": 0.5, "amount": 5.0}]}}


def test_order_created_reaches_fulfillment_and_erp(cluster: SandboxCluster, deployed: str, bus_url: str,
                                                  sandbox_env: dict[str, str]) -> None:
    secret = sandbox_env["CRM_WEBHOOK_SECRET"]
    with RunningServe(deployed, bus_url) as serve, httpx.Client() as client:
        for i in range(5):
            response = post_standard(client, f"{serve.url}/hooks/crm/orders", order(i), secret)
            assert response.status_code == 202, response.text
            assert response.json()["published"] == 1
        ops = wait_until(lambda: (r := received(cluster, "operations")) and len(r) >= 5 and r)
        erp = wait_until(lambda: (r := [e for e in received(cluster, "erp") if e["operation"] == "CreateOrder"])
                         and len(r) >= 5 and r)
    assert sorted(e["body"]["order_ref"] for e in ops) == [f"ORD-9{i:05d}" for i in range(5)]
    assert len(erp) == 5


def test_case_resolved_fans_out_to_three_subscribers(cluster: SandboxCluster, deployed: str, bus_url: str,
                                                    sandbox_env: dict[str, str]) -> None:
    secret = sandbox_env["CRM_WEBHOOK_SECRET"]
    case = {"type": "case.updated", "data": {"id": "CASE-0077", "account_id": "ACC-0002", "status": "resolved",
                                              "subject": "Late delivery", "resolution": "Refund issued",
                                              "contact": {"email": "ann@example.com"},
                                              "updated_at": "2025-03-04T10:00:00.000000Z"}}
    with RunningServe(deployed, bus_url) as serve, httpx.Client() as client:
        assert post_standard(client, f"{serve.url}/hooks/crm/cases", case, secret).status_code == 202
        mail = wait_until(lambda: received(cluster, "email"))
        docs = wait_until(lambda: received(cluster, "documents"))
        leads = wait_until(lambda: received(cluster, "marketing"))
    assert mail[0]["body"]["to"] == "ann@example.com"
    assert docs[0]["body"]["external_id"] == "CASE-0077"
    assert leads[0]["body"]["input"][0]["email"] == "ann@example.com"


def test_payload_that_breaks_the_event_schema_is_refused_visibly(cluster: SandboxCluster, deployed: str,
                                                                 sandbox_env: dict[str, str]) -> None:
    secret = sandbox_env["CRM_WEBHOOK_SECRET"]
    bad = {"type": "order.created", "data": {"id": "ORD-BAD", "account_id": "ACC-0001", "currency": "euro",
                                             "total": -1, "lines": []}}
    with RunningServe(deployed) as serve, httpx.Client() as client:
        response = post_standard(client, f"{serve.url}/hooks/crm/orders", bad, secret)
        assert response.status_code == 202 and response.json() == {
            "integration": "crm-order-events", "event": "crm.order.created", "published": 0, "rejected": 1}
        metrics = client.get(f"{serve.url}/metrics").text
        assert 'weave_ingest_rejected_total{integration="crm-order-events",reason="event_schema"} 1.0' in metrics
        entries = serve.call(_dlq(deployed))
    assert [e.payload["order_id"] for e in entries] == ["ORD-BAD"]
    assert "currency" in entries[0].error and "total" in entries[0].error
    assert received(cluster, "operations") == []


async def _dlq(state_url: str) -> list:
    from weave.state import open_state

    async with await open_state(state_url) as state:
        return list(await state.dlq_list("crm-order-events"))


def test_one_broken_subscriber_does_not_block_the_others(cluster: SandboxCluster, deployed: str,
                                                        sandbox_env: dict[str, str]) -> None:
    secret = sandbox_env["CRM_WEBHOOK_SECRET"]
    httpx.post(f"{cluster.urls['erp']}/_faults", json={"status": 503}).raise_for_status()
    with RunningServe(deployed) as serve, httpx.Client() as client:
        for i in range(3):
            assert post_standard(client, f"{serve.url}/hooks/crm/orders", order(i), secret).status_code == 202
        ops = wait_until(lambda: (r := received(cluster, "operations")) and len(r) >= 3 and r, timeout=30)
    assert len(ops) == 3
    assert [e for e in received(cluster, "erp") if e["operation"] == "CreateOrder"] == []
