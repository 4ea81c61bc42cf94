"""Hand-specialised call sites for the hottest standard functions.

They assume JSON-shaped data (exact built-in types: dict, list, str, int, float, bool, None);
subclasses of built-in types may be accepted where the reference's name-based checks would not.

A generic site (`runtime.make_call`) costs a few Python calls per invocation (a check per argument,
then the implementation). These do the type check and the work in one function body and fall back
to the generic site — which produces the reference's exact error — whenever the check fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Site = Callable[..., Any]


def _join(slow: Site) -> Site:
    def join(sep: Any, arr: Any) -> Any:
        if type(sep) is str and type(arr) is list:
            try:  # str.join raises TypeError for any non-string element (JSON data)
                return sep.join(arr)
            except TypeError:
                pass
        return slow(sep, arr)

    return join


def _sum(slow: Site) -> Site:
    def sum_(arr: Any) -> Any:
        if type(arr) is list:
            for e in arr:
                t = type(e)
                if t is not int and t is not float:
                    return slow(arr)
            return sum(arr)
        return slow(arr)

    return sum_


def _avg(slow: Site) -> Site:
    def avg(arr: Any) -> Any:
        if type(arr) is list:
            for e in arr:
                t = type(e)
                if t is not int and t is not float:
                    return slow(arr)
            return sum(arr) / len(arr) if arr else None
        return slow(arr)

    return avg


def _length(slow: Site) -> Site:
    def length(arg: Any) -> Any:
        t = type(arg)
        if t is str or t is list or t is dict:
            return len(arg)
        return slow(arg)

    return length


def _starts_with(slow: Site) -> Site:
    def starts_with(s: Any, prefix: Any) -> Any:
        if type(s) is str and type(prefix) is str:
            return s.startswith(prefix)
        return slow(s, prefix)

    return starts_with


def _ends_with(slow: Site) -> Site:
    def ends_with(s: Any, suffix: Any) -> Any:
        if type(s) is str and type(suffix) is str:
            return s.endswith(suffix)
        return slow(s, suffix)

    return ends_with


def _not_null2(slow: Site) -> Site:
    def not_null(a: Any, b: Any) -> Any:
        return a if a is not None else b

    return not_null


def _to_string(slow: Site) -> Site:
    def to_string(a: Any) -> Any:
        if type(a) is str:
            return a
        return slow(a)

    return to_string


# (name, number of arguments) -> builder(generic site) -> specialised site
SPECIALISED: dict[tuple[str, int], Callable[[Site], Site]] = {
    ("join", 2): _join,
    ("sum", 1): _sum,
    ("avg", 1): _avg,
    ("length", 1): _length,
    ("starts_with", 2): _starts_with,
    ("ends_with", 2): _ends_with,
    ("not_null", 2): _not_null2,
    ("to_string", 1): _to_string,
}
