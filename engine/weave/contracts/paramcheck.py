"""Parameter checks of HTTP calls against an OpenAPI operation (WV710–WV712): path parameters the spec
uses, required path/query/header parameters it must supply, and the literal values it sends.

    check_params(contract, op, call)      # after the call matched `op`
    misplaced_parameter(contract, call)   # before WV702: a `{placeholder}` where the contract has a fixed segment

Values travel as text, so a literal is checked the way the server reads it (weave.contracts.paramvalues):
`500` fits an integer, `5.5` does not; arrays and objects are split by the parameter's style and explode
(weave.contracts.paramstyles) and each item or property checked. Cookies are the `name=value` pairs of a
`Cookie` header the spec sends; values only known at run time are not checked.
"""

from __future__ import annotations

import re
from typing import Any

from weave.contracts.callparams import IGNORED_HEADERS, Sent, find_sent, supplies, text_of
from weave.contracts.model import Contract, Operation, Param
from weave.contracts.paramstyles import describe_param, value_problems
from weave.contracts.paramvalues import describe, value_problem
from weave.contracts.usage import Call
from weave.diagnostics import Diagnostic, make

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


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
    groups: dict[tuple[str, str], tuple[Param, list[Sent]]] = {}
    for sent in (*call.query, *call.headers, *call.cookies):
        if sent.location == "header" and sent.name.lower() in IGNORED_HEADERS:
            continue
        param = op.query_owner(sent.name) if sent.location == "query" else op.param(sent.location, sent.name)
        if param is not None:
            groups.setdefault((param.location, param.name), (param, []))[1].append(sent)
    for param, sents in groups.values():
        for index, problem in value_problems(param, [(s.name, s.value) for s in sents]):
            out.append(_report(contract, op, call, param, sents[index], problem))
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


def sent_for(op: Operation, call: Call, param: Param) -> Sent | None:
    """What the call sends for `param` (for an object query parameter also a deepObject or exploded key)."""
    sent = find_sent((*call.query, *call.headers, *call.cookies), param.location, param.name)
    if sent is None and param.location == "query":
        sent = next((s for s in call.query if op.query_owner(s.name) is param), None)
    return sent


def _required(contract: Contract, op: Operation, call: Call) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for param in op.params:
        if not param.required or param.location not in ("header", "query", "cookie"):
            continue
        sent = sent_for(op, call, param)
        if supplies(sent, call.auto_headers, call.auto_query, param.location, param.name, call.opaque_cookies):
            continue
        where = {"read": "params:", "write": "the path (`?name=value`)", "proxy": "query:"}.get(call.role, "params:")
        hint = (f"add `{param.name}` under `headers:` of this operation" if param.location == "header"
                else f"add `{param.name}` to {where}")
        if param.location == "cookie":
            hint = (f"send it in a `Cookie` header under `headers:` of this operation "
                    f"(`Cookie: \"{param.name}=…\"`; several cookies separated by `; `)")
        if call.role == "write" and param.location == "header" and param.name.lower() == "idempotency-key":
            hint = "set `idempotency_key:` on the integration: weave then sends it with every request"
        out.append(make("WV711", f"{call.integration}: required {param.location} parameter '{param.name}' of "
                        f"{_where(contract, op)} is not sent", call.file, call.line, call.column, hint=hint,
                        **_data(call, op, param.name, param.location)))
    return out


def _literal(contract: Contract, op: Operation, call: Call, param: Param, text: str, sent: Sent,
             file: str | None = None, line: int | None = None, column: int | None = None) -> list[Diagnostic]:
    return [_report(contract, op, call, param, sent, problem, text, file, line, column)
            for _, problem in value_problems(param, [(param.name, text)])]


def _report(contract: Contract, op: Operation, call: Call, param: Param, sent: Sent, problem: str,
            text: str | None = None, file: str | None = None, line: int | None = None,
            column: int | None = None) -> Diagnostic:
    text = sent.value or "" if text is None else text
    shown = "the value" if param.location in ("header", "cookie") else f"'{text}'"  # such values are not echoed
    if line is None:
        line, column = sent.value_position
    return make("WV712", f"{call.integration}: {param.location} parameter '{param.name}' of "
                f"{_where(contract, op)} gets {shown}, {problem}", file or sent.file, line, column or 1,
                hint=f"send a value the contract allows ({describe_param(param)})",
                **_data(call, op, param.name, param.location))


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


__all__ = ["check_params", "describe", "misplaced_parameter", "sent_for", "value_problem"]
