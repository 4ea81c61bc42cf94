"""Contract diffs: breaking vs non-breaking classification, and `weave contract diff` with impact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from weave.cli.main import cli
from weave.contracts.diff import diff_contracts
from weave.contracts.loader import load_contract
from weave.contracts.model import Contract

from .projects import ALL_STEPS, LEDGER_OPENAPI, OLD_WSDL, ORDERS_ROUTE, ledger_openapi, portal, write_project


def _contract(tmp_path: Path, name: str, text: str) -> Contract:
    path = tmp_path / name
    path.write_text(text)
    return load_contract(str(path))


def _summary(old: str, new: str, tmp_path: Path, suffix: str = ".yaml") -> list[tuple[str, bool, str]]:
    changes = diff_contracts(_contract(tmp_path, "old" + suffix, old), _contract(tmp_path, "new" + suffix, new))
    return [(c.kind, c.breaking, c.field or c.operation) for c in changes]


def test_identical_contracts_have_no_changes(tmp_path: Path) -> None:
    assert _summary(LEDGER_OPENAPI, LEDGER_OPENAPI, tmp_path) == []


LEDGER_V8 = ledger_openapi("8", "sku, qty, booked_on", {
    "sku": "{type: string}", "qty": "{type: integer}", "price": "{type: string}", "booked_on": "{type: string}",
    "memo": "{type: string}", "currency": "{type: string, enum: [EUR, USD, GBP]}",
}, paths="  /health:\n    get:\n      responses:\n        '200': {description: ok}\n")


def test_openapi_changes_are_classified(tmp_path: Path) -> None:
    assert sorted(_summary(LEDGER_OPENAPI, LEDGER_V8, tmp_path)) == sorted([
        ("operation-added", False, "GET /health"),
        ("field-removed", True, "order"),
        ("type-changed", True, "price"),
        ("enum-changed", False, "currency"),         # a request enum that gains a value breaks no writer
        ("required-added", True, "booked_on"),
        ("field-added", False, "memo"),
    ])


def test_response_enum_and_removed_operation(tmp_path: Path) -> None:
    old = LEDGER_OPENAPI.replace("'201': {description: created}", "'201':\n          description: created\n"
                                 "          content:\n            application/json:\n              schema:\n"
                                 "                type: object\n                properties:\n"
                                 "                  state: {type: string, enum: [open, closed]}\n")
    new = old.replace("enum: [open, closed]", "enum: [open, closed, void]")
    assert _summary(old, new, tmp_path) == [("enum-changed", True, "state")]  # readers meet a new value
    gone = old.replace("  /entries:\n    post:", "  /entries:\n    put:")
    assert sorted(_summary(old, gone, tmp_path)) == [("operation-added", False, "PUT /entries"),
                                                     ("operation-removed", True, "POST /entries")]


def test_wsdl_rename_is_flagged_as_probable_rename(tmp_path: Path) -> None:
    new = OLD_WSDL.replace('name="Qty"', 'name="Quantity"')
    changes = diff_contracts(_contract(tmp_path, "a.wsdl", OLD_WSDL), _contract(tmp_path, "b.wsdl", new))
    removed = next(c for c in changes if c.kind == "field-removed")
    assert removed.breaking and removed.field == "Item[].Qty" and "probably renamed to 'Quantity'" in removed.summary
    assert removed.line == 9  # the element's line in the old WSDL
    added = next(c for c in changes if c.kind == "required-added")  # Quantity has minOccurs 1: required
    assert added.breaking and added.field == "Item[].Quantity"


def test_xsd_type_change_is_breaking(tmp_path: Path) -> None:
    new = OLD_WSDL.replace('<xs:element name="Qty" type="xs:int"/>', '<xs:element name="Qty" type="xs:decimal"/>')
    assert _summary(OLD_WSDL, new, tmp_path, ".wsdl") == [("type-changed", True, "Item[].Qty")]


def test_contract_diff_cli_lists_affected_integrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, ALL_STEPS)
    monkeypatch.chdir(tmp_path)
    old = tmp_path / "ledger-v7.yaml"
    old.write_text(LEDGER_OPENAPI)
    new = tmp_path / "contracts" / "ledger.openapi.yaml"
    new.write_text(LEDGER_OPENAPI.replace("        price: {type: number}\n", ""))
    runner = CliRunner()
    result = runner.invoke(cli, ["contract", "diff", str(old), "contracts/ledger.openapi.yaml", "--format", "json"])
    assert result.exit_code == 1, result.output
    (system,) = json.loads(result.output)["systems"]
    assert system["system"] == "ledger"
    (change,) = system["changes"]
    assert change["kind"] == "field-removed" and change["breaking"]
    (hit,) = change["affected"]
    assert (hit["integration"], hit["owner"], hit["field"], hit["file"], hit["line"]) == (
        "all-steps", "team-a", "price", "transforms/library.yaml", 5)
    assert hit["contacts"] == {"email": "team-a@acme.example", "handle": "@acme/team-a"}
    text = runner.invoke(cli, ["contract", "diff", str(old), "contracts/ledger.openapi.yaml"])
    assert text.exit_code == 1 and "affects all-steps (owner team-a)" in text.output
    same = runner.invoke(cli, ["contract", "diff", str(old), str(old)])
    assert same.exit_code == 0 and "0 breaking" in same.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: 2.0\n")
    broken = runner.invoke(cli, ["contract", "diff", str(bad), str(old)])
    assert broken.exit_code == 2 and "only OpenAPI 3.x" in broken.output


def _shop_schema_diff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, integrations: str, old: str,
                      new: str) -> list[dict[str, Any]]:
    """The changes `weave contract diff --format json` finds in shop's contract (a breaking diff: exit code 1)
    once `old` is replaced by `new` in its schemas file, in a project with `integrations`."""
    write_project(tmp_path, integrations)
    monkeypatch.chdir(tmp_path)
    before = tmp_path / "shop-v1.yaml"
    before.write_text((tmp_path / "contracts" / "shop.openapi.yaml").read_text())
    (tmp_path / "shop-schemas.yaml").write_text((tmp_path / "contracts" / "shop-schemas.yaml").read_text())
    schemas = tmp_path / "contracts" / "shop-schemas.yaml"
    schemas.write_text(schemas.read_text().replace(old, new))
    result = CliRunner().invoke(cli, ["contract", "diff", str(before), "contracts/shop.openapi.yaml", "--format",
                                      "json"])
    assert result.exit_code == 1, result.output
    changes: list[dict[str, Any]] = json.loads(result.output)["systems"][0]["changes"]
    return changes


def test_gateway_proxies_are_affected_by_response_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (change,) = _shop_schema_diff(tmp_path, monkeypatch, portal(ORDERS_ROUTE), "    paid_at: {type: string}\n", "")
    assert (change["kind"], change["side"], change["field"]) == ("field-removed", "response", "data[].paid_at")
    assert [(a["integration"], a["where"], a["line"]) for a in change["affected"]] == [
        ("portal", "gateway.routes.0", 14)]


def test_a_renamed_field_a_gateway_drop_hides_is_pinned_to_the_drop(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    gateway = portal('    - {method: GET, path: /p/orders, upstream: {system: shop, path: /orders},'
                     ' response: {steps: [{drop: ["data[].internal_notes"]}]}}\n')
    changes = _shop_schema_diff(tmp_path, monkeypatch, gateway, "internal_notes:", "private_notes:")
    removed = next(c for c in changes if c["kind"] == "field-removed")
    assert "probably renamed to 'private_notes'" in removed["summary"]
    assert [(a["integration"], a["step"], a["field"], a["line"], a["column"]) for a in removed["affected"]] == [
        ("portal", "gateway.routes.0.response.steps[0] drop", "data[].internal_notes", 14, 106)]
    assert (tmp_path / "specs" / "integrations.yaml").read_text().splitlines()[13][105:].startswith(
        '"data[].internal_notes"')
