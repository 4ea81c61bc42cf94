"""The step language: each kind, per-record errors with step/file/line/key, build-time errors."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weave.errors import TransformError
from weave.transforms.library import load_library
from weave.transforms.steps import StepError, build_pipeline

ORDER: dict[str, Any] = {
    "id": "o-1",
    "first": "Ada",
    "last": "Lovelace",
    "contact": {"email": "ada@example.com", "phone": "030 1234567"},
    "country": "DE",
    "orders": [{"sku": "A", "amount": 2, "qty": "1"}, {"sku": "B", "amount": 3.5, "qty": "2"}],
}


def run(steps: list[dict[str, Any]], record: dict[str, Any], **kw: Any) -> list[dict[str, Any]]:
    return build_pipeline(steps, **kw).run(record)


def test_map_set_template_and_the_input_is_not_mutated() -> None:
    before = copy.deepcopy(ORDER)
    out = run(
        [
            {"map": "{id: id, name: join(' ', [first, last]), email: contact.email, total: sum(orders[].amount),"
                    " contact: contact}"},
            {"set": {"subject": {"template": "Order {{ id }} for {{ name }}"}, "n": "total",
                     "contact.phone": "to_e164(contact.phone, 'DE')", "doubled": {"expression": "total * 2"},
                     "source": {"value": "crm"}}},
        ],
        ORDER,
    )
    assert out == [{
        "id": "o-1", "name": "Ada Lovelace", "email": "ada@example.com", "total": 5.5,
        "contact": {"email": "ada@example.com", "phone": "+49301234567"},
        "subject": "Order o-1 for Ada Lovelace", "n": 5.5, "doubled": 11.0, "source": "crm",
    }]
    assert ORDER == before


def test_filter_drop_rename() -> None:
    steps = [{"filter": "country == 'DE'"}, {"drop": ["orders", "contact.phone"]}, {"rename": {"first": "given_name"}}]
    assert run(steps, ORDER) == [{"id": "o-1", "given_name": "Ada", "last": "Lovelace",
                                  "contact": {"email": "ada@example.com"}, "country": "DE"}]
    assert run(steps, {**ORDER, "country": "FR"}) == []
    assert ORDER["contact"]["phone"] == "030 1234567"


def test_split_with_parent_fields_then_coerce() -> None:
    out = run([{"split": {"items": "orders", "with": {"order_id": "id"}}}, {"coerce": {"qty": "int"}}], ORDER)
    assert out == [{"sku": "A", "amount": 2, "qty": 1, "order_id": "o-1"},
                   {"sku": "B", "amount": 3.5, "qty": 2, "order_id": "o-1"}]
    assert run([{"split": "missing"}], ORDER) == []


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        ("int", "42", 42), ("int", 3.0, 3), ("float", "2.5", 2.5), ("str", 12, "12"), ("str", True, "true"),
        ("bool", "yes", True), ("bool", 0, False), ({"type": "decimal", "scale": 2}, "2.675", "2.68"),
        ({"type": "datetime", "timezone": "Europe/Berlin"}, "2024-01-15 08:00", "2024-01-15T07:00:00Z"),
        ({"type": "datetime", "to": "America/New_York"}, "2024-07-01T12:00:00Z", "2024-07-01T08:00:00-04:00"),
        ({"type": "datetime", "format": "%d.%m.%Y %H:%M", "timezone": "Europe/Berlin"}, "15.01.2024 08:00",
         "2024-01-15T07:00:00Z"),
        ({"type": "date", "timezone": "Asia/Tokyo"}, "2024-01-15T20:00:00Z", "2024-01-16"),
    ],
)
def test_coerce_types(spec: Any, value: Any, expected: Any) -> None:
    assert run([{"coerce": {"v": spec}}], {"v": value}) == [{"v": expected}]


@pytest.mark.parametrize(("kind", "value"), [("int", "1.5"), ("int", True), ("bool", "maybe"), ("float", "x"),
                                             ("date", "not a date")])
def test_coerce_failures_are_record_errors(kind: str, value: Any) -> None:
    with pytest.raises(TransformError, match="coerce: v"):
        run([{"coerce": {"v": kind}}], {"id": 5, "v": value})


def test_validate_inline_schema_and_event_schema() -> None:
    schema = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
    assert run([{"validate": {"schema": schema}}], {"id": "x"}) == [{"id": "x"}]
    with pytest.raises(TransformError, match=r"does not match schema at /id: 5 is not of type 'string'"):
        run([{"validate": {"schema": schema}}], {"id": 5})
    schemas = {"crm.order.created": schema}
    pipeline = build_pipeline([{"validate": {"event": "crm.order.created"}}], schemas=schemas.get)
    with pytest.raises(TransformError, match="event crm.order.created"):
        pipeline.run({"id": 1})
    with pytest.raises(StepError, match="unknown event"):
        build_pipeline([{"validate": {"event": "nope"}}], schemas=schemas.get)


def test_error_names_step_file_line_and_record_key() -> None:
    pipeline = build_pipeline(
        [{"map": "@"}, {"set": {"total": "sum(orders[].amount)"}}],
        file="specs/orders.yaml", positions=[("specs/orders.yaml", 12), ("specs/orders.yaml", 13)],
        key="order_id",
    )
    with pytest.raises(TransformError) as info:
        pipeline.run({"order_id": "A-7", "orders": [{"amount": "12"}]})
    err = info.value
    assert (err.step, err.file, err.line, err.record_key) == ("#2 set", "specs/orders.yaml", 13, "A-7")
    assert "sum()" in err.reason and "column 0" in err.reason
    assert "specs/orders.yaml:13" in str(err) and "'A-7'" in str(err)


def test_default_record_key_and_positions_callback() -> None:
    pipeline = build_pipeline([{"map": "bad_field.x"}], positions=lambda i: ("f.yaml", 40 + i))
    with pytest.raises(TransformError) as info:
        pipeline.run({"customer_id": "C-9"})
    assert info.value.record_key == "C-9" and info.value.line == 40
    assert "map must produce an object, got null" in info.value.reason


@pytest.mark.parametrize(
    ("steps", "code", "text"),
    [
        ([{"map": "foo.["}], "WV312", "invalid JMESPath"),
        ([{"map": "nope(a)"}], "WV312", "unknown function nope()"),
        ([{"map": "length(a, b)"}], "WV312", "length() takes 1 argument"),
        ([{"set": {"x": {"template": "{{ a "}}}], "WV312", "invalid template"),
        ([{"set": {"x": {"expression": "a +"}}}], "WV312", "invalid Jinja expression"),
        ([{"frobnicate": 1}], "WV601", "unknown step 'frobnicate'"),
        ([{"map": "a", "set": {}}], "WV601", "exactly one key"),
        ([{"use": "missing"}], "WV307", "unknown transform 'missing'"),
        ([{"lookup": {"table": "t", "key": "a", "into": "b"}}], "WV601", "unknown table"),
        ([{"coerce": {"a": "complex"}}], "WV601", "unknown coerce type"),
        ([{"coerce": {"a": {"type": "datetime", "timezone": "Mars/Base"}}}], "WV601", "unknown time zone"),
        ([{"validate": {"schema": {"type": 12}}}], "WV601", "invalid JSON Schema"),
    ],
)
def test_build_errors(steps: list[dict[str, Any]], code: str, text: str) -> None:
    with pytest.raises(StepError) as info:
        build_pipeline(steps, file="x.yaml", positions=[("x.yaml", 7)])
    assert info.value.code == code and text in str(info.value)
    assert info.value.line == 7 and info.value.index == 0


def _library(tmp_path: Path) -> Any:
    (tmp_path / "a.yaml").write_text(
        "kind: transform\nname: outer\nsteps:\n  - use: inner\n  - set: {tag: \"'outer'\"}\n"
        "fixtures: [{name: ok, input: {v: '1'}, expect: {v: 1, tag: outer}}]\n"
    )
    (tmp_path / "b.yaml").write_text(
        "kind: transform\nname: inner\nsteps:\n  - coerce: {v: int}\n  - lookup: {table: t, key: v, into: label,"
        " default: none}\n  - drop: [label]\n---\nkind: table\nname: t\nmapping: {'1': one}\n"
        "---\nkind: transform\nname: loop\nsteps: [{use: loop}]\n"
    )
    return load_library([tmp_path])


def test_use_resolves_across_files_and_errors_point_into_the_used_file(tmp_path: Path) -> None:
    lib = _library(tmp_path)
    assert build_pipeline([{"use": "outer"}], library=lib).run({"v": "1"}) == [{"v": 1, "tag": "outer"}]
    with pytest.raises(TransformError) as info:
        build_pipeline([{"use": "outer"}], library=lib, file="spec.yaml", positions=[("spec.yaml", 3)]).run(
            {"id": 1, "v": "x"})
    err = info.value
    assert err.step == "#1 use > #1 use > #1 coerce"
    assert err.file.endswith("b.yaml") and err.line == 4 and err.record_key == 1
    with pytest.raises(StepError, match="uses itself"):
        build_pipeline([{"use": "loop"}], library=lib)


def test_lookup_with_rows_column_and_default(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        "kind: table\nname: regions\nkey: country\nrows:\n  - {country: DE, region: EMEA}\n  - {country: 1, region: X}\n")
    lib = load_library([tmp_path])
    steps = [{"lookup": {"table": "regions", "key": "c", "into": "r", "column": "region", "default": "OTHER"}}]
    pipe = build_pipeline(steps, library=lib)
    assert pipe.run({"c": "DE"}) == [{"c": "DE", "r": "EMEA"}]
    assert pipe.run({"c": "FR"}) == [{"c": "FR", "r": "OTHER"}]
    assert pipe.run({"c": 1}) == [{"c": 1, "r": "X"}]
    strict = build_pipeline([{"lookup": {"table": "regions", "key": "c", "into": "r"}}], library=lib)
    with pytest.raises(TransformError, match="no entry for key 'FR'"):
        strict.run({"c": "FR"})


def test_template_step_escapes_xml_and_keeps_payload_literal(tmp_path: Path) -> None:
    (tmp_path / "env.xml.j2").write_text("<a>{{ name }}</a>")
    (tmp_path / "x.yaml").write_text("kind: table\nname: t\nmapping: {}\n")
    lib = load_library([tmp_path])
    pipe = build_pipeline([{"template": {"field": "body", "file": "env.xml.j2"}},
                           {"template": {"field": "text", "template": "{{ name }}"}}], library=lib)
    assert pipe.run({"name": "<{{ 7*7 }}>"}) == [
        {"name": "<{{ 7*7 }}>", "body": "<a>&lt;{{ 7*7 }}&gt;</a>", "text": "<{{ 7*7 }}>"}]
    with pytest.raises(TransformError, match="'name' is undefined"):
        pipe.run({"id": 1})


def test_a_non_object_record_is_a_record_error() -> None:
    with pytest.raises(TransformError, match="must be an object"):
        build_pipeline([{"map": "@"}]).run(["not", "a", "record"])  # type: ignore[arg-type]


def test_check_steps_reports_every_bad_step_with_its_line() -> None:
    from weave.transforms.steps import check_steps

    errors = check_steps([{"map": "a"}, {"map": "a.["}, {"use": "x"}, {"frob": 1}],
                         file="s.yaml", positions=[("s.yaml", 10), ("s.yaml", 11), ("s.yaml", 12), ("s.yaml", 13)])
    assert [(e.index, e.code, e.line) for e in errors] == [(1, "WV312", 11), (2, "WV307", 12), (3, "WV601", 13)]


_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=3)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3)),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "c", "id"]), _json, max_size=4))
def test_steps_never_mutate_the_input_and_fail_only_with_transform_errors(record: dict[str, Any]) -> None:
    before = copy.deepcopy(record)
    pipeline = build_pipeline([
        {"set": {"a.x": "b", "c": {"template": "{{ record | length }}"}}},
        {"rename": {"b": "a.y"}},
        {"drop": ["a.x", "id"]},
        {"coerce": {"c": "int"}},
        {"split": {"items": "[@]", "with": {"n": "length(keys(@))"}}},
    ])
    try:
        out = pipeline.run(record)
        assert all(isinstance(r, dict) for r in out)
    except TransformError:
        pass
    assert record == before
