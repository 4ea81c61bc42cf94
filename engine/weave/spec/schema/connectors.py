"""Placeholder fragment for the connector operation blocks (owned by the connectors engineer).

Must export DEFS with: httpOperation, soapOperation, sqlOperation, fileOperation, deliveryPolicy.
"""

from __future__ import annotations

from typing import Any

DEFS: dict[str, Any] = {
    name: {"type": "object", "description": desc}
    for name, desc in {
        "httpOperation": "An HTTP request on the system (method, path, pagination, records).",
        "soapOperation": "A SOAP operation (operation, envelope template, records).",
        "sqlOperation": "A SQL query or upsert.",
        "fileOperation": "A CSV/JSONL file read or atomic write.",
        "deliveryPolicy": "Retries, backoff, timeout and circuit breaker.",
    }.items()
}
