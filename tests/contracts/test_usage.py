"""Usage extraction: every step kind, extract reads, SOAP envelopes, gateway upstreams, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from weave.cli.main import cli
from weave.contracts.usage import Usage, integration_usage
from weave.spec import load_project

from .projects import ALL_STEPS, CHECKS, ORDERS_ROUTE, portal, write_project


@pytest.fixture
def all_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_project(tmp_path, ALL_STEPS)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _usage(name: str) -> Usage:
    load = load_project(["specs"])
    return integration_usage(load.project, load.project.integrations[name])


def test_every_step_kind_reads_and_writes(all_steps: Path) -> None:
    usage = _usage("all-steps")
    by_kind = {s.kind: s for s in usage.steps}
    assert set(by_kind) == {"filter", "set", "template", "coerce", "rename", "drop", "validate", "lookup", "split",
                            "use", "map"}
    assert by_kind["filter"].reads == ("status",) and by_kind["filter"].writes == ()
    assert by_kind["set"].reads == ("total", "number", "qty")  # JMESPath, template and Jinja expression values
    assert by_kind["set"].writes == ("total_cents", "label", "origin", "double")
    assert by_kind["template"].reads == ("customer.name", "total") and by_kind["template"].writes == ("summary",)
    assert by_kind["coerce"].reads == ("paid_at",) and by_kind["coerce"].writes == ("paid_at",)
    assert by_kind["rename"].reads == ("ref",) and by_kind["rename"].writes == ("external_ref",)
    assert by_kind["rename"].removes == ("ref",)
    assert by_kind["drop"].removes == ("internal_notes",) and by_kind["drop"].writes == ()
    assert by_kind["validate"].reads == ("id",)
    assert by_kind["lookup"].reads == ("customer.country",) and by_kind["lookup"].writes == ("country_name",)
    assert by_kind["split"].reads == ("lines", "id") and by_kind["split"].writes == ("order_id",)
    # the used transform's map reads the split elements (lines[].x) and the field split added
    assert by_kind["map"].reads == ("lines[].sku", "lines[].quantity", "lines[].unit_price", "order_id")
    assert by_kind["map"].writes == ("sku", "qty", "order", "price")
    assert by_kind["map"].file == "transforms/library.yaml" and by_kind["map"].line == 5
    assert by_kind["use"].line == 23 and by_kind["filter"].line == 14


def test_calls_written_and_read_fields(all_steps: Path) -> None:
    usage = _usage("all-steps")
    extract, deliver = usage.calls
    assert (extract.role, extract.system, extract.key, extract.records) == ("read", "shop", "GET /orders", ("data",))
    reads = [(r.name, r.function) for r in extract.reads]
    assert ("total", "to_number") in reads
    assert {name for name, _ in reads} == {"status", "total", "number", "qty", "customer.name", "paid_at", "ref",
                                           "id", "customer.country", "lines", "lines[].sku", "lines[].quantity",
                                           "lines[].unit_price"}
    assert (deliver.role, deliver.system, deliver.key) == ("write", "ledger", "POST /entries")
    assert [w.name for w in deliver.writes] == ["sku", "qty", "order", "price"]
    assert deliver.complete
    sku = deliver.writes[0]
    assert (sku.file, sku.line, sku.column) == ("transforms/library.yaml", 5, 12)


def test_passthrough_makes_the_written_set_incomplete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = ALL_STEPS.replace("  - use: line-to-ledger\n", "")
    write_project(tmp_path, text)
    monkeypatch.chdir(tmp_path)
    deliver = _usage("all-steps").calls[1]
    assert not deliver.complete  # split elements pass through: unmapped fields are written too
    assert [w.name for w in deliver.writes] == ["order_id"]


def test_soap_envelope_fields_come_from_the_mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, CHECKS, envelope=True)
    monkeypatch.chdir(tmp_path)
    calls = _usage("soap-calls").calls
    envelope = calls[0]
    assert (envelope.style, envelope.operation) == ("soap", "PutItems")
    assert [w.name for w in envelope.writes] == ["Item.Id", "Item.Qty", "Item.Colour"]
    colour = envelope.writes[2]
    assert (colour.line, colour.column) == (131, 52)  # the map key that fills <o:Colour>
    assert calls[1].operation == "PutItem" and [w.name for w in calls[1].writes] == ["items[].id", "items[].qty",
                                                                                   "items[].colour"]


def test_example_ecosystem_usage(repo_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo_root)
    load = load_project(["specs"])
    usage = integration_usage(load.project, load.project.integrations["customer-master-sync"])
    erp = next(c for c in usage.calls if c.system == "erp")
    assert erp.key == "UpsertCustomer"
    assert {w.name for w in erp.writes} == {"Customer.CrmId", "Customer.Name", "Customer.Country", "Customer.City",
                                            "Customer.PostalCode", "Customer.Email", "Customer.VatId"}
    assert {w.file for w in erp.writes} == {"transforms/acme/accounts.yaml"}
    call_logging = integration_usage(load.project, load.project.integrations["call-logging"])
    (patch,) = call_logging.calls
    assert patch.key == "PATCH /api/contacts/{contact_id}"
    assert "last_call.number" in {w.name for w in patch.writes}


def test_gateway_upstreams_are_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, portal(ORDERS_ROUTE, "    - path: /p/summary\n      compose:\n"
                                                 "        - {name: orders, system: shop, path: /orders}\n"))
    monkeypatch.chdir(tmp_path)
    calls = _usage("portal").calls
    assert [(c.role, c.system, c.key, c.where, c.line) for c in calls] == [
        ("proxy", "shop", "GET /orders", "gateway.routes.0", 14),
        ("proxy", "shop", "GET /orders", "gateway.routes.1", 17),
    ]


def test_usage_cli_text_and_json(all_steps: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["usage", "all-steps", "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["kind"] == "weave-usage" and payload["owner"] == "team-a"
    assert [c["operation"] for c in payload["calls"]] == ["GET /orders", "POST /entries"]
    assert [w["field"] for w in payload["calls"][1]["writes"]] == ["sku", "qty", "order", "price"]
    text = runner.invoke(cli, ["usage", "all-steps"])
    assert text.exit_code == 0 and "write ledger POST /entries" in text.output and "reads  customer.name" in text.output
    missing = runner.invoke(cli, ["usage", "all-step"])
    assert missing.exit_code == 1 and "did you mean 'all-steps'" in missing.output


def test_deep_paths_and_pipes() -> None:
    from weave.contracts.exprs import reads, value_path

    assert value_path("ListCustomersResponse.Customers.Customer") == ("ListCustomersResponse", "Customers",
                                                                       "Customer")
    assert [(r.path, r.function) for r in reads("to_number(a.b.c)")] == [(("a", "b", "c"), "to_number")]
    assert [r.path for r in reads("x.y | z")] == [("x", "y", "z")]
    assert [r.path for r in reads("items[?kind == 'a'].price.net")] == [("items", "[]", "kind"),
                                                                       ("items", "[]", "price", "net")]


def test_template_reads_follow_every_branch_and_skip_locals() -> None:
    from weave.contracts.templates import template_reads

    source = "{% if a.b %}{{ c }}{% elif d %}{{ e.f }}{% else %}{{ g }}{% endif %}{% set h = i %}{{ h }}"
    assert template_reads(source) == [("a", "b"), ("c",), ("d",), ("e", "f"), ("g",), ("i",)]
