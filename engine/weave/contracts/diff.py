"""Classify the changes between two versions of a contract.

Breaking: a removed operation; a removed field (request or response); a new required request field or a
field that became required; a changed type; changed enum values (request: values removed; response:
values added or removed). Non-breaking: new operations, new optional request fields, new response
fields, request enums that gained values. A removed field next to an added one of the same type in the
same place is flagged as a probable rename.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from weave.contracts.exprs import FieldPath
from weave.contracts.flow import dotted
from weave.contracts.model import Contract, Operation, Param, Schema
from weave.contracts.paramstyles import prefixed, shape
from weave.contracts.schemas import ITEMS, element, enum, properties, required, types, xsd_type

MAX_DEPTH = 24


@dataclass(frozen=True)
class Change:
    kind: str  # operation-removed | operation-added | field-removed | field-added | required-added |
    #            type-changed | enum-changed | parameter-added | parameter-required | parameter-removed |
    #            parameter-style-changed
    breaking: bool
    operation: str
    side: str  # request | response | operation | parameters (path: (location, name))
    path: FieldPath = ()
    old: Any = None
    new: Any = None
    line: int = 1  # in the new contract (the old one for removals)
    note: str = ""

    @property
    def field(self) -> str:
        return dotted(self.path)

    @property
    def summary(self) -> str:
        where = f"{self.operation} {self.side}" if self.side != "operation" else self.operation
        text = {
            "operation-removed": f"operation {self.operation} removed",
            "operation-added": f"operation {self.operation} added",
            "field-removed": f"field '{self.field}' removed from {where}",
            "field-added": f"field '{self.field}' added to {where}",
            "required-added": f"field '{self.field}' is now required in {where}",
            "type-changed": f"type of '{self.field}' in {where} changed from {self.old} to {self.new}",
            "enum-changed": f"allowed values of '{self.field}' in {where} changed: {self.old} → {self.new}",
            "parameter-added": f"{self._param} added to {self.operation}",
            "parameter-required": f"{self._param} of {self.operation} is now required",
            "parameter-removed": f"{self._param} removed from {self.operation}",
            "parameter-style-changed": f"{self._param} of {self.operation} is now sent as {self.new} "
                                       f"(was {self.old})",
        }[self.kind]
        return f"{text} ({self.note})" if self.note else text

    @property
    def _param(self) -> str:
        return f"{self.path[0]} parameter '{self.path[1]}'" if len(self.path) == 2 else f"parameter '{self.field}'"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "breaking": self.breaking, "operation": self.operation,
                               "side": self.side, "field": self.field, "summary": self.summary, "line": self.line}
        if self.old is not None:
            out["old"] = self.old
        if self.new is not None:
            out["new"] = self.new
        return out


def diff_contracts(old: Contract, new: Contract) -> list[Change]:
    changes: list[Change] = []
    for key, op in old.operations.items():
        if key not in new.operations:
            changes.append(Change("operation-removed", True, key, "operation", line=op.line))
    for key, op in new.operations.items():
        if key not in old.operations:
            changes.append(Change("operation-added", False, key, "operation", line=op.line))
            continue
        before = old.operations[key]
        changes += _schemas(before, op, "request", before.request, op.request)
        changes += _schemas(before, op, "response", before.response, op.response)
        changes += _parameters(before, op)
    if old.schema is not None or new.schema is not None:
        changes += _compare(old.schema or {}, new.schema or {}, "document", "request", (), 1, 0)
    return _renames(changes)


def _schemas(before: Operation, after: Operation, side: str, old: Schema | None, new: Schema | None) -> list[Change]:
    if old is None or new is None:
        return []
    return _compare(old, new, after.key, side, (), after.line, 0)


def _parameters(before: Operation, after: Operation) -> list[Change]:
    """Parameters are part of the request: a new required one (cookies too), one made required, a removed one
    (a call that sends it now sends an undeclared parameter), a narrowed type or enum (of the parameter, its
    array items or object properties), a changed style/explode of an array or object and a scalar path parameter
    moved to or from style label or matrix (its prefix changes) are breaking; `path` is (location, name)."""
    old = {(p.location, p.name.lower() if p.location == "header" else p.name): p for p in before.params}
    new = {(p.location, p.name.lower() if p.location == "header" else p.name): p for p in after.params}
    out: list[Change] = []
    for key, param in new.items():
        path = (param.location, param.name)
        if key not in old:
            out.append(Change("parameter-added", param.required, after.key, "parameters", path, None,
                              _type_of(param.schema), param.line, "required" if param.required else ""))
            continue
        if param.required and not old[key].required:
            out.append(Change("parameter-required", True, after.key, "parameters", path, None, None, param.line))
        was, now = _wire(old[key]), _wire(param)
        scalar = "scalar" in (shape(old[key].schema), shape(param.schema))
        if was != now and (not scalar or _prefix(old[key]) != _prefix(param)):
            out.append(Change("parameter-style-changed", True, after.key, "parameters", path, was, now, param.line))
        out += [replace(c, side="parameters", line=param.line)
                for c in _compare(old[key].schema, param.schema, after.key, "request", path, param.line, 0)]
    for key, param in old.items():
        if key not in new and param.location != "path":  # path parameters change with the path (the operation)
            out.append(Change("parameter-removed", True, after.key, "parameters", (param.location, param.name),
                              _type_of(param.schema), None, after.line))
    return out


def _prefix(param: Param) -> str:
    """What a scalar value carries in front on the wire: the label or matrix style's prefix, else nothing."""
    return param.wire_style if prefixed(param) else ""


