"""Whether a parameter value, as the text sent, can be a value of a (scalar) JSON schema: `500` fits an
integer, `5.5` does not; enums, the `integer`/`number`/`boolean` types, `minimum`/`maximum`,
`minLength`/`maxLength`, `pattern` and the formats date, date-time, time, uuid, email, ipv4, ipv6, uri, int32
and int64. Arrays and objects are read by `weave.contracts.paramstyles`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import uuid
from typing import Any, TypeGuard

from weave.contracts.model import Schema
from weave.contracts.schemas import enum, types

_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
_TIME = re.compile(r"\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def describe(schema: Schema) -> str:
    allowed = enum(schema)
    if allowed is not None:
        return "one of " + ", ".join(_text(v) for v in allowed)
    kinds = sorted(types(schema) - {"null"}) or ["any"]
    extra = [f"{k} {schema[k]}" for k in ("format", "minimum", "maximum", "minLength", "maxLength", "pattern")
             if k in schema]
    return "/".join(kinds) + (f" ({', '.join(extra)})" if extra else "")


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def value_problem(schema: Schema, text: str) -> str | None:
    """Why the text `text` cannot be a value of `schema` (None when it can, or when unknown)."""
    allowed = enum(schema)
    if allowed is not None:
        return None if text in {_text(v) for v in allowed} else "not one of " + ", ".join(_text(v) for v in allowed)
    kinds = types(schema) - {"null"}
    if kinds & {"array", "object"} or not kinds:
        return None  # serialisation styles of lists and objects are not followed
    fitting = [k for k in kinds if _fits(k, text)]
    if not fitting:
        return f"which is not a{'n' if sorted(kinds)[0][0] in 'aeiou' else ''} {'/'.join(sorted(kinds))}"
    if fitting != ["string"]:
        return _number_problem(schema, text) if set(fitting) & {"integer", "number"} else None
    return _string_problem(schema, text)


def _fits(kind: str, text: str) -> bool:
    if kind == "integer":
        return _INTEGER.fullmatch(text) is not None
    if kind == "number":
        return _NUMBER.fullmatch(text) is not None
    if kind == "boolean":
        return text in ("true", "false")
    return kind == "string"


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number_problem(schema: Schema, text: str) -> str | None:
    value = float(text)
    low, high = schema.get("minimum"), schema.get("maximum")
    low_x, high_x = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if _number(low) and (value < low or (low_x is True and value == low)):
        return f"below the {'exclusive ' if low_x is True else ''}minimum {low}"
    if _number(high) and (value > high or (high_x is True and value == high)):
        return f"above the {'exclusive ' if high_x is True else ''}maximum {high}"
    if _number(low_x) and value <= low_x:  # OpenAPI 3.1: the exclusive bound itself
        return f"not above the exclusive minimum {low_x}"
    if _number(high_x) and value >= high_x:
        return f"not below the exclusive maximum {high_x}"
    fmt = str(schema.get("format"))
    if fmt in _RANGES and not _RANGES[fmt][0] <= value <= _RANGES[fmt][1]:
        return f"out of the {fmt} range"
    return None


def _string_problem(schema: Schema, text: str) -> str | None:
    if isinstance(schema.get("minLength"), int) and len(text) < schema["minLength"]:
        return f"shorter than minLength {schema['minLength']}"
    if isinstance(schema.get("maxLength"), int) and len(text) > schema["maxLength"]:
        return f"longer than maxLength {schema['maxLength']}"
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            if re.search(pattern, text) is None:
                return f"which does not match the pattern {pattern}"
        except re.error:
            pass  # an ECMA-262 construct Python does not read: not checked
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in _FORMATS and not _FORMATS[fmt](text):
        return f"which is not a valid {fmt}"
    return None


def _parses(check: Any, text: str) -> bool:
    try:
        check(text)
    except ValueError:
        return False
    return True


_FORMATS: dict[str, Any] = {
    "date": lambda t: _DATE.fullmatch(t) is not None and _parses(dt.date.fromisoformat, t),
    "date-time": lambda t: _DATE_TIME.fullmatch(t) is not None and _parses(dt.datetime.fromisoformat,
                                                                          t.upper().replace("Z", "+00:00")),
    "time": lambda t: _TIME.fullmatch(t) is not None,
    "uuid": lambda t: _UUID.fullmatch(t) is not None and _parses(uuid.UUID, t),
    "email": lambda t: _EMAIL.fullmatch(t) is not None,
    "ipv4": lambda t: _parses(ipaddress.IPv4Address, t),
    "ipv6": lambda t: _parses(ipaddress.IPv6Address, t),
    "uri": lambda t: re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", t) is not None,
}
