"""Placeholder fragment for the transform step language (owned by the transforms engineer).

Must export: DEFS with a "steps" definition; TRANSFORM (kind: transform) and TABLE (kind: table) schemas.
"""

from __future__ import annotations

from typing import Any

DEFS: dict[str, Any] = {
    "steps": {
        "type": "array",
        "description": "Transform steps, applied in order.",
        "items": {"type": "object", "minProperties": 1, "maxProperties": 1, "description": "One step."},
    },
}

TRANSFORM: dict[str, Any] = {"type": "object", "description": "A named reusable transform.",
                             "required": ["kind", "name", "steps"]}
TABLE: dict[str, Any] = {"type": "object", "description": "A lookup table.", "required": ["kind", "name"]}
