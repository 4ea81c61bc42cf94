"""Acceptance: the example ecosystem's partner quoting tool and customer portal routes, served by the
gateway against the simulated CRM (weave.sandbox), with the CRM's own API key held by weave."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

from weave.gateway import gateway_config_from_specs
from weave.sandbox.cluster import SandboxCluster

from .conftest import Gateway, running_gateway

COST_FIELDS = {"cost_price", "cost_total", "margin_pct"}
PORTAL_SECRET = "portal-idp-signing-secret-for-tests-000"
HIDE_COSTS = {"steps": [{"drop": ["cost_total", "margin_pct", "lines[].cost_price", "items[].cost_price"]}]}

PARTNER_QUOTING = {
    "kind": "integration", "name": "partner-quoting-api", "owner": "partner-eng", "source": "crm",
    "target": "partner-quoting", "gateway": {"routes": [
        {"method": "GET", "path": "/partner/v1/price-lists/{id}", "scopes": ["pricing:read"],
         "upstream": {"system": "crm", "path": "/api/price_lists/{id}"}, "response": HIDE_COSTS},
        {"method": "GET", "path": "/partner/v1/quotes/{id}", "scopes": ["quotes:read"],
         "upstream": {"system": "crm", "path": "/api/quotes/{id}"}, "response": HIDE_COSTS},
        {"method": "POST", "path": "/partner/v1/quotes", "scopes": ["quotes:write"],
         "upstream": {"system": "crm", "path": "/api/quotes"}, "response": HIDE_COSTS,
         "request_schema": {"type": "object", "required": ["account_id", "lines"], "additionalProperties": False,
                            "properties": {"account_id": {"type": "string"}, "lines": {
                                "type": "array", "minItems": 1, "items": {
                                    "type": "object", "required": ["sku", "quantity"], "additionalProperties": False,
                                    "properties": {"sku": {"type": "string"},
                                                   "quantity": {"type": "integer", "minimum": 1}}}}}}},
    ]},
}
CUSTOMER_PORTAL = {
    "kind": "integration", "name": "customer-portal-api", "owner": "partner-eng", "source": "crm",
    "target": "customer-portal", "gateway": {"consumers": ["customer-portal"], "routes": [
        {"method": "GET", "path": "/portal/v1/orders", "scopes": ["orders:read"],
         "upstream": {"system": "crm", "path": "/api/orders",
                      "query": {"account_id": "{claims.account_id}", "limit": "200"}},
         "response": {"steps": [{"map": "data[].{id: id, status: status, total: total, account_id: account_id}"}]}},
        {"method": "GET", "path": "/portal/v1/cases", "scopes": ["cases:read"],
         "upstream": {"system": "crm", "path": "/api/cases",
                      "query": {"account_id": "{claims.account_id}", "limit": "200"}},
         "response": {"steps": [{"map": "data[].{id: id, subject: subject, status: status, account_id: account_id}"}]}},
    ]},
}
CONSUMERS = [
    {"kind": "consumer", "name": "partner-ferrum", "owner": "partner-eng", "auth": {"type": "api-key"},
     "scopes": ["pricing:read", "quotes:read", "quotes:write"], "rate_limit": {"requests": 600, "per": "minute"}},
    {"kind": "consumer", "name": "customer-portal", "owner": "web-team", "scopes": ["orders:read", "cases:read"],
     "auth": {"type": "jwt", "issuer": "https://login.acme.example", "audience": "customer-portal",
              "algorithms": ["HS256"], "secret": "${env:PORTAL_JWT_SECRET}"}},
]


@pytest.fixture(scope="module")
def crm() -> Iterator[SandboxCluster]:
    cluster = SandboxCluster(["crm"]).start_in_thread()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def gw(crm: SandboxCluster) -> Iterator[Gateway]:
    systems = {"crm": {"name": "crm", "api": {"style": "rest", "base_url": "${env:CRM_URL}", "auth": {
        "type": "api-key", "header": "X-API-Key", "key": "${env:CRM_API_KEY}"}}}}
    config = gateway_config_from_specs([PARTNER_QUOTING, CUSTOMER_PORTAL], CONSUMERS, systems)
    with running_gateway(config, env={**crm.env(), "PORTAL_JWT_SECRET": PORTAL_SECRET}) as gateway:
        yield gateway


def _crm_get(crm: SandboxCluster, path: str) -> Any:
    response = httpx.get(crm.url("crm") + path, headers={"x-api-key": crm.env()["CRM_API_KEY"]})
    response.raise_for_status()
    return response.json()


def test_partner_quoting_tool_never_sees_cost_prices(crm: SandboxCluster, gw: Gateway) -> None:
    key = gw.new_key("partner-ferrum")
    accounts = _crm_get(crm, "/api/accounts?limit=5")["data"]
    skus = [p["sku"] for p in _crm_get(crm, "/api/products?limit=3")["data"]]
    with httpx.Client(base_url=gw.url, headers={"x-api-key": key}) as partner:
        price_list = partner.get(f"/partner/v1/price-lists/{accounts[0]['price_list_id']}")
        assert price_list.status_code == 200 and price_list.json()["items"]
        created = partner.post("/partner/v1/quotes", json={
            "account_id": accounts[0]["id"], "lines": [{"sku": skus[0], "quantity": 2}, {"sku": skus[1], "quantity": 1}]})
        assert created.status_code == 201, created.text
        quote = created.json()
        fetched = partner.get(f"/partner/v1/quotes/{quote['id']}")
        assert fetched.status_code == 200
        for body in (price_list.text, created.text, fetched.text):
            assert not any(f'"{field}"' in body for field in COST_FIELDS)
        assert fetched.json()["total"] == quote["total"] > 0
        # the CRM itself does hold the costs the gateway hid
        assert "cost_price" in _crm_get(crm, f"/api/quotes/{quote['id']}")["lines"][0]
        invalid = partner.post("/partner/v1/quotes", json={"account_id": accounts[0]["id"],
                                                            "lines": [{"sku": skus[0], "quantity": 0}]})
        assert invalid.status_code == 400 and invalid.json()["error"]["details"][0]["path"] == "/lines/0/quantity"
        assert partner.get("/portal/v1/orders").status_code == 403  # not the portal's consumer


def _portal_token(**claims: Any) -> str:
    now = int(time.time())
    return jwt.encode({"iss": "https://login.acme.example", "aud": "customer-portal", "sub": "user-1",
                       "iat": now, "exp": now + 300, **claims}, PORTAL_SECRET, algorithm="HS256")


def test_customer_portal_sees_only_its_own_account(crm: SandboxCluster, gw: Gateway) -> None:
    orders = _crm_get(crm, "/api/orders?limit=200")["data"]
    account = orders[0]["account_id"]
    expected = {o["id"] for o in orders if o["account_id"] == account}
    with httpx.Client(base_url=gw.url) as portal:
        mine = portal.get("/portal/v1/orders", headers={"authorization": "Bearer " + _portal_token(account_id=account)})
        assert mine.status_code == 200, mine.text
        seen = mine.json()
        assert {o["id"] for o in seen} == expected and {o["account_id"] for o in seen} == {account}
        assert set(seen[0]) == {"id", "status", "total", "account_id"}
        cases = portal.get("/portal/v1/cases", headers={"authorization": "Bearer " + _portal_token(account_id=account)})
        assert cases.status_code == 200 and all(c["account_id"] == account for c in cases.json())
        no_claim = portal.get("/portal/v1/orders", headers={"authorization": "Bearer " + _portal_token()})
        assert no_claim.status_code == 403
        assert portal.get("/portal/v1/orders").status_code == 401
