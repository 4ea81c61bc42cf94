"""Match an integration's calls to contract operations, and find the request/response schemas their field
paths are relative to. Shared by the validate checks and the breaking-change impact."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from weave.contracts.exprs import FieldPath
from weave.contracts.loader import load_contract
from weave.contracts.model import Contract, ContractError, Operation, Schema
from weave.contracts.refs import Reader
from weave.contracts.schemas import ITEMS, element, lookup, properties, types
from weave.contracts.usage import Call
from weave.spec.model import Project, System

DEFAULT_RECORDS = ("data", "items", "results", "records")


def contract_path(system: System) -> str | None:
    """The contract file of a system, relative to its spec file as written, as a path from the cwd."""
    api = system.raw.get("api")
    value = api.get("contract") if isinstance(api, Mapping) else None
    if not isinstance(value, str) or not value.strip():
        return None
    path = Path(value)
    if not path.is_absolute():
        path = Path(system.doc.file).parent / path
    return _normal(path)


def _normal(path: Path) -> str:
    import os

    return os.path.normpath(str(path))


@dataclass
class Contracts:
    """The contracts of a project's systems, loaded once (errors kept per system)."""

    project: Project
    reader: Reader | None = None

    def __post_init__(self) -> None:
        self.loaded: dict[str, Contract] = {}
        self.errors: dict[str, ContractError] = {}
        for name, system in self.project.systems.items():
            path = contract_path(system)
            if path is None:
                continue
            try:
                self.loaded[name] = load_contract(path, self.reader)
            except ContractError as exc:
                self.errors[name] = exc

    def get(self, system: str) -> Contract | None:
        return self.loaded.get(system)


def operation_for(contract: Contract, call: Call) -> Operation | None:
    if contract.format == "jsonschema":
        return Operation(key=call.key, name=call.key, request=contract.schema, response=contract.schema)
    if call.style == "soap":
        return contract.soap(call.operation or "")
    if call.style == "http" and call.method and call.path and "://" not in call.path:
        return contract.http(call.method, call.path)
    return None


def request_root(op: Operation, call: Call) -> Schema | None:
    """The schema one written record must fit (array items for batches, inside `body_key`)."""
    schema = op.request
    if schema is None:
        return None
    if call.body_key:
        schema = properties(schema).get(call.body_key, {})
        return element(schema) if "array" in types(schema) or not types(schema) else schema
    if call.batch and "array" in types(schema):
        return element(schema)
    return schema


def request_prefix(call: Call) -> FieldPath:
    """Where a written record sits in the request body (for impact paths)."""
    if call.body_key:
        return (call.body_key, ITEMS)
    return ()


def record_root(op: Operation, call: Call, soap: bool) -> tuple[Schema | None, FieldPath | None]:
    """(schema of one read record, its path in the response) — None path when `records` is missing there."""
    schema = op.response
    if schema is None:
        return None, ()
    if call.records is not None:
        found, missing = lookup(schema, call.records, strict_declared=True, auto_items=soap)
        if found is None:
            return None, None
        kinds = types(found)
        if "array" in kinds:
            return element(found) or {}, (*call.records, ITEMS)
        return found, call.records
    if "array" in types(schema):
        return element(schema) or {}, (ITEMS,)
    props = properties(schema)
    for name in DEFAULT_RECORDS:
        if name in props:
            return element(props[name]) or {}, (name, ITEMS)
    return schema, ()
