"""Property tests of the bulk source's ordering: whatever is touched when, a cursor walk misses nothing
and ends with every record's latest version; a page walk of a quiet source is exactly the expected order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from weave.sandbox._http import utc_now_iso
from weave.sandbox.bulk import TOKEN, BulkService

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _in_process(total: int, body: Callable[[BulkService, httpx.AsyncClient], Awaitable[None]]) -> None:
    """Run `body` against a fresh service through its ASGI app (no sockets: hypothesis runs many examples)."""
    service = BulkService(records=total)

    async def main() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://bulk",
                                     headers=AUTH) as client:
            await body(service, client)

    asyncio.run(main())


async def _page(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/records", params=params)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = orjson.loads(response.content)
    return result


@settings(max_examples=50, deadline=None)
@given(total=st.integers(1, 120), size=st.integers(1, 50),
       touches=st.lists(st.lists(st.integers(1, 120), max_size=6), max_size=8))
def test_cursor_walk_with_touches_in_between(total: int, size: int, touches: list[list[int]]) -> None:
    _in_process(total, lambda _, client: _cursor_walk(client, total, size, touches))


async def _cursor_walk(client: httpx.AsyncClient, total: int, size: int, touches: list[list[int]]) -> None:
    seen: dict[int, int] = {}
    latest: dict[int, int] = {i: 1 for i in range(1, total + 1)}
    cursor = None
    rounds = iter(touches)
    while True:
        page = await _page(client, style="cursor", limit=size, **({"cursor": cursor} if cursor else {}))
        for record in page["data"]:
            seen[record["id"]] = record["version"]
        batch = [i for i in next(rounds, []) if i <= total]
        before = utc_now_iso()
        if batch:
            await client.post("/_bulk/touch", json={"ids": batch})
            for i in batch:
                latest[i] += 1
        cursor = page["meta"]["next"]
        if cursor is None:
            # a touch after the last page is only visible on the next incremental run
            if batch:
                rest = await _page(client, style="cursor", limit=total + 10, updated_since=before)
                for record in rest["data"]:
                    seen[record["id"]] = record["version"]
            break
    assert seen == latest


@settings(max_examples=50, deadline=None)
@given(total=st.integers(1, 150), size=st.integers(1, 40), style=st.sampled_from(["page", "offset", "link"]),
       touches=st.lists(st.integers(1, 150), max_size=20))
def test_quiet_walk_is_untouched_ascending_then_touched_by_time(total: int, size: int, style: str,
                                                                 touches: list[int]) -> None:
    _in_process(total, lambda _, client: _quiet_walk(client, total, size, style, touches))


async def _quiet_walk(client: httpx.AsyncClient, total: int, size: int, style: str, touches: list[int]) -> None:
    touches = [i for i in touches if i <= total]
    if touches:
        await client.post("/_bulk/touch", json={"ids": touches})
    last_touch = {i: n for n, i in enumerate(touches)}
    expected = [i for i in range(1, total + 1) if i not in last_touch] + sorted(last_touch, key=last_touch.get)
    ids: list[int] = []
    position = 1 if style != "offset" else 0
    while True:
        params = {"style": style, "page": position, "per_page": size} if style != "offset" else {
            "style": style, "offset": position, "limit": size}
        data = (await _page(client, **params))["data"]
        ids += [r["id"] for r in data]
        if len(data) < size:
            break
        position += 1 if style != "offset" else size
    assert ids == expected
