"""uvicorn's httptools protocol, with each response written in one send, and a one-call response path.

- uvicorn writes the status line + headers and then the body with two `transport.write` calls, so
  two send syscalls per response (on loopback each also runs the peer's TCP receive path). Here the
  head is held until the body follows and both go out together; a `call_soon` flush guarantees a head
  with no body in the same loop turn (100 Continue, streaming starts) is never delayed further.
- Each request's scope carries the extension `scope["extensions"]["weave.respond"]`:
  `respond(status, headers, body) -> bool` sends a whole, Content-Length-framed response in one
  write, without the two ASGI messages and uvicorn's generic per-header checks (~10 µs per request
  less). The caller promises lower-case token header names and no framing headers (content-length,
  transfer-encoding, connection); values are still checked for CR/LF/NUL. It returns False (nothing
  sent) whenever the generic path must run instead: write paused, client gone, response started,
  uvicorn's access log on. Any other ASGI app is served exactly as by uvicorn (the extension then
  leaves a reference cycle per request for the GC; `respond` itself breaks it).
Parsing, limits, pipelining and keep-alive stay uvicorn's own.
"""

from __future__ import annotations

import asyncio
import re
import urllib.parse
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
    service_unavailable,
)

_LINE = b"%s: %s\r\n"
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # uvicorn's HEADER_VALUE_RE without CR and LF


class _CoalescingTransport:
    __slots__ = ("_transport", "_loop", "_held", "_scheduled")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None
        self._scheduled = False

    def write(self, data: bytes) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._transport.write(held + data)
        elif data[:5] == b"HTTP/" and data[-4:] == b"\r\n\r\n":
            self._held = data
            if not self._scheduled:
                self._scheduled = True
                self._loop.call_soon(self._flush)
        else:
            self._transport.write(data)

    def write_whole(self, data: bytes) -> None:
        """A complete response: write it now (nothing can be held between responses)."""
        self._transport.write(data)

    def _flush(self) -> None:
        self._scheduled = False
        if self._held is not None:
            held, self._held = self._held, None
            self._transport.write(held)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def is_closing(self) -> bool:  # called after every response: skip the __getattr__ detour
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _LazyEvent:
    """`asyncio.Event`'s set/clear/is_set/wait, with the real Event made only when someone waits: a GET is
    answered without ever reading a body, so most requests never need one."""

    __slots__ = ("_flag", "_event")

    def __init__(self) -> None:
        self._flag = False
        self._event: asyncio.Event | None = None

    def set(self) -> None:
        self._flag = True
        if self._event is not None:
            self._event.set()

    def clear(self) -> None:
        self._flag = False
        if self._event is not None:
            self._event.clear()

    def is_set(self) -> bool:
        return self._flag

    async def wait(self) -> bool:
        if self._flag:
            return True
        if self._event is None:
            self._event = asyncio.Event()
        return await self._event.wait()


