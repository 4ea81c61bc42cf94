"""Versioning rules of the event catalog: an existing event version may only change additively.

Compared with a baseline (the last applied revision, or the same files at a git ref), an edit of an event
whose `version:` did not change is breaking when, anywhere in its payload schema (nested objects and array
`items` included):

| code  | rule |
|-------|------|
| WV860 | a property was removed |
| WV861 | a property became required (new required property, or an optional one made required) |
| WV862 | a property's `type` no longer accepts every old type (`integer` → `number` is a widening, fine) |
| WV863 | an `enum` lost values, or a value that was free is now restricted to an enum |

Adding optional properties, widening types, adding enum values, dropping `required` entries: fine.
A new `version:` number makes any change fine (subscribers move to it deliberately).
Pure functions over spec models: no I/O here (the baseline is read by `weave.api.events`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from weave.diagnostics import Diagnostic, make
from weave.spec.model import Event

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class SchemaBreak:
    code: str
    message: str
    path: Path  # inside the event document, e.g. ("schema", "properties", "total", "type")
    key: bool = False  # point at the key (a removed property's parent) rather than the value


def _types(schema: Mapping[str, Any]) -> set[str] | None:
    value = schema.get("type")
    if value is None:
        return None
    types = {str(value)} if isinstance(value, str) else {str(v) for v in value} if isinstance(value, list) else None
    if types is not None and "number" in types:
        types.add("integer")  # number accepts every integer
    return types


def _enum(schema: Mapping[str, Any]) -> set[str] | None:
    value = schema.get("enum")
    if not isinstance(value, list):
        return None
    return {json.dumps(v, sort_keys=True) for v in value}


def _required(schema: Mapping[str, Any]) -> list[str]:
    value = schema.get("required")
    return [str(v) for v in value] if isinstance(value, list) else []


def _props(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    value = schema.get("properties")
    return value if isinstance(value, Mapping) else {}


def schema_breaks(old: Mapping[str, Any], new: Mapping[str, Any], path: Path = ("schema",)) -> list[SchemaBreak]:
    """Breaking differences from `old` to `new` (JSON Schemas), with their position in the new document."""
    where = ".".join(str(p) for p in path[1:]) or "the payload"
    out: list[SchemaBreak] = []
    old_types, new_types = _types(old), _types(new)
    if new_types is not None:
        lost = sorted(old_types - new_types) if old_types is not None else ["any"]
        if lost:
            out.append(SchemaBreak("WV862", f"{where}: type {_show(new.get('type'))} no longer accepts "
                                   f"{', '.join(lost)} (was {_show(old.get('type')) if old_types else 'any'})",
                                   (*path, "type")))
    old_enum, new_enum = _enum(old), _enum(new)
    if new_enum is not None:
        lost_values = sorted(old_enum - new_enum) if old_enum is not None else None
        if lost_values is None:
            out.append(SchemaBreak("WV863", f"{where}: now restricted to an enum (any value was allowed)",
                                   (*path, "enum")))
        elif lost_values:
            out.append(SchemaBreak("WV863", f"{where}: enum lost {', '.join(lost_values)}", (*path, "enum")))
    old_required = set(_required(old))
    for index, name in enumerate(_required(new)):
        if name not in old_required:
            out.append(SchemaBreak("WV861", f"{where}: {name!r} is now required", (*path, "required", index)))
    old_props, new_props = _props(old), _props(new)
    for name in old_props:
        if name not in new_props:
            out.append(SchemaBreak("WV860", f"{where}: property {name!r} was removed", (*path, "properties"),
                                   key=True))
    for name, new_sub in new_props.items():
        old_sub = old_props.get(name)
        if isinstance(old_sub, Mapping) and isinstance(new_sub, Mapping):
            out.extend(schema_breaks(old_sub, new_sub, (*path, "properties", name)))
    old_items, new_items = old.get("items"), new.get("items")
    if isinstance(old_items, Mapping) and isinstance(new_items, Mapping):
        out.extend(schema_breaks(old_items, new_items, (*path, "items")))
    return out


def _show(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


def _version(event: Event) -> int | None:
    try:
        return event.version
    except (TypeError, ValueError):
        return None


def check_event_versions(new: Iterable[Event], baseline: Mapping[str, Event], against: str) -> list[Diagnostic]:
    """WV860-WV863 for every event whose version is unchanged but whose schema changed breakingly."""
    out: list[Diagnostic] = []
    for event in new:
        old = baseline.get(event.name)
        version = _version(event)
        if old is None or version is None or _version(old) != version:
            continue  # new event, new version, or an invalid version (the schema check reports that)
        for brk in schema_breaks(old.schema, event.schema):
            line, column = event.doc.key_position(brk.path) if brk.key else event.doc.position(brk.path)
            out.append(make(
                brk.code, f"event {event.name} v{version} (vs {against}): {brk.message}",
                event.doc.file, line, column,
                hint=f"additive changes only within a version; publish this as `version: {version + 1}` "
                     "(subscribers move to it deliberately)",
                event=event.name, version=version, against=against,
            ))
    return out
