"""SOAP connector: envelopes, SOAPAction, XML → dict, faults; unit (MockTransport) and real server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import xmltodict

from weave.connectors import SystemConfig, create_connector
from weave.connectors.soap import SoapFault, SoapServerFault, parse_envelope
from weave.errors import TerminalError, TransientError

FIXTURES = Path(__file__).parent / "fixtures"


def erp(base: str, transport: Any = None, **kw: Any) -> Any:
    cfg = SystemConfig(name="erp", style="soap", base_url=base, base_dir=str(FIXTURES), **kw)
    return create_connector(cfg, transport=transport)


CREATE = {"operation": "CreateOrder", "path": "/soap", "envelope": "soap/create-order.xml.j2",
          "result": "CreateOrderResponse.orderId"}


async def test_write_renders_escaped_envelope_and_parses_result(api: tuple[str, Any]) -> None:
    base, state = api
    conn = erp(base)
    result = await conn.write(CREATE, [{"id": "7", "customer": "Smith & <Sons>", "amount": 12.5}], idempotency_keys=["k-7"])
    await conn.aclose()
    assert result.responses == ("ERP-7",)
    action, sent = state.soap_calls[0]
    assert action == "CreateOrder"
    assert "Smith &amp; &lt;Sons&gt;" in sent  # autoescaped: a payload cannot inject XML
    parsed = xmltodict.parse(sent)
    assert parsed["soap:Envelope"]["soap:Header"]["erp:RequestId"] == "k-7"


async def test_read_lists_records_by_local_names(api: tuple[str, Any]) -> None:
    base, state = api
    conn = erp(base)
    op = {"operation": "ListCustomers", "path": "/soap", "envelope": "soap/list-customers.xml.j2",
          "records": "ListCustomersResponse.customers.customer"}
    pages = [p async for p in conn.read(op, state={"since": "2024-05-01"})]
    await conn.aclose()
    assert pages[0].records == [{"id": str(i), "name": f"Customer & {i}"} for i in range(1, 4)]
    assert "<erp:since>2024-05-01</erp:since>" in state.soap_calls[0][1]


async def test_client_fault_is_terminal_server_fault_transient(api: tuple[str, Any]) -> None:
    base, _ = api
    conn = erp(base)
    with pytest.raises(SoapFault, match="soap:Client: amount must be positive") as info:
        await conn.write(CREATE, [{"id": "8", "customer": "x", "amount": -1}])
    assert isinstance(info.value, TerminalError) and info.value.status == 500
    with pytest.raises(SoapServerFault, match="database is down") as info2:
        await conn.write({"operation": "Crash", "path": "/soap"}, [{"id": 1}])
    assert isinstance(info2.value, TransientError)
    await conn.aclose()


async def test_default_envelope_without_template() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text='<Envelope><Body><PingResponse a="1">ok</PingResponse></Body></Envelope>')

    conn = erp("https://erp.test/ws", transport=httpx.MockTransport(handler), options={"namespace": "urn:erp"})
    result = await conn.write({"operation": "Ping", "version": "1.2"}, [{"id": 1, "note": "a<b"}])
    await conn.aclose()
    body = seen[0].content.decode()
    assert '<Ping xmlns="urn:erp"><id>1</id><note>a&lt;b</note></Ping>' in body
    assert seen[0].headers["content-type"] == 'application/soap+xml; charset=utf-8; action="Ping"'
    assert result.responses[0] == {"PingResponse": {"@a": "1", "#text": "ok"}}


def test_soap12_faults_and_bad_xml() -> None:
    fault12 = (b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><e:Fault>'
               b"<e:Code><e:Value>e:Receiver</e:Value></e:Code><e:Reason><e:Text xml:lang='en'>busy</e:Text></e:Reason>"
               b"</e:Fault></e:Body></e:Envelope>")
    with pytest.raises(SoapServerFault, match="e:Receiver: busy"):
        parse_envelope(fault12)
    with pytest.raises(SoapFault, match="Sender"):
        parse_envelope(fault12.replace(b"Receiver", b"Sender"))
    with pytest.raises(TerminalError, match="not well-formed XML"):
        parse_envelope(b"<oops")
    with pytest.raises(TerminalError, match="not a SOAP envelope"):
        parse_envelope(b"<html/>")
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Envelope><Body>&a;</Body></Envelope>'
    with pytest.raises(TerminalError):
        parse_envelope(bomb)


async def test_missing_template_variable_is_terminal(api: tuple[str, Any]) -> None:
    base, state = api
    conn = erp(base)
    with pytest.raises(TerminalError, match="create-order.xml.j2: UndefinedError"):
        await conn.write(CREATE, [{"id": "1", "customer": "x"}])  # no amount
    await conn.aclose()
    assert state.soap_calls == []


async def test_http_error_without_xml_uses_status_rules() -> None:
    conn = erp("https://erp.test", transport=httpx.MockTransport(lambda r: httpx.Response(503, text="down")))
    with pytest.raises(TransientError) as info:
        await conn.write({"operation": "Ping"}, [{"id": 1}])
    assert info.value.status == 503
    await conn.aclose()


async def test_soap_uses_system_auth_and_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import base64

    monkeypatch.setenv("ERP_PASSWORD", "erp-pass")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="<Envelope><Body><UpsertCustomerResponse/></Body></Envelope>")

    conn = erp("https://erp.test/ws", transport=httpx.MockTransport(handler),
               auth={"type": "basic", "username": "weave", "password": "${env:ERP_PASSWORD}"})
    await conn.write({"operation": "UpsertCustomer", "path": "/soap"}, [{"id": 1}])
    await conn.aclose()
    assert seen[0].headers["authorization"] == "Basic " + base64.b64encode(b"weave:erp-pass").decode()
    assert seen[0].headers["soapaction"] == '"UpsertCustomer"'
    assert str(seen[0].url) == "https://erp.test/ws/soap"
