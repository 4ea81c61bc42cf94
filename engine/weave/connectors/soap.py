"""SOAP connector: Jinja envelopes, SOAPAction, XML → dict (xmltodict), faults → weave errors.

    op: {operation: CreateOrder, envelope: soap/create-order.xml.j2, path: "", soap_action: CreateOrder,
         version: "1.1" | "1.2", records: "ListCustomersResponse.customers.customer", result: "CreateOrderResponse"}

- Envelopes are sandboxed Jinja templates (weave.transforms.jinja, XML autoescape, StrictUndefined),
  resolved relative to the system's `base_dir`. Write variables: `record`, `key` (idempotency
  key), `operation`, plus the record's fields at top level. Read variables: `state`, `params`.
  Without `envelope:` a plain envelope is built: `<operation xmlns=namespace>` + one element per field.
- Responses are parsed with xmltodict (entities disabled) and namespace prefixes are dropped,
  so `records`/`result` JMESPaths read `Body` content by local names. XML values are strings.
- Faults: Client/Sender → TerminalError; Server/Receiver → TransientError; others terminal.
Auth, rate limit, timeouts and transport come from the HTTP connector it wraps.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import jmespath
import xmltodict

from weave.connectors.base import Page, ProbeResult, SystemConfig, WriteResult
from weave.connectors.http.connector import HttpConnector
from weave.connectors.http.errors import raise_for_status
from weave.errors import TerminalError, TransientError, WeaveError

SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"


class SoapFault(TerminalError):
    """A Client/Sender fault: the request itself is wrong."""

    def __init__(self, code: str, message: str, status: int | None) -> None:
        super().__init__(f"SOAP fault {code}: {message}", status=status)
        self.code = code


class SoapServerFault(TransientError):
    """A Server/Receiver fault: the service failed; worth retrying."""

    def __init__(self, code: str, message: str, status: int | None) -> None:
        super().__init__(f"SOAP fault {code}: {message}", status=status)
        self.code = code


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def strip_namespaces(node: Any) -> Any:
    """Drop namespace prefixes from keys and `@xmlns` attributes from an xmltodict tree."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key.startswith("@xmlns"):
                continue
            name = "@" + _local(key[1:]) if key.startswith("@") else _local(key)
            out[name] = strip_namespaces(value)
        return out
    if isinstance(node, list):
        return [strip_namespaces(v) for v in node]
    return node


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("#text", value.get("Text", value.get("Value", ""))))
    return "" if value is None else str(value)


def parse_envelope(body: bytes, *, status: int | None = None, what: str = "SOAP call") -> dict[str, Any]:
    """The Body content of a SOAP answer as a dict; raises the mapped error for a Fault."""
    try:
        doc = xmltodict.parse(body, disable_entities=True)
    except Exception as exc:  # expat errors, entity declarations, …
        raise TerminalError(f"{what}: response is not well-formed XML: {exc}") from None
    tree = strip_namespaces(doc)
    envelope = tree.get("Envelope") if isinstance(tree, dict) else None
    if not isinstance(envelope, dict) or "Body" not in envelope:
        raise TerminalError(f"{what}: response is not a SOAP envelope")
    content = envelope["Body"] or {}
    fault = content.get("Fault") if isinstance(content, dict) else None
    if fault is not None:
        if "faultcode" in fault:  # SOAP 1.1
            code, message = _text(fault.get("faultcode")), _text(fault.get("faultstring"))
        else:  # SOAP 1.2
            code_node = fault.get("Code") or {}
            code = _text(code_node.get("Value") if isinstance(code_node, dict) else code_node)
            reason = fault.get("Reason") or {}
            message = _text(reason.get("Text") if isinstance(reason, dict) else reason)
        kind = _local(code).split(".", 1)[0]
        if kind in ("Server", "Receiver"):
            raise SoapServerFault(code, message, status)
        raise SoapFault(code, message, status)
    return content if isinstance(content, dict) else {}


def _default_envelope(operation: str, namespace: str, fields: Mapping[str, Any], version: str) -> str:
    ns = SOAP12_NS if version == "1.2" else SOAP11_NS
    parts = "".join(
        f"<{name}>{escape(str(value))}</{name}>" for name, value in fields.items() if str(name).isidentifier()
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{ns}"><soap:Body>'
            f'<{operation} xmlns="{escape(namespace)}">{parts}</{operation}></soap:Body></soap:Envelope>')


