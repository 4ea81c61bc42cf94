"""Field paths from JMESPath ASTs: what an expression reads, and which fields a multiselect hash writes.

Paths are tuples of field names, with `[]` for "each element of an array" (`lines[].amount` →
`("lines", "[]", "amount")`). Parsing uses the reference parser (via weave's positioned subclass), extended
here to remember where each multiselect-hash key starts, so a written field can be pinned to a column.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jmespath import ast as _ast
from jmespath import exceptions as jexc

from weave.contracts.schemas import ITEMS, json_type
from weave.transforms.jmespath.parser import PositionedParser

FieldPath = tuple[str, ...]

# What a function's (path) arguments must be, by argument index: JSON types, "array-of:<type>" for arrays.
ARG_TYPES: dict[str, dict[int, frozenset[str]]] = {
    "to_number": {0: frozenset({"string", "number", "integer", "null"})},
    "abs": {0: frozenset({"number", "integer"})},
    "ceil": {0: frozenset({"number", "integer"})},
    "floor": {0: frozenset({"number", "integer"})},
    "sum": {0: frozenset({"array-of:number"})},
    "avg": {0: frozenset({"array-of:number"})},
    "max": {0: frozenset({"array-of:number", "array-of:string"})},
    "min": {0: frozenset({"array-of:number", "array-of:string"})},
    "join": {1: frozenset({"array-of:string"})},
    "length": {0: frozenset({"string", "array", "object"})},
    "keys": {0: frozenset({"object"})},
    "values": {0: frozenset({"object"})},
    "starts_with": {0: frozenset({"string"})},
    "ends_with": {0: frozenset({"string"})},
    "upper": {0: frozenset({"string", "null"})},
    "lower": {0: frozenset({"string", "null"})},
    "trim": {0: frozenset({"string", "null"})},
    "to_e164": {0: frozenset({"string", "null"})},
    "to_utc": {0: frozenset({"string", "null"})},
    "to_date": {0: frozenset({"string", "null"})},
    "to_minor": {0: frozenset({"number", "integer", "string"})},
}

# What a function returns (for the type of a written field).
RETURNS: dict[str, str] = {
    "to_string": "string", "join": "string", "upper": "string", "lower": "string", "trim": "string",
    "to_e164": "string", "format_amount": "string", "to_utc": "string", "to_date": "string", "to_local": "string",
    "replace": "string", "coalesce_str": "string", "type": "string",
    "to_number": "number", "length": "integer", "sum": "number", "avg": "number", "abs": "number",
    "ceil": "integer", "floor": "integer", "to_minor": "integer", "from_minor": "number", "round_amount": "number",
    "mul": "number", "contains": "boolean", "starts_with": "boolean", "ends_with": "boolean", "not_null": "any",
    "keys": "array", "values": "array", "sort": "array", "sort_by": "array", "reverse": "array", "to_array": "array",
    "split": "array", "merge": "object",
}


@dataclass(frozen=True)
class Read:
    path: FieldPath
    offset: int  # 0-based column in the expression: the function call for typed reads, else the last field
    #              name of the path (-1 when unknown)
    function: str | None = None  # the function this path is passed to, if directly an argument
    arg: int = 0


@dataclass(frozen=True)
class Output:
    """One field a multiselect hash writes: its path, where its key starts, and what we know of its value."""

    path: FieldPath
    offset: int
    value_type: str | None  # JSON type when known (literal, or a function with a known result)
    literal: Any = None
    is_literal: bool = False
    source: FieldPath | None = None  # the field it copies, when the value is a plain path


_BARE_LITERALS = frozenset({"null", "true", "false"})


class _Parser(PositionedParser):
    def _token_nud_unquoted_identifier(self, token: dict[str, Any]) -> dict[str, Any]:
        node: dict[str, Any] = super()._token_nud_unquoted_identifier(token)
        node["pos"] = token["start"]
        return node

    def _token_nud_quoted_identifier(self, token: dict[str, Any]) -> dict[str, Any]:
        node: dict[str, Any] = super()._token_nud_quoted_identifier(token)
        if node.get("type") == "field":
            node["pos"] = token["start"]
        return node

    def _parse_multi_select_hash(self) -> dict[str, Any]:
        pairs = []
        while True:
            key_token = self._lookahead_token(0)
            self._match_multiple_tokens(token_types=["quoted_identifier", "unquoted_identifier"])
            self._match("colon")
            node = _ast.key_val_pair(key_name=key_token["value"], node=self._expression(0))
            node["pos"] = key_token["start"]
            pairs.append(node)
            if self._current_token() == "comma":
                self._match("comma")
            elif self._current_token() == "rbrace":
                self._match("rbrace")
                break
        return _ast.multi_select_dict(nodes=pairs)  # type: ignore[no-any-return]


@lru_cache(maxsize=4096)
def parse(expression: str) -> dict[str, Any] | None:
    """The AST, or None when the expression does not parse (validate reports that as WV312 already)."""
    try:
        tree: dict[str, Any] = _Parser()._do_parse(expression).parsed
        return tree
    except (jexc.JMESPathError, RecursionError):
        return None


class _Walker:
    def __init__(self) -> None:
        self.reads: list[Read] = []

    def walk(self, node: Any, ctx: FieldPath | None, fn: tuple[str, int, int] | None = None) -> FieldPath | None:
        """Record reads under `node` evaluated at `ctx` (None: not a path of the record); return the path of
        the node's value when it is one."""
        if not isinstance(node, dict):
            return None
        kind = node.get("type")
        children = node.get("children") or []
        if kind == "field":
            if ctx is None:
                return None
            path = (*ctx, str(node["value"]))
            self._read(path, fn, node.get("pos"))
            return path
        if kind in ("subexpression", "pipe"):  # the reference parser flattens a.b.c into one node
            current = ctx
            for i, child in enumerate(children):
                current = self.walk(child, current, fn if i == len(children) - 1 else None)
            return current
        if kind == "index_expression":
            left = self.walk(children[0], ctx)
            return (*left, ITEMS) if left is not None else None
        if kind == "flatten":
            return self.walk(children[0], ctx)
        if kind == "projection":
            left = self.walk(children[0], ctx)
            element = (*left, ITEMS) if left is not None else None
            right = self.walk(children[1], element)
            if fn is not None and right is not None:
                self._read(right, fn, None)
            return right
        if kind == "filter_projection":
            left = self.walk(children[0], ctx)
            element = (*left, ITEMS) if left is not None else None
            self.walk(children[2], element)
            return self.walk(children[1], element, fn)
        if kind == "value_projection":
            self.walk(children[0], ctx)
            self.walk(children[1], None)
            return None
        if kind in ("identity", "current"):
            return ctx
        if kind == "function_expression":
            name = str(node["value"])
            first: FieldPath | None = None
            for i, arg in enumerate(children):
                if isinstance(arg, dict) and arg.get("type") == "expref":
                    element = (*first, ITEMS) if first is not None else None
                    self.walk(arg["children"][0], element)
                    continue
                result = self.walk(arg, ctx, (name, i, int(node.get("pos", 0))))
                if i == 0:
                    first = result
            return None
        for sub in children:
            self.walk(sub, ctx)
        return None

    def _read(self, path: FieldPath, fn: tuple[str, int, int] | None, pos: int | None) -> None:
        if len(path) == 1 and path[0] in _BARE_LITERALS:
            return  # `x != null`: JMESPath reads a field named null (always absent), meant as the literal
        if fn is None:
            self.reads.append(Read(path, -1 if pos is None else pos))
        else:
            self.reads.append(Read(path, fn[2], fn[0], fn[1]))


