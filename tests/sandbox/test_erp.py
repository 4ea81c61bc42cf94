"""The simulated legacy ERP over real HTTP: WSDL, the SOAP operations, and SOAP 1.1 faults."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest
import xmltodict

from weave.sandbox import SandboxCluster
from weave.sandbox.erp import PASSWORD, USERNAME

from ._util import received

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
AUTH = (USERNAME, PASSWORD)
XML = {"Content-Type": "text/xml; charset=utf-8"}


def envelope(operation: str, inner: str) -> str:
    return (f'<soapenv:Envelope xmlns:soapenv="{SOAP}" xmlns:erp="urn:acme:erp:v1"><soapenv:Header/>'
            f"<soapenv:Body><erp:{operation}>{inner}</erp:{operation}></soapenv:Body></soapenv:Envelope>")


def call(http: httpx.Client, sandbox: SandboxCluster, operation: str, inner: str,
         action: bool = True) -> tuple[int, dict[str, Any]]:
    headers = {**XML, "SOAPAction": f'"urn:acme:erp:v1/{operation}"'} if action else XML
    response = http.post(sandbox.url("erp") + "/soap", content=envelope(operation, inner), headers=headers,
                         auth=AUTH)
    assert response.headers["content-type"].startswith("text/xml")
    body = xmltodict.parse(response.text, process_namespaces=True,
                           namespaces={SOAP: "soap", "urn:acme:erp:v1": "erp"})
    return response.status_code, body["soap:Envelope"]["soap:Body"]


def fault(body: dict[str, Any]) -> tuple[str, str, str]:
    """(faultcode, faultstring, ErrorCode) of a SOAP 1.1 fault body."""
    f = body["soap:Fault"]
    return f["faultcode"], f["faultstring"], f["detail"]["erp:ErpFault"]["erp:ErrorCode"]


def customer_xml(**fields: str) -> str:
    return "<erp:Customer>" + "".join(f"<erp:{k}>{v}</erp:{k}>" for k, v in fields.items()) + "</erp:Customer>"


def test_wsdl_describes_every_operation_at_the_service_address(sandbox: SandboxCluster, http: httpx.Client) -> None:
    response = http.get(sandbox.url("erp") + "/soap?wsdl")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    wsdl = "{http://schemas.xmlsoap.org/wsdl/}"
    ops = {op.get("name") for op in root.iter(f"{wsdl}operation")}
    assert ops == {"CreateCustomer", "UpdateCustomer", "UpsertCustomer", "GetCustomer", "ListCustomers",
                   "CreateOrder"}
    address = root.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address is not None and address.get("location") == sandbox.url("erp") + "/soap"
    actions = {el.get("soapAction") for el in root.iter("{http://schemas.xmlsoap.org/wsdl/soap/}operation")}
    assert "urn:acme:erp:v1/CreateOrder" in actions


def test_customer_lifecycle(sandbox: SandboxCluster, http: httpx.Client) -> None:
    status, body = call(http, sandbox, "CreateCustomer",
                        customer_xml(Name="Kestrel &amp; Sons GmbH", Country="DE", CrmId="ACC-0900",
                                     Email="ap@kestrel.example", CreditLimit="2500"))
    assert status == 200
    number = body["erp:CreateCustomerResponse"]["erp:CustomerNumber"]
    assert body["erp:CreateCustomerResponse"]["erp:Status"] == "Created"
    status, body = call(http, sandbox, "UpdateCustomer",
                        f"<erp:CustomerNumber>{number}</erp:CustomerNumber>" + customer_xml(City="Bremen"))
    assert status == 200 and body["erp:UpdateCustomerResponse"]["erp:Status"] == "Updated"
    _, body = call(http, sandbox, "GetCustomer", f"<erp:CustomerNumber>{number}</erp:CustomerNumber>")
    customer = body["erp:GetCustomerResponse"]["erp:Customer"]
    assert customer["erp:Name"] == "Kestrel & Sons GmbH" and customer["erp:City"] == "Bremen"
    assert customer["erp:CreditLimit"] == "2500.00"
    _, body = call(http, sandbox, "UpsertCustomer", customer_xml(CrmId="ACC-0900", PaymentTerms="NET60"))
    assert body["erp:UpsertCustomerResponse"] == {"erp:CustomerNumber": number, "erp:Status": "Updated"}
    _, body = call(http, sandbox, "UpsertCustomer", customer_xml(CrmId="ACC-0901", Name="New AB", Country="SE"),
                   action=False)
    assert body["erp:UpsertCustomerResponse"]["erp:Status"] == "Created"
    log = received(http, sandbox.url("erp"))
    assert [e["operation"] for e in log] == ["CreateCustomer", "UpdateCustomer", "UpsertCustomer", "UpsertCustomer"]
    assert log[0]["body"]["Customer"]["CrmId"] == "ACC-0900"


def test_list_customers_pages_through_everything(sandbox: SandboxCluster, http: httpx.Client) -> None:
    seen: list[str] = []
    page = 1
    while True:
        _, body = call(http, sandbox, "ListCustomers",
                       f"<erp:PageNumber>{page}</erp:PageNumber><erp:PageSize>40</erp:PageSize>")
        result = body["erp:ListCustomersResponse"]
        customers = result["erp:Customers"]["erp:Customer"]
        seen += [c["erp:CustomerNumber"] for c in (customers if isinstance(customers, list) else [customers])]
        if result["erp:HasMore"] != "true":
            break
        page += 1
    assert result["erp:TotalCount"] == "250" and result["erp:TotalPages"] == "7"
    assert len(seen) == len(set(seen)) == 250
    call(http, sandbox, "UpdateCustomer", "<erp:CustomerNumber>C100007</erp:CustomerNumber>"
         + customer_xml(City="Kiel"))
    _, body = call(http, sandbox, "ListCustomers", "<erp:ModifiedSince>2026-01-01T00:00:00Z</erp:ModifiedSince>")
    changed = body["erp:ListCustomersResponse"]["erp:Customers"]["erp:Customer"]
    assert changed["erp:CustomerNumber"] == "C100007"


def test_create_order_and_duplicate_external_ref(sandbox: SandboxCluster, http: httpx.Client) -> None:
    order = ("<erp:Order><erp:CustomerNumber>C100001</erp:CustomerNumber><erp:ExternalRef>ORD-000001</erp:ExternalRef>"
             "<erp:Lines><erp:Line><erp:Sku>AI-PUMP-100</erp:Sku><erp:Quantity>2</erp:Quantity></erp:Line>"
             "<erp:Line><erp:Sku>AI-SEAL-KIT</erp:Sku><erp:Quantity>1</erp:Quantity>"
             "<erp:UnitPrice>100</erp:UnitPrice></erp:Line></erp:Lines></erp:Order>")
    status, body = call(http, sandbox, "CreateOrder", order)
    assert status == 200
    assert body["erp:CreateOrderResponse"] == {"erp:OrderNumber": "SO-700001", "erp:Total": "3880.00",
                                               "erp:Status": "Booked"}
    status, body = call(http, sandbox, "CreateOrder", order)
    assert status == 500 and fault(body)[0::2] == ("soap:Client", "DUPLICATE_ORDER")
    assert body["soap:Fault"]["detail"]["erp:ErpFault"]["erp:ExistingNumber"] == "SO-700001"
    assert len(received(http, sandbox.url("erp"), operation="CreateOrder")) == 1


@pytest.mark.parametrize(("operation", "inner", "error_code"), [
    ("CreateCustomer", customer_xml(Name="No Country"), "VALIDATION"),
    ("CreateCustomer", customer_xml(Name="X", Country="Germany"), "VALIDATION"),
    ("CreateCustomer", customer_xml(Name="X", Country="DE", Colour="red"), "VALIDATION"),
    ("CreateCustomer", customer_xml(Name="X", Country="DE", CrmId="ACC-0001"), "DUPLICATE_CUSTOMER"),
    ("GetCustomer", "<erp:CustomerNumber>C999999</erp:CustomerNumber>", "NOT_FOUND"),
    ("ListCustomers", "<erp:PageSize>5000</erp:PageSize>", "VALIDATION"),
    ("CreateOrder", "<erp:Order><erp:CustomerNumber>C100001</erp:CustomerNumber><erp:ExternalRef>R</erp:ExternalRef>"
                    "<erp:Lines><erp:Line><erp:Sku>AI-PUMP-100</erp:Sku><erp:Quantity>0</erp:Quantity></erp:Line>"
                    "</erp:Lines></erp:Order>", "VALIDATION"),
    ("DeleteEverything", "", "UNKNOWN_OPERATION"),
])
def test_invalid_input_is_a_client_fault(sandbox: SandboxCluster, http: httpx.Client, operation: str, inner: str,
                                         error_code: str) -> None:
    status, body = call(http, sandbox, operation, inner)
    code, message, detail = fault(body)
    assert (status, code, detail) == (500, "soap:Client", error_code) and message
    assert received(http, sandbox.url("erp")) == []


def test_malformed_and_foreign_envelopes(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("erp") + "/soap"
    broken = http.post(url, content="<soapenv:Envelope", headers=XML, auth=AUTH)
    assert broken.status_code == 500
    root = ET.fromstring(broken.content)
    assert root.findtext(f"{{{SOAP}}}Body/{{{SOAP}}}Fault/faultcode") == "soap:Client"
    soap12 = ('<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><GetCustomer/></e:Body>'
              "</e:Envelope>")
    response = http.post(url, content=soap12, headers=XML, auth=AUTH)
    assert ET.fromstring(response.content).findtext(f".//{{{SOAP}}}Fault/faultcode") == "soap:VersionMismatch"
    wrong_action = http.post(url, content=envelope("GetCustomer", "<erp:CustomerNumber>C100001</erp:CustomerNumber>"),
                             headers={**XML, "SOAPAction": "urn:acme:erp:v1/CreateOrder"}, auth=AUTH)
    assert "SOAPACTION_MISMATCH" in wrong_action.text
    assert http.post(url, content="<x/>", headers={"Content-Type": "application/json"}, auth=AUTH).status_code == 415


def test_basic_auth_is_required(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("erp") + "/soap"
    body = envelope("GetCustomer", "<erp:CustomerNumber>C100001</erp:CustomerNumber>")
    for auth in (None, (USERNAME, "wrong")):
        response = http.post(url, content=body, headers=XML, auth=auth)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Basic realm="acme-erp"'


def test_injected_server_faults_then_recovery(sandbox: SandboxCluster, http: httpx.Client) -> None:
    http.post(sandbox.url("erp") + "/_soap_faults", json={"count": 2, "faultstring": "DB2 connection lost"})
    get = "<erp:CustomerNumber>C100001</erp:CustomerNumber>"
    for _ in range(2):
        status, body = call(http, sandbox, "GetCustomer", get)
        assert status == 500 and fault(body) == ("soap:Server", "DB2 connection lost", "BACKEND_UNAVAILABLE")
    status, body = call(http, sandbox, "GetCustomer", get)
    assert status == 200 and body["erp:GetCustomerResponse"]["erp:Customer"]["erp:CustomerNumber"] == "C100001"
