"""Placeholder fragment for the gateway block (owned by the gateway engineer).

Must export DEFS, INTEGRATION_PROPERTIES = {"gateway": ...} and CONSUMER_SCHEMA (kind: consumer).
"""

from __future__ import annotations

from typing import Any

DEFS: dict[str, Any] = {}
INTEGRATION_PROPERTIES: dict[str, Any] = {
    "gateway": {"type": "object", "description": "Routes and consumers exposed through the API gateway."},
}
CONSUMER_SCHEMA: dict[str, Any] = {"type": "object", "description": "An API consumer.", "required": ["kind", "name"]}
