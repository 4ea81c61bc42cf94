"""The compiled JSON Schema subset agrees with jsonschema (draft 2020-12) on generated schemas and data."""

from __future__ import annotations

from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weave.transforms.schemacompile import compile_schema

values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from([0.0, 1.0, 2.5, -1.5, 4.0]),
              st.sampled_from(["", "a", "ab", "abc", "x1", "ü"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "b", "c"]), inner,
                                                                         max_size=3)),
    max_leaves=8,
)
TYPES = ["null", "boolean", "string", "object", "array", "number", "integer"]


def _schemas() -> st.SearchStrategy[Any]:
    leaf = st.one_of(
        st.booleans(),
        st.builds(lambda t: {"type": t}, st.sampled_from(TYPES)),
        st.builds(lambda ts: {"type": ts}, st.lists(st.sampled_from(TYPES), min_size=1, max_size=3, unique=True)),
        st.builds(lambda e: {"enum": e}, st.lists(values, min_size=1, max_size=3)),
        st.builds(lambda c: {"const": c}, values),
        st.builds(lambda k, n: {k: n}, st.sampled_from(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]),
                  st.sampled_from([0, 1, 2.5, -1])),
        st.builds(lambda k, n: {k: n}, st.sampled_from(["minLength", "maxLength", "minItems", "maxItems"]),
                  st.integers(0, 3)),
        st.builds(lambda p: {"pattern": p}, st.sampled_from(["^a", "b$", "[0-9]", "^$"])),
        st.builds(lambda m: {"multipleOf": m}, st.integers(1, 3)),
        st.builds(lambda r: {"required": r}, st.lists(st.sampled_from(["a", "b", "c"]), unique=True, max_size=2)),
    )

    def extend(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(
            st.builds(lambda p, a: {"type": "object", "properties": p, "additionalProperties": a},
                      st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=2),
                      st.one_of(st.booleans(), inner)),
            st.builds(lambda i: {"items": i}, inner),
            st.builds(lambda k, xs: {k: xs}, st.sampled_from(["allOf", "anyOf", "oneOf"]),
                      st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda x: {"not": x}, inner),
            st.builds(lambda a, b: {**a, **b} if isinstance(a, dict) and isinstance(b, dict) else a, inner, inner),
        )

    return st.recursive(leaf, extend, max_leaves=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_schemas(), st.lists(values, min_size=1, max_size=5))
def test_compiled_subset_agrees_with_jsonschema(schema: Any, instances: list[Any]) -> None:
    fast = compile_schema(schema)
    assert fast is not None, schema
    reference = jsonschema.Draft202012Validator(schema)
    for instance in instances:
        assert fast(instance) == reference.is_valid(instance), (schema, instance)


def test_unsupported_keywords_fall_back() -> None:
    assert compile_schema({"type": "string", "format": "email"}) is None
    assert compile_schema({"$ref": "#/$defs/x", "$defs": {"x": {}}}) is None
    assert compile_schema({"$schema": "http://json-schema.org/draft-07/schema#"}) is None
    assert compile_schema({"multipleOf": 0.1}) is None
    assert compile_schema({"type": "object", "required": ["a"], "description": "annotations are fine"}) is not None
