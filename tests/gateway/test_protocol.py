"""GatewayHttpProtocol's fast paths keep uvicorn's behaviour: one-call responses (`weave.respond`),
HEAD, Connection: close, pipelining, the lazily re-armed keep-alive timer, and no cyclic garbage."""

from __future__ import annotations

import gc
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from weave.gateway.protocol import GatewayHttpProtocol

from . import specs
from .conftest import Gateway, ServerThread, running_gateway

BODY = b'{"ok":true}'


async def direct_app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    respond = scope["extensions"]["weave.respond"]
    assert respond(200, [(b"content-type", b"application/json"), (b"x-path", scope["path"].encode())], BODY)


def _read_response(sock: socket.socket, buffer: bytes = b"") -> tuple[bytes, bytes]:
    """One Content-Length-framed response (head + body) from `sock`; returns it and what follows."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before a response"
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    while len(rest) < length:
        rest += sock.recv(65536)
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False


def test_respond_head_close_and_pipelining() -> None:
    with ServerThread(direct_app, http=GatewayHttpProtocol) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")  # pipelined
            first, rest = _read_response(sock)
            second, rest = _read_response(sock, rest)
            assert first.startswith(b"HTTP/1.1 200 OK\r\n") and b"x-path: /a\r\n" in first and first.endswith(BODY)
            assert b"x-path: /b\r\n" in second and b"content-length: 11\r\n" in second and rest == b""
            sock.sendall(b"HEAD /c HTTP/1.1\r\nHost: x\r\n\r\n")
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                head += sock.recv(65536)
            assert b"content-length: 11\r\n" in head  # the length announced, no body sent
            sock.sendall(b"GET /d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            reply, _ = _read_response(sock)
            assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and b"connection: close\r\n" in reply
            assert _closed_within(sock, 5)


_VALUES = {"/crlf": b"a\r\nset-cookie: injected=1", "/lf": b"a\nb", "/cr": b"a\rb", "/nul": b"a\x00b",
           "/del": b"a\x7fb", "/esc": b"\x1b[31m", "/tab": b"a\tb"}


async def echo_value_app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        scope["extensions"]["weave.respond"](200, [(b"x-value", _VALUES[scope["path"]])], BODY)


def test_respond_refuses_control_characters_in_header_values() -> None:
    """The head is joined in C and checked once: a CR or LF in a value (a line count off by one) or any
    other control character is refused, as uvicorn's per-header check does; a tab is a legal value byte."""
    with ServerThread(echo_value_app, http=GatewayHttpProtocol) as server:
        for path in _VALUES:
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
                sock.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
                reply, _ = _read_response(sock)
            if path == "/tab":
                assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and b"x-value: a\tb\r\n" in reply
            else:  # uvicorn answers 500 for the app's error, with none of the value's bytes
                assert reply.startswith(b"HTTP/1.1 500 "), (path, reply)
                assert b"x-value" not in reply and b"injected" not in reply


def test_keep_alive_timeout_counts_from_the_last_response() -> None:
    with ServerThread(direct_app, http=GatewayHttpProtocol, timeout_keep_alive=1) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
            _read_response(sock)
            assert not _closed_within(sock, 0.6)  # idle 0.6 s of 1 s: still open
            sock.sendall(b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
            _read_response(sock)
            answered = time.monotonic()
            assert not _closed_within(sock, 0.6)  # 1.2 s after the first response, 0.6 s after the last
            assert _closed_within(sock, 5)
            assert 0.9 <= time.monotonic() - answered < 5


def test_access_log_false_keeps_the_one_call_path_when_the_access_logger_has_a_handler() -> None:
    """uvicorn switches its access log on whenever "uvicorn.access" has a handler (pytest >= 9.2 attaches its
    capture handlers there); with access_log=False the one-call path must stay on (`direct_app` asserts it)."""
    access = logging.getLogger("uvicorn.access")
    handler = logging.NullHandler()
    with ServerThread(direct_app, http=GatewayHttpProtocol) as server:  # access_log=False
        access.addHandler(handler)
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
                sock.sendall(b"GET /logged HTTP/1.1\r\nHost: x\r\n\r\n")
                reply, _ = _read_response(sock)
        finally:
            access.removeHandler(handler)
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and b"x-path: /logged\r\n" in reply


@pytest.fixture(scope="module")
def gw(upstream: ServerThread) -> Iterator[Gateway]:
    with running_gateway(specs.config(upstream.url), env=specs.ENV) as gateway:
        yield gateway


def test_no_cyclic_garbage_per_request(gw: Gateway) -> None:
    key = gw.new_key("partner-acme")
    request = f"GET /partner/v1/quotes/Q-00001 HTTP/1.1\r\nHost: x\r\nX-API-Key: {key}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", gw.server.port), timeout=5) as sock:
        sock.sendall(request)
        _read_response(sock)  # warm: pools, caches
        gc.collect()
        gc.disable()
        try:
            for _ in range(50):
                sock.sendall(request)
                reply, _ = _read_response(sock)
                assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
            found = gc.collect()
        finally:
            gc.enable()
    assert found < 50  # was ~13 objects per request while scope and respond formed a cycle
