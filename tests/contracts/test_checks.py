"""Contract checks in `weave validate`: every code with its file, line and column."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.specs import documents
from weave.api.validate import validate
from weave.cli.main import cli

from .projects import CHECKS, ORDERS_ROUTE, integration_head, nightly, portal, write_project

INTEGRATIONS = "specs/integrations.yaml"


@pytest.fixture
def checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, int, int, str]]:
    write_project(tmp_path, CHECKS, envelope=True)
    monkeypatch.chdir(tmp_path)
    out = []
    for d in validate(["specs"]).diagnostics:
        if d.code.startswith("WV7"):
            line_text = (tmp_path / d.file).read_text().splitlines()[d.line - 1]
            out.append((d.code, d.file, d.line, d.column, line_text[d.column - 1:]))
    return out


def _find(found: list[tuple[str, str, int, int, str]], code: str, line: int) -> tuple[str, str, int, int, str]:
    hits = [f for f in found if f[0] == code and f[2] == line]
    assert len(hits) == 1, (code, line, found)
    return hits[0]


def test_wv701_unreadable_contract(checked: list) -> None:
    code, file, line, col, text = _find(checked, "WV701", 19)
    assert file == "specs/systems.yaml" and text.startswith("../contracts/missing.yaml")


def test_wv702_unknown_path_method_and_soap_operation(checked: list) -> None:
    assert _find(checked, "WV702", 15)[4].startswith("/entrys")      # bad-path
    assert _find(checked, "WV702", 31)[4].startswith("/entries")     # bad-method: PUT
    assert _find(checked, "WV702", 136)[4].startswith("PutItem}")    # soap operation
    assert all(f[1] == INTEGRATIONS for f in checked if f[0] == "WV702")


def test_wv703_field_not_allowed(checked: list) -> None:
    assert _find(checked, "WV703", 44)[3:] == (43, 'colour: colour}"')          # closed JSON schema
    assert _find(checked, "WV703", 131)[3:] == (52, "colour: colour}}\"")       # XSD sequence, via the envelope
    assert _find(checked, "WV703", 149)[3:] == (47, "limt: 10}, pagination: {type: cursor}}")  # undeclared query


def test_wv704_required_never_written(checked: list) -> None:
    assert _find(checked, "WV704", 63)[4].startswith("/entries")


def test_wv705_unknown_response_field_and_records(checked: list) -> None:
    assert _find(checked, "WV705", 78)[4].startswith("totl > `0`")  # the field itself, inside the filter
    assert _find(checked, "WV705", 97)[4].startswith("items}")


def test_wv706_type_mismatches(checked: list) -> None:
    assert _find(checked, "WV706", 80)[4].startswith("to_number(customer)")  # object into to_number()
    assert _find(checked, "WV706", 81)[4].startswith("sum(lines[].sku)")     # strings into sum()
    literals = sorted(f[3] for f in checked if f[0] == "WV706" and f[2] == 115)
    assert literals == [22, 36, 58]  # 'three' → integer, to_number(id) → string, 'GBP' not in the enum
    assert _find(checked, "WV706", 168)[4].startswith("qty: str}")  # coerced to a string, the contract: integer
    # copied as-is from the extracted records: lines[].unit_price is a number there, qty must be an integer —
    # fine (a number may be whole); lines[].quantity (integer) into price (number) — fine too; nothing reported
    assert not [f for f in checked if 170 < f[2] < 195]
    # lines[].sku (a string in the source contract), renamed, then copied into qty (an integer): reported
    assert _find(checked, "WV706", 207)[4].startswith("qty: code")


def test_exact_set_of_contract_findings(checked: list) -> None:
    assert sorted((f[0], f[2]) for f in checked) == sorted([
        ("WV701", 19), ("WV702", 15), ("WV702", 31), ("WV702", 136), ("WV703", 44), ("WV703", 131),
        ("WV704", 63), ("WV705", 78), ("WV705", 97), ("WV706", 80), ("WV706", 81), ("WV706", 115),
        ("WV706", 115), ("WV706", 115), ("WV703", 149), ("WV706", 168), ("WV706", 207)])


def test_example_ecosystem_is_clean_and_fast(repo_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo_root)
    start = time.perf_counter()
    result = validate(["specs"])
    assert [d for d in result.diagnostics if d.code.startswith("WV7")] == []
    assert time.perf_counter() - start < 10


def test_validate_cli_json_carries_the_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, CHECKS, envelope=True)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate", "specs", "--format", "json"])
    assert result.exit_code == 1
    payload = json.loads(result.output)
    extra = next(d for d in payload["diagnostics"] if d["code"] == "WV703" and d["line"] == 44)
    assert extra["data"] == {"integration": "extra-field", "system": "ledger", "operation": "POST /entries",
                             "field": "colour"}


PAID = """\
kind: event
name: shop.order.paid
version: 1
owner: team-a
publisher: shop
schema:
  type: object
  required: [id]
  properties:
    id: {type: string}
    amount: {type: object, properties: {value: {type: number}, currency: {type: string}}}
