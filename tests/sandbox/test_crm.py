"""The simulated CRM over real HTTP: auth, the four pagination styles, filters, writes, quotes, webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import time
from typing import Any

import httpx
import orjson
import pytest

from weave.sandbox import SandboxCluster
from weave.sandbox.crm import API_KEY, CLIENT_ID, CLIENT_SECRET, TOKEN, WEBHOOK_SECRET

from ._util import received

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _all_pages(http: httpx.Client, url: str, style: str, size: int = 17, **params: Any) -> list[dict[str, Any]]:
    """Follow one pagination style to the end, the way a connector would."""
    out: list[dict[str, Any]] = []
    query: dict[str, Any] = {"style": style, **params}
    if style in ("page", "link"):
        query.update(page=1, per_page=size)
    else:
        query["limit"] = size
    next_url: str | None = url
    while next_url:
        response = http.get(next_url, params=query if next_url == url else None, headers=AUTH)
        response.raise_for_status()
        body = response.json()
        out += body["data"]
        meta = body["meta"]
        if style == "page":
            query["page"] += 1
            next_url = url if meta["page"] < meta["total_pages"] else None
        elif style == "offset":
            query["offset"] = meta["offset"] + meta["limit"]
            next_url = url if query["offset"] < meta["total"] else None
        elif style == "cursor":
            query["cursor"] = meta["next"]
            next_url = url if meta["next"] else None
        else:
            next_url = response.links.get("next", {}).get("url")
    return out


@pytest.mark.parametrize("style", ["page", "offset", "cursor", "link"])
def test_every_pagination_style_returns_each_order_once_in_updated_order(
        sandbox: SandboxCluster, http: httpx.Client, style: str) -> None:
    records = _all_pages(http, sandbox.url("crm") + "/api/orders", style)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == 150
    keys = [(r["updated_at"], r["id"]) for r in records]
    assert keys == sorted(keys)


def test_cursor_paging_sees_records_changed_during_the_walk(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("crm") + "/api/accounts"
    first = http.get(url, params={"limit": 10}, headers=AUTH).json()
    touched = first["data"][0]["id"]
    http.patch(f"{url}/{touched}", json={"tier": "key"}, headers=AUTH).raise_for_status()
    rest = _all_pages(http, url, "cursor", size=10, cursor=first["meta"]["next"])
    ids = [r["id"] for r in first["data"]] + [r["id"] for r in rest]
    assert len(set(ids)) == 40
    assert rest[-1]["id"] == touched and rest[-1]["tier"] == "key"


def test_updated_since_and_filters(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("crm") + "/api/orders"
    everything = _all_pages(http, url, "cursor", size=200)
    pivot = everything[100]["updated_at"]
    newer = _all_pages(http, url, "cursor", size=200, updated_since=pivot)
    assert [r["id"] for r in newer] == [r["id"] for r in everything[100:]]
    offset_form = pivot.replace("Z", "+00:00")
    assert http.get(url, params={"updated_since": offset_form, "style": "page"}, headers=AUTH).json()["meta"][
        "total"] == 50
    account = everything[0]["account_id"]
    mine = _all_pages(http, url, "page", account_id=account)
    assert mine and {r["account_id"] for r in mine} == {account}
    assert len(mine) == sum(r["account_id"] == account for r in everything)
    bad = http.get(url, params={"colour": "red"}, headers=AUTH)
    assert bad.status_code == 400 and "account_id" in bad.json()["error"]["message"]
    assert http.get(url, params={"updated_since": "yesterday"}, headers=AUTH).status_code == 400


def test_auth_bearer_api_key_and_oauth_client_credentials(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("crm")
    missing = http.get(url + "/api/accounts")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["error"]["code"] == "unauthorized"
    assert http.get(url + "/api/accounts", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert http.get(url + "/api/accounts", headers={"X-API-Key": "nope"}).status_code == 401
    assert http.get(url + "/api/accounts", headers={"X-API-Key": API_KEY}).status_code == 200
    bad_client = http.post(url + "/oauth/token", data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                                       "client_secret": "wrong"})
    assert bad_client.status_code == 401 and bad_client.json() == {"error": "invalid_client"}
    assert http.post(url + "/oauth/token", data={"grant_type": "password"}).json() == {
        "error": "unsupported_grant_type"}
    token = http.post(url + "/oauth/token", auth=(CLIENT_ID, CLIENT_SECRET),
                      data={"grant_type": "client_credentials"}).json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
    ok = http.get(url + "/api/accounts", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert ok.status_code == 200


def test_oauth_tokens_expire() -> None:
    with SandboxCluster(["crm"], options={"crm": {"token_ttl": 1.5}}) as short, httpx.Client() as http:
        url = short.url("crm")
        token = http.post(url + "/oauth/token", json={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                                      "client_secret": CLIENT_SECRET}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert http.get(url + "/api/products", headers=headers).status_code == 200
        deadline = time.monotonic() + 15
        status = 200
        while status == 200 and time.monotonic() < deadline:
            status = http.get(url + "/api/products", headers=headers).status_code
        assert status == 401


def test_create_update_and_bad_input(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("crm") + "/api"
    created = http.post(url + "/cases", json={"account_id": "ACC-0001", "subject": "Noisy pump"}, headers=AUTH)
    assert created.status_code == 201
    case = created.json()
    assert case["id"] == "CASE-0041" and case["status"] == "new" and created.headers["location"].endswith(case["id"])
    updated = http.patch(f"{url}/cases/{case['id']}", json={"status": "resolved"}, headers=AUTH).json()
    assert updated["status"] == "resolved" and updated["updated_at"] > case["updated_at"]
    assert http.get(f"{url}/cases/{case['id']}", headers=AUTH).json()["status"] == "resolved"
    missing = http.post(url + "/cases", json={"account_id": "ACC-0001"}, headers=AUTH)
    assert missing.status_code == 422
    assert missing.json()["error"]["details"] == [{"field": "subject", "error": "required"}]
    assert http.post(url + "/cases", json={"account_id": "ACC-9999", "subject": "x"}, headers=AUTH).status_code == 422
    malformed = http.post(url + "/cases", content=b"{not json", headers={**AUTH, "content-type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "malformed_json"
    wrong_type = http.post(url + "/cases", content=b"a=b", headers={**AUTH, "content-type": "text/plain"})
    assert wrong_type.status_code == 415
    assert http.post(url + "/products", json={"sku": "X"}, headers=AUTH).status_code == 405
    assert http.get(url + "/cases/CASE-9999", headers=AUTH).status_code == 404
    log = received(http, sandbox.url("crm"))
    assert [(e["operation"], e["body"]) for e in log] == [
        ("case.create", {"account_id": "ACC-0001", "subject": "Noisy pump"}),
        ("case.update", {"status": "resolved"})]
    assert "authorization" not in log[0]["headers"]


def test_orders_are_priced_from_the_account_price_list(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("crm") + "/api"
    partner = http.get(url + "/accounts", params={"tier": "partner", "limit": 1}, headers=AUTH).json()["data"][0]
    order = http.post(url + "/orders", json={"account_id": partner["id"], "lines": [
        {"sku": "AI-PUMP-100", "quantity": 2}]}, headers=AUTH).json()
    assert order["lines"][0]["unit_price"] == 1606.5 and order["total"] == 3213.0  # 15 % partner discount
    bad = http.post(url + "/orders", json={"account_id": partner["id"], "lines": [{"sku": "NOPE", "quantity": 1}]},
                    headers=AUTH)
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "lines[0]"


def test_quotes_and_products_carry_internal_cost_fields(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("crm") + "/api"
    products = http.get(url + "/products", params={"limit": 100}, headers=AUTH).json()["data"]
    assert len(products) == 12 and all(p["cost_price"] < p["list_price"] for p in products)
    quote = http.post(url + "/quotes", json={"account_id": "ACC-0001", "price_list_id": "PL-KEY",
                                             "lines": [{"sku": "AI-MOTOR-7K", "quantity": 4}]}, headers=AUTH).json()
    line = quote["lines"][0]
    assert line["unit_price"] == 1173.0 and line["cost_price"] == 803.25 and line["discount_pct"] == 8.0
    assert quote["total"] == 4692.0 and quote["cost_total"] == 3213.0 and quote["margin_pct"] == 31.52
    assert quote["status"] == "draft" and quote["valid_until"]


def test_bulk_upsert_is_all_or_nothing_and_idempotent(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("crm") + "/api/campaign_responses/bulk"
    rows = [{"id": f"CR-X{i}", "campaign_id": "CMP-001", "status": "opened"} for i in range(5)]
    first = http.post(url, json={"records": rows}, headers=AUTH).json()
    assert first == {"created": 5, "updated": 0, "ids": [r["id"] for r in rows]}
    again = http.post(url, json={"records": rows}, headers=AUTH).json()
    assert again["created"] == 0 and again["updated"] == 5
    bad = http.post(url, json={"records": [*rows, {"status": "x"}]}, headers=AUTH)
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["index"] == 5
    listing = http.get(sandbox.url("crm") + "/api/campaign_responses", params={"style": "page"}, headers=AUTH)
    assert listing.json()["meta"]["total"] == 5


def _verify_standard_webhook(secret: str, headers: dict[str, str], body: str) -> None:
    """Standard Webhooks verification, written from the spec, independent of the sender."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{body}".encode()
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    signatures = [s.split(",", 1)[1] for s in headers["webhook-signature"].split() if s.startswith("v1,")]
    assert any(hmac.compare_digest(expected, s) for s in signatures)
    assert abs(time.time() - int(headers["webhook-timestamp"])) < 300


