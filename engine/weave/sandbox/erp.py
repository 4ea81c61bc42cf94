"""Acme's legacy ERP: SOAP 1.1 (document/literal) over HTTP basic auth, WSDL at ``GET /soap?wsdl``.

Faults are SOAP 1.1 ``soap:Fault`` bodies with HTTP 500: ``soap:Client`` for bad input (retrying cannot
help) and ``soap:Server`` for the ERP's own trouble (see `POST /_soap_faults`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any, ClassVar
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from weave.sandbox import _seed
from weave.sandbox._base import SimService
from weave.sandbox._erp_wsdl import CUSTOMER_FIELDS, NS, OPERATIONS, render_wsdl
from weave.sandbox._faults import FaultRule
from weave.sandbox._http import (
    HttpError,
    MonotonicClock,
    check_basic,
    json_response,
    normalise_instant,
    read_object,
)
from weave.sandbox._webhooks import WebhookConfig

USERNAME = "erp-integration"
PASSWORD = "erp-demo-password"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
XML_TYPE = "text/xml; charset=utf-8"
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_WRITABLE = [f for f in CUSTOMER_FIELDS if f not in ("CustomerNumber", "ModifiedAt")]


class SoapFault(Exception):
    def __init__(self, code: str, message: str, error_code: str, **detail: str) -> None:
        super().__init__(message)
        self.code, self.message, self.error_code, self.detail = code, message, error_code, detail


def fault_xml(code: str, message: str, error_code: str, **detail: str) -> str:
    """A SOAP 1.1 fault envelope (``code`` is Client, Server or VersionMismatch)."""
    extra = "".join(f"<erp:{k}>{escape(v)}</erp:{k}>" for k, v in detail.items())
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>'
            f"<soap:Fault><faultcode>soap:{code}</faultcode><faultstring>{escape(message)}</faultstring>"
            f'<detail><erp:ErpFault xmlns:erp="{NS}"><erp:ErrorCode>{error_code}</erp:ErrorCode>{extra}'
            "</erp:ErpFault></detail></soap:Fault></soap:Body></soap:Envelope>")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def element_to_dict(elem: ET.Element) -> Any:
    """Children by local name; repeated names become lists; leaves become stripped text."""
    children = list(elem)
    if not children:
        return (elem.text or "").strip()
    out: dict[str, Any] = {}
    for child in children:
        key, value = _local(child.tag), element_to_dict(child)
        if key in out:
            out[key] = out[key] if isinstance(out[key], list) else [out[key]]
            out[key].append(value)
        else:
            out[key] = value
    return out


def _xml(name: str, value: Any) -> str:
    if isinstance(value, list):
        return "".join(_xml(name, v) for v in value)
    if isinstance(value, dict):
        inner = "".join(_xml(k, v) for k, v in value.items())
    elif isinstance(value, bool):
        inner = "true" if value else "false"
    else:
        inner = escape("" if value is None else str(value))
    return f"<erp:{name}>{inner}</erp:{name}>"


def _envelope(operation: str, result: dict[str, Any]) -> str:
    body = "".join(_xml(k, v) for k, v in result.items())
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<soap:Envelope xmlns:soap="{SOAP_ENV}" xmlns:erp="{NS}">'
            f"<soap:Body><erp:{operation}Response>{body}</erp:{operation}Response></soap:Body></soap:Envelope>")


class ErpService(SimService):
    name: ClassVar[str] = "erp"
    title: ClassVar[str] = "Acme ERP (legacy SOAP 1.1)"

    def __init__(self, *, seed: int = 42, webhook: WebhookConfig | None = None, customers: int = 250) -> None:
        self.customer_count = customers
        super().__init__(seed=seed, webhook=webhook)

    def credentials(self) -> dict[str, str]:
        return {"user": USERNAME, "password": PASSWORD}

    def reset_state(self) -> None:
        # kept in (ModifiedAt, CustomerNumber) order: changed customers move to the end
        self.customers = {c["CustomerNumber"]: c for c in _seed.erp_customers(self.seed, self.customer_count)}
        self.orders: dict[str, dict[str, Any]] = {}
        self.order_refs: dict[str, str] = {}
        self.clock = MonotonicClock()

    def routes(self) -> list[BaseRoute]:
        return [Route("/soap", self.wsdl, methods=["GET"]), Route("/soap", self.soap, methods=["POST"]),
                Route("/_soap_faults", self.add_soap_faults, methods=["POST"])]

    async def wsdl(self, request: Request) -> Response:
        if "wsdl" not in request.query_params:
            return Response("GET /soap?wsdl for the service description\n", 404, media_type="text/plain")
        return Response(render_wsdl(str(request.url.replace(query=""))), media_type=XML_TYPE)

    async def add_soap_faults(self, request: Request) -> Response:
        """Inject SOAP faults: ``{"count": 2, "faultcode": "Server", "faultstring": "...", "error_code": "..."}``."""
        data = await read_object(request)
        code = str(data.get("faultcode", "Server"))
        xml = fault_xml(code, str(data.get("faultstring", "ERP backend unavailable")),
                        str(data.get("error_code", "BACKEND_UNAVAILABLE")))
        count = data.get("count")
        self.faults.rules.append(FaultRule(status=500, count=int(count) if count is not None else None, body=xml,
                                           content_type=XML_TYPE, path="/soap", method="POST"))
        return json_response({"rules": [r.view() for r in self.faults.rules]}, 201)

    async def soap(self, request: Request) -> Response:
        try:
            check_basic(request, USERNAME, PASSWORD, "acme-erp")
        except HttpError as exc:
            return Response("Unauthorized\n", 401, exc.headers, media_type="text/plain")
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "text/xml":
            return Response(f"SOAP 1.1 needs Content-Type text/xml, got {ctype or 'nothing'}\n", 415,
                            media_type="text/plain")
        try:
            operation, params = self._parse(await request.body(), request.headers.get("soapaction"))
            result = getattr(self, f"op_{operation}")(params)
        except SoapFault as fault:
            self.counters[f"fault.{fault.error_code}"] += 1
            return Response(fault_xml(fault.code, fault.message, fault.error_code, **fault.detail), 500,
                            media_type=XML_TYPE)
        if operation not in ("GetCustomer", "ListCustomers"):
            self.record(request, params, operation=operation)
        return Response(_envelope(operation, result), media_type=XML_TYPE)

    def _parse(self, raw: bytes, soap_action: str | None) -> tuple[str, dict[str, Any]]:
        try:
            root = ET.fromstring(raw)
        except ET.ParseError as exc:
            raise SoapFault("Client", f"malformed XML: {exc}", "MALFORMED_XML") from None
        if root.tag == f"{{{SOAP12_ENV}}}Envelope":
            raise SoapFault("VersionMismatch", "this endpoint speaks SOAP 1.1", "VERSION_MISMATCH")
        body = root.find(f"{{{SOAP_ENV}}}Body")
        if root.tag != f"{{{SOAP_ENV}}}Envelope" or body is None or len(body) == 0:
            raise SoapFault("Client", "expected a SOAP 1.1 Envelope with a Body", "NOT_SOAP")
        op_elem = body[0]
        operation = _local(op_elem.tag)
        if operation not in OPERATIONS:
            raise SoapFault("Client", f"unknown operation {operation}; known: {', '.join(OPERATIONS)}",
                            "UNKNOWN_OPERATION")
        action = (soap_action or "").strip().strip('"')
        if action and action.rsplit("/", 1)[-1] != operation:
            raise SoapFault("Client", f"SOAPAction {action!r} does not match {operation}", "SOAPACTION_MISMATCH")
        params = element_to_dict(op_elem)
        return operation, params if isinstance(params, dict) else {}

    # -- operations -----------------------------------------------------------------------------
    def _customer_in(self, params: dict[str, Any], partial: bool = False) -> dict[str, str]:
        data = params.get("Customer")
        if not isinstance(data, dict):
            raise SoapFault("Client", "Customer element is required", "VALIDATION", Field="Customer")
        unknown = sorted(set(data) - set(CUSTOMER_FIELDS))
        if unknown:
            raise SoapFault("Client", f"unknown Customer fields {unknown}", "VALIDATION", Field=unknown[0])
        fields = {k: str(v) for k, v in data.items() if k in _WRITABLE}
        for name in ("Name", "Country"):
            if not partial and not fields.get(name):
                raise SoapFault("Client", f"{name} is required", "VALIDATION", Field=name)
        if "Country" in fields and not _COUNTRY.match(fields["Country"]):
            raise SoapFault("Client", "Country must be an ISO 3166 alpha-2 code", "VALIDATION", Field="Country")
        if fields.get("Email") and "@" not in fields["Email"]:
            raise SoapFault("Client", "Email is not an e-mail address", "VALIDATION", Field="Email")
        if fields.get("CreditLimit"):
            try:
                fields["CreditLimit"] = f"{float(fields['CreditLimit']):.2f}"
            except ValueError:
                raise SoapFault("Client", "CreditLimit must be a decimal", "VALIDATION", Field="CreditLimit") from None
        return fields

    def _find(self, params: dict[str, Any]) -> dict[str, Any]:
        number = str(params.get("CustomerNumber") or "")
        if not number:
            raise SoapFault("Client", "CustomerNumber is required", "VALIDATION", Field="CustomerNumber")
        customer = self.customers.get(number)
        if customer is None:
            raise SoapFault("Client", f"customer {number} does not exist", "NOT_FOUND")
        return customer

    def _by_crm_id(self, crm_id: str) -> dict[str, Any] | None:
        return next((c for c in self.customers.values() if crm_id and c["CrmId"] == crm_id), None)

    def _store(self, customer: dict[str, Any]) -> None:
        customer["ModifiedAt"] = self.clock.next()
        self.customers.pop(customer["CustomerNumber"], None)
        self.customers[customer["CustomerNumber"]] = customer

    def op_CreateCustomer(self, params: dict[str, Any]) -> dict[str, Any]:
        fields = self._customer_in(params)
        existing = self._by_crm_id(fields.get("CrmId", ""))
        if existing is not None:
            raise SoapFault("Client", f"a customer with CrmId {fields['CrmId']} exists", "DUPLICATE_CUSTOMER",
                            ExistingNumber=existing["CustomerNumber"])
        number = f"C{100001 + len(self.customers)}"
        while number in self.customers:
            number = f"C{int(number[1:]) + 1}"
        customer = {f: "" for f in CUSTOMER_FIELDS} | {"PaymentTerms": "NET30", "CreditLimit": "0.00",
                                                        "Blocked": "false"} | fields
        customer["CustomerNumber"] = number
        self._store(customer)
        return {"CustomerNumber": number, "Status": "Created"}

    def op_UpdateCustomer(self, params: dict[str, Any]) -> dict[str, Any]:
        customer = self._find(params)
        self._store(customer | self._customer_in(params, partial=True))
        return {"CustomerNumber": customer["CustomerNumber"], "Status": "Updated"}

    def op_UpsertCustomer(self, params: dict[str, Any]) -> dict[str, Any]:
        data = params.get("Customer")
        crm_id = str(data.get("CrmId") or "") if isinstance(data, dict) else ""
        if not crm_id:
            raise SoapFault("Client", "UpsertCustomer matches on CrmId, which is required", "VALIDATION",
                            Field="CrmId")
        existing = self._by_crm_id(crm_id)
        if existing is None:
            return self.op_CreateCustomer(params)
        self._store(existing | self._customer_in(params, partial=True))
        return {"CustomerNumber": existing["CustomerNumber"], "Status": "Updated"}

    def op_GetCustomer(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"Customer": self._find(params)}

    def op_ListCustomers(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            page = int(params.get("PageNumber") or 1)
            size = int(params.get("PageSize") or 100)
        except ValueError:
            raise SoapFault("Client", "PageNumber and PageSize are integers", "VALIDATION") from None
        if page < 1 or not 1 <= size <= 1000:
            raise SoapFault("Client", "PageNumber >= 1 and 1 <= PageSize <= 1000", "VALIDATION")
        customers = list(self.customers.values())
        since = str(params.get("ModifiedSince") or "")
        if since:
            try:
                since = normalise_instant(since, "ModifiedSince")
            except HttpError as exc:
                raise SoapFault("Client", exc.message, "VALIDATION", Field="ModifiedSince") from None
            customers = [c for c in customers if c["ModifiedAt"] >= since]
        total = len(customers)
        pages = max((total + size - 1) // size, 1)
        chunk = customers[(page - 1) * size: page * size]
        return {"PageNumber": page, "PageSize": size, "TotalCount": total, "TotalPages": pages,
                "HasMore": page < pages, "Customers": {"Customer": chunk} if chunk else ""}

    def op_CreateOrder(self, params: dict[str, Any]) -> dict[str, Any]:
        order = params.get("Order")
        if not isinstance(order, dict):
            raise SoapFault("Client", "Order element is required", "VALIDATION", Field="Order")
        customer = self._find(order)
        if customer.get("Blocked") == "true":
            raise SoapFault("Client", f"customer {customer['CustomerNumber']} is blocked", "CUSTOMER_BLOCKED")
        ref = str(order.get("ExternalRef") or "")
        if not ref:
            raise SoapFault("Client", "ExternalRef is required", "VALIDATION", Field="ExternalRef")
        if ref in self.order_refs:
            raise SoapFault("Client", f"an order with ExternalRef {ref} exists", "DUPLICATE_ORDER",
                            ExistingNumber=self.order_refs[ref])
        raw_lines = order.get("Lines", {}).get("Line") if isinstance(order.get("Lines"), dict) else None
        lines_in = raw_lines if isinstance(raw_lines, list) else [raw_lines] if raw_lines else []
        if not lines_in:
            raise SoapFault("Client", "an order needs at least one Line", "VALIDATION", Field="Lines")
        prices = {p[0]: p[3] for p in _seed.PRODUCTS}
        lines, total = [], 0.0
        for i, line in enumerate(lines_in):
            try:
                sku, qty = str(line["Sku"]), int(line["Quantity"])
                unit = float(line.get("UnitPrice") or prices[sku])
            except (KeyError, ValueError, TypeError):
                raise SoapFault("Client", f"Line {i + 1} needs a known Sku and an integer Quantity", "VALIDATION",
                                Field=f"Lines/Line[{i + 1}]") from None
            if qty < 1:
                raise SoapFault("Client", f"Line {i + 1}: Quantity must be positive", "VALIDATION",
                                Field=f"Lines/Line[{i + 1}]/Quantity")
            lines.append({"Sku": sku, "Quantity": qty, "UnitPrice": f"{unit:.2f}"})
            total += unit * qty
        number = f"SO-{700001 + len(self.orders)}"
        self.orders[number] = {"OrderNumber": number, "CustomerNumber": customer["CustomerNumber"],
                               "ExternalRef": ref, "Lines": lines, "Total": f"{total:.2f}"}
        self.order_refs[ref] = number
        return {"OrderNumber": number, "Total": f"{total:.2f}", "Status": "Booked"}
