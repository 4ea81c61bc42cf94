"""Offline contract checks for `weave validate` (WV701–WV706, WV710–WV712 in weave.contracts.paramcheck): calls to systems that declare a contract,
and cataloged events as the contract of their publishers (what they write) and subscribers (what they read).

    diagnostics = contract_checks(load_result)      # the EXTRA_CHECKS hook of weave.api.validate
"""

from __future__ import annotations

import difflib
from typing import Any

from weave.contracts.exprs import ARG_TYPES
from weave.contracts.flow import FieldUse, dotted
from weave.contracts.model import Contract, Operation, Schema
from weave.contracts.paramcheck import check_params, misplaced_parameter
from weave.contracts.resolve import Contracts, contract_path, operation_for, record_root, request_root
from weave.contracts.schemas import (
    ITEMS,
    accepts_literal,
    accepts_type,
    element,
    enum,
    lookup,
    properties,
    required,
    types,
    wire_types,
    xsd_type,
)
from weave.contracts.usage import Call, integration_usage, project_usage
from weave.diagnostics import Diagnostic, make
from weave.spec.model import Project


def contract_checks(load: Any) -> list[Diagnostic]:
    """`(LoadResult) -> diagnostics`. Does nothing (and costs nothing) when no system declares a contract
    and no integration publishes or reads a cataloged event."""
    project: Project = load.project
    subscribers = event_subscribers(project)
    publishers = [n for n, s in project.integrations.items() if s.publishes in project.events]
    if not subscribers and not publishers and not any(contract_path(s) for s in project.systems.values()):
        return []
    contracts = Contracts(project)
    out: list[Diagnostic] = []
    for name, error in contracts.errors.items():
        system = project.systems[name]
        line, col = system.doc.position(("api", "contract"))
        text = str(error)
        attribute = "schemaLocation" if "schemaLocation" in text else "location"
        missing_import = ("schemaLocation" in text or "wsdl:import location" in text) and "does not exist" in text
        hint = (f"fix the {attribute} at {error.file}:{error.line} (relative to that file) or add the file "
                "it names" if missing_import else "fix the file or the `api.contract` path (relative to this spec file)")
        out.append(make("WV701", f"contract of system '{name}' cannot be used: {error} ({error.file}:{error.line})",
                        system.doc.file, line, col, hint=hint, system=name, contract=error.file))
    if contracts.loaded:
        usages = project_usage(project)
    else:
        usages = {name: integration_usage(project, project.integrations[name]) for name in {*subscribers, *publishers}}
    for usage in usages.values():
        source = _source_records(project, contracts, usage, subscribers)
        for call in usage.calls:
            if call.style == "event":
                out.extend(_published(project, call, source))
                continue
            contract = contracts.get(call.system)
            if contract is not None:
                out.extend(check_call(contract, call, source))
        if usage.integration in subscribers:
            out.extend(_event_reads(project, usage, subscribers[usage.integration]))
    return out


def _published(project: Project, call: Call, source: Source) -> list[Diagnostic]:
    """A publisher's records against its cataloged event's schema (the event is the contract it writes)."""
    event = project.events.get(call.operation or "")
    if event is None or not event.schema:
        return []
    contract = Contract(file=event.doc.file, format="jsonschema", version=str(event.version), schema=event.schema)
    op = Operation(key=f"event {event.name}", name=event.name, request=event.schema, line=event.doc.line)
    return _writes(contract, op, call, event.schema, False, source)


Source = tuple[Schema, bool] | None  # the input records' schema (and whether it is XML: values are text)


def _source_records(project: Project, contracts: Contracts, usage: Any, subscribers: dict[str, str]) -> Source:
    """What the integration's input records look like: the extracted records of a source with a contract,
    or the cataloged event it subscribes to."""
    for call in usage.calls:
        if call.role == "read" and call.where == "extract":
            contract = contracts.get(call.system)
            op = operation_for(contract, call) if contract is not None else None
            if contract is not None and op is not None:
                record, _ = record_root(op, call, contract.format == "wsdl")
                return (record, contract.format == "wsdl") if record is not None else None
    event = subscribers.get(usage.integration)
    return (project.events[event].schema, False) if event else None


def event_subscribers(project: Project) -> dict[str, str]:
    """integration -> the cataloged event (with a schema) whose records its steps read."""
    out: dict[str, str] = {}
    for name, spec in project.integrations.items():
        event = spec.subscribes_to
        if event and event in project.events and project.events[event].schema and (
                spec.raw.get("steps") or spec.raw.get("deliver")):
            out[name] = event
    return out


def _event_reads(project: Project, usage: Any, event: str) -> list[Diagnostic]:
    """The event's JSON Schema is the contract of what its subscribers read."""
    return _check_reads(usage.integration, usage.input_reads, project.events[event].schema, False,
                        f"schema of event '{event}'", {"event": event})


