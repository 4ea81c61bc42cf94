"""Helpers the generated code calls, and the positioned search-time errors.

Every helper reproduces one branch of the reference interpreter (`jmespath.visitor.TreeInterpreter`)
for JSON-shaped data. The generated code inlines the common cases and calls these for the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Number
from typing import Any

from jmespath import exceptions as jexc

from weave.transforms.jmespath.functions import FunctionDef, validate


class SearchErrorMixin(Exception):
    """Mixed into every error raised while searching: names the expression and the position.

    The concrete class also derives from the exception the reference library raises in the same
    case (`jmespath.exceptions.JMESPathTypeError`, `ArityError`, `UnknownFunctionError`, or
    Python's `TypeError`/`ValueError`), so `except` clauses written for the reference still work,
    and `str()` starts with the reference's message.
    """

    expression: str
    position: int
    reason: str


def _positioned_str(self: Any) -> str:
    return f'{self.reason} (in expression "{self.expression}" at column {self.position})'


_SUBCLASSES: dict[type, type] = {}


def positioned(exc: BaseException, expression: str, position: int) -> BaseException:
    """Return a copy of `exc` whose class also derives from SearchErrorMixin."""
    if isinstance(exc, SearchErrorMixin):
        return exc
    cls = type(exc)
    sub: Any = _SUBCLASSES.get(cls)
    if sub is None:
        sub = type(cls.__name__, (cls, SearchErrorMixin), {"__module__": __name__, "__str__": _positioned_str})
        _SUBCLASSES[cls] = sub
    new = sub.__new__(sub)
    new.__dict__.update(getattr(exc, "__dict__", {}))
    new.args = exc.args
    new.reason = str(exc)
    new.expression = expression
    new.position = position
    new.__cause__ = exc.__cause__
    return new


def is_actual_number(x: Any) -> bool:
    return not isinstance(x, bool) and isinstance(x, Number)


def equals(x: Any, y: Any) -> bool:
    """Reference `_equals`: 0/1 never equal false/true at the top level."""
    tx = type(x)
    if tx is type(y) or tx is str or type(y) is str:
        return bool(x == y)
    if is_actual_number(x) and x in (0, 1):
        if isinstance(y, bool):
            return False
    elif is_actual_number(y) and y in (0, 1):
        if isinstance(x, bool):
            return False
    return bool(x == y)


def comparable(x: Any) -> bool:
    return (type(x) in (int, float, str)) or is_actual_number(x) or isinstance(x, str)


def field(value: Any, name: str) -> Any:
    try:
        return value.get(name)
    except AttributeError:
        return None


def values_of(value: Any) -> Any:
    try:
        return value.values()
    except AttributeError:
        return None


def flatten(base: Any) -> Any:
    if not isinstance(base, list):
        return None
    merged: list[Any] = []
    for element in base:
        if isinstance(element, list):
            merged.extend(element)
        else:
            merged.append(element)
    return merged


def flatten_view(base: Any) -> Any:
    """flatten() for a projection's input: the list itself when nothing is nested (read-only use)."""
    if type(base) is list and list not in map(type, base):
        return base
    return flatten(base)


def truthy(value: Any) -> bool:
    return not (value == "" or value == [] or value == {} or value is None or value is False)


def make_ordering(op: Callable[[Any, Any], Any], expression: str, position: int) -> Callable[[Any, Any], Any]:
    """An ordering comparator site: None unless both sides are numbers or strings."""

    def compare(left: Any, right: Any) -> Any:
        if not (comparable(left) and comparable(right)):
            return None
        try:
            return op(left, right)
        except TypeError as exc:
            raise positioned(exc, expression, position) from None

    return compare


def make_slice_error(expression: str, position: int) -> Callable[[], Any]:
    def fail() -> Any:
        try:
            [][::0]  # the exact error the reference raises
        except ValueError as exc:
            raise positioned(exc, expression, position) from None
        return None  # pragma: no cover

    return fail


def make_unknown(name: str, expression: str, position: int) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        exc = jexc.UnknownFunctionError(f"Unknown function: {name}()")
        raise positioned(exc, expression, position)

    return call


def make_call(fdef: FunctionDef, nargs: int, expression: str, position: int) -> Callable[..., Any]:
    """A call site for one function with a statically known number of arguments."""
    name, impl, sig, fast = fdef.name, fdef.impl, fdef.signature, fdef.fast

    def slow(args: tuple[Any, ...]) -> Any:
        try:
            validate(args, sig, name)
            return impl(*args)
        except (jexc.JMESPathError, TypeError, ValueError) as exc:
            raise positioned(exc, expression, position) from None

    arity_ok = (nargs >= len(sig)) if fdef.variadic else (nargs == len(sig))
    if not arity_ok or not fast or len(fast) != nargs:
        return lambda *args: slow(args)

    errors = (jexc.JMESPathError, TypeError, ValueError)

    if nargs == 1:
        (c0,) = fast

        def call1(a: Any) -> Any:
            if c0(a):
                try:
                    return impl(a)
                except errors as exc:
                    raise positioned(exc, expression, position) from None
            return slow((a,))

        return call1
    if nargs == 2:
        c0, c1 = fast

        def call2(a: Any, b: Any) -> Any:
            if c0(a) and c1(b):
                try:
                    return impl(a, b)
                except errors as exc:
                    raise positioned(exc, expression, position) from None
            return slow((a, b))

        return call2

    def calln(*args: Any) -> Any:
        for check, arg in zip(fast, args, strict=True):
            if not check(arg):
                return slow(args)
        try:
            return impl(*args)
        except errors as exc:
            raise positioned(exc, expression, position) from None

    return calln
