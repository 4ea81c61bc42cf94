"""`wsdl:import` (bindings and service in one WSDL, types, messages and port types in another) and
namespace-aware XSD names (the same local name in two target namespaces). Each test writes a small project
to a temporary directory; the CLI tests run `weave validate` as a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from weave.contracts.loader import file_reader, load_contract
from weave.contracts.model import ContractError
from weave.contracts.schemas import properties, required

from .cli import position, weave
from .projects import OWNERS, soap_sync, soap_systems

WSDL_NS = 'xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:xs="http://www.w3.org/2001/XMLSchema"'

SERVICE = f"""\
<?xml version="1.0"?>
<wsdl:definitions name="Billing" targetNamespace="urn:billing:service" {WSDL_NS}
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:svc="urn:billing:service" xmlns:msg="urn:billing">
  <wsdl:import namespace="urn:billing" location="parts/billing.wsdl"/>
  <wsdl:binding name="BillingBinding" type="msg:BillingPort">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
  </wsdl:binding>
  <wsdl:service name="BillingService">
    <wsdl:port name="Port" binding="svc:BillingBinding"><soap:address location="http://billing.example/soap/billing"/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"""

# Two schemas define `Invoice` in different target namespaces; CreateInvoice uses one of each.
BILLING = f"""\
<?xml version="1.0"?>
<wsdl:definitions targetNamespace="urn:billing" {WSDL_NS} xmlns:tns="urn:billing"
    xmlns:a="urn:billing:a" xmlns:b="urn:billing:b">
  <wsdl:import namespace="urn:billing:service" location="../service.wsdl"/>
  <wsdl:types>
    <xs:schema targetNamespace="urn:billing:a">
      <xs:complexType name="Invoice"><xs:sequence>
        <xs:element name="Number" type="xs:string"/><xs:element name="Total" type="xs:decimal"/>
      </xs:sequence></xs:complexType>
    </xs:schema>
    <xs:schema targetNamespace="urn:billing:b">
      <xs:import namespace="urn:billing:c" schemaLocation="types.xsd"/>
      <xs:complexType name="Invoice"><xs:sequence>
        <xs:element name="Id" type="xs:string"/><xs:element name="Amount" type="xs:decimal" minOccurs="0"/>
      </xs:sequence></xs:complexType>
    </xs:schema>
    <xs:schema targetNamespace="urn:billing" xmlns:c="urn:billing:c">
      <xs:element name="CreateInvoice"><xs:complexType><xs:sequence>
        <xs:element name="Invoice" type="a:Invoice"/>
        <xs:element name="Credit" type="b:Invoice" minOccurs="0"/>
        <xs:element name="Channel" type="c:Channel" minOccurs="0"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="CreateInvoiceResponse"><xs:complexType><xs:sequence>
        <xs:element name="Accepted" type="xs:boolean"/>
      </xs:sequence></xs:complexType></xs:element>
    </xs:schema>
  </wsdl:types>
  <wsdl:message name="CreateIn"><wsdl:part name="p" element="tns:CreateInvoice"/></wsdl:message>
  <wsdl:message name="CreateOut"><wsdl:part name="p" element="tns:CreateInvoiceResponse"/></wsdl:message>
  <wsdl:portType name="BillingPort">
    <wsdl:operation name="CreateInvoice">
      <wsdl:input message="tns:CreateIn"/><wsdl:output message="tns:CreateOut"/>
    </wsdl:operation>
  </wsdl:portType>
</wsdl:definitions>
"""

TYPES = """\
<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:billing:c">
  <xs:simpleType name="Channel"><xs:restriction base="xs:string">
    <xs:enumeration value="web"/><xs:enumeration value="shop"/></xs:restriction></xs:simpleType>
