"""JMESPath functions: the standard table, argument validation, and custom-function registries.

Validation reproduces the reference library (`jmespath.functions.Functions`) exactly, messages
included: types are matched by Python type *name* (so `bool` is never a `number`), arrays may
constrain their element types, and an arity mismatch is reported before any type error.
Each standard function has a cheap "fast check" used at call time; when it fails, the generic
validator runs and raises the reference's error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jmespath import exceptions as jexc

# python type name -> jmespath type (reference: functions.TYPES_MAP)
TYPES_MAP: dict[str, str] = {
    "bool": "boolean",
    "list": "array",
    "dict": "object",
    "NoneType": "null",
    "unicode": "string",
    "str": "string",
    "float": "number",
    "int": "number",
    "long": "number",
    "OrderedDict": "object",
    "_Projection": "array",
    "_Expression": "expref",
}
REVERSE_TYPES_MAP: dict[str, tuple[str, ...]] = {
    "boolean": ("bool",),
    "array": ("list", "_Projection"),
    "object": ("dict", "OrderedDict"),
    "null": ("NoneType",),
    "string": ("unicode", "str"),
    "number": ("float", "int", "long"),
    "expref": ("_Expression",),
    "any": (),
}
JMESPATH_TYPES = frozenset(REVERSE_TYPES_MAP) - {"any"}


class _Expression:
    """An expression reference (`&expr`): a compiled function of one argument.

    The class name matters: the type checks match on it, exactly like the reference's
    `jmespath.visitor._Expression`.
    """

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn


Signature = tuple[dict[str, Any], ...]


def _jtype(pyname: str) -> str:
    return TYPES_MAP.get(pyname, "unknown")


def validate(args: Sequence[Any], signature: Signature, name: str) -> None:
    """Raise the reference's ArityError/VariadictArityError/JMESPathTypeError for bad arguments."""
    if signature and signature[-1].get("variadic"):
        if len(args) < len(signature):
            raise jexc.VariadictArityError(len(signature), len(args), name)
    elif len(args) != len(signature):
        raise jexc.ArityError(len(signature), len(args), name)
    for i in range(len(signature)):
        allowed = signature[i]["types"]
        if allowed:
            _type_check_single(args[i], allowed, name)


def _type_check_single(current: Any, types: list[str], name: str) -> None:
    allowed_types: list[str] = []
    allowed_subtypes: list[tuple[str, ...]] = []
    for t in types:
        parts = t.split("-", 1)
        if len(parts) == 2:
            allowed_subtypes.append(REVERSE_TYPES_MAP[parts[1]])
        allowed_types.extend(REVERSE_TYPES_MAP[parts[0]])
    actual = type(current).__name__
    if actual not in allowed_types:
        raise jexc.JMESPathTypeError(name, current, _jtype(actual), types)
    if not allowed_subtypes:
        return
    if len(allowed_subtypes) == 1:
        only = allowed_subtypes[0]
        for element in current:
            tn = type(element).__name__
            if tn not in only:
                raise jexc.JMESPathTypeError(name, element, tn, types)
    elif current:
        first = type(current[0]).__name__
        for subtypes in allowed_subtypes:
            if first in subtypes:
                chosen = subtypes
                break
        else:
            raise jexc.JMESPathTypeError(name, current[0], first, types)
        for element in current:
            tn = type(element).__name__
            if tn not in chosen:
                raise jexc.JMESPathTypeError(name, element, tn, types)


# --- fast checks: True means "certainly valid"; False means "run the generic validator" -----


def _all_numbers(arr: Any) -> bool:
    if type(arr) is not list:
        return False
    for e in arr:
        t = type(e)
        if t is not int and t is not float:
            return False
    return True


def _all_strings(arr: Any) -> bool:
    if type(arr) is not list:
        return False
    for e in arr:
        if type(e) is not str:
            return False
    return True


def _homogeneous_sortable(arr: Any) -> bool:
    return _all_numbers(arr) or _all_strings(arr)


# --- standard implementations (bodies as in the reference) -----------------------------------


def _abs(arg: Any) -> Any:
    return abs(arg)


def _avg(arg: list[Any]) -> Any:
    return sum(arg) / len(arg) if arg else None


def _not_null(*arguments: Any) -> Any:
    for argument in arguments:
        if argument is not None:
            return argument
    return None


def _to_array(arg: Any) -> Any:
    return arg if isinstance(arg, list) else [arg]


