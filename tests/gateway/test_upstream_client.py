"""The pooled upstream client against raw asyncio servers that answer with exact bytes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from weave.gateway import UpstreamError, UpstreamPool, UpstreamTimeout
from weave.sandbox.services import free_port

Handler = Callable[[bytes], bytes | None]


class RawServer:
    """Answers each request (read up to the blank line) with handler(request) bytes; None = close."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length) if length else b""
                self.requests.append(head + body)
                answer = self.handler(head + body)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if b"connection: close" in answer.lower():
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def start(self) -> str:
        port = free_port()
        self.server = await asyncio.start_server(self._client, "127.0.0.1", port)
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], asyncio.Future[tuple[RawServer, UpstreamPool]]]]:
    servers: list[RawServer] = []
    pools: list[UpstreamPool] = []

    async def make(handler: Handler) -> tuple[RawServer, UpstreamPool]:
        server = RawServer(handler)
        url = await server.start()
        pool = UpstreamPool(url + "/base", connect_timeout=1.0)
        servers.append(server)
        pools.append(pool)
        return server, pool

    yield make  # type: ignore[misc]
    for pool in pools:
        await pool.close()
    for server in servers:
        await server.stop()


def _ok(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + \
        b"\r\n" + extra + b"\r\n" + body


async def test_content_length_and_connection_reuse(serve) -> None:  # type: ignore[no-untyped-def]
    server, pool = await serve(lambda req: _ok(b'{"a":1}'))
    for _ in range(5):
        response = await pool.request("GET", "/x?q=1", [(b"accept", b"application/json")])
        assert response.status == 200 and response.body == b'{"a":1}'
        assert response.header(b"content-type") == b"application/json"
    assert server.connections == 1
    first = server.requests[0]
    assert first.startswith(b"GET /base/x?q=1 HTTP/1.1\r\n") and b"host: 127.0.0.1:" in first


async def test_chunked_response(serve) -> None:  # type: ignore[no-untyped-def]
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n"
    server, pool = await serve(lambda req: chunked)
    assert (await pool.request("GET", "/c")).body == b"abcdefg"
    assert (await pool.request("GET", "/c")).body == b"abcdefg"
    assert server.connections == 1


async def test_body_delimited_by_close_and_no_reuse(serve) -> None:  # type: ignore[no-untyped-def]
    server, pool = await serve(lambda req: b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil-eof")
    assert (await pool.request("GET", "/e")).body == b"until-eof"
    assert (await pool.request("GET", "/e")).body == b"until-eof"
    assert server.connections == 2


async def test_post_body_and_no_content(serve) -> None:  # type: ignore[no-untyped-def]
    server, pool = await serve(lambda req: b"HTTP/1.1 204 No Content\r\n\r\n")
    response = await pool.request("POST", "/p", [(b"content-type", b"application/json")], b'{"x":1}')
    assert response.status == 204 and response.body == b""
    assert server.requests[0].endswith(b"content-length: 7\r\n\r\n" + b'{"x":1}')
    assert (await pool.request("DELETE", "/p")).status == 204
    assert server.connections == 1


async def test_timeout_and_refused_connection(serve) -> None:  # type: ignore[no-untyped-def]
    server, pool = await serve(lambda req: b"")  # never answers
    with pytest.raises(UpstreamTimeout):
        await pool.request("GET", "/slow", timeout=0.2)
    refused = UpstreamPool(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(UpstreamError) as info:
        await refused.request("GET", "/")
    assert not isinstance(info.value, UpstreamTimeout)


async def test_malformed_response_is_an_upstream_error(serve) -> None:  # type: ignore[no-untyped-def]
    server, pool = await serve(lambda req: b"NOT HTTP AT ALL\r\n\r\n")
    with pytest.raises(UpstreamError):
        await pool.request("GET", "/")


async def test_stale_idle_connection_is_retried_for_idempotent_methods(serve) -> None:  # type: ignore[no-untyped-def]
    answers = iter([_ok(b"1"), None, _ok(b"2")])  # answer, then drop the kept-alive connection on the next request

    server, pool = await serve(lambda req: next(answers))
    assert (await pool.request("GET", "/a")).body == b"1"
    assert (await pool.request("GET", "/a")).body == b"2"
    assert server.connections == 2


async def test_non_idempotent_request_is_not_replayed(serve) -> None:  # type: ignore[no-untyped-def]
    answers = iter([_ok(b"1"), None, _ok(b"2")])
    server, pool = await serve(lambda req: next(answers))
    assert (await pool.request("POST", "/a", body=b"{}")).body == b"1"
    with pytest.raises(UpstreamError):
        await pool.request("POST", "/a", body=b"{}")
    assert len(server.requests) == 2


async def test_concurrent_requests_use_separate_connections(serve) -> None:  # type: ignore[no-untyped-def]
    server, pool = await serve(lambda req: _ok(req.split(b" ")[1]))
    results = await asyncio.gather(*(pool.request("GET", f"/{i}") for i in range(20)))
    assert [r.body for r in results] == [f"/base/{i}".encode() for i in range(20)]
    assert server.connections <= 20
    again = await asyncio.gather(*(pool.request("GET", f"/{i}") for i in range(20)))
    assert len(again) == 20 and server.connections <= 20  # the pool was reused, no new connections needed


def test_bad_base_url() -> None:
    with pytest.raises(ValueError):
        UpstreamPool("ftp://example.com")
