"""Parameter checks of HTTP calls (WV710–WV712): path parameters, required path/query/header parameters,
and literal values against the parameter schemas. The fixture project (tests/contracts/fixtures/params)
is copied to a temporary directory and validated by `weave validate` run as a CLI subprocess."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from weave.contracts.loader import load_contract
from weave.contracts.paramcheck import value_problem

from .cli import FIXTURES, copy_fixture, position, weave
from .projects import integration_head, nightly, post

SPECS = "specs/integrations.yaml"


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    root = copy_fixture("params", tmp_path_factory.mktemp("params"))
    result = weave("validate", "specs", "--format", "json", cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    return root, json.loads(result.stdout)["diagnostics"]


def _found(reported: tuple[Path, list[dict[str, Any]]], *codes: str) -> set[tuple[str, str, int, int, str]]:
    return {(d["code"], d["data"]["integration"], d["line"], d["column"], d["data"].get("parameter", "")) for d in
            reported[1] if d["code"] in codes}


def _at(root: Path, needle: str, after: str, shift: int = 0) -> tuple[int, int]:
    line, column = position(root / SPECS, needle, after=f"name: {after}")
    return line, column + shift


def test_exact_set_of_parameter_findings(reported: tuple[Path, list[dict[str, Any]]]) -> None:
    root = reported[0]
    expected = {
        ("WV711", "bad-literals", *_at(root, "/orders", "bad-literals"), "X-Tenant"),
        ("WV712", "bad-literals", *_at(root, "pending", "bad-literals"), "status"),          # not in the enum
        ("WV712", "bad-literals", *_at(root, "500", "bad-literals"), "limit"),               # above the maximum
        ("WV712", "bad-literals", *_at(root, '"2024-13-01"', "bad-literals"), "since"),      # not a date
        ("WV712", "bad-literals", *_at(root, '"yes"', "bad-literals"), "active"),            # not a boolean
        ("WV712", "bad-literals", *_at(root, "europe", "bad-literals"), "region"),           # pattern
        ("WV712", "bad-literals", *_at(root, "start: 0", "bad-literals", 7), "page"),        # the first page sent
        ("WV712", "one-order", *_at(root, "abc", "one-order"), "order_id"),                  # a path segment
        ("WV712", "one-order", *_at(root, "not-a-uuid", "one-order"), "X-Tenant"),           # a header
        ("WV711", "read-placeholder", *_at(root, "{order_id}", "read-placeholder"), "order_id"),
        ("WV710", "recent", *_at(root, "{state}", "recent"), "{state}"),
        ("WV711", "update-unkeyed", *_at(root, '"/orders/{order_id}"', "update-unkeyed"), "Idempotency-Key"),
        ("WV711", "update-keyed", *_at(root, "{order_id}", "update-keyed"), "order_id"),
        ("WV712", "update-literal", *_at(root, "order_id: 'first'", "update-literal"), "order_id"),
        ("WV712", "portal", *_at(root, "/orders/0", "portal", 8), "order_id"),
        ("WV712", "portal", *_at(root, '"1000"', "portal"), "limit"),
    }
    assert _found(reported, "WV710", "WV711", "WV712") == expected


def test_clean_calls_report_nothing(reported: tuple[Path, list[dict[str, Any]]]) -> None:
    """Good literals, a Jinja value, a gateway `{param}` path and a client pass-through parameter are fine;
    required headers weave sends itself (Content-Type) or the spec lists are supplied."""
    contract_codes = {d["code"] for d in reported[1] if d["data"].get("integration") == "clean-read"}
    assert contract_codes == set()
    portal = {(d["line"]) for d in reported[1] if d["data"].get("integration") == "portal"}
    assert _at(reported[0], '"/p/orders/{id}"', "portal")[0] not in portal
    assert not [d for d in reported[1] if d["data"].get("parameter") in ("region", "Content-Type")
                and d["data"].get("integration") in ("portal", "update-unkeyed")]


def test_messages_hints_and_data(reported: tuple[Path, list[dict[str, Any]]]) -> None:
    by = {(d["code"], d["data"]["integration"], d["data"].get("parameter")): d for d in reported[1]}
    limit = by[("WV712", "bad-literals", "limit")]
    assert "gets '500', above the maximum 100" in limit["message"]
    assert limit["hint"] == "send a value the contract allows (integer (minimum 1, maximum 100))"
    assert limit["data"] == {"integration": "bad-literals", "system": "shop", "operation": "GET /orders",
                             "parameter": "limit", "in": "query"}
    header = by[("WV712", "one-order", "X-Tenant")]
    assert "not-a-uuid" not in header["message"] and "not a valid uuid" in header["message"]  # values not echoed
    assert "add `X-Tenant` under `headers:`" in by[("WV711", "bad-literals", "X-Tenant")]["hint"]
    assert "a read sends its path as written" in by[("WV711", "read-placeholder", "order_id")]["message"]
    assert "lacks" in by[("WV711", "update-keyed", "order_id")]["message"]
    misplaced = by[("WV710", "recent", "{state}")]
    assert "fixed segment 'open'" in misplaced["message"] and misplaced["hint"].startswith("write 'open' there")
    assert not [d for d in reported[1] if d["code"] == "WV702"]  # WV710 explains the near miss instead
    assert all(d["severity"] == "error" for d in reported[1] if d["code"] in ("WV710", "WV711", "WV712"))


def test_text_output_and_exit_code(tmp_path: Path) -> None:
    root = copy_fixture("params", tmp_path)
    result = weave("validate", "specs", cwd=root)
    assert result.returncode == 1
    line, column = position(root / SPECS, "{state}", after="name: recent")
    assert f"{SPECS}:{line}:{column} error WV710" in result.stdout
    assert "hint: send a value the contract allows (one of open, closed)" in result.stdout


def test_fixing_the_specs_clears_the_findings(tmp_path: Path) -> None:
    root = copy_fixture("params", tmp_path)
    spec = root / SPECS
    text = spec.read_text()
    for old, new in [("status: pending, limit: 500, since: \"2024-13-01\", active: \"yes\", region: europe",
                      "status: closed, limit: 100, since: \"2024-02-29\", active: false, region: de"),
                     ("{type: page, start: 0}", "{type: page, start: 1}"),
                     ("http:\n    path: /orders\n    params: {status: closed",
                      "http:\n    path: /orders\n    headers: {x-tenant: 00000000-0000-0000-0000-000000000000}\n"
                      "    params: {status: closed"),
                     ("/orders/abc, headers: {X-Tenant: not-a-uuid}",
                      "/orders/42, headers: {X-Tenant: 00000000-0000-0000-0000-000000000000}"),
                     ('"/orders/{order_id}", headers', '"/orders/7", headers'),
                     ('"/orders/{state}/recent"', "/orders/open/recent"),
                     ("{order_id: 'first', status: state}", "{order_id: `3`, status: state}"),
                     ("{status: state, total: amount}", "{order_id: id, status: state, total: amount}"),
                     ("/orders/0,", "/orders/1,"), ('limit: "1000"', 'limit: "10"')]:
        assert old in text, old
        text = text.replace(old, new)
    text = text.replace("name: update-unkeyed\n", "name: update-unkeyed\nidempotency_key: id\n")
    spec.write_text(text)
    result = weave("validate", "specs", "--format", "json", cwd=root)
    left = [d for d in json.loads(result.stdout)["diagnostics"] if d["code"].startswith("WV7")]
    assert left == [] and result.returncode == 0, left


def test_openapi_parameters_are_loaded() -> None:
    contract = load_contract(str(FIXTURES / "params" / "contracts" / "orders.openapi.yaml"))
    listing = contract.http("GET", "/orders")
    assert listing is not None and listing.query == {"status", "limit", "since", "active", "page", "region"}
    tenant = listing.param("header", "x-tenant")  # header names match case-insensitively
    assert tenant is not None and tenant.required and tenant.schema["format"] == "uuid"
    one = contract.http("PUT", "/orders/{id}")
    assert one is not None and one.query == frozenset()  # parameters declared, none in the query
    assert {(p.name, p.location, p.required) for p in one.params} == {
        ("order_id", "path", True), ("Idempotency-Key", "header", True), ("Content-Type", "header", True)}
    assert one.param("path", "order_id").line == 25  # type: ignore[union-attr]  # the path item's entry


def test_literal_segments_fill_path_parameters_most_specific_first() -> None:
    contract = load_contract(str(FIXTURES / "params" / "contracts" / "orders.openapi.yaml"))
    found = contract.match("GET", "/orders/open/recent")
    assert found is not None and found[0].key == "GET /orders/open/recent"  # the fixed path wins
    found = contract.match("GET", "/orders/17/")
    assert found is not None and found[0].key == "GET /orders/{order_id}" and found[1].bound == ((1, "order_id", "17"),)
    assert contract.match("GET", "/orders/{kind}/recent") is None
    assert contract.match("GET", "/orders/{kind}/recent", loose=True) is not None
    assert contract.methods_for("/orders/17") == ["GET", "PUT"]


@pytest.mark.parametrize("schema, text, problem", [
    ({"type": "integer"}, "12", None),
    ({"type": "integer"}, "-3", None),
    ({"type": "integer"}, "1.5", "which is not an integer"),
    ({"type": "number"}, "1.5e3", None),
    ({"type": "number"}, "1_000", "which is not a number"),
    ({"type": "boolean"}, "true", None),
    ({"type": "boolean"}, "True", "which is not a boolean"),
    ({"type": ["integer", "null"]}, "x", "which is not an integer"),
    ({"type": "string", "enum": ["a", "b"]}, "c", "not one of a, b"),
    ({"type": "integer", "enum": [1, 2]}, "2", None),
    ({"type": "boolean", "enum": [True]}, "true", None),
    ({"type": "integer", "minimum": 1}, "0", "below the minimum 1"),
    ({"type": "integer", "minimum": 1, "exclusiveMinimum": True}, "1", "below the exclusive minimum 1"),
    ({"type": "integer", "exclusiveMaximum": 10}, "10", "not below the exclusive maximum 10"),
    ({"type": "integer", "format": "int32"}, "2147483648", "out of the int32 range"),
    ({"type": "integer", "format": "int64"}, "2147483648", None),
    ({"type": "string", "format": "date"}, "2024-02-30", "which is not a valid date"),
    ({"type": "string", "format": "date"}, "2024-02-29", None),
    ({"type": "string", "format": "date-time"}, "2024-02-29T10:00:00Z", None),
    ({"type": "string", "format": "date-time"}, "2024-02-29 10:00", "which is not a valid date-time"),
    ({"type": "string", "format": "time"}, "10:00:00", None),
    ({"type": "string", "format": "uuid"}, "123e4567-e89b-12d3-a456-42661417400", "which is not a valid uuid"),
    ({"type": "string", "format": "email"}, "ops@acme.example", None),
    ({"type": "string", "format": "email"}, "ops", "which is not a valid email"),
    ({"type": "string", "format": "ipv4"}, "10.0.0.256", "which is not a valid ipv4"),
    ({"type": "string", "format": "ipv6"}, "::1", None),
    ({"type": "string", "format": "uri"}, "https://acme.example/x", None),
    ({"type": "string", "format": "uri"}, "acme.example", "which is not a valid uri"),
    ({"type": "string", "format": "made-up"}, "anything", None),
    ({"type": "string", "minLength": 3}, "ab", "shorter than minLength 3"),
    ({"type": "string", "maxLength": 2}, "abc", "longer than maxLength 2"),
    ({"type": "string", "pattern": "^[A-Z]{3}$"}, "EUR", None),
    ({"type": "string", "pattern": "^[A-Z]{3}$"}, "eur", "which does not match the pattern ^[A-Z]{3}$"),
    ({"type": "string", "pattern": "(?<=x"}, "abc", None),  # not a pattern Python reads: not checked
    ({"type": "array", "items": {"type": "integer"}}, "a,b", None),  # serialisation styles not followed
    ({}, "anything", None),
])
def test_value_problem(schema: dict[str, Any], text: str, problem: str | None) -> None:
    assert value_problem(schema, text) == problem


QUERY_IN_PATH = "---\n" + integration_head("query-in-path", "shop", source="warehouse", timing="real-time",
                                           volume=(1, 10)) + """\