def check_call(contract: Contract, call: Call, source: Source = None) -> list[Diagnostic]:
    op = operation_for(contract, call)
    if op is None:
        if call.style == "http" and call.path and "://" not in call.path:
            misplaced = misplaced_parameter(contract, call)
            if misplaced:
                return misplaced
        return _unknown_operation(contract, call) if call.style in ("http", "soap") else []
    out: list[Diagnostic] = check_params(contract, op, call)
    soap = contract.format == "wsdl"
    if call.role == "write" or call.writes:
        root = request_root(op, call)
        if root is not None:
            out.extend(_writes(contract, op, call, root, soap, source if call.role == "write" else None))
    if call.role == "read":
        out.extend(_reads(contract, op, call, soap))
    if call.role == "proxy" and call.reads and op.response is not None:
        body = op.response  # response steps apply to the body, or to each element of a list body
        out.extend(_check_reads(call.integration, call.reads,
                                element(body) or {} if types(body) == {"array"} else body, soap,
                                f"response of {_where(contract, op)}", _data(call, op)))
    if call.query and op.query is not None:
        named: set[tuple[str, int, int]] = set()  # a list's items and repeated keys: once per place
        for use in call.query:
            if (use.name, use.line, use.column) in named:
                continue
            named.add((use.name, use.line, use.column))
            if use.name not in op.query and op.query_owner(use.name) is None:
                close = difflib.get_close_matches(use.name, sorted(op.query), n=1)
                out.append(make("WV703", f"{call.integration}: query parameter '{use.name}' is not declared by "
                                f"{_where(contract, op)} (sent by {use.step})", use.file, use.line, use.column,
                                hint=f"did you mean '{close[0]}'?" if close else
                                f"declared: {', '.join(sorted(op.query)) or 'none'}",
                                integration=call.integration, system=call.system, operation=op.key, field=use.name))
    return out


def _where(contract: Contract, op: Operation) -> str:
    return f"{op.key} in {contract.file}:{op.line}"


def _data(call: Call, op: Operation) -> dict[str, Any]:
    return {"system": call.system, "operation": op.key}


