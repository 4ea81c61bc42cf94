"""HTTP client backends behind one tiny interface, so the connector has a single code path.

- `AiohttpBackend` is the default: under 200 concurrent POSTs it sustained several times the
  request rate of `httpx.AsyncClient` at the same connection limit (figures in
  docs/design/connectors.md and `bench/connectors.py`).
- `HttpxBackend` is used whenever a `transport=` is given (`httpx.MockTransport` in unit tests,
  or any `httpx.AsyncBaseTransport`).

Both translate their library's exceptions at the boundary: timeouts and connection failures
become `TransientError`; nothing else escapes as a library type.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from weave.errors import TerminalError, TransientError


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes
    url: str
    elapsed_ms: float = 0.0
    extra: Mapping[str, Any] = field(default_factory=dict)

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def _join_headers(items: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def with_params(url: str, params: Mapping[str, Any] | None) -> str:
    """`url` with `params` appended to its query (never replacing what the URL already carries:
    next-page links keep their own parameters). None values are left out; booleans are true/false."""
    if not params:
        return url
    pairs = [
        (str(k), ("true" if v else "false") if isinstance(v, bool) else str(v)) for k, v in params.items() if v is not None
    ]
    if not pairs:
        return url
    base, _, fragment = url.partition("#")
    joiner = "&" if "?" in base else "?"
    if base.endswith(("?", "&")):
        joiner = ""
    return base + joiner + urllib.parse.urlencode(pairs) + (f"#{fragment}" if fragment else "")


class HttpBackend(Protocol):
    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        timeout: float = 30.0,
    ) -> HttpResponse: ...

    async def aclose(self) -> None: ...


class HttpxBackend:
    def __init__(self, transport: Any = None, *, max_connections: int = 100) -> None:
        import httpx

        self._httpx = httpx
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._client = httpx.AsyncClient(transport=transport, limits=limits)

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        timeout: float = 30.0,
    ) -> HttpResponse:
        httpx = self._httpx
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            resp = await self._client.request(
                method, with_params(url, params), headers=dict(headers or {}), content=content, timeout=timeout
            )
        except httpx.TimeoutException:
            raise TransientError(f"{method} {_safe(url)} timed out after {timeout:g}s") from None
        except httpx.TransportError as exc:
            raise TransientError(f"{method} {_safe(url)} failed: {type(exc).__name__}") from None
        except httpx.InvalidURL as exc:
            raise TerminalError(f"invalid URL {_safe(url)}: {exc}") from None
        return HttpResponse(
            resp.status_code,
            _join_headers(resp.headers.multi_items()),
            resp.content,
            str(resp.url),
            (loop.time() - start) * 1000,
        )

    async def aclose(self) -> None:
        await self._client.aclose()


class AiohttpBackend:
    def __init__(self, *, max_connections: int = 100) -> None:
        self._max_connections = max_connections
        self._session: Any = None

    def _get_session(self) -> Any:
        if self._session is None:
            import aiohttp

            connector = aiohttp.TCPConnector(limit=self._max_connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=True)
        return self._session

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        timeout: float = 30.0,
    ) -> HttpResponse:
        import aiohttp

        session = self._get_session()
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            async with session.request(
                method,
                with_params(url, params),
                headers=dict(headers or {}),
                data=content,
                timeout=aiohttp.ClientTimeout(total=timeout),
                allow_redirects=True,
            ) as resp:
                body = await resp.read()
                return HttpResponse(
                    resp.status,
                    _join_headers(resp.headers.items()),
                    body,
                    str(resp.url),
                    (loop.time() - start) * 1000,
                )
        except TimeoutError:
            raise TransientError(f"{method} {_safe(url)} timed out after {timeout:g}s") from None
        except aiohttp.InvalidURL as exc:
            raise TerminalError(f"invalid URL {_safe(str(exc))}") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise TransientError(f"{method} {_safe(url)} failed: {type(exc).__name__}") from None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _safe(url: str) -> str:
    """A URL for messages: no query string (it may carry keys) and no userinfo."""
    base = url.split("?", 1)[0]
    if "@" in base.split("//", 1)[-1].split("/", 1)[0]:
        scheme, _, rest = base.partition("//")
        base = f"{scheme}//***@{rest.split('@', 1)[1]}"
    return base


def make_backend(transport: Any = None, *, max_connections: int = 100) -> HttpBackend:
    if transport is not None:
        return HttpxBackend(transport, max_connections=max_connections)
    return AiohttpBackend(max_connections=max_connections)
