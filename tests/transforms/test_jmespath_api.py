"""Compiled JMESPath: caching, positioned errors, custom functions, the fast/safe paths."""

from __future__ import annotations

from typing import Any

import jmespath as reference
import pytest
from jmespath import exceptions as jexc

from weave.transforms import jmespath as wj

from .jmes_oracle import check

MAPPING = "{id: id, name: join(' ', [first, last]), email: contact.email, total: sum(orders[].amount)}"


def test_compile_is_cached_per_expression() -> None:
    assert wj.compile("a.b") is wj.compile("a.b")
    assert wj.compile("a.b") is not wj.compile("a.c")


def test_parse_error_names_expression_and_column() -> None:
    with pytest.raises(jexc.ParseError) as info:
        wj.compile("foo.{1: a}")
    assert info.value.expression == "foo.{1: a}"
    assert "column 5" in str(info.value)
    assert info.value.lex_position == 5


def test_search_error_names_expression_and_position() -> None:
    expr = "{a: a, n: sum(names)}"
    with pytest.raises(jexc.JMESPathTypeError) as info:
        wj.compile(expr).search({"a": 1, "names": ["x"]})
    err = info.value
    assert isinstance(err, wj.SearchErrorMixin)
    assert err.expression == expr and err.position == expr.index("sum")
    assert f'in expression "{expr}" at column {expr.index("sum")}' in str(err)
    with pytest.raises(jexc.JMESPathTypeError) as ref_info:
        reference.search(expr, {"a": 1, "names": ["x"]})
    assert str(err).startswith(str(ref_info.value))


def test_arity_and_unknown_function_raise_at_search_like_the_reference() -> None:
    compiled = wj.compile("[].length(@, @)")  # never called on an empty list: no error
    assert compiled.search([]) == []
    with pytest.raises(jexc.ArityError):
        compiled.search(["ab"])
    with pytest.raises(jexc.UnknownFunctionError) as info:
        wj.search("x.nope(@)", {"x": 1})
    assert info.value.position == 2  # type: ignore[attr-defined]


def test_ordering_type_error_is_positioned() -> None:
    with pytest.raises(TypeError) as info:
        wj.search("a < b", {"a": "x", "b": 1})
    assert info.value.position == 2  # type: ignore[attr-defined]


def test_mapping_fast_path_and_safe_fallback_agree_with_reference() -> None:
    compiled = wj.compile(MAPPING)
    records: list[Any] = [
        {"id": 1, "first": "A", "last": "B", "contact": {"email": "e"}, "orders": [{"amount": 2}, {"amount": 3.5}]},
        {"id": 2, "first": "A", "last": "B", "contact": None, "orders": [[{"amount": 1}], {"amount": 2}]},
        {"id": 3, "first": "A", "last": "B", "orders": [{"x": 1}, "str", None]},
        None,
        [],
    ]
    for record in records * 300:  # also crosses the switch to the safe variant
        check(MAPPING, record)
    assert compiled.search is not None


def test_custom_functions_cannot_replace_standard_ones() -> None:
    fns = wj.Functions()
    with pytest.raises(ValueError, match="standard"):
        fns.register("length", lambda s: 0, ["string"])
    fns.register("shout", lambda s: s.upper() + "!", ["string"])
    assert wj.compile("shout(name)", functions=fns).search({"name": "hi"}) == "HI!"
    assert wj.compile("length(name)", functions=fns).search({"name": "hi"}) == 2
    with pytest.raises(jexc.JMESPathTypeError):
        wj.compile("shout(n)", functions=fns).search({"n": 1})
    with pytest.raises(jexc.UnknownFunctionError):  # not visible without the registry
        wj.compile("shout(name)").search({"name": "hi"})


def test_registering_after_compile_is_seen_by_later_compiles() -> None:
    fns = wj.Functions()
    before = wj.compile("twice(n)", functions=fns)
    fns.register("twice", lambda n: n * 2, ["number"])
    assert wj.compile("twice(n)", functions=fns).search({"n": 4}) == 8
    with pytest.raises(jexc.UnknownFunctionError):
        before.search({"n": 4})


def test_literals_are_not_shared_mutably_through_results() -> None:
    assert wj.search("`[1, 2]`", None) == [1, 2]
    assert wj.search("foo[?bar > `1`].baz", {"foo": [{"bar": 2, "baz": "x"}, {"bar": 0, "baz": "y"}]}) == ["x"]


def test_expressions_too_deep_for_python_fall_back_to_interpretation() -> None:
    deep = ".".join(["a"] * 300)
    compiled = wj.compile(deep)
    assert compiled.source == ""  # interpreted
    nested: Any = 1
    for _ in range(300):
        nested = {"a": nested}
    check(deep, nested)
    check(deep, {"a": [1]})
    functions = "{x: " + "length(" * 120 + "a" + ")" * 120 + "}"
    check(functions, {"a": "xy"})
    check("[" + ",".join(["sort_by(@, &a)"] * 3) + "]" + ".a" * 150, [{"a": 2}, {"a": 1}])
