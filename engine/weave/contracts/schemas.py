"""Navigation over resolved JSON Schemas: properties, required, types, closed objects, array items.

`allOf` is merged, `oneOf`/`anyOf` are read as the union of their branches (a field any branch allows is
allowed), which is what a static check can honestly say about them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from weave.contracts.model import Schema

ITEMS = "[]"
JSON_TYPES = ("object", "array", "string", "number", "integer", "boolean", "null")
_XSD_NUMERIC = {"int", "integer", "long", "short", "byte", "decimal", "float", "double", "nonNegativeInteger",
                "positiveInteger", "unsignedInt", "unsignedLong", "unsignedShort"}


def branches(schema: Schema) -> list[Schema]:
    out: list[Schema] = [schema]
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key) or ():
            if isinstance(sub, Mapping):
                out.extend(branches(sub))
    return out


def types(schema: Schema) -> set[str]:
    """The JSON types a value may have (empty = anything)."""
    found: set[str] = set()
    for part in branches(schema):
        value = part.get("type")
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, list):
            found.update(str(v) for v in value)
        elif "properties" in part:
            found.add("object")
        elif "items" in part:
            found.add("array")
        if part.get("nullable") is True:
            found.add("null")
    return found


_MEMO: dict[int, tuple[Schema, dict[str, Schema]]] = {}


def properties(schema: Schema) -> dict[str, Schema]:
    """Declared properties, merged over allOf/oneOf/anyOf (memoised per schema object: contracts are cached)."""
    hit = _MEMO.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    out = _properties(schema)
    if len(_MEMO) > 50_000:
        _MEMO.clear()
    _MEMO[id(schema)] = (schema, out)
    return out


def _properties(schema: Schema) -> dict[str, Schema]:
    out: dict[str, Schema] = {}
    for part in branches(schema):
        props = part.get("properties")
        if isinstance(props, Mapping):
            for name, sub in props.items():
                if isinstance(sub, Mapping):
                    out.setdefault(str(name), sub)
    return out


def required(schema: Schema) -> set[str]:
    """Fields every valid value has (allOf parts add up; oneOf/anyOf branches are not all required)."""
    out: set[str] = set(str(r) for r in schema.get("required") or () if isinstance(r, str))
    for sub in schema.get("allOf") or ():
        if isinstance(sub, Mapping):
            out |= required(sub)
    return out


def closed(schema: Schema) -> bool:
    """True when fields beyond `properties` are refused (additionalProperties / unevaluatedProperties false)."""
    parts = branches(schema)
    if any(p.get("additionalProperties") not in (None, False) or isinstance(p.get("patternProperties"), Mapping)
           for p in parts):
        return False
    return any(p.get("additionalProperties") is False or p.get("unevaluatedProperties") is False for p in parts)


def has_declared_properties(schema: Schema) -> bool:
    return bool(properties(schema))


def items(schema: Schema) -> Schema | None:
    for part in branches(schema):
        value = part.get("items")
        if isinstance(value, Mapping):
            return value
    return None


def enum(schema: Schema) -> list[Any] | None:
    for part in branches(schema):
        if isinstance(part.get("enum"), list):
            return list(part["enum"])
        if "const" in part:
            return [part["const"]]
    return None


def xsd_type(schema: Schema) -> str | None:
    value = schema.get("x-xsd")
    return str(value) if value else None


def element(schema: Schema) -> Schema | None:
    """The schema of an array's elements: `items`, `{}` when the array does not say, None if not an array."""
    found = items(schema)
    if found is not None:
        return found
    kinds = types(schema)
    return None if kinds and "array" not in kinds else {}


def lookup(schema: Schema, path: Iterable[str], *, strict_declared: bool,
           auto_items: bool = False) -> tuple[Schema | None, int]:
    """Walk `path`; returns (schema, -1) when found, or (None, index of the first missing segment).

    With `strict_declared`, an object that declares properties but not the segment is "missing" even if
    it does not close itself (reads: the contract does not say the field exists). Without it only closed
    objects refuse unknown fields (writes: the server would accept them). `auto_items` steps into arrays
    implicitly (XML has no array syntax: `Lines.Line.Sku`).
    """
    current: Schema = schema
    for i, segment in enumerate(path):
        if auto_items and segment != ITEMS and types(current) == {"array"}:
            current = element(current) or {}  # XML: a repeated element is written/read by its name
        if segment == ITEMS:
            nxt = element(current)
        else:
            props = properties(current)
            kinds = types(current)
            if segment in props:
                nxt = props[segment]
            elif closed(current) or (kinds and "object" not in kinds) or (strict_declared and props):
                nxt = None
            else:
                nxt = {}
        if nxt is None:
            return None, i
        current = nxt
    return current, -1


def wire_types(schema: Schema) -> set[str]:
    """JSON types as a client sees them: XSD leaves travel as strings (numeric ones parse as numbers)."""
    if xsd_type(schema):
        return {"string"}
    found = types(schema)
    if "integer" in found:
        found = found | {"number"}
    return found


def accepts_literal(schema: Schema, value: Any) -> bool:
    """Would `value`, written as-is, fit the schema's type (and enum)?"""
    xsd = xsd_type(schema)
    if xsd:
        if xsd in _XSD_NUMERIC:
            try:
                float(str(value))
            except ValueError:
                return False
        if xsd == "boolean":
            return str(value).lower() in ("true", "false", "1", "0")
        return True
    allowed = enum(schema)
    if allowed is not None and value not in allowed:
        return False
    return accepts_type(schema, json_type(value))


def accepts_type(schema: Schema, kind: str) -> bool:
    allowed = types(schema)
    if not allowed or kind in allowed:
        return True
    if kind in ("integer", "number") and allowed & {"integer", "number"}:
        return True  # a computed number may well be whole: only definite mismatches are reported
    return xsd_type(schema) is not None and kind in ("string", "number", "integer", "boolean")


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
