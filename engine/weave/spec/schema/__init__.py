"""JSON Schemas built from Python fragments: one source of truth for validation, editors and docs.

`build_schemas()` returns `{filename: schema}`; `weave schema --export schema/` writes them and a test
checks that the shipped files in `schema/` equal what the code builds.
"""

from __future__ import annotations

import copy
from functools import cache, lru_cache
from typing import Any

from weave.spec.schema import batch, common, connectors, core, gateway, runtime, steps

SCHEMA_VERSION = "v1"
BASE_ID = f"https://weave-integrations.dev/schema/{SCHEMA_VERSION}"
DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Fragments, in a fixed order. No registration by import side effect: this list is the registry.
_FRAGMENT_DEFS = (common.DEFS, core.DEFS, runtime.DEFS, steps.DEFS, connectors.DEFS, gateway.DEFS, batch.DEFS)


def _all_defs() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    for fragment in _FRAGMENT_DEFS:
        for name, schema in fragment.items():
            if name in defs and defs[name] != schema:
                raise RuntimeError(f"schema definition {name!r} is defined twice with different content")
            defs[name] = schema
    return defs


def integration_schema() -> dict[str, Any]:
    props: dict[str, Any] = dict(core.INTEGRATION_FRAMEWORK)
    for extra in (runtime.INTEGRATION_PROPERTIES, gateway.INTEGRATION_PROPERTIES, batch.INTEGRATION_PROPERTIES):
        for key, value in extra.items():
            if key in props:
                raise RuntimeError(f"integration property {key!r} is declared by two fragments")
            props[key] = value
    return {
        "type": "object",
        "description": "One integration between two or more systems, and how it runs.",
        "additionalProperties": False,
        "required": list(core.INTEGRATION_REQUIRED),
        "properties": props,
    }


def kind_schemas() -> dict[str, dict[str, Any]]:
    """The schema of each spec kind (without `$defs`)."""
    return {
        "system": core.SYSTEM,
        "integration": integration_schema(),
        "event": core.EVENT,
        "owner": core.OWNER,
        "consumer": gateway.CONSUMER_SCHEMA,
        "transform": steps.TRANSFORM,
        "table": steps.TABLE,
    }


KINDS = ("system", "integration", "event", "owner", "consumer", "transform", "table")


def _used_defs(schema: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """Transitively collect the $defs a schema refers to, so each file is self-contained."""
    used: dict[str, Any] = {}
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            target = node.get("$ref")
            if isinstance(target, str) and target.startswith("#/$defs/"):
                name = target.removeprefix("#/$defs/")
                if name not in used:
                    if name not in defs:
                        raise RuntimeError(f"schema refers to unknown definition {name!r}")
                    used[name] = defs[name]
                    stack.append(defs[name])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return dict(sorted(used.items()))


@lru_cache(maxsize=1)
def _build() -> dict[str, dict[str, Any]]:
    defs = _all_defs()
    kinds = kind_schemas()
    out: dict[str, dict[str, Any]] = {}
    for kind, schema in kinds.items():
        filename = f"{kind}.schema.json"
        doc = {"$schema": DIALECT, "$id": f"{BASE_ID}/{filename}", "title": f"weave {kind} spec", **schema}
        doc["$defs"] = _used_defs(schema, defs)
        out[filename] = doc
    # The umbrella schema: dispatch on `kind`, for editors (yaml-language-server modelines point here).
    all_kinds = {f"kind_{k}": v for k, v in kinds.items()}
    dispatch = [
        {"if": {"properties": {"kind": {"const": k, "description": f"Selects the {k} schema."}}, "required": ["kind"]}, "then": {"$ref": f"#/$defs/kind_{k}"}}
        for k in kinds
    ]
    umbrella: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": f"{BASE_ID}/weave.schema.json",
        "title": "weave spec (any kind)",
        "description": "A weave spec document. `kind` selects the schema.",
        "type": "object",
        "required": ["kind"],
        "properties": {"kind": {"enum": list(kinds), "description": "Spec kind."}},
        "allOf": dispatch,
        "$defs": {**_used_defs(all_kinds, defs), **all_kinds},
    }
    out["weave.schema.json"] = umbrella
    return out


def build_schemas() -> dict[str, dict[str, Any]]:
    """All shipped schemas by file name (deep copies: callers may mutate them)."""
    return copy.deepcopy(_build())


@cache
def schema_for_kind(kind: str) -> dict[str, Any]:
    return _build()[f"{kind}.schema.json"]
