"""Schemas of the core kinds: system, owner, event, and the integration's framework fields."""

from __future__ import annotations

from typing import Any

from weave.spec.schema.common import ref

API_STYLES = ["rest", "graphql", "soap", "sql", "file", "proprietary"]
AUTH_TYPES = ["none", "api-key", "basic", "bearer", "oauth2-client-credentials", "custom"]
DIRECTIONS = ["push", "pull", "bidirectional"]
TIMINGS = ["real-time", "near-real-time", "batch"]
COUPLINGS = ["tight", "loose"]
COMPLEXITIES = ["simple", "complex"]
EXPOSURES = ["internal", "partner", "customer", "third-party"]
PATTERNS = ["point-to-point", "hub-and-spoke", "event-driven", "api-gateway", "etl-batch"]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
SECRET_FIELDS = ["password", "token", "secret", "client_secret", "api_key", "key", "private_key"]

DEFS: dict[str, Any] = {
    "auth": {
        "type": "object",
        "description": "How weave authenticates to the system. Secrets are references only.",
        "additionalProperties": False,
        "required": ["type"],
        "properties": {
            "type": {"enum": AUTH_TYPES, "description": "Authentication scheme."},
            "header": {"type": "string", "description": "api-key: header name (default X-API-Key)."},
            "key": {**ref("secretRef"), "description": "api-key: the key, as a secret reference."},
            "username": {"type": "string", "description": "basic: user name (may be a reference)."},
            "password": {**ref("secretRef"), "description": "basic: password, as a secret reference."},
            "token": {**ref("secretRef"), "description": "bearer: token, as a secret reference."},
            "token_url": {"type": "string", "description": "oauth2: token endpoint URL or path."},
            "client_id": {"type": "string", "description": "oauth2: client id (may be a reference)."},
            "client_secret": {**ref("secretRef"), "description": "oauth2: client secret, as a reference."},
            "scopes": {"type": "array", "items": {"type": "string"}, "description": "oauth2: scopes to request."},
            "description": {"type": "string", "description": "custom: how this proprietary auth works."},
        },
    },
    "api": {
        "type": "object",
        "description": "The system's API: its style decides the connector weave uses.",
        "additionalProperties": False,
        "required": ["style"],
        "properties": {
            "style": {"enum": API_STYLES, "description": "API style. rest and graphql count as standard APIs."},
            "base_url": {"type": "string", "description": "Base URL, DSN or directory (may be a reference)."},
            "auth": ref("auth"),
            "contract": {"type": "string", "description": "Path of the API contract (OpenAPI, WSDL, JSON Schema)."},
            "version": {"type": "string", "description": "The API version in use."},
            "timeout": {**ref("duration"), "description": "Request timeout (default 10s)."},
        },
    },
    "rateLimit": {
        "type": "object",
        "description": "The system's declared rate limit; weave never exceeds it.",
        "additionalProperties": False,
        "required": ["requests", "per"],
        "properties": {
            "requests": {"type": "integer", "minimum": 1, "description": "Requests allowed per period."},
            "per": {"enum": ["second", "minute", "hour", "day"], "description": "The period."},
        },
    },
    "peakWindow": {
        "type": "object",
        "description": "A window of peak operating hours; batch runs never start inside it unless forced.",
        "additionalProperties": False,
        "required": ["start", "end"],
        "properties": {
            "start": {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "description": "HH:MM."},
            "end": {"type": "string", "pattern": r"^([01][0-9]|2[0-4]):[0-5][0-9]$", "description": "HH:MM."},
            "timezone": {"type": "string", "description": "IANA time zone (default UTC)."},
            "days": {"type": "array", "items": {"enum": DAYS}, "description": "Days of the week (default all)."},
        },
    },
    "volume": {
        "type": "object",
        "description": "Framework question 3: how much data moves.",
        "additionalProperties": False,
        "properties": {
            "records_per_transaction": {"type": "integer", "minimum": 0, "description": "Records per transaction."},
            "transactions_per_day": {"type": "integer", "minimum": 0, "description": "Transactions per day."},
        },
    },
    "contacts": {
        "type": "object",
        "description": "Where alerts for this owner go.",
        "additionalProperties": False,
        "properties": {
            "email": {"type": "string", "description": "E-mail address."},
            "chat_webhook": {"type": "string", "description": "Slack-compatible incoming webhook (a reference)."},
            "webhook": {"type": "string", "description": "Generic signed webhook URL (may be a reference)."},
            "webhook_secret": {**ref("secretRef"), "description": "Signing secret of the generic webhook."},
            "pagerduty_routing_key": {**ref("secretRef"), "description": "PagerDuty Events v2 routing key."},
            "oncall": {"type": "string", "description": "On-call phone number or rota name."},
            "handle": {"type": "string", "description": "Code-review handle, e.g. @acme/finance-it."},
            "timezone": {"type": "string", "description": "The owner's IANA time zone."},
        },
    },
}

