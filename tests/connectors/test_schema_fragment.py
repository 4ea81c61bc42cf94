"""The schema fragment (weave.spec.schema.connectors) agrees with what the connectors read."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from weave.connectors.http.pagination import PAGINATOR_MAP
from weave.delivery import BreakerConfig, RetryPolicy
from weave.spec.schema import common, connectors


def errors(name: str, instance: Any) -> list[str]:
    schema = {"$defs": {**common.DEFS, **connectors.DEFS}, "$ref": f"#/$defs/{name}"}
    return [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(instance)]


@pytest.mark.parametrize(
    ("name", "op"),
    [
        ("httpOperation", {"method": "GET", "path": "/api/orders", "records": "data",
                           "pagination": {"type": "cursor", "cursor_param": "cursor", "next": "meta.next"},
                           "params": {"since": "{{ state.since }}", "n": 5}}),
        ("httpOperation", {"method": "POST", "path": "/rest/v1/leads", "batch": True, "body_key": "input"}),
        ("httpOperation", {"method": "PATCH", "path": "/api/orders/{order_id}", "idempotency_header": None}),
        ("soapOperation", {"operation": "UpsertCustomer", "envelope": "soap/upsert-customer.xml.j2", "path": "/soap"}),
        ("sqlOperation", {"query": "SELECT * FROM t WHERE updated_at > :since", "chunk_size": 500}),
        ("sqlOperation", {"table": "public.orders", "primary_key": ["id"], "mode": "merge"}),
        ("fileOperation", {"path": "out/orders-{date}.jsonl", "format": "jsonl", "mode": "append"}),
        ("deliveryPolicy", {"retries": 5, "backoff": {"initial": "0.5s", "max": "30s"}, "timeout": "10s",
                            "circuit_breaker": {"failures": 5, "reset": "30s"}}),
    ],
)
def test_documented_shapes_validate(name: str, op: dict[str, Any]) -> None:
    assert errors(name, op) == []


@pytest.mark.parametrize(
    ("name", "op", "fragment"),
    [
        ("httpOperation", {"path": "/x", "pagination": {"type": "keyset"}}, "keyset"),
        ("httpOperation", {"path": "/x", "paginate": True}, "paginate"),
        ("soapOperation", {"envelope": "x.xml.j2"}, "operation"),
        ("sqlOperation", {"table": "orders; DROP TABLE orders"}, "does not match"),
        ("sqlOperation", {}, "is not valid under any"),
        ("fileOperation", {"path": "x.xml", "format": "xml"}, "xml"),
        ("deliveryPolicy", {"retries": 3, "backoff": {"initial": "fast"}}, "fast"),
    ],
)
def test_bad_shapes_are_refused(name: str, op: dict[str, Any], fragment: str) -> None:
    assert any(fragment in e for e in errors(name, op)), errors(name, op)


def test_schema_lists_every_pagination_type() -> None:
    assert set(connectors.PAGINATION_TYPES) == set(PAGINATOR_MAP)


def test_delivery_policy_from_the_documented_block() -> None:
    block = {"retries": 2, "backoff": {"initial": "100ms", "max": "1s", "multiplier": 3}, "timeout": "2s",
             "max_retry_after": "1m", "retry_on_status": [409], "circuit_breaker": {"failures": 3, "reset": "10s"}}
    assert errors("deliveryPolicy", block) == []
    policy = RetryPolicy.from_spec(block)
    assert (policy.max_attempts, policy.initial, policy.max_delay, policy.multiplier) == (3, 0.1, 1.0, 3.0)
    assert policy.max_retry_after == 60.0
    assert BreakerConfig.from_spec(block["circuit_breaker"]) == BreakerConfig(3, 10.0, 1)
