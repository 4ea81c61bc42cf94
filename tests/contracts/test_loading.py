"""Loading contracts offline: OpenAPI with local and relative-file $refs, WSDL/XSD, JSON Schema, and
refusal of remote refs and XML entities. The example contracts describe the simulated systems exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from weave.contracts.loader import load_contract
from weave.contracts.model import ContractError
from weave.contracts.schemas import ITEMS, lookup, properties, required, types

from .projects import OLD_WSDL, SHOP_OPENAPI, SHOP_SCHEMAS


def test_openapi_refs_across_files_and_recursion(tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text(SHOP_OPENAPI)
    (tmp_path / "shop-schemas.yaml").write_text(SHOP_SCHEMAS)
    contract = load_contract(str(tmp_path / "shop.yaml"))
    assert (contract.format, contract.version, list(contract.operations)) == ("openapi", "1.2", ["GET /orders"])
    op = contract.http("GET", "/orders/")
    assert op is not None and op.read_only and op.line == 5
    order, _ = lookup(op.response or {}, ("data", ITEMS), strict_declared=True)
    assert order is not None and "customer" in properties(order)
    country, _ = lookup(order, ("customer", "country"), strict_declared=True)
    assert country == {"type": "string"}
    parent, _ = lookup(order, ("customer", "parent"), strict_declared=True)
    assert parent is not None and parent["x-recursive"].endswith("shop-schemas.yaml#/Customer")  # cycle cut
    assert lookup(order, ("customer", "parent", "anything"), strict_declared=True) == ({}, -1)  # read as "any"


def test_openapi_as_json(tmp_path: Path) -> None:
    doc = {"openapi": "3.0.0", "info": {"title": "j", "version": "2"},
           "paths": {"/things/{id}": {"parameters": [], "delete": {"responses": {"204": {"description": "gone"}}}}}}
    (tmp_path / "api.json").write_text(json.dumps(doc))
    contract = load_contract(str(tmp_path / "api.json"))
    assert contract.http("DELETE", "/things/{thing_id}") is not None
    assert contract.methods_for("/things/1") == ["DELETE"]  # a literal value fills the path parameter
    assert contract.methods_for("/things/1/parts") == []


@pytest.mark.parametrize("ref, message", [
    ("https://example.com/schemas.yaml#/Order", "remote"),
    ("nowhere.yaml#/Order", "No such file"),
    ("#/components/schemas/Nope", "points at nothing"),
])
def test_bad_refs_are_errors(tmp_path: Path, ref: str, message: str) -> None:
    text = SHOP_OPENAPI.replace("shop-schemas.yaml#/Order", ref)
    (tmp_path / "api.yaml").write_text(text)
    with pytest.raises(ContractError, match=message):
        load_contract(str(tmp_path / "api.yaml"))


def test_wsdl_types_extension_enumeration_and_arrays(tmp_path: Path) -> None:
    (tmp_path / "old.wsdl").write_text(OLD_WSDL)
    contract = load_contract(str(tmp_path / "old.wsdl"))
    assert (contract.format, contract.version) == ("wsdl", "urn:old")
    op = contract.soap("PutItems")
    assert op is not None and op.line == 25
    request = op.request or {}
    assert required(request) == {"Item"} and types(properties(request)["Item"]) == {"array"}
    item, _ = lookup(request, ("Item", "Id"), strict_declared=False, auto_items=True)
    assert item is not None and item["x-xsd"] == "string"  # inherited from the extension base
    kind, _ = lookup(request, ("Item", ITEMS, "Kind"), strict_declared=False)
    assert kind is not None and kind["enum"] == ["A", "B"]
    assert lookup(request, ("Item", "Colour"), strict_declared=False, auto_items=True) == (None, 1)
    assert (op.response or {})["properties"]["PutItemsResponse"]["required"] == ["Count"]


@pytest.mark.parametrize("text, message", [
    ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;</d>', "DTDs and entity declarations"),
    ('<d><e></d>', "not well-formed"),
    ('<definitions/>', "not a WSDL 1.1 document"),
])
def test_hostile_or_broken_xml_is_refused(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "x.wsdl").write_text(text)
    with pytest.raises(ContractError, match=message):
        load_contract(str(tmp_path / "x.wsdl"))


def test_json_schema_contract(tmp_path: Path) -> None:
    (tmp_path / "common.json").write_text(json.dumps({"Money": {"type": "number"}}))
    (tmp_path / "event.schema.json").write_text(json.dumps({
        "$id": "urn:acme:order:3", "type": "object", "required": ["id"],
        "properties": {"id": {"type": "string"}, "total": {"$ref": "common.json#/Money"}}}))
    contract = load_contract(str(tmp_path / "event.schema.json"))
    assert (contract.format, contract.version) == ("jsonschema", "urn:acme:order:3")
    assert properties(contract.schema or {})["total"] == {"type": "number"}


def test_example_contracts_describe_the_simulated_systems(repo_root: Path) -> None:
    from weave.sandbox._erp_wsdl import CUSTOMER_FIELDS, OPERATIONS
    from weave.sandbox.crm import COLLECTIONS

    erp = load_contract(str(repo_root / "contracts" / "erp.wsdl"))
    assert list(erp.operations) == list(OPERATIONS) and erp.version == "urn:acme:erp:v1"
    assert erp.endpoint == "/soap"
    create_customer = erp.soap("CreateCustomer")
    assert create_customer is not None
    customer, _ = lookup(create_customer.request or {}, ("Customer",), strict_declared=True)
    assert tuple(properties(customer or {})) == CUSTOMER_FIELDS
    crm = load_contract(str(repo_root / "contracts" / "crm.openapi.yaml"))
    for name, collection in COLLECTIONS.items():
        assert crm.http("GET", f"/api/{name}") is not None and crm.http("GET", f"/api/{name}/{{id}}") is not None
        writable = crm.http("POST", f"/api/{name}") is not None
        assert writable == collection.writable
        if writable:
            post = crm.http("POST", f"/api/{name}")
            create = (post.request if post is not None else None) or {}
            assert required(create) == set(collection.required)
            assert crm.http("PATCH", f"/api/{name}/{{id}}") is not None
            assert crm.http("POST", f"/api/{name}/bulk") is not None
    assert crm.http("POST", "/oauth/token") is not None and crm.version == "2024-06"


@pytest.mark.parametrize("name", ["operations", "email", "marketing", "documents", "telephony", "payments"])
def test_saas_contracts_cover_exactly_the_simulated_routes(repo_root: Path, name: str) -> None:
    from weave.sandbox.cluster import service_class

    contract = load_contract(str(repo_root / "contracts" / f"{name}.openapi.yaml"))
    served = set()
    for route in service_class(name)().routes():
        path = getattr(route, "path", "")
        if path.startswith(("/_", "/admin")):
            continue
        for method in sorted(set(getattr(route, "methods", None) or ()) - {"HEAD"}):
            op = contract.http(method, path)
            assert op is not None, f"{name}: {method} {path} is served but not in the contract"
            served.add(op.key)
    assert served == set(contract.operations)  # and nothing in the contract that the system does not serve


def test_the_cache_notices_a_changed_ref_file(tmp_path: Path) -> None:
    import os

    (tmp_path / "shop.yaml").write_text(SHOP_OPENAPI)
    schemas = tmp_path / "shop-schemas.yaml"
    schemas.write_text(SHOP_SCHEMAS)
    first = load_contract(str(tmp_path / "shop.yaml"))
    assert load_contract(str(tmp_path / "shop.yaml")) is first  # cached
    schemas.write_text(SHOP_SCHEMAS.replace("    ref: {type: string}\n", ""))
    os.utime(schemas, ns=(1, 1))  # a different mtime even on coarse clocks
    second = load_contract(str(tmp_path / "shop.yaml"))
    assert second is not first
    listing = second.http("GET", "/orders")
    assert listing is not None
    order, _ = lookup(listing.response or {}, ("data", ITEMS), strict_declared=True)
    assert "ref" not in properties(order or {})