SYSTEM: dict[str, Any] = {
    "type": "object",
    "description": "A connected system (CRM, ERP, telephony, ...).",
    "additionalProperties": False,
    "required": ["kind", "name", "api"],
    "properties": {
        "kind": {"const": "system", "description": "Spec kind."},
        "name": ref("name"),
        "owner": ref("owner"),
        "description": ref("description"),
        "api": ref("api"),
        "rate_limit": ref("rateLimit"),
        "peak_hours": {"type": "array", "items": ref("peakWindow"), "description": "Peak operating windows."},
        "redundancy": {
            "enum": ["none", "active-passive", "active-active"],
            "description": "Declared redundancy (matters when the system is the hub).",
        },
        "role": {"enum": ["crm", "hub", "system"], "description": "crm: the centre of the ecosystem; hub: the bus."},
        "labels": ref("labels"),
    },
}

OWNER: dict[str, Any] = {
    "type": "object",
    "description": "A team or person who owns integrations and systems.",
    "additionalProperties": False,
    "required": ["kind", "name"],
    "properties": {
        "kind": {"const": "owner", "description": "Spec kind."},
        "name": ref("name"),
        "type": {"enum": ["team", "person"], "description": "Team or person."},
        "description": ref("description"),
        "contacts": ref("contacts"),
        "escalation": {
            "type": "object",
            "additionalProperties": False,
            "description": "Who to call when the owner does not acknowledge an alert.",
            "properties": {
                "after": {**ref("duration"), "description": "Escalate after this delay."},
                "contacts": ref("contacts"),
            },
        },
    },
}

EVENT: dict[str, Any] = {
    "type": "object",
    "description": "An event catalog entry: its name, version and payload schema.",
    "additionalProperties": False,
    "required": ["kind", "name", "schema"],
    "properties": {
        "kind": {"const": "event", "description": "Spec kind."},
        "name": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9._-]*$", "description": "e.g. crm.order.created"},
        "version": {"type": "integer", "minimum": 1, "description": "Schema version; breaking changes need a new one."},
        "owner": ref("owner"),
        "description": ref("description"),
        "publisher": {"type": "string", "description": "The system that publishes this event."},
        "key": {**ref("jmespath"), "description": "Ordering key: events with the same key are delivered in order."},
        "retention": {**ref("duration"), "description": "How long the bus keeps history for replay (default 7d)."},
        "schema": {"type": "object", "description": "JSON Schema (2020-12) of the payload."},
    },
}

INTEGRATION_FRAMEWORK: dict[str, Any] = {
    "kind": {"const": "integration", "description": "Spec kind."},
    "name": ref("name"),
    "owner": ref("owner"),
    "description": ref("description"),
    "source": {"type": "string", "description": "The system data comes from."},
    "target": {"type": "string", "description": "The system data goes to."},
    "targets": {"type": "array", "items": {"type": "string"}, "minItems": 1, "description": "Several targets."},
    "direction": {"enum": DIRECTIONS, "description": "Framework question 1: push, pull or bidirectional."},
    "timing": {"enum": TIMINGS, "description": "Framework question 2: real-time, near-real-time or batch."},
    "volume": ref("volume"),
    "coupling": {"enum": COUPLINGS, "description": "Framework question 4: tight or loose coupling."},
    "transform_complexity": {"enum": COMPLEXITIES, "description": "simple or complex transformations."},
    "exposure": {"enum": EXPOSURES, "description": "Who reaches in: external exposure makes the gateway essential."},
    "pattern": {"enum": ["auto", *PATTERNS], "description": "auto (the planner decides) or an override."},
    "pattern_reason": {"type": "string", "minLength": 1, "description": "Why the override; required with `pattern`."},
    "hub": {"type": "string", "description": "hub-and-spoke: the hub (a system with role hub); default `weave`."},
    "labels": ref("labels"),
}

INTEGRATION_REQUIRED = ["kind", "name", "source", "direction", "timing", "volume", "coupling"]