def _unknown_operation(contract: Contract, call: Call) -> list[Diagnostic]:
    if call.style == "soap":
        names = sorted(contract.operations)
        close = difflib.get_close_matches(call.operation or "", names, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"the contract has: {', '.join(names)}"
        message = f"{call.integration}: system '{call.system}' has no SOAP operation '{call.operation}' ({contract.file})"
    else:
        methods = contract.methods_for(call.path or "")
        if methods:
            message = (f"{call.integration}: {call.method} is not allowed on {call.path} by the contract of "
                       f"'{call.system}' ({contract.file})")
            hint = f"the contract allows {', '.join(methods)} there"
        else:
            paths = sorted({op.path for op in contract.operations.values() if op.path})
            close = difflib.get_close_matches(call.path or "", paths, n=1)
            message = f"{call.integration}: {call.path} is not a path of '{call.system}' ({contract.file})"
            hint = f"did you mean '{close[0]}'?" if close else "check the path against the contract"
    return [make("WV702", message, call.file, call.line, call.column, hint=hint, integration=call.integration,
                 system=call.system, operation=call.key)]


def _writes(contract: Contract, op: Operation, call: Call, root: Schema, soap: bool,
            source: Source = None) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for use in call.writes:
        found, missing = lookup(root, use.path, strict_declared=False, auto_items=soap)
        if found is None:
            parent, _ = lookup(root, use.path[:missing], strict_declared=False, auto_items=soap)
            allowed = sorted(properties(parent)) if parent is not None else []
            close = difflib.get_close_matches(use.path[missing], allowed, n=1)
            hint = (f"did you mean '{close[0]}'? " if close else "") + (
                f"allowed: {', '.join(allowed)}" if allowed else "the request schema allows no such field")
            out.append(make("WV703", f"{call.integration}: field '{use.name}' is not allowed in the request of "
                            f"{_where(contract, op)} (written by {use.step})", use.file, use.line, use.column,
                            hint=hint, integration=call.integration, system=call.system, operation=op.key,
                            field=use.name))
            continue
        mismatch = _write_type_mismatch(found, use, soap) or _copied_type_mismatch(found, use, soap, source)
        if mismatch:
            out.append(make("WV706", f"{call.integration}: field '{use.name}' gets {mismatch} in {_where(contract, op)}",
                            use.file, use.line, use.column, hint="convert the value (to_number, to_string, coerce) "
                            "or fix the mapping", integration=call.integration, system=call.system, operation=op.key,
                            field=use.name))
    if call.complete:
        written = {use.path for use in call.writes}
        for path in _missing_required(root, (), written, soap):
            out.append(make("WV704", f"{call.integration}: required field '{dotted(path)}' of {_where(contract, op)} "
                            f"is never written", call.file, call.line, call.column,
                            hint="map a value to it in the steps before this deliver", integration=call.integration,
                            system=call.system, operation=op.key, field=dotted(path)))
    return out


def _write_type_mismatch(schema: Schema, use: FieldUse, soap: bool) -> str | None:
    if use.is_literal:
        if not accepts_literal(schema, use.literal):
            allowed = enum(schema)
            expected = (f"one of {', '.join(map(str, allowed))}" if allowed is not None else
                        xsd_type(schema) or "/".join(sorted(types(schema))) or "?")
            return f"the literal {use.literal!r} where the contract expects {expected}"
        return None
    if use.value_type and not soap and not accepts_type(schema, use.value_type):
        return f"a {use.value_type} (from {use.step}) where the contract expects {'/'.join(sorted(types(schema)))}"
    return None


def _copied_type_mismatch(schema: Schema, use: FieldUse, soap: bool, source: Source) -> str | None:
    """A field copied as-is from the input records, whose type there cannot be the type required here."""
    if soap or source is None or use.origin is None or use.is_literal or use.value_type:
        return None
    record, xml = source
    found, _ = lookup(record, use.origin, strict_declared=True, auto_items=xml)
    if found is None:
        return None
    have = (wire_types(found) if xml else types(found)) - {"null"}
    want = types(schema)
    if not have or not want or any(_compatible(h, want) for h in have):
        return None
    where = "XML text" if xml else "/".join(sorted(have))
    return (f"'{dotted(use.origin)}' copied as-is ({where} in the source records) where the contract expects "
            f"{'/'.join(sorted(want))}")


def _compatible(kind: str, want: set[str]) -> bool:
    return kind in want or (kind in ("integer", "number") and bool(want & {"integer", "number"}))


def _missing_required(schema: Schema, prefix: tuple[str, ...], written: set[tuple[str, ...]],
                      soap: bool) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    props = properties(schema)
    for name in sorted(required(schema)):
        path = (*prefix, name)
        touched = [w for w in written if _under(w, path)]
        if not touched:
            out.append(path)
            continue
        child = props.get(name)
        if child is None or (path in written):
            continue
        if "array" in types(child):
            child = element(child) or {}
            path = (*path, ITEMS) if not soap else path
        if "object" in types(child) or properties(child):
            out.extend(_missing_required(child, path, written, soap))
    return out


def _under(written: tuple[str, ...], path: tuple[str, ...]) -> bool:
    plain = tuple(p for p in written if p != ITEMS)
    want = tuple(p for p in path if p != ITEMS)
    return plain[: len(want)] == want


def _reads(contract: Contract, op: Operation, call: Call, soap: bool) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    record, at = record_root(op, call, soap)
    if at is None and call.records is not None:
        file, line, col = call.records_pos or (call.file, call.line, call.column)
        out.append(make("WV705", f"{call.integration}: records path '{dotted(call.records)}' is not in the response "
                        f"of {_where(contract, op)}", file, line, col, integration=call.integration,
                        system=call.system, operation=op.key, field=dotted(call.records)))
        return out
    if record is None:
        return out
    return out + _check_reads(call.integration, call.reads, record, soap,
                              f"response records of {_where(contract, op)}", _data(call, op))


def _check_reads(integration: str, uses: Any, record: Schema, soap: bool, what: str,
                 data: dict[str, Any]) -> list[Diagnostic]:
    """Each read path must exist in `record` (strictly: declared), with a type its function accepts."""
    out: list[Diagnostic] = []
    for use in uses:
        found, missing = lookup(record, use.path, strict_declared=True, auto_items=soap)
        if found is None:
            parent, _ = lookup(record, use.path[:missing], strict_declared=True, auto_items=soap)
            known = sorted(properties(parent)) if parent is not None else []
            close = difflib.get_close_matches(use.path[missing], known, n=1)
            out.append(make("WV705", f"{integration}: field '{use.name}' is not in the {what} (read by {use.step})",
                            use.file, use.line, use.column,
                            hint=f"did you mean '{close[0]}'?" if close else (
                                f"it has: {', '.join(known)}" if known else None),
                            integration=integration, **data, field=use.name))
            continue
        problem = _read_type_mismatch(found, use, soap)
        if problem:
            out.append(make("WV706", f"{integration}: {problem} ({what}, {use.step})", use.file, use.line,
                            use.column, hint="convert or pick a sub-field first", integration=integration, **data,
                            field=use.name))
    return out


def _read_type_mismatch(schema: Schema, use: FieldUse, soap: bool) -> str | None:
    if not use.function or use.function not in ARG_TYPES or use.arg not in ARG_TYPES[use.function]:
        return None
    accepted = ARG_TYPES[use.function][use.arg]
    have = wire_types(schema) if soap else (types(schema) | ({"number"} if "integer" in types(schema) else set()))
    if not have:
        return None
    if any(a.startswith("array-of:") for a in accepted):
        wanted = {a.split(":", 1)[1] for a in accepted}
        if ITEMS in use.path:  # the path already projects the elements: check the element type
            ok = bool(have & (wanted | {"null"})) or ("integer" in have and "number" in wanted)
        else:
            inner = element(schema)
            elem = (wire_types(inner) if soap else types(inner)) if inner is not None else set()
            ok = "array" in have and (not elem or bool(elem & wanted) or ("integer" in elem and "number" in wanted))
        kinds = "an array of " + "/".join(sorted(wanted))
    else:
        ok = bool(have & accepted)
        kinds = "/".join(sorted(a for a in accepted if a != "null"))
    if ok:
        return None
    return (f"{use.function}() gets '{use.name}', which the contract types as {'/'.join(sorted(have))} "
            f"(it needs {kinds})")