def _to_string(arg: Any) -> Any:
    if isinstance(arg, str):
        return arg
    return json.dumps(arg, separators=(",", ":"), default=str)


def _to_number(arg: Any) -> Any:
    if isinstance(arg, (list, dict, bool)) or arg is None:
        return None
    if isinstance(arg, (int, float)):
        return arg
    try:
        return int(arg)
    except ValueError:
        try:
            return float(arg)
        except ValueError:
            return None


def _contains(subject: Any, search: Any) -> Any:
    return search in subject


def _length(arg: Any) -> Any:
    return len(arg)


def _ends_with(search: str, suffix: str) -> bool:
    return search.endswith(suffix)


def _starts_with(search: str, prefix: str) -> bool:
    return search.startswith(prefix)


def _reverse(arg: Any) -> Any:
    return arg[::-1] if isinstance(arg, str) else list(reversed(arg))


def _ceil(arg: Any) -> Any:
    return math.ceil(arg)


def _floor(arg: Any) -> Any:
    return math.floor(arg)


def _join(separator: str, array: list[str]) -> str:
    return separator.join(array)


def _map(expref: _Expression, arg: list[Any]) -> list[Any]:
    fn = expref.fn
    return [fn(e) for e in arg]


def _max(arg: list[Any]) -> Any:
    return max(arg) if arg else None


def _min(arg: list[Any]) -> Any:
    return min(arg) if arg else None


