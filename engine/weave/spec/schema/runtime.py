"""Schema of the integration's runtime blocks: trigger, extract, deliver, publish, delivery policy, tests, SLOs.

The per-style operation blocks (`http`, `soap`, `sql`, `file`) come from `connectors.py`, the step list from
`steps.py`, `batch:` from `batch.py` and `gateway:` from `gateway.py`.
"""

from __future__ import annotations

from typing import Any

from weave.spec.schema.common import ref

OPERATION_PROPS: dict[str, Any] = {
    "http": ref("httpOperation"),
    "soap": ref("soapOperation"),
    "sql": ref("sqlOperation"),
    "file": ref("fileOperation"),
}

DEFS: dict[str, Any] = {
    "webhookTrigger": {
        "type": "object",
        "description": "Inbound HTTP webhook served by `weave serve`; 2xx only after the message is durably stored.",
        "additionalProperties": False,
        "required": ["path"],
        "properties": {
            "path": {"type": "string", "pattern": "^/", "description": "URL path, e.g. /hooks/crm/orders."},
            "signature": {
                "type": "object",
                "additionalProperties": False,
                "required": ["scheme", "secret"],
                "description": "Signature verification.",
                "properties": {
                    "scheme": {"enum": ["standard-webhooks", "stripe", "github"], "description": "Signature scheme."},
                    "secret": ref("secretRef"),
                    "tolerance": {**ref("duration"), "description": "Timestamp tolerance (default 5m)."},
                },
            },
            "max_body_bytes": {"type": "integer", "minimum": 1, "description": "Body size limit (default 1 MiB)."},
            "records": {**ref("jmespath"), "description": "Where the records are inside the body (default: the body)."},
            "example": {"description": "A sample request body (or a list of them): documentation, and what "
                                       "`weave demo` sends."},
        },
    },
    "pollTrigger": {
        "type": "object",
        "description": "Polling change detection on the source (uses `extract:`).",
        "additionalProperties": False,
        "required": ["every"],
        "properties": {
            "every": {**ref("duration"), "description": "Polling interval."},
            "cursor": {
                "type": "object",
                "additionalProperties": False,
                "description": "Change-detection cursor.",
                "properties": {
                    "field": {"type": "string", "description": "Field that increases on change, e.g. updated_at."},
                    "tie_breaker": {"type": "string", "description": "Unique field to order ties, e.g. id."},
                    "param": {"type": "string", "description": "Query parameter that carries the cursor."},
                    "initial": {"type": "string", "description": "Initial cursor value."},
                },
            },
        },
    },
    "trigger": {
        "type": "object",
        "description": "What starts the flow: exactly one of webhook, poll, schedule, event, gateway, manual.",
        "additionalProperties": False,
        "minProperties": 1,
        "maxProperties": 1,
        "properties": {
            "webhook": ref("webhookTrigger"),
            "poll": ref("pollTrigger"),
            "schedule": ref("schedule"),
            "event": {"type": "string", "description": "Subscribe to a catalog event (event-driven)."},
            "gateway": {"type": "object", "description": "Requests arriving on the gateway routes."},
            "manual": {"type": "object", "description": "Only `weave run` starts it."},
        },
    },
    "extract": {
        "type": "object",
        "description": "The read side: one operation on the source system.",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": dict(OPERATION_PROPS),
    },
    "deliverEntry": {
        "type": "object",
        "description": "Delivery to one target (for hub-and-spoke: one spoke).",
        "additionalProperties": False,
        "required": ["target"],
        "properties": {
            "target": {"type": "string", "description": "A target system of this integration."},
            "when": {**ref("jmespath"), "description": "Routing condition (content-based routing)."},
            "steps": ref("steps"),
            **OPERATION_PROPS,
        },
    },
    "publish": {
        "type": "object",
        "description": "Publish each resulting record as a catalog event.",
        "additionalProperties": False,
        "required": ["event"],
        "properties": {
            "event": {"type": "string", "description": "The catalog event to publish."},
            "key": {**ref("jmespath"), "description": "Ordering key (default: the event's key)."},
        },
    },
    "testCase": {
        "type": "object",
        "description": "A unit test of this integration's steps (run by `weave test`).",
        "additionalProperties": False,
        "required": ["name", "input"],
        "properties": {
            "name": {"type": "string", "description": "Test name."},
            "input": {"description": "Input record, or {fixture: NAME} from transforms/."},
            "expect": {"description": "Expected output record(s)."},
            "expect_error": {"type": "string", "description": "Expected error message substring."},
        },
    },
    "slo": {
        "type": "object",
        "description": "Service-level objectives evaluated by `weave serve` (defaults per pattern).",
        "additionalProperties": False,
        "properties": {
            "freshness": {**ref("duration"), "description": "Last successful delivery is younger than this."},
            "finish_by": {"type": "string", "description": "Batch: finished by HH:MM in the owner's time zone."},
            "error_rate": {
                "type": "object",
                "additionalProperties": False,
                "description": "Error rate over a window.",
                "properties": {
                    "max": {"type": "number", "minimum": 0, "maximum": 1, "description": "Maximum error ratio."},
                    "window": {**ref("duration"), "description": "Window."},
                },
            },
            "dlq_depth": {"type": "integer", "minimum": 0, "description": "Maximum dead-letter depth."},
            "dlq_age": {**ref("duration"), "description": "Maximum age of the oldest dead letter."},
            "lag": {"type": "integer", "minimum": 0, "description": "Maximum subscriber lag (messages)."},
            "p99_latency": {**ref("duration"), "description": "Gateway p99 latency."},
            "error_5xx_rate": {"type": "number", "minimum": 0, "maximum": 1, "description": "Gateway 5xx ratio."},
        },
    },
}

INTEGRATION_PROPERTIES: dict[str, Any] = {
    "trigger": ref("trigger"),
    "extract": ref("extract"),
    "steps": ref("steps"),
    "deliver": {"type": "array", "items": ref("deliverEntry"), "description": "One entry per target."},
    "publish": ref("publish"),
    "idempotency_key": {**ref("jmespath"), "description": "Dedup key at the sink: a crash never delivers twice."},
    "ordering_key": {**ref("jmespath"), "description": "Records with the same key are delivered in order."},
    "delivery": ref("deliveryPolicy"),
    "tests": {"type": "array", "items": ref("testCase"), "description": "Unit tests for `weave test`."},
    "slo": ref("slo"),
}
