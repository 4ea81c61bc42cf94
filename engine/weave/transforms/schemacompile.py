"""A JSON Schema subset compiled to one Python predicate, for the `validate` step's hot path.

`compile_schema(schema)` returns `is_valid(instance) -> bool`, or None when the schema uses anything
outside the subset (then the caller uses `jsonschema` alone). The predicate agrees with
`jsonschema`'s draft 2020-12 validator on the subset (a hypothesis test checks it); the caller still asks
`jsonschema` for the error message when the predicate says no, so `jsonschema` stays the authority.

Subset: boolean schemas, type (one or a list), enum, const, properties, required, additionalProperties
(bool or schema), items (a schema), minItems, maxItems, minLength, maxLength, pattern, minimum, maximum,
exclusiveMinimum, exclusiveMaximum, multipleOf (integers only), allOf, anyOf, oneOf, not; annotations
(title, description, default, examples, $comment, $id, $schema for 2020-12) are ignored. No `format`,
`$ref`, `patternProperties`, `prefixItems`, `unevaluated*`, `dependent*`, `uniqueItems`, `contains`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_ANNOTATIONS = {"title", "description", "default", "examples", "$comment", "$id", "$schema", "deprecated",
                "readOnly", "writeOnly"}
_SUPPORTED = _ANNOTATIONS | {
    "type", "enum", "const", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
    "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf", "allOf", "anyOf", "oneOf", "not",
}
_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_TYPE_TEST = {
    "null": "{v} is None",
    "boolean": "type({v}) is bool",
    "string": "type({v}) is str",
    "object": "type({v}) is dict",
    "array": "type({v}) is list",
    "number": "(type({v}) is int or type({v}) is float)",
    "integer": "(type({v}) is int or (type({v}) is float and {v}.is_integer()))",
}


class _Unsupported(Exception):
    pass


def _equal(a: Any, b: Any) -> bool:
    """jsonschema's equality: true is not 1, 1 is 1.0, containers compare element-wise."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, str) or isinstance(b, str):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _is_number(x: Any) -> bool:
    return (isinstance(x, (int, float))) and not isinstance(x, bool)