def test_webhooks_on_create_are_signed_with_standard_webhooks(sandbox: SandboxCluster, http: httpx.Client) -> None:
    crm, receiver = sandbox.url("crm"), sandbox.url("receiver")
    http.post(crm + "/_webhooks", json={"url": receiver + "/hook", "secret": WEBHOOK_SECRET,
                                        "events": ["order.*"]}).raise_for_status()
    order = http.post(crm + "/api/orders", json={"account_id": "ACC-0002", "lines": [
        {"sku": "AI-VALVE-20", "quantity": 3}]}, headers=AUTH).json()
    http.post(crm + "/api/cases", json={"account_id": "ACC-0002", "subject": "not subscribed"}, headers=AUTH)
    [hook] = received(http, receiver, min=1)
    _verify_standard_webhook(WEBHOOK_SECRET, hook["headers"], hook["body"])
    payload = orjson.loads(hook["body"])
    assert payload["type"] == "order.created" and payload["data"] == order
    tampered = hook["body"].replace("ACC-0002", "ACC-0003")
    with pytest.raises(AssertionError):
        _verify_standard_webhook(WEBHOOK_SECRET, hook["headers"], tampered)


def test_emit_retries_a_failing_receiver_and_reports_deliveries(sandbox: SandboxCluster, http: httpx.Client) -> None:
    crm, receiver = sandbox.url("crm"), sandbox.url("receiver")
    http.post(crm + "/_webhooks", json={"url": receiver + "/hook", "secret": WEBHOOK_SECRET, "backoff_ms": 10,
                                        "max_attempts": 4}).raise_for_status()
    http.post(receiver + "/_faults", json={"status": 503, "count": 2}).raise_for_status()
    result = http.post(crm + "/_emit", json={"event": "order.created", "count": 3, "concurrency": 1}).json()
    assert len(result["ids"]) == 3 and all(d["delivered"] for d in result["deliveries"])
    assert [d["attempts"] for d in result["deliveries"]] == [3, 1, 1]
    hooks = received(http, receiver)
    assert [orjson.loads(h["body"])["data"]["id"] for h in hooks] == result["ids"]
    assert len({h["headers"]["webhook-id"] for h in hooks}) == 3
    for hook in hooks:
        _verify_standard_webhook(WEBHOOK_SECRET, hook["headers"], hook["body"])
    dupes = http.post(crm + "/_emit", json={"event": "order.updated", "id": result["ids"][0], "copies": 2,
                                            "changes": {"status": "shipped"}}).json()
    assert [d["webhook_id"] for d in dupes["deliveries"]][0] == dupes["deliveries"][1]["webhook_id"]
    log = http.get(crm + "/_webhooks/deliveries").json()
    assert log["count"] == 5
    assert http.post(crm + "/_emit", json={"event": "invoice.created"}).status_code == 400


def test_unreachable_receiver_is_reported_not_raised(sandbox: SandboxCluster, http: httpx.Client) -> None:
    crm = sandbox.url("crm")
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}/hook"
    http.post(crm + "/_webhooks", json={"url": dead, "secret": WEBHOOK_SECRET, "max_attempts": 2,
                                        "backoff_ms": 1}).raise_for_status()
    [delivery] = http.post(crm + "/_emit", json={"event": "account.created", "count": 1}).json()["deliveries"]
    assert delivery["delivered"] is False and delivery["attempts"] == 2
    assert delivery["status"] is None and delivery["error"]