class _Cycle(RequestResponseCycle):
    def respond(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> bool:
        """The whole response in one write (see the module docstring); False: use `send` instead."""
        if self.response_started or self.disconnected or self.flow.write_paused or self.access_log:
            return False
        # the head is joined in C (no Python step per header); a CR or LF inside a value shows up as
        # a line count different from the header count, other control characters by the regex
        head = b"".join(map(_LINE.__mod__, headers))
        if head.count(b"\n") != len(headers) or head.count(b"\r") != len(headers) or _CONTROL.search(head):
            raise RuntimeError("Invalid HTTP header value.")
        parts = [STATUS_LINE[status], b"".join(map(_LINE.__mod__, self.default_headers)), head,
                 b"content-length: %d\r\n" % len(body)]
        keep_alive = self.keep_alive
        if not keep_alive:
            parts.append(b"connection: close\r\n")
        parts.append(b"\r\n")
        if self.scope["method"] != "HEAD":
            parts.append(body)
        self.response_started = True
        self.waiting_for_100_continue = False
        self.transport.write_whole(b"".join(parts))  # type: ignore[attr-defined]
        self.response_complete = True
        self.message_event.set()
        if not keep_alive:
            self.transport.close()
        self.on_response()
        # scope -> extensions -> this bound method -> self -> scope is a reference cycle: break it, so
        # each request's objects are freed by reference counting (cyclic garbage costs GC passes)
        del self.scope["extensions"]  # type: ignore[typeddict-item]
        return True


class GatewayHttpProtocol(HttpToolsProtocol):
    """Also: the keep-alive timeout is one lazily re-armed timer per connection instead of a timer
    created and cancelled on every request (same rule: close after `timeout_keep_alive` idle seconds)."""

    _idle_since: float | None = None  # when the last response completed; None while a request runs

    def __init__(self, config: Any, server_state: Any, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        # uvicorn turns its access log on whenever "uvicorn.access" has a handler, even with access_log=False
        # (pytest >= 9.2 attaches its capture handlers to non-propagating loggers too); the setting decides here
        if not config.access_log:
            self.access_log = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        timer = self.timeout_keep_alive_task
        if timer is not None:
            timer.cancel()
            self.timeout_keep_alive_task = None

    def _unset_keepalive_if_required(self) -> None:  # data arrived: busy; an armed timer re-checks later
        self._idle_since = None

    def on_response_complete(self) -> None:
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self._idle_since = None
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        self._idle_since = self.loop.time()
        if self.timeout_keep_alive_task is None:
            self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self._keep_alive_check)

    def _keep_alive_check(self) -> None:
        self.timeout_keep_alive_task = None
        idle_since = self._idle_since
        if idle_since is None:  # a request is running: the next completed response arms the timer again
            return
        remaining = idle_since + self.timeout_keep_alive - self.loop.time()
        if remaining <= 0:
            self.timeout_keep_alive_handler()
        else:
            self.timeout_keep_alive_task = self.loop.call_later(remaining, self._keep_alive_check)

    def on_headers_complete(self) -> None:
        """uvicorn 0.54's own, building a `_Cycle` and adding the `weave.respond` extension."""
        parser = self.parser
        http_version = parser.get_http_version()
        scope: Any = self.scope
        scope["method"] = parser.get_method().decode("ascii")
        if http_version != "1.1":
            scope["http_version"] = http_version
        if parser.should_upgrade() and self._should_upgrade():
            return
        parsed_url = httptools.parse_url(self.url)
        raw_path = parsed_url.path
        path = raw_path.decode("ascii")
        if "%" in path:
            path = urllib.parse.unquote(path)
        if self.root_path:
            scope["path"] = self.root_path + path
            scope["raw_path"] = self.root_path.encode("ascii") + raw_path
        else:
            scope["path"] = path
            scope["raw_path"] = raw_path
        scope["query_string"] = parsed_url.query or b""
        if self.limit_concurrency is not None and (
            len(self.connections) >= self.limit_concurrency or len(self.tasks) >= self.limit_concurrency
        ):
            app = service_unavailable
            self.logger.warning("Exceeded concurrency limit.")
        else:
            app = self.app
        existing_cycle = self.cycle
        cycle = self.cycle = _Cycle(
            scope=scope,
            transport=self.transport,
            flow=self.flow,
            logger=self.logger,
            access_logger=self.access_logger,
            access_log=self.access_log,
            default_headers=self.server_state.default_headers,
            message_event=_LazyEvent(),  # type: ignore[arg-type]
            expect_100_continue=self.expect_100_continue,
            keep_alive=http_version != "1.0" and parser.should_keep_alive(),
            on_response=self.on_response_complete,
        )
        scope["extensions"] = {"weave.respond": cycle.respond}
        if existing_cycle is None or existing_cycle.response_complete:
            self._start_asgi_task(cycle, app)
        else:  # pipelined requests wait for the one before
            self.flow.pause_reading()
            self.pipeline.appendleft((cycle, app))