def _wire(param: Param) -> str:
    """How an array or object parameter travels: its style and explode."""
    return f"style {param.wire_style}, explode {str(param.exploded).lower()}"


def _type_of(schema: Schema) -> str:
    return xsd_type(schema) or "/".join(sorted(types(schema))) or "any"


def _compare(old: Schema, new: Schema, op: str, side: str, path: FieldPath, line: int, depth: int) -> list[Change]:
    if depth > MAX_DEPTH or "x-recursive" in old or "x-recursive" in new:
        return []
    out: list[Change] = []
    old_type, new_type = _type_of(old), _type_of(new)
    if path and old_type != new_type and old_type != "any":
        widened = side == "request" and types(old) <= types(new) and not xsd_type(old)
        narrowed = side == "response" and types(new) <= types(old) and not xsd_type(old) and types(new)
        out.append(Change("type-changed", not (widened or narrowed), op, side, path, old_type, new_type,
                          int(new.get("x-line", line))))
    old_enum, new_enum = enum(old), enum(new)
    if path and old_enum != new_enum and (old_enum is not None or new_enum is not None):
        removed = bool(old_enum is not None and new_enum is not None and set(map(str, old_enum)) - set(map(str, new_enum)))
        added = bool(new_enum is not None and (old_enum is None or set(map(str, new_enum)) - set(map(str, old_enum))))
        restricted = old_enum is None and new_enum is not None
        breaking = removed or restricted if side == "request" else (removed or added)
        out.append(Change("enum-changed", breaking, op, side, path, old_enum, new_enum, int(new.get("x-line", line))))
    old_props, new_props = properties(old), properties(new)
    old_req, new_req = required(old), required(new)
    for name, sub in old_props.items():
        if name not in new_props:
            out.append(Change("field-removed", True, op, side, (*path, name), _type_of(sub), None,
                              int(sub.get("x-line", line))))
        else:
            out += _compare(sub, new_props[name], op, side, (*path, name), line, depth + 1)
    for name, sub in new_props.items():
        if name in old_props:
            if side == "request" and name in new_req and name not in old_req:
                out.append(Change("required-added", True, op, side, (*path, name), None, None, line))
            continue
        at = int(sub.get("x-line", line))
        if side == "request" and name in new_req:
            out.append(Change("required-added", True, op, side, (*path, name), None, _type_of(sub), at,
                              "new required field"))
        else:
            out.append(Change("field-added", False, op, side, (*path, name), None, _type_of(sub), at))
    old_items, new_items = element(old), element(new)
    if "array" in types(old) and "array" in types(new) and old_items and new_items:
        out += _compare(old_items, new_items, op, side, (*path, ITEMS), line, depth + 1)
    return out


def _renames(changes: list[Change]) -> list[Change]:
    """Note a probable rename: one removed and one added field, same type, same parent, same operation."""
    out = list(changes)
    removed = [c for c in changes if c.kind == "field-removed"]
    added = [c for c in changes if c.kind in ("field-added", "required-added")]
    for gone in removed:
        peers = [a for a in added if a.operation == gone.operation and a.side == gone.side
                 and a.path[:-1] == gone.path[:-1]]
        same = [a for a in peers if a.new == gone.old]
        if len(same) == 1:
            index = out.index(gone)
            out[index] = Change(gone.kind, gone.breaking, gone.operation, gone.side, gone.path, gone.old, gone.new,
                                gone.line, f"probably renamed to '{same[0].path[-1]}'")
    return out