</xs:schema>
"""

SYSTEMS = soap_systems("billing", "service.wsdl")


def invoice_sync(name: str, mapping: str) -> str:
    return soap_sync(name, "billing", "CreateInvoice", mapping)


INTEGRATIONS = invoice_sync("invoices", "{Invoice: {Number: number, Total: total}, Credit: {Id: credit_id}}") + \
    "---\n" + invoice_sync("invoices-mixed", "{Invoice: {Number: number, Total: total}, Credit: {Number: credit}}")


def billing_project(root: Path) -> Path:
    (root / "specs").mkdir(parents=True)
    (root / "contracts" / "parts").mkdir(parents=True)
    (root / "specs" / "owners.yaml").write_text(OWNERS)
    (root / "specs" / "systems.yaml").write_text(SYSTEMS)
    (root / "specs" / "integrations.yaml").write_text(INTEGRATIONS)
    (root / "contracts" / "service.wsdl").write_text(SERVICE)
    (root / "contracts" / "parts" / "billing.wsdl").write_text(BILLING)
    (root / "contracts" / "parts" / "types.xsd").write_text(TYPES)
    return root


def test_imported_wsdl_defines_the_operations_with_qualified_types(tmp_path: Path) -> None:
    root = billing_project(tmp_path)
    read: list[str] = []

    def reader(path: str) -> bytes:
        read.append(Path(path).name)
        return file_reader(path)

    contract = load_contract(str(root / "contracts/service.wsdl"), reader)
    assert read == ["service.wsdl", "billing.wsdl", "types.xsd"]  # each once: the import back to service ends
    assert (contract.version, contract.endpoint) == ("urn:billing:service", "/soap/billing")
    op = contract.soap("CreateInvoice")
    assert op is not None and op.request is not None and op.line == 4  # the main WSDL's wsdl:import
    props = properties(op.request)
    assert set(properties(props["Invoice"])) == {"Number", "Total"}  # urn:billing:a's Invoice
    assert set(properties(props["Credit"])) == {"Id", "Amount"}  # urn:billing:b's Invoice
    assert required(props["Credit"]) == {"Id"}
    assert props["Channel"]["enum"] == ["web", "shop"]  # types.xsd, relative to the imported WSDL
    assert props["Invoice"]["x-line"] == 4
    assert set(properties((op.response or {})["properties"]["CreateInvoiceResponse"])) == {"Accepted"}


def test_validate_checks_against_the_imported_wsdl(tmp_path: Path) -> None:
    root = billing_project(tmp_path)
    result = weave("validate", "specs", "--format", "json", cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    found = [d for d in json.loads(result.stdout)["diagnostics"] if d["code"].startswith("WV7")]
    spec = root / "specs/integrations.yaml"
    line, column = position(spec, "Number", after="name: invoices-mixed", occurrence=1)
    assert [(d["code"], d["line"], d["column"], d["data"]["integration"]) for d in found] == [
        ("WV703", line, column, "invoices-mixed")]  # b:Invoice has no Number; a:Invoice's does not leak in


def test_a_missing_imported_wsdl_is_a_clear_wv701(tmp_path: Path) -> None:
    root = billing_project(tmp_path)
    (root / "contracts/parts/billing.wsdl").unlink()
    result = weave("validate", "specs", "--format", "json", cwd=root)
    assert result.returncode == 1
    (found,) = [d for d in json.loads(result.stdout)["diagnostics"] if d["code"] == "WV701"]
    assert (found["file"], found["line"], found["column"]) == (
        "specs/systems.yaml", *position(root / "specs/systems.yaml", "../contracts/service.wsdl"))
    assert found["message"] == (
        "contract of system 'billing' cannot be used: wsdl:import location 'parts/billing.wsdl' names "
        "contracts/parts/billing.wsdl, which does not exist or cannot be read (contracts/service.wsdl:4)")
    assert found["hint"].startswith("fix the location at contracts/service.wsdl:4 (relative to that file)")
    assert found["data"]["contract"] == "contracts/service.wsdl"


@pytest.mark.parametrize("location, needle", [
    ("/etc/passwd", "wsdl:import location '/etc/passwd' is an absolute location"),
    ("file:///etc/passwd", "is an absolute location"),
    ("../../../outside.wsdl", "which is outside the project"),
])
def test_imports_stay_inside_the_project(tmp_path: Path, location: str, needle: str) -> None:
    root = billing_project(tmp_path)
    service = root / "contracts/service.wsdl"
    service.write_text(SERVICE.replace('location="parts/billing.wsdl"', f'location="{location}"'))
    with pytest.raises(ContractError, match=needle) as info:
        load_contract(str(service))
    assert (Path(info.value.file).name, info.value.line) == ("service.wsdl", 4)


def test_validated_from_elsewhere_imports_reach_up_to_the_project_root(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from outside the project, the boundary is the nearest folder with weave.toml (or .git) above the
    contract, not the contract's own folder: a sibling folder's schema is still read, a file above is not."""
    root = billing_project(tmp_path / "project")
    (root / "weave.toml").write_text("")
    (root / "schemas").mkdir()  # beside contracts/, outside the contract's own folder
    (root / "contracts/parts/types.xsd").rename(root / "schemas/types.xsd")
    billing = root / "contracts/parts/billing.wsdl"
    billing.write_text(BILLING.replace('schemaLocation="types.xsd"', 'schemaLocation="../../schemas/types.xsd"'))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    contract = load_contract(str(root / "contracts/service.wsdl"))
    assert contract.soap("CreateInvoice") is not None
    (tmp_path / "outside.xsd").write_text(TYPES)
    billing.write_text(BILLING.replace('schemaLocation="types.xsd"', 'schemaLocation="../../../outside.xsd"'))
    with pytest.raises(ContractError, match="which is outside the project"):
        load_contract(str(root / "contracts/service.wsdl"))


