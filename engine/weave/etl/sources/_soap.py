"""SOAP bulk extract: a paged list operation (ListCustomers-style), one envelope per page.

The envelope is a Jinja2 template rendered with `page`, `page_size`, `offset` and `since` (the incremental
lower bound); records are found at a dotted path in the response with namespace prefixes stripped
(`Envelope.Body.ListCustomersResponse.customers.customer`). Paging stops at a short page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import jinja2
import xmltodict

from weave.errors import TerminalError, TransientError
from weave.etl._types import ExtractRequest, Page
from weave.etl.sources._paths import dig


def _strip_ns(_path: Any, key: str, value: Any) -> tuple[str, Any]:
    return key.rsplit(":", 1)[-1], value


def parse_envelope(text: bytes | str, force_list: tuple[str, ...] = ()) -> Any:
    return xmltodict.parse(text, postprocessor=_strip_ns, force_list=force_list)


@dataclass
class SoapSource:
    client: httpx.AsyncClient
    url: str
    envelope: str  # Jinja2 template text
    records: str  # dotted path, namespace prefixes stripped
    soap_action: str | None = None
    page_size: int = 500
    start_page: int = 1
    name: str = "soap"
    _template: jinja2.Template = field(init=False)

    def __post_init__(self) -> None:
        env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
        self._template = env.from_string(self.envelope)

    async def _call(self, body: str) -> bytes:
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        if self.soap_action:
            headers["SOAPAction"] = f'"{self.soap_action}"'
        try:
            response = await self.client.post(self.url, content=body.encode(), headers=headers)
        except httpx.TransportError as exc:
            raise TransientError(f"SOAP {self.soap_action or self.url}: {type(exc).__name__}") from None
        if response.status_code >= 500 and b"Fault" not in response.content:
            raise TransientError(f"SOAP {self.soap_action}: HTTP {response.status_code}", status=response.status_code)
        if response.status_code >= 400 or b":Fault>" in response.content or b"<Fault>" in response.content:
            fault = dig(parse_envelope(response.content), "Envelope.Body.Fault.faultstring")
            raise TerminalError(f"SOAP {self.soap_action}: fault {fault or response.status_code}")
        return response.content

    async def pages(self, request: ExtractRequest) -> AsyncIterator[Page]:
        page = int((request.position or {}).get("page", self.start_page))
        item = self.records.rsplit(".", 1)[-1]
        while True:
            body = self._template.render(
                page=page, page_size=self.page_size, offset=(page - self.start_page) * self.page_size,
                since=request.lower_bound,
            )
            parsed = parse_envelope(await self._call(body), force_list=(item,))
            # `records` reads like the SOAP connector's: relative to the Body (an Envelope.Body. prefix works too)
            path = self.records if self.records.startswith("Envelope.") else f"Envelope.Body.{self.records}"
            records = dig(parsed, path) or []
            if not isinstance(records, list):
                raise TerminalError(f"SOAP {self.soap_action}: records at {self.records} is not a list")
            records = [dict(r) if isinstance(r, dict) else {"value": r} for r in records]
            done = len(records) < self.page_size
            yield Page(records, None if done else {"page": page + 1})
            if done:
                return
            page += 1

    async def aclose(self) -> None:
        await self.client.aclose()
