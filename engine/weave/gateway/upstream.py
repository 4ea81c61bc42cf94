"""A small pooled keep-alive HTTP/1.1 client for the gateway's hot path.

Chosen by measurement (ANCHORS.md): httpx's AsyncClient proxies ~0.5-0.8k req/s here and aiohttp
~7.3k, while asyncio protocols + httptools' response parser cost ~19 µs per request. It does one
thing: send a fully-buffered request over a reused connection and return the fully-buffered
response. Bodies framed by Content-Length, chunked encoding or connection close are handled;
204/304 have no body. A reused connection that dies before any response byte (the server closed it
while idle) is retried once on a fresh connection for idempotent methods.

    UpstreamError          connection refused/reset, malformed response  -> 502
    └── UpstreamTimeout    connect or response timeout                   -> 504
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from typing import NamedTuple
from urllib.parse import urlsplit

import httptools

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
SWEEP = 0.05  # seconds between timeout sweeps while requests are in flight


class UpstreamError(Exception):
    """The upstream could not be reached or answered with something that is not HTTP."""


class UpstreamTimeout(UpstreamError):
    """The upstream did not connect or answer within the timeout."""


class UpstreamResponse(NamedTuple):
    """Immutable; a NamedTuple because one is built per proxied request (cheaper than a frozen dataclass)."""

    status: int
    headers: list[tuple[bytes, bytes]]  # names lower-cased
    body: bytes

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None


class _Connection(asyncio.Protocol):
    """One keep-alive connection; at most one request in flight (no pipelining)."""

    def __init__(self, pool: UpstreamPool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[UpstreamResponse] | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.status = 0
        self.keep_alive = False
        self.framed = False
        self.headers_done = False
        self.got_bytes = False
        self.closed = False
        self.reused = False
        self.head = False
        self.deadline = 0.0

    # -- asyncio.Protocol ---------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._fail(UpstreamError("malformed response from upstream"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            if self.headers_done and not self.framed:  # body delimited by connection close
                self.waiter = None
                waiter.set_result(UpstreamResponse(self.status, self.headers, b"".join(self.body)))
            else:
                waiter.set_exception(_Stale() if self.reused and not self.got_bytes else
                                     UpstreamError("upstream closed the connection"))
        self.pool._forget(self)

    # -- httptools callbacks ------------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        lname = name.lower()
        if lname == b"content-length" or lname == b"transfer-encoding":
            self.framed = True
        self.headers.append((lname, value))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()
        self.headers_done = True
        if self.status in (204, 304) or self.status < 200:
            self.framed = True
        if self.head:  # a HEAD response announces a body it never sends: finish here, do not reuse
            self.keep_alive = False
            self.on_message_complete()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        waiter = self.waiter
        if waiter is None:
            return
        self.waiter = None
        if not waiter.done():
            waiter.set_result(UpstreamResponse(self.status, self.headers, b"".join(self.body)))
        if self.keep_alive and not self.closed:
            self.pool._release(self)
        else:
            self.close()

    # -- client side --------------------------------------------------------------------------
    def send(self, data: bytes, head: bool) -> asyncio.Future[UpstreamResponse]:
        self.headers = []
        self.body = []
        self.status = 0
        self.framed = False
        self.headers_done = False
        self.got_bytes = False
        self.head = head
        self.waiter = self.pool.loop.create_future()
        assert self.transport is not None
        self.transport.write(data)
        return self.waiter

    def _fail(self, exc: Exception) -> None:
        waiter = self.waiter
        self.waiter = None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def timeout(self) -> None:
        self._fail(UpstreamTimeout("upstream timed out"))
        self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.transport is not None:
                self.transport.close()
        self.pool._forget(self)


class _Stale(UpstreamError):
    """A reused idle connection was already closed by the upstream; safe to retry."""


class UpstreamPool:
    """Keep-alive connections to one origin (scheme://host:port)."""

    def __init__(self, base_url: str, connect_timeout: float = 3.0, max_idle: int = 64) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"upstream base URL must be http(s)://host[:port][/path], got {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.ssl: ssl.SSLContext | None = ssl.create_default_context() if parts.scheme == "https" else None
        self.base_path = parts.path.rstrip("/")
        default_port = (parts.scheme == "https" and self.port == 443) or (parts.scheme == "http" and self.port == 80)
        host_header = self.host if default_port else f"{self.host}:{self.port}"
        self._fixed = f"host: {host_header}\r\nuser-agent: weave-gateway\r\n".encode("latin-1")
        self.connect_timeout = connect_timeout
        self.max_idle = max_idle
        self.idle: deque[_Connection] = deque()
        self.active: set[_Connection] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sweeper: asyncio.TimerHandle | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def _release(self, conn: _Connection) -> None:
        self.active.discard(conn)
        if len(self.idle) < self.max_idle:
            conn.reused = True
            self.idle.append(conn)
        else:
            conn.close()

    def _forget(self, conn: _Connection) -> None:
        self.active.discard(conn)
        try:
            self.idle.remove(conn)
        except ValueError:
            pass

    async def _connect(self) -> _Connection:
        loop = self.loop
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(lambda: _Connection(self), self.host, self.port, ssl=self.ssl),
                self.connect_timeout,
            )
        except TimeoutError:
            raise UpstreamTimeout("connect timed out") from None
        except OSError:
            raise UpstreamError("cannot connect to upstream") from None
        return conn

    def _idle_connection(self) -> _Connection | None:
        """A live idle connection, made active (synchronous: no coroutine on the pooled path)."""
        idle = self.idle
        while idle:
            conn = idle.pop()
            if not conn.closed and conn.transport is not None and not conn.transport.is_closing():
                self.active.add(conn)
                return conn
        return None

    async def _acquire(self) -> _Connection:
        conn = self._idle_connection()
        if conn is not None:
            return conn
        conn = await self._connect()
        self.active.add(conn)
        return conn

    def encode(self, method: str, target: str, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
        """The request bytes. Header names/values must already be free of CR, LF and NUL."""
        parts = [method.encode("ascii"), b" ", (self.base_path + target).encode("latin-1"), b" HTTP/1.1\r\n", self._fixed]
        for name, value in headers:
            parts += (name, b": ", value, b"\r\n")
        if body or method in ("POST", "PUT", "PATCH"):
            parts += (b"content-length: ", str(len(body)).encode(), b"\r\n")
        parts.append(b"\r\n")
        parts.append(body)
        return b"".join(parts)

    def _sweep(self) -> None:
        """Time out overdue requests. One timer per pool while requests are in flight, instead of a
        timer per request (timeouts fire within SWEEP seconds after their deadline)."""
        self._sweeper = None
        now = self.loop.time()
        waiting = False
        for conn in list(self.active):
            if conn.waiter is not None:
                if conn.deadline <= now:
                    conn.timeout()
                else:
                    waiting = True
        if waiting:
            self._sweeper = self.loop.call_later(SWEEP, self._sweep)

    async def request(
        self,
        method: str,
        target: str,
        headers: list[tuple[bytes, bytes]] | None = None,
        body: bytes = b"",
        timeout: float = 10.0,
    ) -> UpstreamResponse:
        data = self.encode(method, target, headers or [], body)
        loop = self.loop
        for attempt in (0, 1):
            conn = self._idle_connection() or await self._acquire()
            future = conn.send(data, method == "HEAD")
            conn.deadline = loop.time() + timeout
            if self._sweeper is None:
                self._sweeper = loop.call_later(min(SWEEP, timeout), self._sweep)
            try:
                return await future
            except _Stale:
                if attempt or method not in IDEMPOTENT:
                    raise UpstreamError("upstream closed the connection") from None
            except asyncio.CancelledError:
                conn.close()  # the connection's state is unknown; never reuse it
                raise
        raise UpstreamError("unreachable")  # pragma: no cover

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for conn in list(self.idle) + list(self.active):
            conn.close()
        self.idle.clear()
        self.active.clear()


class UpstreamClient:
    """One pool per upstream base URL, created on first use."""

    def __init__(self, connect_timeout: float = 3.0, max_idle: int = 64) -> None:
        self.connect_timeout = connect_timeout
        self.max_idle = max_idle
        self.pools: dict[str, UpstreamPool] = {}

    def pool(self, base_url: str) -> UpstreamPool:
        pool = self.pools.get(base_url)
        if pool is None:
            pool = self.pools[base_url] = UpstreamPool(base_url, self.connect_timeout, self.max_idle)
        return pool

    async def close(self) -> None:
        for pool in self.pools.values():
            await pool.close()
        self.pools.clear()
