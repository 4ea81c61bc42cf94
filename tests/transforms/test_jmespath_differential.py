"""Differential test: the compiled JMESPath against the reference library on generated input."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weave.transforms import jmespath as wj

from .jmes_oracle import check

KEYS = ["a", "b", "c"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=3),
    st.sampled_from([0.0, 1.0, 1.5, -2.5]),
    st.sampled_from(["", "a", "b", "ab", "0", "1"]),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
    ),
    max_leaves=12,
)

# every object has every key: expressions mostly stay on the fast (unchecked) variant
full_documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.fixed_dictionaries({k: inner for k in KEYS}),
    ),
    max_leaves=10,
)

LITERALS = ["`1`", "`0`", "`true`", "`false`", "`null`", '`"a"`', "`[1, 2]`", "`{\"a\": 1}`", "'a'", "`1.5`", "`-1`"]
FUNCS_1 = [
    "abs", "avg", "ceil", "floor", "keys", "values", "length", "max", "min", "not_null", "reverse",
    "sort", "sum", "to_array", "to_number", "to_string", "type",
]
FUNCS_2 = ["contains", "ends_with", "starts_with", "join", "merge", "not_null", "bogus"]
BY = ["sort_by", "min_by", "max_by", "map"]

leaf = st.one_of(
    st.sampled_from(KEYS + ["@", '"a"', "*", "[*]", "[]", "[0]", "[-1]", "[1:]", "[::-1]", "[::0]"]),
    st.sampled_from(LITERALS),
)


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    two = st.tuples(inner, inner)
    return st.one_of(
        two.map(lambda p: f"{p[0]}.{p[1]}"),
        inner.map(lambda x: f"{x}[0]"),
        inner.map(lambda x: f"{x}[*].a"),
        inner.map(lambda x: f"{x}[].b"),
        inner.map(lambda x: f"{x}.*"),
        st.tuples(inner, inner, inner, st.sampled_from(["==", "!=", "<", ">=", ">"])).map(
            lambda p: f"{p[0]}[?{p[1]} {p[3]} {p[2]}]"
        ),
        st.tuples(inner, inner, st.sampled_from(["==", "!=", "<", "<=", ">", ">="])).map(
            lambda p: f"{p[0]} {p[2]} {p[1]}"
        ),
        two.map(lambda p: f"{p[0]} | {p[1]}"),
        two.map(lambda p: f"{p[0]} || {p[1]}"),
        two.map(lambda p: f"{p[0]} && {p[1]}"),
        inner.map(lambda x: f"!{x}"),
        inner.map(lambda x: f"({x})"),
        two.map(lambda p: f"{{a: {p[0]}, b: {p[1]}}}"),
        two.map(lambda p: f"[{p[0]}, {p[1]}]"),
        st.tuples(st.sampled_from(FUNCS_1), inner).map(lambda p: f"{p[0]}({p[1]})"),
        st.tuples(st.sampled_from(FUNCS_2), inner, inner).map(lambda p: f"{p[0]}({p[1]}, {p[2]})"),
        st.tuples(st.sampled_from(BY), inner, inner).map(
            lambda p: f"{p[0]}(&{p[2]}, {p[1]})" if p[0] == "map" else f"{p[0]}({p[1]}, &{p[2]})"
        ),
        st.tuples(st.sampled_from(["length", "sum", "abs"]), inner, inner).map(
            lambda p: f"{p[0]}({p[1]}, {p[2]})"  # wrong arity
        ),
    )


expressions = st.recursive(leaf, _extend, max_leaves=6)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions, documents)
def test_differential(expression: str, document: Any) -> None:
    check(expression, document)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions, full_documents)
def test_differential_on_complete_documents(expression: str, document: Any) -> None:
    check(expression, document)


@settings(max_examples=150, deadline=None)
@given(st.lists(documents, min_size=1, max_size=5))
def test_differential_mapping_over_many_records(docs: list[Any]) -> None:
    """One compiled object, many records: records that take the safe path do not disturb others."""
    expression = "{x: a, y: join('-', [b, c]), t: sum(a[].b), n: length(@)}"
    for doc in docs:
        check(expression, doc)


def test_strict_equality_is_reference_behaviour() -> None:
    assert wj.search("a == `1`", {"a": True}) is False
    assert wj.search("a == `true`", {"a": 1}) is False
    assert wj.search("a == `0`", {"a": False}) is False
    assert wj.search("a != `1`", {"a": True}) is True
    assert wj.search("a == `1`", {"a": 1.0}) is True
    assert wj.search("a[?@ == `true`]", {"a": [1, True, 0, False]}) == [True]


def test_regressions_found_by_the_differential_test() -> None:
    check("not_null(({a: a, b: a}), ({a: a, b: a}))", None)
    check("abs(a) | `1`[].b", None)
    check("*[?[0] == `0`]", {"a": [0], "b": [[0]]})