trigger: {webhook: {path: /hooks/q}}
idempotency_key: id
steps:
  - map: "{order_id: id, status: state}"
deliver:
  - target: shop
    http: {method: PUT, path: "/orders/{order_id}?notify=yes"}
---
""" + nightly("limit-in-path", target="warehouse", deliver=[post("/orders", target="warehouse")],
              extract='path: "/orders?region=eu&limit=lots", headers: {X-Tenant: 123e4567-e89b-12d3-a456-426614174000}')


def test_query_parameters_written_into_the_path(tmp_path: Path) -> None:
    root = copy_fixture("params", tmp_path)
    spec = root / SPECS
    spec.write_text(spec.read_text() + QUERY_IN_PATH)
    result = weave("validate", "specs", "--format", "json", cwd=root)
    found = {(d["code"], d["line"], d["column"], d["data"].get("parameter") or d["data"].get("field"))
             for d in json.loads(result.stdout)["diagnostics"]
             if d["data"].get("integration") in ("query-in-path", "limit-in-path")}
    assert found == {
        ("WV703", *_at(root, "notify", "query-in-path"), "notify"),  # PUT /orders/{order_id} declares no query
        ("WV712", *_at(root, "lots", "limit-in-path"), "limit"),     # at the value inside the path
    }


def test_a_required_idempotency_header_points_at_idempotency_key(reported: tuple[Path, list[dict[str, Any]]]) -> None:
    (found,) = [d for d in reported[1] if d["code"] == "WV711" and d["data"]["parameter"] == "Idempotency-Key"]
    assert found["hint"] == "set `idempotency_key:` on the integration: weave then sends it with every request"
    # update-keyed and update-literal declare idempotency_key: the header is supplied by weave
    assert found["data"]["integration"] == "update-unkeyed"


def test_usage_text_lists_the_headers_and_query_a_call_sends(tmp_path: Path) -> None:
    root = copy_fixture("params", tmp_path)
    spec = root / SPECS
    spec.write_text(spec.read_text() + QUERY_IN_PATH)
    result = weave("usage", "limit-in-path", "specs", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "query parameters: region, limit" in lines
    assert "headers: X-Tenant" in lines  # names only, never the values
    assert "123e4567" not in result.stdout
