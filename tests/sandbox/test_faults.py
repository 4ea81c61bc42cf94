"""Fault injection, the received log, stats and reset — the same on every simulated system."""

from __future__ import annotations

import time

import httpx
import pytest

from weave.sandbox import SandboxCluster
from weave.sandbox.crm import TOKEN

from ._util import Receiver, received

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_every_system_has_the_admin_endpoints(sandbox: SandboxCluster, http: httpx.Client) -> None:
    for name, url in sandbox.urls.items():
        assert http.get(url + "/_health").json() == {"status": "ok", "system": name}
        assert http.post(url + "/_faults", json={"status": 503, "count": 1}).status_code == 201
        assert http.get(url + "/_faults").json()["rules"][0]["count"] == 1
        assert http.get(url + "/_received").json() == {"count": 0, "items": []}


def test_status_faults_apply_count_times_then_recover(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("crm")
    http.post(url + "/_faults", json={"status": 503, "count": 3}).raise_for_status()
    statuses = [http.get(url + "/api/products", headers=AUTH).status_code for _ in range(5)]
    assert statuses == [503, 503, 503, 200, 200]
    stats = http.get(url + "/_stats").json()
    assert stats["faulted"] == 3 and stats["statuses"] == {"200": 2, "503": 3}
    assert http.get(url + "/_faults").json()["rules"][0]["applied"] == 3


def test_429_with_retry_after(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("operations")
    http.post(url + "/_faults", json={"retry_after": 2, "count": 1}).raise_for_status()
    limited = http.post(url + "/v1/fulfillment-orders", json={})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
    assert limited.json()["error"]["code"] == "injected_fault"


def test_slowness_and_scoping_by_path_and_method(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("crm")
    http.post(url + "/_faults", json=[{"delay_ms": 300, "path": "/api/orders", "method": "GET", "count": 1},
                                      {"status": 500, "path": "/api/cases", "method": "POST"}]).raise_for_status()
    start = time.monotonic()
    assert http.get(url + "/api/orders", headers=AUTH).status_code == 200
    assert time.monotonic() - start >= 0.3
    http.get(url + "/api/orders", headers=AUTH)
    assert [r["applied"] for r in http.get(url + "/_faults").json()["rules"]] == [1, 0]  # count=1: used up
    assert http.get(url + "/api/cases", headers=AUTH).status_code == 200
    for _ in range(3):  # no count: until cleared
        assert http.post(url + "/api/cases", json={"account_id": "ACC-0001", "subject": "x"},
                         headers=AUTH).status_code == 500
    assert received(http, url) == []
    http.delete(url + "/_faults").raise_for_status()
    assert http.post(url + "/api/cases", json={"account_id": "ACC-0001", "subject": "x"},
                     headers=AUTH).status_code == 201


def test_custom_fault_body_and_timeouts(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("email")
    http.post(url + "/_faults", json={"status": 502, "count": 1, "body": "<html>bad gateway</html>",
                                      "content_type": "text/html"}).raise_for_status()
    response = http.post(url + "/v3/mail/send", json={})
    assert response.status_code == 502 and response.text == "<html>bad gateway</html>"
    http.post(url + "/_faults", json={"delay_ms": 2000, "count": 1}).raise_for_status()
    with pytest.raises(httpx.ReadTimeout):
        http.post(url + "/v3/mail/send", json={}, timeout=0.2)


def test_rate_limit_rule(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("crm")
    http.post(url + "/_faults", json={"rate_limit": {"requests": 3, "per_seconds": 60}}).raise_for_status()
    responses = [http.get(url + "/api/products", headers=AUTH) for _ in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
    assert 0 < int(responses[-1].headers["retry-after"]) <= 60


@pytest.mark.parametrize("rule", [{"status": 503, "colour": 1}, {"count": 2}, {"status": 999}, [1], "x",
                                  {"rate_limit": {"per_seconds": 1}}])
def test_bad_fault_rules_are_refused(sandbox: SandboxCluster, http: httpx.Client, rule: object) -> None:
    response = http.post(sandbox.url("telephony") + "/_faults", json=rule)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_fault"
    assert http.get(sandbox.url("telephony") + "/_faults").json()["rules"] == []


def test_admin_paths_are_never_faulted_and_reset_restores_seed(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("crm")
    http.post(url + "/_faults", json={"status": 503}).raise_for_status()
    assert http.get(url + "/_stats").status_code == 200
    http.delete(url + "/_faults")
    http.post(url + "/api/accounts", json={"name": "Temp AG"}, headers=AUTH).raise_for_status()
    assert http.get(url + "/api/accounts", params={"style": "page"}, headers=AUTH).json()["meta"]["total"] == 41
    http.post(url + "/_reset").raise_for_status()
    assert http.get(url + "/_stats").json()["requests"] == 0 and received(http, url) == []
    assert http.get(url + "/api/accounts", params={"style": "page"}, headers=AUTH).json()["meta"]["total"] == 40


def test_received_long_polls_for_a_count(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("operations")
    empty = http.get(url + "/_received", params={"min": 1, "timeout": 0.2})
    assert empty.json()["count"] == 0
    http.post(url + "/v1/fulfillment-orders", headers={"X-API-Key": "ops-demo-key"},
              json={"order_ref": "A", "lines": [{"sku": "AI-PUMP-100", "quantity": 1}]}).raise_for_status()
    items = received(http, url, min=1, timeout=5)
    assert len(items) == 1 and items[0]["seq"] == 1
    assert received(http, url, after=1) == []


def test_received_log_is_bounded_but_seq_keeps_counting(http: httpx.Client) -> None:
    with SandboxCluster([], extra={"small": Receiver}, received_limit=2) as cluster:
        url = cluster.url("small")
        for i in range(5):
            http.post(url + "/hook", content=str(i)).raise_for_status()
        items = received(http, url)
        assert [(e["seq"], e["body"]) for e in items] == [(4, "3"), (5, "4")]
        assert [e["seq"] for e in received(http, url, after=4)] == [5]
        assert http.get(url + "/_stats").json()["received"] == 5


@pytest.mark.parametrize(("system", "path", "body"), [
    ("crm", "/_emit", {"event": "order.created", "count": "many"}),
    ("crm", "/_emit", {"event": "order.created", "count": 0}),
    ("payments", "/_emit", {"count": 1, "concurrency": -1}),
    ("bulk", "/_bulk/touch", {"every": 0}),
    ("bulk", "/_bulk/touch", {"ids": ["x"]}),
    ("bulk", "/_bulk/config", {"records": "all"}),
])
def test_bad_admin_input_is_a_400_not_a_crash(sandbox: SandboxCluster, http: httpx.Client, system: str, path: str,
                                              body: dict[str, object]) -> None:
    response = http.post(sandbox.url(system) + path, json=body)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_parameter"
    assert http.get(sandbox.url(system) + "/_received", params={"timeout": "soon"}).status_code == 400


def test_admin_emit_alias_is_an_admin_path(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("crm")
    http.post(url + "/_faults", json={"status": 503}).raise_for_status()
    assert http.post(url + "/admin/emit", json={"event": "order.created"}).status_code == 200
    assert http.get(url + "/_stats").json()["requests"] == 0
