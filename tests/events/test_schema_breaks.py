"""The versioning rules as pure functions (positions are covered through `weave validate` in test_versions)."""

from __future__ import annotations

from weave.spec.event_versions import schema_breaks


def _codes(old: dict, new: dict) -> list[tuple[str, tuple]]:
    return [(b.code, b.path) for b in schema_breaks(old, new)]


def test_type_rules() -> None:
    prop = lambda t: {"properties": {"x": {"type": t} if t else {}}}  # noqa: E731
    assert _codes(prop("integer"), prop("number")) == []  # widening
    assert _codes(prop("number"), prop("integer")) == [("WV862", ("schema", "properties", "x", "type"))]
    assert _codes(prop(["string", "null"]), prop("string")) == [("WV862", ("schema", "properties", "x", "type"))]
    assert _codes(prop("string"), prop(["string", "null"])) == []
    assert _codes(prop(None), prop("string")) == [("WV862", ("schema", "properties", "x", "type"))]  # any -> string
    assert _codes(prop("string"), prop(None)) == []  # string -> any


def test_enum_and_required_rules() -> None:
    assert _codes({"enum": [1, 2]}, {"enum": [2, 1, 3]}) == []
    assert _codes({"enum": [1, 2]}, {"enum": [1]}) == [("WV863", ("schema", "enum"))]
    assert _codes({}, {"enum": ["a"]}) == [("WV863", ("schema", "enum"))]
    assert _codes({"required": ["a", "b"]}, {"required": ["b"]}) == []
    assert _codes({"required": ["a"]}, {"required": ["a", "c"], "properties": {"c": {}}}) == [
        ("WV861", ("schema", "required", 1))]


def test_nested_objects_and_items() -> None:
    old = {"properties": {"a": {"type": "object", "properties": {"b": {"type": "string"}, "c": {}}}}}
    new = {"properties": {"a": {"type": "object", "properties": {"b": {"type": "integer"}}, "required": ["b"]}}}
    assert sorted(_codes(old, new)) == [
        ("WV860", ("schema", "properties", "a", "properties")),
        ("WV861", ("schema", "properties", "a", "required", 0)),
        ("WV862", ("schema", "properties", "a", "properties", "b", "type")),
    ]
    old_items = {"type": "array", "items": {"enum": ["x", "y"]}}
    assert _codes(old_items, {"type": "array", "items": {"enum": ["x"]}}) == [("WV863", ("schema", "items", "enum"))]
