"""Paginated REST extract: offset, page, cursor (token in body), link header and next-URL pagination.

Pages stream one at a time; the position after each page (offset, page number, token or URL) is what a
crashed run resumes from. Transient failures (timeouts, 5xx, 429) are retried with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from weave.errors import TerminalError, TransientError
from weave.etl._errors import BatchConfigError
from weave.etl._types import ExtractRequest, Page, Position
from weave.etl.sources._paths import dig

PAGINATION_TYPES = ("none", "offset", "page", "cursor", "link", "next_url")


@dataclass(frozen=True)
class Pagination:
    type: str = "none"
    limit: int = 1000
    offset_param: str = "offset"
    limit_param: str = "limit"
    page_param: str = "page"
    size_param: str = "per_page"
    start_page: int = 1
    cursor_param: str = "cursor"
    next: str | None = None  # body path of the next token (cursor) or the next URL (next_url)
    total: str | None = None  # body path of the total record count

    def __post_init__(self) -> None:
        if self.type not in PAGINATION_TYPES:
            raise BatchConfigError(f"pagination type {self.type!r} is not one of {', '.join(PAGINATION_TYPES)}")
        if self.type in ("cursor", "next_url") and not self.next:
            raise BatchConfigError(f"pagination type {self.type} needs `next` (where the body carries it)")

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None) -> Pagination:
        if not spec:
            return cls()
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(spec) - known)
        if unknown:
            raise BatchConfigError(f"unknown pagination key(s) {unknown}; known: {sorted(known)}")
        return cls(**dict(spec))


@dataclass
class RestSource:
    """GET (or POST) `path` on `client`, following `pagination`, records at body path `records`."""

    client: httpx.AsyncClient
    path: str
    records: str | None = None
    pagination: Pagination = field(default_factory=Pagination)
    method: str = "GET"
    params: dict[str, Any] = field(default_factory=dict)
    cursor_param: str | None = None  # query parameter that receives the incremental lower bound
    retries: int = 4
    backoff_s: float = 0.2
    concurrency: int = 1  # offset/page pagination: requests in flight ahead of the reader (pages stay in order)
    paginator: Any = None  # a weave.connectors paginator (request(state)/advance(...)); replaces `pagination`
    name: str = "rest"

    async def _get(self, url: str, params: dict[str, Any] | None) -> httpx.Response:
        delay = self.backoff_s
        for attempt in range(self.retries + 1):
            try:
                response = await self.client.request(self.method, url, params=params or None)
            except httpx.TransportError as exc:
                error: Exception = TransientError(f"{self.method} {url}: {type(exc).__name__}")
            else:
                status = response.status_code
                if status < 400:
                    return response
                if status in (408, 425, 429) or status >= 500:
                    error = TransientError(f"{self.method} {url}: HTTP {status}", status=status)
                else:
                    raise TerminalError(f"{self.method} {url}: HTTP {status}", status=status)
            if attempt == self.retries:
                raise error
            await asyncio.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    def _records(self, body: Any, url: str) -> list[dict[str, Any]]:
        found = dig(body, self.records)
        if found is None:
            found = []
        if not isinstance(found, list):
            raise TerminalError(f"{url}: records at {self.records or 'the body'} is not a list")
        return found

    async def _fetch(self, url: str, params: dict[str, Any]) -> tuple[httpx.Response, Any, list[dict[str, Any]]]:
        response = await self._get(url, params)
        body = orjson.loads(response.content) if response.content else None
        return response, body, self._records(body, url)

    def _total(self, response: httpx.Response, body: Any) -> int | None:
        total = dig(body, self.pagination.total) if self.pagination.total else None
        if total is None and "x-total-count" in response.headers:
            total = response.headers["x-total-count"]
        return int(total) if isinstance(total, int | str) and str(total).isdigit() else None

    async def _ahead(self, base: dict[str, Any], pos: Position) -> AsyncIterator[Page]:
        """Offset/page pagination with `concurrency` requests in flight; pages are yielded in order and the
        first short page ends the read (requests already sent past it are cancelled)."""
        p = self.pagination
        offset_mode = p.type == "offset"
        start = int(pos.get("offset", 0)) if offset_mode else int(pos.get("page", p.start_page))

        def params_for(index: int) -> dict[str, Any]:
            if offset_mode:
                return {**base, p.offset_param: start + index * p.limit, p.limit_param: p.limit}
            return {**base, p.page_param: start + index, p.size_param: p.limit}

        pending: deque[asyncio.Task[tuple[httpx.Response, Any, list[dict[str, Any]]]]] = deque()
        issued = 0
        try:
            while True:
                while len(pending) < self.concurrency:
                    pending.append(asyncio.create_task(self._fetch(self.path, params_for(issued))))
                    issued += 1
                response, body, records = await pending.popleft()
                index = issued - len(pending) - 1
                if len(records) < p.limit:
                    yield Page(records, None, self._total(response, body))
                    return
                nxt = {"offset": start + index * p.limit + len(records)} if offset_mode else {"page": start + index + 1}
                yield Page(records, nxt, self._total(response, body))
        finally:
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(BaseException):
                    await task

    async def _connector_pages(self, base: dict[str, Any], state: Position) -> AsyncIterator[Page]:
        """Pages driven by a connectors paginator: its JSON state is the resumable position."""
        assert self.paginator is not None
        total_expr = getattr(self.paginator, "total", None)
        while True:
            url, params = self.paginator.request(state)
            response, body, records = await self._fetch(url or self.path, params if url else {**base, **params})
            total = self._total(response, body)
            if total is None and total_expr is not None and hasattr(total_expr, "search"):
                found = total_expr.search(body)
                total = found if isinstance(found, int) and not isinstance(found, bool) else None
            nxt = self.paginator.advance(state, body, records, response.headers, str(response.url))
            yield Page(records, nxt, total)
            if nxt is None:
                return
            state = nxt

    async def pages(self, request: ExtractRequest) -> AsyncIterator[Page]:
        p = self.pagination
        base: dict[str, Any] = dict(self.params)
        if self.cursor_param and request.lower_bound is not None:
            base[self.cursor_param] = request.lower_bound
        pos: Position = dict(request.position or {})
        if self.paginator is not None:
            async for page in self._connector_pages(base, pos):
                yield page
            return
        if self.concurrency > 1 and p.type in ("offset", "page"):
            async for page in self._ahead(base, pos):
                yield page
            return
        url = self.path
        while True:
            params = dict(base)
            if p.type == "offset":
                offset = int(pos.get("offset", 0))
                params[p.offset_param] = offset
                params[p.limit_param] = p.limit
            elif p.type == "page":
                page_no = int(pos.get("page", p.start_page))
                params[p.page_param] = page_no
                params[p.size_param] = p.limit
            elif p.type == "cursor" and pos.get("cursor") is not None:
                params[p.cursor_param] = pos["cursor"]
            elif p.type in ("link", "next_url") and pos.get("url"):
                url, params = pos["url"], {}
            response, body, records = await self._fetch(url, params)
            nxt: Position | None
            if p.type == "offset":
                nxt = {"offset": offset + len(records)} if len(records) >= p.limit else None
            elif p.type == "page":
                nxt = {"page": page_no + 1} if len(records) >= p.limit else None
            elif p.type == "cursor":
                token = dig(body, p.next)
                nxt = {"cursor": token} if token not in (None, "") and records else None
            elif p.type == "link":
                link = response.links.get("next", {}).get("url")
                nxt = {"url": str(response.url.join(link))} if link else None
            elif p.type == "next_url":
                link = dig(body, p.next)
                nxt = {"url": str(response.url.join(link))} if link else None
            else:
                nxt = None
            yield Page(records, nxt, self._total(response, body))
            if nxt is None:
                return
            pos = nxt

    async def aclose(self) -> None:
        await self.client.aclose()
