"""The spec mappings the gateway tests run: one api-gateway integration and its consumers."""

from __future__ import annotations

import copy
from typing import Any

from weave.gateway import GatewayConfig, gateway_config_from_specs
from weave.gateway.passwords import hash_password

ENV = {
    "PORTAL_JWT_SECRET": "portal-hs256-secret-for-tests-0123456789",
    "LEGACY_PW": "legacy-password-1",
    "M2M_SECRET": "m2m-client-secret-xyz",
    "WEAVE_TOKEN_SECRET": "weave-token-signing-secret-abcdefgh",
    "CRM_KEY": "crm-upstream-key-42",
}
HASHED_PW = "hashed-password-2"
QUOTE_SCHEMA = {
    "type": "object",
    "required": ["account_id", "lines"],
    "additionalProperties": False,
    "properties": {
        "account_id": {"type": "string", "minLength": 1},
        "lines": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["sku", "qty"], "additionalProperties": False,
            "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}}},
    },
}
HIDE_COST = {"steps": [{"drop": ["cost_price", "lines[].cost_price"]}]}


def integration(rs_jwks_file: str | None = None) -> dict[str, Any]:
    """A fresh copy each time: tests may mutate it."""
    return copy.deepcopy({
        "kind": "integration", "name": "partner-quoting-api", "owner": "partner-eng", "source": "crm",
        "target": "partner-quoting", "pattern": "api-gateway",
        "gateway": {"token": {"secret": "${env:WEAVE_TOKEN_SECRET}", "ttl": "60s"}, "routes": [
            {"method": "GET", "path": "/partner/v1/quotes/{id}", "upstream": {"system": "crm", "path": "/api/quotes/{id}"},
             "scopes": ["quotes:read"], "response": HIDE_COST,
             "response_schema": {"type": "object", "required": ["id", "total"],
                                 "properties": {"id": {"type": "string"}, "total": {"type": "number"}}}},
            {"method": "POST", "path": "/partner/v1/quotes", "upstream": {"system": "crm", "path": "/api/quotes"},
             "scopes": ["quotes:write"], "request_schema": QUOTE_SCHEMA, "max_body_bytes": 2048, "response": HIDE_COST},
            {"method": "GET", "path": "/partner/v1/quote-summary/{id}", "scopes": ["quotes:read"],
             "compose": [{"name": "quote", "system": "crm", "path": "/api/quotes/{id}"},
                         {"name": "account", "system": "crm", "path": "/api/accounts/{quote.account_id}"}],
             "response": {"steps": [{"map": "{id: quote.id, total: quote.total, account: account.name}"}]}},
            {"method": "GET", "path": "/partner/v1/echo/{name}",
             "upstream": {"system": "crm", "path": "/echo/{name}", "query": {"fixed": "1"},
                          "headers": {"X-Partner-Name": "{name}", "X-Upstream-Key": "${env:CRM_KEY}"}},
             "query": ["q"], "cors": {"origins": ["https://portal.example"]}},
            {"method": "GET", "path": "/partner/v1/slow", "upstream": {"system": "sluggish", "path": "/slow",
                                                                        "timeout": "300ms"}},
            {"method": "GET", "path": "/partner/v1/fail", "upstream": {"system": "flaky", "path": "/fail"}},
            {"method": "GET", "path": "/partner/v1/forbidden", "upstream": {"system": "crm", "path": "/forbidden"}},
            {"method": "GET", "path": "/partner/v1/limited", "upstream": {"system": "crm", "path": "/small"},
             "rate_limit": {"requests": 5, "per": "hour"}},
            {"method": "GET", "path": "/partner/v1/keyonly/{id}", "auth": ["api-key"],
             "upstream": {"system": "crm", "path": "/api/quotes/{id}"}, "response": HIDE_COST},
        ]},
    })


def consumers(rs_jwks_file: str | None = None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"kind": "consumer", "name": "partner-acme", "owner": "partner-eng", "auth": {"type": "api-key"},
         "scopes": ["quotes:read", "quotes:write"]},
        {"kind": "consumer", "name": "reader", "owner": "partner-eng", "auth": {"type": "api-key"},
         "scopes": ["quotes:read"]},
        {"kind": "consumer", "name": "limited", "owner": "partner-eng", "auth": {"type": "api-key"},
         "scopes": ["quotes:read"], "rate_limit": {"requests": 3, "per": "hour"}},
        {"kind": "consumer", "name": "portal-app", "owner": "web", "scopes": ["quotes:read"],
         "auth": {"type": "jwt", "issuer": "https://idp.example", "audience": "weave-partner-api",
                  "algorithms": ["HS256"], "secret": "${env:PORTAL_JWT_SECRET}", "leeway": "5s"}},
        {"kind": "consumer", "name": "legacy", "owner": "partner-eng", "scopes": ["quotes:read"],
         "auth": {"type": "basic", "username": "legacy", "password": "${env:LEGACY_PW}"}},
        {"kind": "consumer", "name": "hashed", "owner": "partner-eng", "scopes": ["quotes:read"],
         "auth": {"type": "basic", "username": "hashed", "password_hash": hash_password(HASHED_PW, 1000)}},
        {"kind": "consumer", "name": "machine", "owner": "ops", "scopes": ["quotes:read", "accounts:read"],
         "auth": {"type": "oauth2-client-credentials", "client_id": "m2m", "client_secret": "${env:M2M_SECRET}"}},
    ]
    if rs_jwks_file:
        out.append({"kind": "consumer", "name": "rs-partner", "owner": "partner-eng", "scopes": ["quotes:read"],
                    "auth": {"type": "jwt", "issuer": "https://rs-idp.example", "audience": "weave-partner-api",
                             "algorithms": ["RS256"], "jwks": {"file": rs_jwks_file}}})
    return out


def config(upstream_url: str, rs_jwks_file: str | None = None, **settings: Any) -> GatewayConfig:
    systems = {"crm": upstream_url, "flaky": upstream_url, "sluggish": upstream_url}
    return gateway_config_from_specs([integration(rs_jwks_file)], consumers(rs_jwks_file), systems,
                                     {"key_cache_ttl": 0, **settings})