def reads(expression: str) -> list[Read]:
    """Every field path the expression reads (prefixes of longer reads are dropped)."""
    return list(_reads(expression))


@lru_cache(maxsize=4096)
def _reads(expression: str) -> tuple[Read, ...]:
    tree = parse(expression)
    if tree is None:
        return ()
    walker = _Walker()
    walker.walk(tree, ())
    return tuple(_leaves(walker.reads))


def _leaves(found: list[Read]) -> list[Read]:
    paths = {r.path for r in found}
    out: list[Read] = []
    seen: set[tuple[FieldPath, str | None, int]] = set()
    for read in found:
        longer = any(p[: len(read.path)] == read.path and len(p) > len(read.path) for p in paths)
        if (longer and read.function is None) or (read.path, read.function, read.arg) in seen:
            continue
        seen.add((read.path, read.function, read.arg))
        out.append(read)
    return out


def outputs(expression: str) -> list[Output] | None:
    """The fields a `map` expression writes, or None when its result is not a multiselect hash."""
    found = _outputs(expression)
    return None if found is None else list(found)


@lru_cache(maxsize=4096)
def _outputs(expression: str) -> tuple[Output, ...] | None:
    tree = parse(expression)
    if tree is None or tree.get("type") != "multi_select_dict":
        return None
    out: list[Output] = []
    _hash_outputs(tree, (), out, ())
    return tuple(out)


def _hash_outputs(tree: dict[str, Any], prefix: FieldPath, out: list[Output], ctx: FieldPath | None) -> None:
    for pair in tree.get("children") or []:
        key = (*prefix, str(pair["value"]))
        value = pair["children"][0]
        if value.get("type") == "multi_select_dict":
            _hash_outputs(value, key, out, ctx)
            continue
        if value.get("type") in ("projection", "filter_projection") and \
                (value.get("children") or [{}, {}])[1].get("type") == "multi_select_dict":
            base = _Walker().walk(value["children"][0], ctx) if ctx is not None else None
            element = (*base, ITEMS) if base is not None else None
            _hash_outputs(value["children"][1], (*key, ITEMS), out, element)  # lines[].{sku: sku}: per element
            continue
        out.append(describe(key, int(pair.get("pos", 0)), value, ctx))


def value_path(expression: str) -> FieldPath | None:
    """The record path an expression evaluates to, when it is a plain path (`lines`, `a.b[]`)."""
    tree = parse(expression)
    return _Walker().walk(tree, ()) if tree is not None else None


def describe(key: FieldPath, offset: int, value: dict[str, Any], ctx: FieldPath | None = ()) -> Output:
    """What is known of the value a key gets from `value` (an AST node evaluated at record path `ctx`)."""
    kind = value.get("type")
    if kind == "literal":
        return Output(key, offset, json_type(value.get("value")), value.get("value"), True)
    if kind == "function_expression":
        returned = RETURNS.get(str(value["value"]))
        return Output(key, offset, None if returned == "any" else returned)
    if kind in ("comparator", "not_expression"):
        return Output(key, offset, "boolean")
    if kind in ("multi_select_list",):
        return Output(key, offset, "array")
    if kind in ("field", "subexpression"):
        return Output(key, offset, None, source=_Walker().walk(value, ctx) if ctx is not None else None)
    return Output(key, offset, None)