"""
EVENTS = documents(PAID, integration_head("paid-to-ledger", timing="real-time", volume=(1, 10)) + """\
trigger: {event: shop.order.paid}
steps:
  - map: "{sku: id, qty: `1`, order: id, price: to_number(amount), currency: amount.curency}"
deliver:
  - target: ledger
    http: {method: POST, path: /entries}
""")


def test_event_schemas_are_the_contract_of_their_subscribers(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, EVENTS)
    monkeypatch.chdir(tmp_path)
    found = [(d.code, d.file, d.line, d.column, d.data.get("field")) for d in validate(["specs"]).diagnostics
             if d.code in ("WV705", "WV706")]
    assert sorted(found) == [
        ("WV705", INTEGRATIONS, 24, 85, "amount.curency"),  # not in the event's schema (a typo)
        ("WV706", INTEGRATIONS, 24, 49, "amount"),          # to_number() of an object
    ]
    line = (tmp_path / INTEGRATIONS).read_text().splitlines()[23]
    assert line[84:].startswith("curency}") and line[48:].startswith("to_number(amount)")


PORTAL = portal(ORDERS_ROUTE, "    - {method: GET, path: /p/typo, upstream: {system: shop, path: /orderz}}\n")


def test_gateway_upstreams_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, PORTAL)
    monkeypatch.chdir(tmp_path)
    found = [(d.code, d.file, d.line, d.column, d.hint) for d in validate(["specs"]).diagnostics
             if d.code == "WV702"]
    assert found == [("WV702", INTEGRATIONS, 15, 67, "did you mean '/orders'?")]


FILES = """\
kind: system
name: drop
owner: team-a
api: {style: file, base_url: /tmp/drop, contract: ../contracts/entry.schema.json}
---
""" + nightly("ledger-export", 'map: "{sku: sku, qty: qty, note: note}"', target="drop",
              deliver=["  - target: drop\n    file: {path: out/entries.jsonl, format: jsonl}\n"]) + """\
---
""" + integration_head("ledger-import", "shop", source="drop") + """\
trigger: {schedule: {cron: "0 3 * * *"}}
extract:
  file: {path: "in/*.jsonl", format: jsonl}
steps:
  - filter: "quantity > `0`"
"""


def test_json_schema_contract_of_a_file_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, FILES)
    (tmp_path / "contracts" / "entry.schema.json").write_text(json.dumps({
        "type": "object", "additionalProperties": False, "required": ["sku", "qty"],
        "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}}}))
    monkeypatch.chdir(tmp_path)
    found = [(d.code, d.line, d.column, d.data.get("field")) for d in validate(["specs"]).diagnostics
             if d.code.startswith("WV7") and d.file == INTEGRATIONS]
    assert sorted(found) == [("WV703", 17, 32, "note"), ("WV705", 35, 14, "quantity")]


MALFORMED = integration_head("odd", volume=(1, 1)) + """\
trigger: {schedule: {cron: "0 2 * * *"}}
extract: {http: {method: GET, path: /orders, records: "data[?"}}
steps:
  - map: 42
  - map: "{a: "
  - set: [1, 2]
  - set: {x: {template: "{{ unclosed"}, y: {expression: "1 +"}, z: {nothing: 1}}
  - template: {field: t, file: does/not/exist.j2}
  - split: {with: {a: b}}
  - coerce: {c: {}}
  - rename: "a"
  - drop: {a: 1}
  - lookup: {table: nope}
  - validate: {event: nope}
  - use: no-such-transform
  - {filter: "a", map: "b"}
  - unknown_kind: 1
  - ref: 1
  - template_source: 1
