"""Parameter checks of HTTP calls against an OpenAPI operation (WV710–WV712): path parameters the spec
uses, required path/query/header parameters it must supply, and the literal values it sends.

    check_params(contract, op, call)      # after the call matched `op`
    misplaced_parameter(contract, call)   # before WV702: a `{placeholder}` where the contract has a fixed segment

Values travel as text, so a literal is checked the way the server reads it: `500` fits an integer, `5.5`
does not; enums, the `integer`/`number`/`boolean` types, `minimum`/`maximum`, `minLength`/`maxLength`,
`pattern` and the formats date, date-time, time, uuid, email, ipv4, ipv6, uri, int32 and int64.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import uuid
from typing import Any, TypeGuard

from weave.contracts.callparams import IGNORED_HEADERS, Sent, find_sent, supplies, text_of
from weave.contracts.model import Contract, Operation, Param, Schema
from weave.contracts.schemas import enum, types
from weave.contracts.usage import Call
from weave.diagnostics import Diagnostic, make

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
_TIME = re.compile(r"\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _where(contract: Contract, op: Operation) -> str:
    return f"{op.key} in {contract.file}:{op.line}"


def _data(call: Call, op: Operation, param: str, location: str) -> dict[str, Any]:
    return {"integration": call.integration, "system": call.system, "operation": op.key, "parameter": param,
            "in": location}


def check_params(contract: Contract, op: Operation, call: Call) -> list[Diagnostic]:
    if contract.format != "openapi" or call.style != "http" or not call.path:
        return []
    out: list[Diagnostic] = []
    found = contract.match(call.method, call.path)
    if found is not None and found[0] is op:
        for index, name, text in found[1].bound:
            if index < len(call.segments):
                out.extend(_path_param(contract, op, call, name, text, call.segments[index]))
    out.extend(_required(contract, op, call))
    for sent in (*call.query, *call.headers):
        param = op.param(sent.location, sent.name)
        if sent.known and param is not None and sent.name.lower() not in IGNORED_HEADERS:
            out.extend(_literal(contract, op, call, param, sent.value or "", sent))
    return out


def _path_param(contract: Contract, op: Operation, call: Call, name: str, text: str,
                segment: Sent) -> list[Diagnostic]:
    param = op.param("path", name) or Param(name, "path", True)
    if "{" not in text:
        return _literal(contract, op, call, param, text, segment)
    placeholder = _PLACEHOLDER.fullmatch(text)
    problem: str | None = None
    hint = ""
    if call.role == "read":
        problem = "a read sends its path as written (placeholders are filled from records in writes only)"
        hint = f"write the {name} value into the path, or read the collection and filter"
    elif call.role == "write" and call.batch:
        problem = "a batch write sends one request to the path as written (placeholders are filled per record)"
        hint = "remove `batch:` to send one request per record, or use the collection path"
    elif call.role == "write" and placeholder is not None:
        field = tuple(placeholder.group(1).split("."))
        use = next((w for w in call.writes if w.path == field), None)
        if use is None and call.complete:
            problem = f"it is filled from the record's field '{placeholder.group(1)}', which the record written lacks"
            hint = f"map a value to '{placeholder.group(1)}' in the steps before this deliver"
        elif use is not None and use.is_literal:
            sent, value = text_of(use.literal, "none")
            if sent and value is not None:
                return _literal(contract, op, call, param, value, segment, use.file, use.line, use.column)
    if problem is None:
        return []
    return [make("WV711", f"{call.integration}: path parameter '{name}' of {_where(contract, op)} is not "
                 f"supplied: {problem}", segment.file, segment.line, segment.column, hint=hint,
                 **_data(call, op, name, "path"))]


def _required(contract: Contract, op: Operation, call: Call) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for param in op.params:
        if not param.required or param.location not in ("header", "query"):
            continue
        sent = find_sent((*call.query, *call.headers), param.location, param.name)
        if supplies(sent, call.auto_headers, call.auto_query, param.location, param.name):
            continue
        where = {"read": "params:", "write": "the path (`?name=value`)", "proxy": "query:"}.get(call.role, "params:")
        hint = (f"add `{param.name}` under `headers:` of this operation" if param.location == "header"
                else f"add `{param.name}` to {where}")
        if call.role == "write" and param.location == "header" and param.name.lower() == "idempotency-key":
            hint = "set `idempotency_key:` on the integration: weave then sends it with every request"
        out.append(make("WV711", f"{call.integration}: required {param.location} parameter '{param.name}' of "
                        f"{_where(contract, op)} is not sent", call.file, call.line, call.column, hint=hint,
                        **_data(call, op, param.name, param.location)))
    return out


def _literal(contract: Contract, op: Operation, call: Call, param: Param, text: str, sent: Sent,
             file: str | None = None, line: int | None = None, column: int | None = None) -> list[Diagnostic]:
    problem = value_problem(param.schema, text)
    if problem is None:
        return []
    shown = "the value" if param.location == "header" else f"'{text}'"  # header values are not echoed
    if line is None:
        line, column = sent.value_position
    return [make("WV712", f"{call.integration}: {param.location} parameter '{param.name}' of "
                 f"{_where(contract, op)} gets {shown}, {problem}", file or sent.file, line, column or 1,
                 hint=f"send a value the contract allows ({describe(param.schema)})",
                 **_data(call, op, param.name, param.location))]


def misplaced_parameter(contract: Contract, call: Call) -> list[Diagnostic]:
    """WV710: the spec's path only fits an operation if its `{placeholder}` stood for a fixed segment."""
    if contract.format != "openapi" or not call.path:
        return []
    found = contract.match(call.method, call.path, loose=True)  # another method's path: WV702 says which
    if found is None or found[0].path is None:
        return []
    op = found[0]
    fixed = [s for s in (op.path or "").split("?", 1)[0].split("/") if s]
    out: list[Diagnostic] = []
    for index, segment in enumerate(call.segments):
        if index < len(fixed) and _PLACEHOLDER.fullmatch(segment.name) and "{" not in fixed[index]:
            out.append(make("WV710", f"{call.integration}: path parameter '{segment.name}' of {call.path} is not a "
                            f"parameter of {_where(contract, op)}: the contract has the fixed segment "
                            f"'{fixed[index]}' there", segment.file, segment.line, segment.column,
                            hint=f"write '{fixed[index]}' there (or call an operation with a parameter in this place)",
                            **_data(call, op, segment.name, "path")))
    return out


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
