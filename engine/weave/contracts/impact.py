"""Which integrations, steps and fields a contract change breaks, and who owns them.

    affected = contract_impact(project, "erp", changes, old_contract, usages)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from typing import Any

from weave.contracts.callparams import find_sent, supplies
from weave.contracts.diff import Change
from weave.contracts.exprs import FieldPath
from weave.contracts.model import Contract, Param
from weave.contracts.paramcheck import sent_for, value_problem
from weave.contracts.paramstyles import shape, value_problems
from weave.contracts.resolve import operation_for, record_root, request_prefix
from weave.contracts.schemas import ITEMS, properties, types
from weave.contracts.usage import Call, Usage
from weave.spec.model import Project


@dataclass(frozen=True)
class Affected:
    integration: str
    owner: str | None
    system: str
    change: Change
    where: str  # the call: deliver[0], extract, gateway.routes[1]
    step: str  # the step responsible (or the call itself)
    field: str  # the integration's field ("" for a whole operation)
    file: str
    line: int
    column: int
    contacts: Mapping[str, Any] = dc_field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"integration": self.integration, "owner": self.owner, "contacts": dict(self.contacts),
                "system": self.system, "change": self.change.summary, "where": self.where, "step": self.step,
                "field": self.field, "file": self.file, "line": self.line, "column": self.column}


def _plain(path: FieldPath) -> FieldPath:
    return tuple(p for p in path if p != ITEMS)


def _under(path: FieldPath, changed: FieldPath) -> bool:
    a, b = _plain(path), _plain(changed)
    return a[: len(b)] == b


def contract_impact(project: Project, system: str, changes: list[Change], old: Contract,
                    usages: Mapping[str, Usage]) -> list[Affected]:
    """Every use, by any integration, of a part of `system`'s contract that a breaking change touches."""
    out: list[Affected] = []
    breaking = [c for c in changes if c.breaking]
    for usage in usages.values():
        owner = usage.owner
        contacts = project.owners[owner].contacts if owner and owner in project.owners else {}
        for call in usage.calls:
            if call.system != system:
                continue
            op = operation_for(old, call)
            if op is None:
                continue
            for change in breaking:
                if change.operation != op.key:
                    continue
                for step, name, pos in _hits(change, call, old):
                    out.append(Affected(usage.integration, owner, system, change, call.where, step, name, *pos,
                                        contacts=_public(contacts)))
    return out


def _public(contacts: Mapping[str, Any]) -> dict[str, Any]:
    """Contacts without secret references (webhooks, routing keys)."""
    return {k: v for k, v in contacts.items() if isinstance(v, str) and "${" not in v}


def _hits(change: Change, call: Call, old: Contract) -> list[tuple[str, str, tuple[str, int, int]]]:
    at_call = (call.file, call.line, call.column)
    if change.kind == "operation-removed":
        return [(call.where, "", at_call)]
    if change.side == "parameters":
        return _parameter_hits(change, call, old)
    if call.role == "proxy":  # the gateway passes bodies through: its consumers see every change
        op = operation_for(old, call)
        response = op.response if op is not None else None
        prefix: FieldPath = (ITEMS,) if response is not None and types(response) == {"array"} else ()
        named = [(u.step, u.name, (u.file, u.line, u.column)) for u in call.reads
                 if change.side == "response" and _under((*prefix, *u.path), change.path)]
        return named or [(call.where, change.field, at_call)]  # e.g. a field a drop step no longer hides
    if change.side == "request" and call.role == "write":
        prefix = request_prefix(call)
        if change.kind == "required-added":
            written = [u for u in call.writes if _under((*prefix, *u.path), change.path)]
            return [] if written else [(call.where, change.field, at_call)]
        return [(u.step, u.name, (u.file, u.line, u.column)) for u in call.writes
                if _under((*prefix, *u.path), change.path)]
    if change.side == "response" and call.role == "read":
        op = operation_for(old, call)
        if op is None:
            return []
        _, at = record_root(op, call, old.format == "wsdl")
        if at is None:
            return []
        if call.records is not None and _under(call.records, change.path):
            file, line, col = call.records_pos or at_call
            return [(f"{call.where}.records", change.field, (file, line, col))]
        return [(u.step, u.name, (u.file, u.line, u.column)) for u in call.reads
                if _under((*at, *u.path), change.path)]
    return []


def _parameter_hits(change: Change, call: Call, old: Contract) -> list[tuple[str, str, tuple[str, int, int]]]:
    """A new or newly required parameter breaks the calls that do not supply it; a removed one, or a changed
    type, enum or style, the calls that send it (at the spec position that sends it). A change inside an array
    (`query.status.[]`) or object parameter (`query.filter.role`) breaks the calls whose literal items or
    properties no longer fit; a property made required, the calls that send the object without it."""
    if len(change.path) < 2 or call.style != "http":
        return []
    location, name = str(change.path[0]), str(change.path[1])
    op = operation_for(old, call)
    param = op.param(location, name) if op is not None else None
    sent = sent_for(op, call, param) if op is not None and param is not None else find_sent(
        (*call.query, *call.headers, *call.cookies), location, name)
    if location == "path":  # the segment that fills it
        found = old.match(call.method, call.path or "")
        index = next((i for i, p, _ in found[1].bound if p == name), None) if found else None
        sent = call.segments[index] if index is not None and index < len(call.segments) else None
    if change.kind in ("parameter-added", "parameter-required"):
        if supplies(sent, call.auto_headers, call.auto_query, location, name, call.opaque_cookies):
            return []
        return [(call.where, change.field, (call.file, call.line, call.column))]
    if sent is None:
        return []
    sents = [s for s in (*call.query, *call.headers, *call.cookies)
             if param is not None and op is not None and s.location == location
             and (op.query_owner(s.name) is param if location == "query" else s.name.lower() == name.lower())]
    sents = sents or [sent]
    if change.kind == "required-added" and len(change.path) == 3 and param is not None and shape(param.schema) == "object":
        probe = replace(param, schema={"type": "object", "required": [str(change.path[2])]})  # sent, or not known
        if not value_problems(probe, [(s.name, s.value) for s in sents]):
            return []
    elif all(s.value is not None for s in sents) and _still_fits(change, param, [(s.name, s.value) for s in sents]):
        return []
    return [(sent.step, sent.name, (sent.file, sent.line, sent.column))]


def _still_fits(change: Change, param: Param | None, sent: list[tuple[str, str | None]]) -> bool:
    """A literal the changed parameter still accepts breaks nothing (`status: open` when `closed` goes)."""
    if change.kind == "enum-changed" and isinstance(change.new, list):
        schema: dict[str, Any] = {"enum": change.new}
    elif change.kind == "type-changed" and isinstance(change.new, str) and change.new != "any":
        schema = {"type": change.new.split("/")}
    else:
        return False
    inner = change.path[2:]
    if not inner:
        if param is None or shape(param.schema) == "scalar":
            return all(value_problem(schema, text or "") is None for _, text in sent)
        return False  # an array or object parameter that became something else
    if param is None or len(inner) != 1:
        return False
    if inner[0] == ITEMS and shape(param.schema) == "array":
        narrowed = replace(param, schema={**param.schema, "items": schema})
    elif shape(param.schema) == "object" and inner[0] in properties(param.schema):
        narrowed = replace(param, schema={**param.schema, "properties": {
            **properties(param.schema), inner[0]: schema}, "required": [], "additionalProperties": {}})
    else:
        return False
    return not value_problems(narrowed, sent)
