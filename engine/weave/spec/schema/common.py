"""Shared JSON-Schema definitions: names, owners, durations, secret references."""

from __future__ import annotations

from typing import Any

NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,99}$"
DURATION_PATTERN = r"^[0-9]+(\.[0-9]+)?(ms|s|m|h|d)$"
SECRET_REF_PATTERN = r"^\$\{(env|file):[^}]+\}$"

DEFS: dict[str, Any] = {
    "name": {
        "type": "string",
        "pattern": NAME_PATTERN,
        "description": "Lower-case identifier: letters, digits, '.', '_' and '-' (at most 100 characters).",
    },
    "owner": {
        "type": "string",
        "minLength": 1,
        "description": "The team or person accountable for this spec: a `kind: owner` name, or a plain team name.",
    },
    "duration": {
        "type": "string",
        "pattern": DURATION_PATTERN,
        "description": "A duration such as 500ms, 30s, 5m, 2h or 1d.",
    },
    "secretRef": {
        "type": "string",
        "pattern": SECRET_REF_PATTERN,
        "description": "A secret reference, `${env:NAME}` or `${file:/path}`. Literal secrets are refused.",
    },
    "jmespath": {"type": "string", "minLength": 1, "description": "A JMESPath expression over the record."},
    "description": {"type": "string", "description": "Free text shown in inventories and the catalog."},
    "labels": {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "description": "Free-form key/value labels.",
    },
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}