deliver:
  - "not a mapping"
  - {target: ledger, soap: {operation: X, envelope: does/not/exist.xml.j2}}
  - {target: ledger, http: {method: POST}}
  - {target: ledger, steps: "nope", http: {path: /entries}}
"""


def test_malformed_specs_never_crash_the_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, MALFORMED)
    monkeypatch.chdir(tmp_path)
    result = validate(["specs"])  # schema and step errors are reported by their own checks
    assert result.diagnostics
    from weave.contracts.usage import integration_usage

    usage = integration_usage(result.load.project, result.load.project.integrations["odd"])
    assert [c.where for c in usage.calls] == ["extract", "deliver[1]", "deliver[2]", "deliver[3]"]


PUBLISHER = documents(PAID, integration_head("paid-events", None, timing="real-time", volume=(1, 10)) + """\
trigger: {webhook: {path: /hooks/shop}}
steps:
  - map: "{order: id, amount: 'twelve'}"
publish: {event: shop.order.paid}
""")


def test_a_publisher_writes_what_its_event_schema_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, PUBLISHER)
    monkeypatch.chdir(tmp_path)
    found = sorted((d.code, d.line, d.column, d.data.get("field")) for d in validate(["specs"]).diagnostics
                   if d.code.startswith("WV7") and d.file == INTEGRATIONS)
    assert found == [("WV704", 24, 18, "id"),        # required by the event, never mapped
                     ("WV706", 23, 23, "amount")]    # a string literal where the event has an object
    lines = (tmp_path / INTEGRATIONS).read_text().splitlines()
    assert lines[23][17:].startswith("shop.order.paid") and lines[22][22:].startswith("amount: 'twelve'")


def test_gateway_response_steps_name_fields_the_response_has(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, portal() + "    - method: GET\n      path: /p/orders\n"
                  "      upstream: {system: shop, path: /orders, query: {updated_since: x, sort: id}}\n"
                  "      response: {steps: [{drop: ['data[].internal_note']}, {pick: [data, meta]}]}\n")
    monkeypatch.chdir(tmp_path)
    found = [(d.code, d.line, d.column, d.data["field"]) for d in validate(["specs"]).diagnostics
             if d.code in ("WV703", "WV705")]
    assert found == [("WV703", 16, 73, "sort"),                     # a query parameter /orders does not declare
                     ("WV705", 17, 34, "data[].internal_note")]    # a drop that hides nothing (a typo)
    lines = (tmp_path / INTEGRATIONS).read_text().splitlines()
    assert lines[15][72:].startswith("sort: id") and lines[16][33:].startswith("'data[].internal_note'")


@pytest.mark.parametrize("text, needle", [
    ("openapi: 3.0.0\npaths: {/x: [\n", "YAML syntax error"),
    ("openapi: 3.0.0\ninfo: {version: '1'}\npaths:\n  /x:\n    get:\n      responses:\n        '200':\n"
     "          content: {application/json: {schema: {$ref: 'https://example.com/s.json'}}}\n", "remote"),
])
def test_wv701_names_the_contract_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                                          needle: str) -> None:
    write_project(tmp_path, "")
    (tmp_path / "contracts" / "ledger.openapi.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    (found,) = [d for d in validate(["specs"]).diagnostics if d.code == "WV701" and d.data["system"] == "ledger"]
    assert (found.file, found.line, found.column) == ("specs/systems.yaml", 9, 61)  # api.contract
    assert needle in found.message and "contracts/ledger.openapi.yaml" in found.message