def _merge(*arguments: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for arg in arguments:
        merged.update(arg)
    return merged


def _sort(arg: list[Any]) -> list[Any]:
    return sorted(arg)


def _sum(arg: list[Any]) -> Any:
    return sum(arg)


def _keys(arg: dict[str, Any]) -> list[Any]:
    return list(arg.keys())


def _values(arg: dict[str, Any]) -> list[Any]:
    return list(arg.values())


def _type(arg: Any) -> Any:
    if isinstance(arg, str):
        return "string"
    if isinstance(arg, bool):
        return "boolean"
    if isinstance(arg, list):
        return "array"
    if isinstance(arg, dict):
        return "object"
    if isinstance(arg, (float, int)):
        return "number"
    if arg is None:
        return "null"
    return None


def _key_func(expref: _Expression, allowed: list[str], name: str) -> Callable[[Any], Any]:
    fn = expref.fn

    def keyfunc(x: Any) -> Any:
        result = fn(x)
        jtype = _jtype(type(result).__name__)
        if jtype not in allowed:
            raise jexc.JMESPathTypeError(name, result, jtype, allowed)
        return result

    return keyfunc


def _sort_by(array: list[Any], expref: _Expression) -> list[Any]:
    if not array:
        return array
    required = _jtype(type(expref.fn(array[0])).__name__)
    if required not in ("number", "string"):
        raise jexc.JMESPathTypeError("sort_by", array[0], required, ["string", "number"])
    return sorted(array, key=_key_func(expref, [required], "sort_by"))


def _min_by(array: list[Any], expref: _Expression) -> Any:
    keyfunc = _key_func(expref, ["number", "string"], "min_by")
    return min(array, key=keyfunc) if array else None


def _max_by(array: list[Any], expref: _Expression) -> Any:
    keyfunc = _key_func(expref, ["number", "string"], "max_by")
    return max(array, key=keyfunc) if array else None


def _sig(*types: list[str], variadic: bool = False) -> Signature:
    out: list[dict[str, Any]] = [{"types": list(t)} for t in types]
    if variadic and out:
        out[-1]["variadic"] = True
    return tuple(out)


def _is_list(a: Any) -> bool:
    return type(a) is list


def _is_str(a: Any) -> bool:
    return type(a) is str


def _is_dict(a: Any) -> bool:
    return type(a) is dict


def _is_num(a: Any) -> bool:
    t = type(a)
    return t is int or t is float


def _any(a: Any) -> bool:
    return True


@dataclass(frozen=True)
class FunctionDef:
    """One JMESPath function: implementation, reference-style signature, per-argument fast checks."""

    name: str
    impl: Callable[..., Any]
    signature: Signature
    fast: tuple[Callable[[Any], bool], ...] = field(default=())

    @property
    def variadic(self) -> bool:
        return bool(self.signature and self.signature[-1].get("variadic"))


def _std(name: str, impl: Callable[..., Any], sig: Signature, *fast: Callable[[Any], bool]) -> FunctionDef:
    return FunctionDef(name, impl, sig, tuple(fast))


_EXPREF = lambda a: type(a) is _Expression  # noqa: E731

STANDARD: Mapping[str, FunctionDef] = {
    f.name: f
    for f in (
        _std("abs", _abs, _sig(["number"]), _is_num),
        _std("avg", _avg, _sig(["array-number"]), _all_numbers),
        _std("not_null", _not_null, _sig([], variadic=True)),
        _std("to_array", _to_array, _sig([]), _any),
        _std("to_string", _to_string, _sig([]), _any),
        _std("to_number", _to_number, _sig([]), _any),
        _std("contains", _contains, _sig(["array", "string"], []), lambda a: type(a) in (list, str), _any),
        _std("length", _length, _sig(["string", "array", "object"]), lambda a: type(a) in (str, list, dict)),
        _std("ends_with", _ends_with, _sig(["string"], ["string"]), _is_str, _is_str),
        _std("starts_with", _starts_with, _sig(["string"], ["string"]), _is_str, _is_str),
        _std("reverse", _reverse, _sig(["array", "string"]), lambda a: type(a) in (list, str)),
        _std("ceil", _ceil, _sig(["number"]), _is_num),
        _std("floor", _floor, _sig(["number"]), _is_num),
        _std("join", _join, _sig(["string"], ["array-string"]), _is_str, _all_strings),
        _std("map", _map, _sig(["expref"], ["array"]), _EXPREF, _is_list),
        _std("max", _max, _sig(["array-number", "array-string"]), _homogeneous_sortable),
        _std("merge", _merge, _sig(["object"], variadic=True)),
        _std("min", _min, _sig(["array-number", "array-string"]), _homogeneous_sortable),
        _std("sort", _sort, _sig(["array-string", "array-number"]), _homogeneous_sortable),
        _std("sum", _sum, _sig(["array-number"]), _all_numbers),
        _std("keys", _keys, _sig(["object"]), _is_dict),
        _std("values", _values, _sig(["object"]), _is_dict),
        _std("type", _type, _sig([]), _any),
        _std("sort_by", _sort_by, _sig(["array"], ["expref"]), _is_list, _EXPREF),
        _std("min_by", _min_by, _sig(["array"], ["expref"]), _is_list, _EXPREF),
        _std("max_by", _max_by, _sig(["array"], ["expref"]), _is_list, _EXPREF),
    )
}


class Functions:
    """A set of custom JMESPath functions on top of the standard ones.

    Standard functions cannot be replaced or shadowed: registering one of their names raises
    ValueError. Registering after an expression was compiled is allowed; the compile cache is
    keyed by the registry's version, so later compiles see the new function.

        fns = Functions()
        fns.register("to_e164", to_e164, ["string", "null"], ["string"])
        compile("to_e164(phone, 'DE')", functions=fns).search(record)
    """

    def __init__(self) -> None:
        self._custom: dict[str, FunctionDef] = {}
        self.version = 0

    def register(
        self, name: str, impl: Callable[..., Any], *arg_types: Sequence[str], variadic: bool = False
    ) -> None:
        """Register `name(args...)`. Each `arg_types` entry lists allowed JMESPath types
        (`string`, `number`, `boolean`, `array`, `object`, `null`, `expref`, `array-string`...);
        an empty list means any type. `impl` must be pure (no side effects): a record may be
        evaluated twice (fast variant, then safe variant). Raise ValueError/TypeError to fail."""
        if name in STANDARD:
            raise ValueError(f"cannot register {name!r}: it is a standard JMESPath function")
        if not name.isidentifier():
            raise ValueError(f"invalid function name {name!r}")
        for types in arg_types:
            for t in types:
                base = t.split("-", 1)
                if base[0] not in JMESPATH_TYPES or (len(base) == 2 and base[1] not in JMESPATH_TYPES):
                    raise ValueError(f"unknown JMESPath type {t!r} for function {name}()")
        self._custom[name] = FunctionDef(name, impl, _sig(*[list(t) for t in arg_types], variadic=variadic))
        self.version += 1

    def lookup(self, name: str) -> FunctionDef | None:
        return STANDARD.get(name) or self._custom.get(name)

    def names(self) -> list[str]:
        return sorted({*STANDARD, *self._custom})

    def merged(self, other: Functions) -> Functions:
        out = Functions()
        out._custom = {**self._custom, **other._custom}
        out.version = self.version + other.version
        return out
