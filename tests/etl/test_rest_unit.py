"""RestSource retry/terminal behaviour (httpx.MockTransport: a unit test of the error mapping)."""

from __future__ import annotations

import httpx
import pytest

from weave.errors import TerminalError, TransientError
from weave.etl import BatchConfigError, ExtractRequest, Pagination, RestSource


def source(handler: httpx.MockTransport, **kwargs: object) -> RestSource:
    client = httpx.AsyncClient(base_url="http://crm.test", transport=handler)
    return RestSource(client, "/items", records="data", backoff_s=0.001, **kwargs)  # type: ignore[arg-type]


async def test_transient_statuses_are_retried_then_succeed() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 3:
            return httpx.Response(503 if len(calls) == 1 else 429)
        return httpx.Response(200, json={"data": [{"id": 1}]})

    pages = [p async for p in source(httpx.MockTransport(handler)).pages(ExtractRequest())]
    assert [p.records for p in pages] == [[{"id": 1}]] and len(calls) == 3


async def test_retries_are_bounded_and_end_transient() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(TransientError, match="ConnectError"):
        _ = [p async for p in source(httpx.MockTransport(handler), retries=2).pages(ExtractRequest())]


async def test_client_errors_are_terminal_and_records_must_be_a_list() -> None:
    with pytest.raises(TerminalError, match="HTTP 401"):
        _ = [p async for p in source(httpx.MockTransport(lambda r: httpx.Response(401))).pages(ExtractRequest())]
    body = httpx.MockTransport(lambda r: httpx.Response(200, json={"data": {"id": 1}}))
    with pytest.raises(TerminalError, match="not a list"):
        _ = [p async for p in source(body).pages(ExtractRequest())]


async def test_x_total_count_and_cursor_param_reach_the_request() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json={"data": [{"id": 1}]}, headers={"X-Total-Count": "1"})

    src = source(httpx.MockTransport(handler), cursor_param="since",
                 pagination=Pagination(type="offset", limit=10))
    pages = [p async for p in src.pages(ExtractRequest(lower_bound="2024-01-01T00:00:00Z"))]
    assert pages[0].total == 1 and pages[0].position is None
    assert seen[0].params["since"] == "2024-01-01T00:00:00Z" and seen[0].params["offset"] == "0"


def test_pagination_config_errors_name_the_known_values() -> None:
    with pytest.raises(BatchConfigError, match="offset, page"):
        Pagination(type="scroll")
    with pytest.raises(BatchConfigError, match="needs `next`"):
        Pagination(type="cursor")
    with pytest.raises(BatchConfigError, match="unknown pagination key"):
        Pagination.from_spec({"type": "offset", "size": 5})