class _Gen:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.ns: dict[str, Any] = {"_equal": _equal, "len": len, "type": type, "int": int, "float": float,
                                   "str": str, "dict": dict, "list": list, "bool": bool, "any": any}
        self.count = 0

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def const(self, value: Any) -> str:
        n = self.name("_k")
        self.ns[n] = value
        return n

    def function(self, schema: Any) -> str:
        """Emit `def _vN(v): ...` returning bool; return its name."""
        fname = self.name("_v")
        body: list[str] = []
        self.checks(schema, "v", body)
        self.lines.append(f"def {fname}(v):")
        self.lines.extend("    " + line for line in body)
        self.lines.append("    return True")
        self.lines.append("")
        return fname

    def checks(self, schema: Any, v: str, out: list[str]) -> None:
        if schema is True:
            return
        if schema is False:
            out.append("return False")
            return
        if not isinstance(schema, dict):
            raise _Unsupported("schema is not an object")
        unknown = set(schema) - _SUPPORTED
        if unknown:
            raise _Unsupported(", ".join(sorted(unknown)))
        if "$schema" in schema and schema["$schema"].rstrip("#") != _DRAFT:
            raise _Unsupported("$schema")
        if "type" in schema:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not types or not all(t in _TYPE_TEST for t in types):
                raise _Unsupported("type")
            test = " or ".join(_TYPE_TEST[t].format(v=v) for t in types)
            out.append(f"if not ({test}): return False")
        if "enum" in schema:
            if not isinstance(schema["enum"], list):
                raise _Unsupported("enum")
            k = self.const(schema["enum"])
            out.append(f"if not any(_equal({v}, e) for e in {k}): return False")
        if "const" in schema:
            out.append(f"if not _equal({v}, {self.const(schema['const'])}): return False")
        self._numbers(schema, v, out)
        self._strings(schema, v, out)
        self._arrays(schema, v, out)
        self._objects(schema, v, out)
        for key in ("allOf", "anyOf", "oneOf"):
            if key in schema:
                subs = schema[key]
                if not isinstance(subs, list) or not subs:
                    raise _Unsupported(key)
                names = [self.function(s) for s in subs]
                calls = ", ".join(f"{n}({v})" for n in names)
                if key == "allOf":
                    out.append(f"if not ({' and '.join(f'{n}({v})' for n in names)}): return False")
                elif key == "anyOf":
                    out.append(f"if not ({' or '.join(f'{n}({v})' for n in names)}): return False")
                else:
                    out.append(f"if [{calls}].count(True) != 1: return False")
        if "not" in schema:
            out.append(f"if {self.function(schema['not'])}({v}): return False")

    def _numbers(self, schema: dict[str, Any], v: str, out: list[str]) -> None:
        ops = {"minimum": "<", "maximum": ">", "exclusiveMinimum": "<=", "exclusiveMaximum": ">="}
        present = [k for k in ops if k in schema]
        mult = schema.get("multipleOf")
        if not present and mult is None:
            return
        conds = []
        for k in present:
            bound = schema[k]
            if not _is_number(bound):
                raise _Unsupported(k)
            conds.append(f"{v} {ops[k]} {bound!r}")
        if mult is not None:
            if type(mult) is not int or mult <= 0:
                raise _Unsupported("multipleOf")  # float multiples: jsonschema's rounding rules differ
            conds.append(f"{v} % {mult}")  # what jsonschema computes for an integer multipleOf
        out.append(f"if (type({v}) is int or type({v}) is float) and ({' or '.join(conds)}): return False")

    def _strings(self, schema: dict[str, Any], v: str, out: list[str]) -> None:
        conds = []
        for k, op in (("minLength", "<"), ("maxLength", ">")):
            if k in schema:
                if type(schema[k]) is not int:
                    raise _Unsupported(k)
                conds.append(f"len({v}) {op} {schema[k]}")
        if "pattern" in schema:
            try:
                rx = re.compile(schema["pattern"])
            except (re.error, TypeError):
                raise _Unsupported("pattern") from None
            conds.append(f"{self.const(rx)}.search({v}) is None")
        if conds:
            out.append(f"if type({v}) is str and ({' or '.join(conds)}): return False")

    def _arrays(self, schema: dict[str, Any], v: str, out: list[str]) -> None:
        conds = []
        for k, op in (("minItems", "<"), ("maxItems", ">")):
            if k in schema:
                if type(schema[k]) is not int:
                    raise _Unsupported(k)
                conds.append(f"len({v}) {op} {schema[k]}")
        if conds:
            out.append(f"if type({v}) is list and ({' or '.join(conds)}): return False")
        if "items" in schema:
            if not isinstance(schema["items"], (dict, bool)):
                raise _Unsupported("items")
            fn = self.function(schema["items"])
            out.append(f"if type({v}) is list and not all({fn}(e) for e in {v}): return False")

    def _objects(self, schema: dict[str, Any], v: str, out: list[str]) -> None:
        required = schema.get("required")
        props = schema.get("properties")
        additional = schema.get("additionalProperties", True)
        if required is None and props is None and additional is True:
            return
        block: list[str] = []
        if required is not None:
            if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
                raise _Unsupported("required")
            for r in required:
                block.append(f"if {r!r} not in {v}: return False")
        if props is not None:
            if not isinstance(props, dict):
                raise _Unsupported("properties")
            for key, sub in props.items():
                if sub is True:
                    continue
                fn = self.function(sub)
                block.append(f"if {key!r} in {v} and not {fn}({v}[{key!r}]): return False")
        if additional is not True:
            known = self.const(frozenset(props or ()))
            if additional is False:
                block.append(f"if not {known}.issuperset({v}): return False")
            else:
                fn = self.function(additional)
                block.append(f"if not all({fn}(x) for k, x in {v}.items() if k not in {known}): return False")
        out.append(f"if type({v}) is dict:")
        out.extend("    " + line for line in block or ["pass"])


def compile_schema(schema: Any) -> Callable[[Any], bool] | None:
    """A fast `is_valid` for schemas inside the subset, else None."""
    gen = _Gen()
    try:
        top = gen.function(schema)
    except _Unsupported:
        return None
    namespace = dict(gen.ns)
    namespace["__builtins__"] = {}
    namespace["all"] = all
    exec(compile("\n".join(gen.lines), "<json-schema>", "exec"), namespace)
    fn: Callable[[Any], bool] = namespace[top]
    return fn
