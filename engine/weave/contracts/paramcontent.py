"""Literal values of parameters described by `content` instead of `schema` (OpenAPI: the value is the parameter's
one media type, e.g. `?filter={"priority":3}` for `content: {application/json: {schema: ...}}`).

A JSON media type (`application/json`, `*/*+json`) is parsed and the document checked against the media type's
schema, part by part, as the spec literals of a body are: the JSON type of each value (and enum), the string and
number constraints of scalars, the declared properties of a closed object, required properties and item counts.
Each problem names where it is (`at /filter/priority`). Other media types are not read: such values stay unchecked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from weave.contracts.model import Param, Schema
from weave.contracts.paramvalues import value_problem
from weave.contracts.schemas import (
    accepts_literal,
    closed,
    element,
    enum,
    json_type,
    properties,
    required,
    types,
)

_LIMIT = 5  # problems reported per value: the first ones say enough


def is_json(media: str | None) -> bool:
    if media is None:
        return False
    kind = media.split(";", 1)[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


def content_problems(param: Param, text: str) -> list[str]:
    """Why `text` is not a value of a JSON `content` parameter (empty when it is, or when its media type is not
    JSON)."""
    if not is_json(param.media):
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return [f"which is not JSON (the contract describes it as {param.media})"]
    out: list[str] = []
    _check(param.schema, value, "", out)
    return out[:_LIMIT]


def _check(schema: Schema, value: Any, at: str, out: list[str]) -> None:
    where = f"at {at}: " if at else ""
    if not accepts_literal(schema, value):
        allowed = enum(schema)
        if allowed is not None:
            out.append(f"{where}{json.dumps(value)} is not one of {', '.join(json.dumps(v) for v in allowed)}")
        else:
            out.append(f"{where}a JSON {json_type(value)} where the contract wants {'/'.join(sorted(types(schema)))}")
        return
    if isinstance(value, Mapping):
        _object(schema, value, at, out)
    elif isinstance(value, list):
        _array(schema, value, at, out)
    elif isinstance(value, str) or json_type(value) in ("integer", "number"):
        text = value if isinstance(value, str) else json.dumps(value)
        problem = value_problem({k: v for k, v in schema.items() if k != "enum"}, text)
        if problem is not None:
            out.append(f"{where}{problem}")


def _object(schema: Schema, value: Mapping[str, Any], at: str, out: list[str]) -> None:
    props = properties(schema)
    extra = schema.get("additionalProperties")
    for name, item in value.items():
        sub = props.get(name)
        if sub is None and isinstance(extra, Mapping):
            sub = extra
        if sub is None:
            if closed(schema):
                out.append(f"at {at}/{name}: a property the contract does not declare "
                           f"(declared: {', '.join(sorted(props)) or 'none'})")
            continue
        _check(sub, item, f"{at}/{name}", out)
    missing = sorted(required(schema) - set(value))
    if missing:
        where = f"at {at}: " if at else ""
        out.append(f"{where}lacks the required propert{'ies' if len(missing) > 1 else 'y'} {', '.join(missing)}")


def _array(schema: Schema, value: list[Any], at: str, out: list[str]) -> None:
    where = f"at {at}: " if at else ""
    low, high = schema.get("minItems"), schema.get("maxItems")
    if isinstance(low, int) and len(value) < low:
        out.append(f"{where}{len(value)} item{'s' * (len(value) != 1)}, fewer than minItems {low}")
    if isinstance(high, int) and len(value) > high:
        out.append(f"{where}{len(value)} items, more than maxItems {high}")
    item_schema = element(schema)
    if item_schema is not None:
        for index, item in enumerate(value):
            _check(item_schema, item, f"{at}/{index}", out)
