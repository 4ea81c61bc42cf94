"""The contract model every format is normalised to: operations with JSON-Schema request/response shapes.

OpenAPI schemas are used as they are (with `$ref`s resolved); WSDL/XSD types are converted to the same
JSON-Schema subset (objects with `properties`/`required`/`additionalProperties: false`, arrays, and string
leaves that keep their XSD type in `x-xsd`), so checks, diffs and impact work on one shape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Schema = Mapping[str, Any]

_PARAM = re.compile(r"\{[^}/]*\}")  # path templates: {id}, {order_id} (URL syntax, not spec text)


def normalise_path(path: str) -> str:
    """`/api/orders/{order_id}` and `/api/orders/{id}` name the same operation; trailing slashes and the
    query string do not matter."""
    path = path.split("?", 1)[0]
    path = _PARAM.sub("{}", path)
    return path.rstrip("/") or "/"


@dataclass(frozen=True)
class Operation:
    """One callable operation. `key` is `METHOD /path` (HTTP) or the operation name (SOAP)."""

    key: str
    name: str
    method: str | None = None
    path: str | None = None
    request: Schema | None = field(default=None, compare=False)
    response: Schema | None = field(default=None, compare=False)
    line: int = 1
    read_only: bool = False
    query: frozenset[str] | None = None  # declared query parameters (None: the contract declares none)


@dataclass(frozen=True)
class Contract:
    file: str
    format: str  # openapi | wsdl | jsonschema
    version: str | None
    operations: Mapping[str, Operation] = field(default_factory=dict, compare=False)
    schema: Schema | None = field(default=None, compare=False)  # jsonschema contracts: the document schema
    title: str | None = None
    endpoint: str | None = None  # WSDL: the path of the service's soap:address

    def http(self, method: str, path: str) -> Operation | None:
        want = normalise_path(path)
        for op in self.operations.values():
            if op.method == method.upper() and op.path is not None and normalise_path(op.path) == want:
                return op
        return None

    def methods_for(self, path: str) -> list[str]:
        want = normalise_path(path)
        return sorted(op.method for op in self.operations.values()
                      if op.method and op.path is not None and normalise_path(op.path) == want)

    def soap(self, name: str) -> Operation | None:
        return self.operations.get(name)

    def probe_path(self) -> str | None:
        """A safe read-only GET without path parameters (for `weave check --live` when no `api.probe`)."""
        for op in self.operations.values():
            if op.method == "GET" and op.path and "{" not in op.path and op.read_only:
                return op.path
        return None


class ContractError(Exception):
    """A contract file cannot be read or understood. `line` is 1-based in `file`."""

    def __init__(self, message: str, file: str, line: int = 1) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
