"""Named model groups (`xs:group ref`) and attribute groups (`xs:attributeGroup ref`) in a WSDL's schema: their
elements and attributes belong to the type that references them (optional when the reference is, or in a
choice), so a spec writing them is not told they are undeclared. A `complexContent` restriction restates its
base's content and keeps its attributes. The CLI test runs `weave validate`."""

from __future__ import annotations

import json
from pathlib import Path

from weave.contracts.loader import load_contract
from weave.contracts.schemas import properties, required

from .cli import position, weave
from .projects import OWNERS, soap_sync, soap_systems

CRM_WSDL = """\
<?xml version="1.0"?>
<wsdl:definitions targetNamespace="urn:crm" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:crm">
  <wsdl:types>
    <xs:schema targetNamespace="urn:crm">
      <xs:group name="Contact"><xs:sequence>
        <xs:element name="Email" type="xs:string"/><xs:element name="Phone" type="xs:string" minOccurs="0"/>
      </xs:sequence></xs:group>
      <xs:group name="Extras"><xs:sequence><xs:element name="Note" type="xs:string"/></xs:sequence></xs:group>
      <xs:group name="Channel"><xs:choice>
        <xs:element name="Web" type="xs:boolean"/><xs:group ref="tns:Shop"/>
      </xs:choice></xs:group>
      <xs:group name="Shop"><xs:sequence><xs:element name="Store" type="xs:int"/></xs:sequence></xs:group>
      <xs:attributeGroup name="Audit">
        <xs:attribute name="by" type="xs:string" use="required"/><xs:attributeGroup ref="tns:Stamp"/>
      </xs:attributeGroup>
      <xs:attributeGroup name="Stamp"><xs:attribute name="at" type="xs:dateTime"/></xs:attributeGroup>
      <xs:element name="PutCustomer"><xs:complexType>
        <xs:sequence>
          <xs:element name="Id" type="xs:string"/>
          <xs:group ref="tns:Contact"/>
          <xs:group ref="tns:Extras" minOccurs="0"/>
          <xs:group ref="tns:Channel"/>
          <xs:element name="Address" type="tns:ShortAddress" minOccurs="0"/>
        </xs:sequence>
        <xs:attributeGroup ref="tns:Audit"/>
      </xs:complexType></xs:element>
      <xs:complexType name="Address">
        <xs:sequence>
          <xs:element name="Street" type="xs:string"/><xs:element name="City" type="xs:string"/>
          <xs:element name="Region" type="xs:string" minOccurs="0"/>
        </xs:sequence>
        <xs:attribute name="kind" type="xs:string" use="required"/>
      </xs:complexType>
      <xs:complexType name="ShortAddress"><xs:complexContent><xs:restriction base="tns:Address">
        <xs:sequence><xs:element name="Street" type="xs:string"/><xs:element name="City" type="xs:string"/></xs:sequence>
      </xs:restriction></xs:complexContent></xs:complexType>
      <xs:element name="PutCustomerResponse"><xs:complexType><xs:sequence>
        <xs:element name="Ok" type="xs:boolean"/>
      </xs:sequence></xs:complexType></xs:element>
    </xs:schema>
  </wsdl:types>
  <wsdl:message name="PutIn"><wsdl:part name="p" element="tns:PutCustomer"/></wsdl:message>
  <wsdl:message name="PutOut"><wsdl:part name="p" element="tns:PutCustomerResponse"/></wsdl:message>
  <wsdl:portType name="CrmPort">
    <wsdl:operation name="PutCustomer"><wsdl:input message="tns:PutIn"/><wsdl:output message="tns:PutOut"/></wsdl:operation>
  </wsdl:portType>
</wsdl:definitions>
"""

SYSTEMS = soap_systems("legacy-crm", "crm.wsdl")


def customer_sync(name: str, mapping: str) -> str:
    return soap_sync(name, "legacy-crm", "PutCustomer", mapping)


def crm_project(root: Path) -> Path:
    (root / "specs").mkdir(parents=True)
    (root / "contracts").mkdir()
    (root / "specs" / "owners.yaml").write_text(OWNERS)
    (root / "specs" / "systems.yaml").write_text(SYSTEMS)
    (root / "specs" / "integrations.yaml").write_text("---\n".join([
        customer_sync("customers", '{Id: id, Email: email, Note: note, Store: store, "@by": user, "@at": at, '
                                   'Address: {Street: street, City: city, "@kind": kind}}'),
        customer_sync("customers-fax", '{Id: id, Email: email, Fax: fax, "@by": user}'),
        customer_sync("customers-region", '{Id: id, Email: email, "@by": user, Address: '
                                          '{Street: street, City: city, "@kind": kind, Region: region}}'),
    ]))
    (root / "contracts" / "crm.wsdl").write_text(CRM_WSDL)
    return root


def test_groups_and_attribute_groups_belong_to_the_referencing_type(tmp_path: Path) -> None:
    root = crm_project(tmp_path)
    op = load_contract(str(root / "contracts/crm.wsdl")).soap("PutCustomer")
    assert op is not None and op.request is not None
    customer = op.request
    assert list(properties(customer)) == ["Id", "Email", "Phone", "Note", "Web", "Store", "Address", "@by", "@at"]
    # Phone: minOccurs 0; Note: its group reference is optional; Web and Store: branches of a choice
    assert required(customer) == {"Id", "Email", "@by"}
    assert customer["additionalProperties"] is False
    assert properties(customer)["Store"]["x-xsd"] == "int" and properties(customer)["@at"]["x-xsd"] == "dateTime"
    # the restriction's own content (no Region), with the base's required attribute
    address = properties(customer)["Address"]
    assert set(properties(address)) == required(address) == {"Street", "City", "@kind"}


def test_validate_reads_the_groups(tmp_path: Path) -> None:
    root = crm_project(tmp_path)
    result = weave("validate", "specs", "--format", "json", cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    found = [d for d in json.loads(result.stdout)["diagnostics"] if d["code"].startswith("WV7")]
    spec = root / "specs/integrations.yaml"
    fax = position(spec, "Fax", after="name: customers-fax")
    region = position(spec, "Region", after="name: customers-region")
    assert [(d["code"], d["line"], d["column"], d["data"]["integration"]) for d in found] == [
        ("WV703", *fax, "customers-fax"),  # Email, Note, Store, @by and @at come from the groups
        ("WV703", *region, "customers-region"),  # ShortAddress restricts Address to Street and City
    ]
