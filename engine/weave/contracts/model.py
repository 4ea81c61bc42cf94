"""The contract model every format is normalised to: operations with JSON-Schema request/response shapes.

OpenAPI schemas are used as they are (with `$ref`s resolved); WSDL/XSD types are converted to the same
JSON-Schema subset (objects with `properties`/`required`/`additionalProperties: false`, arrays, and string
leaves that keep their XSD type in `x-xsd`), so checks, diffs and impact work on one shape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

Schema = Mapping[str, Any]

_PARAM = re.compile(r"\{[^}/]*\}")  # path templates: {id}, {order_id} (URL syntax, not spec text)


def normalise_path(path: str) -> str:
    """`/api/orders/{order_id}` and `/api/orders/{id}` name the same operation; trailing slashes and the
    query string do not matter."""
    path = path.split("?", 1)[0]
    path = _PARAM.sub("{}", path)
    return path.rstrip("/") or "/"


def segments(path: str) -> list[str]:
    """The path's segments (query string and empty segments left out): `/a/{id}/` -> ['a', '{id}']."""
    return [s for s in path.split("?", 1)[0].split("/") if s]


def _segment_pattern(segment: str) -> re.Pattern[str]:
    out, pos = "", 0
    for m in _PARAM.finditer(segment):
        out += re.escape(segment[pos:m.start()]) + "([^/]+?)"
        pos = m.end()
    return re.compile(out + re.escape(segment[pos:]))


@dataclass(frozen=True)
class PathMatch:
    """How a spec path fills a contract path template: `bound` is (segment index, parameter name, the spec's
    segment text) for each `{param}` of the template — a literal value or the spec's own `{placeholder}`."""

    bound: tuple[tuple[int, str, str], ...]
    literal_segments: int


def match_path(template: str, path: str, loose: bool = False) -> PathMatch | None:
    """Segment by segment: a fixed segment must be equal, a `{param}` segment takes any value. With
    `loose`, a spec `{placeholder}` also stands for any fixed segment (to explain a near miss)."""
    want, have = segments(template), segments(path)
    if len(want) != len(have):
        return None
    bound: list[tuple[int, str, str]] = []
    fixed = 0
    for index, (pattern, value) in enumerate(zip(want, have, strict=True)):
        names = _PARAM.findall(pattern)
        if not names:
            if pattern != value and not (loose and _PARAM.fullmatch(value)):
                return None
            fixed += pattern == value
            continue
        if len(names) == 1 and _PARAM.fullmatch(pattern):
            bound.append((index, pattern[1:-1], value))
            continue
        if _PARAM.fullmatch(value):  # a whole-segment placeholder fills a composite segment (`{id}.json`)
            bound.extend((index, name[1:-1], value) for name in names)
            continue
        found = _segment_pattern(pattern).fullmatch(value)
        if found is None:
            return None
        bound.extend((index, name[1:-1], text) for name, text in zip(names, found.groups(), strict=True))
    return PathMatch(tuple(bound), fixed)


@dataclass(frozen=True)
class Param:
    """A declared OpenAPI parameter (`in`: path | query | header | cookie; header names kept as written).
    `style`/`explode` as declared (None: the OpenAPI default for `in`, see `wire_style` and `exploded`); `media`
    the media type of a parameter described by `content` (whose value is one document of that type)."""

    name: str
    location: str
    required: bool = False
    schema: Schema = field(default_factory=dict, compare=False)
    line: int = 1
    style: str | None = None
    explode: bool | None = None
    media: str | None = None  # described by `content` instead of `schema`: its media type (`schema` is the media's)

    @property
    def wire_style(self) -> str:
        return self.style or ("form" if self.location in ("query", "cookie") else "simple")

    @property
    def exploded(self) -> bool:
        return self.explode if self.explode is not None else self.wire_style == "form"


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
    params: tuple[Param, ...] = field(default=(), compare=False)  # every declared parameter (OpenAPI)

    def param(self, location: str, name: str) -> Param | None:
        fold = location == "header"
        for param in self.params:
            if param.location == location and (param.name.lower() == name.lower() if fold else param.name == name):
                return param
        return None

    def query_owner(self, name: str) -> Param | None:
        """The declared query parameter a sent query key belongs to: the one of that name, the object parameter
        of a deepObject key `name[property]`, or the object parameter with that property that is sent exploded
        (style form, explode true: `?role=admin` for `filter: {role: admin}`)."""
        own = self.param("query", name)
        if own is not None:
            return own
        base, bracket, rest = name.partition("[")
        for param in self.params:
            kind = param.schema.get("type")
            if param.location != "query" or param.media is not None or not (kind == "object" or "properties" in param.schema
                                                 or (isinstance(kind, list) and "object" in kind)):
                continue
            if bracket and rest.endswith("]") and param.name == base and param.wire_style == "deepObject":
                return param
            props = param.schema.get("properties")
            if (not bracket and param.wire_style == "form" and param.exploded and isinstance(props, Mapping)
                    and name in props):
                return param
        return None


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
        found = self.match(method, path)
        return found[0] if found else None

    def match(self, method: str | None, path: str, loose: bool = False) -> tuple[Operation, PathMatch] | None:
        """The operation whose path template `path` fills, the most specific first (`/orders/search` before
        `/orders/{id}`); a literal segment fills a `{param}` (`/orders/42` is `/orders/{id}`). `method`
        None: any method."""
        key = (method.upper() if method else None, path, loose)
        if key in self._matches:
            return self._matches[key]
        best: tuple[Operation, PathMatch] | None = None
        for op in self.operations.values():
            if op.path is None or not op.method or (key[0] is not None and op.method != key[0]):
                continue
            found = match_path(op.path, path, loose)
            if found is not None and (best is None or found.literal_segments > best[1].literal_segments):
                best = (op, found)
        if len(self._matches) < 10_000:
            self._matches[key] = best
        return best

    @cached_property
    def _matches(self) -> dict[tuple[str | None, str, bool], tuple[Operation, PathMatch] | None]:
        return {}  # contracts are cached per file: the same paths are matched again and again

    def methods_for(self, path: str) -> list[str]:
        best = self.match(None, path)
        if best is None:
            return []
        template = normalise_path(best[0].path or "")
        return sorted(op.method for op in self.operations.values()
                      if op.method and op.path is not None and normalise_path(op.path) == template)

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