def test_remote_and_hostile_imports(tmp_path: Path) -> None:
    root = billing_project(tmp_path)
    service = root / "contracts/service.wsdl"
    service.write_text(SERVICE.replace('location="parts/billing.wsdl"', 'location="http://billing.example/x.wsdl"'))
    contract = load_contract(str(service))  # never fetched: the service alone defines no operations
    assert contract.operations == {}
    service.write_text(SERVICE)
    billing = root / "contracts/parts/billing.wsdl"
    billing.write_text(BILLING.replace("<wsdl:definitions", "<!DOCTYPE d [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>\n"
                                                            "<wsdl:definitions"))
    with pytest.raises(ContractError, match="DTDs and entity declarations are not allowed") as info:
        load_contract(str(service))
    assert info.value.file.endswith("parts/billing.wsdl")
    billing.write_text("<other/>\n")
    with pytest.raises(ContractError, match="neither a WSDL 1.1 document nor an XML Schema"):
        load_contract(str(service))


def test_a_wsdl_may_import_a_schema_file_directly(tmp_path: Path) -> None:
    root = billing_project(tmp_path)
    billing = root / "contracts/parts/billing.wsdl"
    text = BILLING.replace('<xs:import namespace="urn:billing:c" schemaLocation="types.xsd"/>', "")
    billing.write_text(text.replace('<wsdl:types>', '<wsdl:import namespace="urn:billing:c" location="types.xsd"/>\n'
                                                    '  <wsdl:types>'))
    op = load_contract(str(root / "contracts/service.wsdl")).soap("CreateInvoice")
    assert op is not None and properties(op.request or {})["Channel"]["enum"] == ["web", "shop"]


def test_a_qualified_name_in_the_wrong_namespace_is_not_found(tmp_path: Path) -> None:
    root = billing_project(tmp_path)
    billing = root / "contracts/parts/billing.wsdl"
    billing.write_text(BILLING.replace('type="c:Channel"', 'type="a:Channel"'))
    with pytest.raises(ContractError, match="'Channel' is defined in namespace urn:billing:c only") as info:
        load_contract(str(root / "contracts/service.wsdl"))
    assert "type 'a:Channel' (namespace urn:billing:a) is not defined" in str(info.value)
    assert info.value.file.endswith("parts/billing.wsdl")


def test_documents_without_namespaces_still_resolve_by_local_name(tmp_path: Path) -> None:
    plain = """\
<?xml version="1.0"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <wsdl:types><xs:schema>
    <xs:complexType name="Item"><xs:sequence><xs:element name="Sku" type="xs:string"/></xs:sequence></xs:complexType>
    <xs:element name="Put"><xs:complexType><xs:sequence><xs:element name="Item" type="Item"/></xs:sequence>
    </xs:complexType></xs:element>
  </xs:schema></wsdl:types>
  <wsdl:message name="PutIn"><wsdl:part name="p" element="Put"/></wsdl:message>
  <wsdl:portType name="P"><wsdl:operation name="Put"><wsdl:input message="PutIn"/></wsdl:operation></wsdl:portType>
</wsdl:definitions>
"""
    (tmp_path / "plain.wsdl").write_text(plain)
    op = load_contract(str(tmp_path / "plain.wsdl")).soap("Put")
    assert op is not None and set(properties(properties(op.request or {})["Item"])) == {"Sku"}
    # the WSDL namespace as the default one: `message="PutIn"` is still the document's own message
    default = plain.replace("<wsdl:definitions xmlns:wsdl=", '<definitions targetNamespace="urn:p" xmlns:wsdl=')
    default = default.replace("</wsdl:definitions>", "</definitions>").replace(
        'xmlns:xs="http://www.w3.org/2001/XMLSchema">', 'xmlns:xs="http://www.w3.org/2001/XMLSchema"\n'
        '    xmlns="http://schemas.xmlsoap.org/wsdl/">', 1)
    (tmp_path / "default.wsdl").write_text(default)
    op = load_contract(str(tmp_path / "default.wsdl")).soap("Put")
    assert op is not None and set(properties(properties(op.request or {})["Item"])) == {"Sku"}


def test_a_change_in_an_imported_wsdl_is_found_against_a_git_ref(tmp_path: Path) -> None:
    import subprocess

    git = ["git", "-c", "user.name=weave-test", "-c", "user.email=test@weave.invalid", "-c", "commit.gpgsign=false"]
    root = billing_project(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "billing"], cwd=root, check=True)
    billing = root / "contracts/parts/billing.wsdl"
    billing.write_text(BILLING.replace('<xs:element name="Total" type="xs:decimal"/>', ""))
    result = weave("validate", "specs", "--against-ref", "HEAD", "--format", "json", cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    broken = {(d["data"]["integration"], d["data"]["field"], d["line"]) for d in json.loads(result.stdout)["diagnostics"]
              if d["code"] == "WV707"}
    spec = root / "specs/integrations.yaml"
    assert broken == {(name, "Invoice.Total", position(spec, "Total", after=f"name: {name}")[0])
                      for name in ("invoices", "invoices-mixed")}