class SoapConnector:
    style = "soap"

    def __init__(self, system: SystemConfig, *, transport: Any = None) -> None:
        self.system = system
        options = dict(system.options)
        options.setdefault("probe", {"path": "?wsdl"})
        self._http = HttpConnector(
            SystemConfig(system.name, "rest", system.base_url, system.auth, system.rate_limit, system.timeout,
                         system.base_dir, options),
            transport=transport,
        )
        self._engine: Any = None

    def _render(self, op: Mapping[str, Any], variables: dict[str, Any], fields: Mapping[str, Any]) -> bytes:
        operation = str(op.get("operation") or "")
        if not operation:
            raise TerminalError("a soap operation needs `operation:`")
        if not op.get("envelope"):
            ns = str(op.get("namespace") or self.system.options.get("namespace") or "urn:weave")
            return _default_envelope(operation, ns, fields, str(op.get("version", "1.1"))).encode()
        if self._engine is None:
            from weave.transforms.jinja import TemplateEngine

            self._engine = TemplateEngine([self.system.base_dir or str(Path.cwd())])
        try:
            template = self._engine.get(str(op["envelope"]), "xml")
            return str(template.render(variables)).encode("utf-8")
        except WeaveError:
            raise
        except Exception as exc:  # template missing, undefined variable, sandbox violation
            raise TerminalError(f"SOAP envelope {op['envelope']}: {type(exc).__name__}: {exc}") from None

    async def _call(self, op: Mapping[str, Any], envelope: bytes) -> dict[str, Any]:
        operation = str(op["operation"])
        action = str(op.get("soap_action", operation))
        if str(op.get("version", "1.1")) == "1.2":
            headers = {"Content-Type": f'application/soap+xml; charset=utf-8; action="{action}"'}
        else:
            headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
        headers["Accept"] = "text/xml, application/soap+xml"
        url = self._http._url(str(op.get("path", "")))
        resp = await self._http.request("POST", url, headers=headers, content=envelope, raise_errors=False)
        what = f"{self.system.name}: SOAP {operation}"
        looks_xml = resp.body.lstrip()[:1] == b"<"
        if resp.status >= 400 and not looks_xml:
            raise_for_status(resp, system=self.system.name, what=f"SOAP {operation}")
        try:
            return parse_envelope(resp.body, status=resp.status, what=what)
        except (SoapFault, SoapServerFault):
            raise
        except TerminalError:
            raise_for_status(resp, system=self.system.name, what=f"SOAP {operation}")
            raise

    async def read(self, op: Mapping[str, Any], *, state: dict[str, Any] | None = None) -> AsyncIterator[Page]:
        params = dict(op.get("params") or {})
        envelope = self._render(op, {"state": state or {}, "params": params, "operation": op.get("operation")}, params)
        body = await self._call(op, envelope)
        expr = op.get("records")
        found = jmespath.search(str(expr), body) if expr else body
        if found is None:
            records: list[Any] = []
        elif isinstance(found, list):
            records = found
        else:
            records = [found]  # xmltodict gives a lone element as a dict, not a one-item list
        yield Page(records, {}, True, 1)

    async def write(
        self,
        op: Mapping[str, Any],
        records: Sequence[dict[str, Any]],
        *,
        idempotency_keys: Sequence[str] | None = None,
    ) -> WriteResult:
        if idempotency_keys is not None and len(idempotency_keys) != len(records):
            raise ValueError("idempotency_keys must match records one to one")
        result_expr = jmespath.compile(str(op["result"])) if op.get("result") else None
        responses = []
        for i, record in enumerate(records):
            variables = {k: v for k, v in record.items() if isinstance(k, str) and k.isidentifier()}
            variables.update(record=record, key=idempotency_keys[i] if idempotency_keys else None,
                             operation=op.get("operation"))
            body = await self._call(op, self._render(op, variables, record))
            responses.append(result_expr.search(body) if result_expr is not None else body)
        return WriteResult(written=len(records), responses=tuple(responses))

    async def probe(self) -> ProbeResult:
        start = time.perf_counter()
        result = await self._http.probe()
        if result.latency_ms is None:
            return ProbeResult(result.system, result.ok, (time.perf_counter() - start) * 1000, result.status,
                               result.auth_ok, result.message)
        return result

    async def aclose(self) -> None:
        await self._http.aclose()
