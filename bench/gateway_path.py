"""The gateway's own Python path per request, without sockets: what each plugin adds, steadily.

wrk figures (bench/gateway.py) swing with the machine's load; this measures the same request
pipeline in one process — uvicorn's httptools protocol (`GatewayHttpProtocol`), the app and the
pooled upstream client — with in-memory transports: the client transport feeds the next request
when a response is written, the upstream transport answers each request on the next loop turn.
Variants (same upstream call, same response):

    bare       public proxy route, no plugins
    transform  + the response transform (drop cost_price)
    limit      + a rate limit (never hit; RateLimit-* headers on every answer)
    keyauth    + API-key auth (cached key, scope check)
    full       all three (the consumer's limit and the route's: two buckets), as in bench/gateway.py

Rounds alternate the variants (each leads a round in turn); the minimum CPU µs per request of each
counts (the least disturbed). Host noise still moves these by ±1-2 µs, so each variant's Python bytecodes
per request are also counted (`sys.settrace` opcode events over 200 requests): the same on every run, on
any machine load — the figure to watch when changing the hot path.
`python bench/gateway_path.py [--quick]` prints JSON lines; bench/gateway.py adds these records to its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway import SMALL, _config  # noqa: E402  (bench modules import each other by path)

_UPSTREAM_ANSWER = (b"HTTP/1.1 200 OK\r\ndate: Fri, 27 Nov 2026 08:00:00 GMT\r\nserver: uvicorn\r\n"
                    b"content-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(SMALL), SMALL))

_EXTRA_ROUTES: list[dict[str, Any]] = [
    {"method": "GET", "path": "/t/quotes/{id}", "public": True, "upstream": {"system": "crm", "path": "/api/quotes/{id}"},
     "response": {"steps": [{"drop": ["cost_price"]}]}},
    {"method": "GET", "path": "/l/quotes/{id}", "public": True, "upstream": {"system": "crm", "path": "/api/quotes/{id}"},
     "rate_limit": {"requests": 1_000_000_000, "per": "hour"}},
    {"method": "GET", "path": "/k/quotes/{id}", "scopes": ["quotes:read"],
     "upstream": {"system": "crm", "path": "/api/quotes/{id}"}},
]


class _Upstream:
    """The upstream connection's transport: every request is answered on the next loop turn."""

    def __init__(self, conn: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.conn, self.loop = conn, loop

    def write(self, data: bytes) -> None:
        self.loop.call_soon(self.conn.data_received, _UPSTREAM_ANSWER)

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass


class _Client:
    """The client connection's transport: each written response triggers the next request."""

    def __init__(self, loop: asyncio.AbstractEventLoop, request: bytes, count: int) -> None:
        self.loop, self.request, self.left = loop, request, count
        self.protocol: Any = None
        self.done: asyncio.Future[None] = loop.create_future()

    def write(self, data: bytes) -> None:
        if not data.startswith(b"HTTP/1.1 200 "):
            raise RuntimeError(f"unexpected answer: {data[:200]!r}")
        self.left -= 1
        if self.left > 0:
            self.loop.call_soon(self.protocol.data_received, self.request)
        else:
            self.done.set_result(None)

    def is_closing(self) -> bool:
        return False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8080), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def close(self) -> None:
        pass


async def _measure(quick: bool) -> tuple[dict[str, float], dict[str, float]]:
    from uvicorn.config import Config
    from uvicorn.server import ServerState

    from weave.gateway import GatewayApp, MemoryKeyStore, create_key, gateway_config_from_specs
    from weave.gateway.protocol import GatewayHttpProtocol
    from weave.gateway.upstream import _Connection

    raw = _config("http://127.0.0.1:9", Path("unused.sqlite"))
    raw["integrations"][0]["gateway"]["routes"] += _EXTRA_ROUTES
    raw["consumers"].append({"name": "no-limit", "auth": {"type": "api-key"}, "scopes": ["quotes:read"]})
    config = gateway_config_from_specs(raw["integrations"], raw["consumers"], raw["systems"], raw["settings"])
    loop = asyncio.get_running_loop()
    app = GatewayApp(config, keys=MemoryKeyStore())
    key, _ = await create_key(app.keys, "bench-partner")
    plain_key, _ = await create_key(app.keys, "no-limit")
    for pool in app.client.pools.values():
        for _ in range(4):
            conn = _Connection(pool)
            conn.connection_made(_Upstream(conn, loop))  # type: ignore[arg-type]
            pool.idle.append(conn)
    server_config = Config(app, http=GatewayHttpProtocol, loop="none", lifespan="off", access_log=False,
                           log_level="warning", proxy_headers=False)
    server_config.load()
    state = ServerState()

    def request(path: str, api_key: str | None = None) -> bytes:
        auth = b"X-API-Key: " + api_key.encode() + b"\r\n" if api_key else b""
        return b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\n" + auth + b"\r\n"

    variants = {"bare": request("/bare/quotes/Q-00001"), "transform": request("/t/quotes/Q-00001"),
                "limit": request("/l/quotes/Q-00001"), "keyauth": request("/k/quotes/Q-00001", plain_key),
                "full": request("/partner/v1/quotes/Q-00001", key)}

    async def serve(data: bytes, count: int, trace: Any = None) -> float:
        """`count` requests on one connection; CPU seconds (with `trace` set as the trace function)."""
        client = _Client(loop, data, count)
        protocol = GatewayHttpProtocol(config=server_config, server_state=state, app_state={})
        protocol.connection_made(client)  # type: ignore[arg-type]
        client.protocol = protocol
        started = time.process_time()
        sys.settrace(trace)
        try:
            protocol.data_received(data)
            await client.done
        finally:
            sys.settrace(None)
        protocol.connection_lost(None)
        return time.process_time() - started

    rounds, count = (12, 3000) if quick else (20, 5000)
    best = {name: float("inf") for name in variants}
    names = list(variants)
    for round_no in range(rounds):
        for name in names[round_no % len(names):] + names[:round_no % len(names)]:  # each variant leads in turn
            best[name] = min(best[name], await serve(variants[name], count) / count * 1e6)
    ops = {}
    for name, data in variants.items():  # deterministic: Python bytecodes executed per request (after warm-up)
        counter = _OpCounter()
        await serve(data, 200, counter.trace)
        ops[name] = counter.count / 200
    await app.aclose()
    return best, ops


class _OpCounter:
    """A `sys.settrace` function counting every bytecode executed (opcode events), in every frame."""

    def __init__(self) -> None:
        self.count = 0

    def trace(self, frame: Any, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True
        return self._opcode

    def _opcode(self, frame: Any, event: str, arg: Any) -> Any:
        if event == "opcode":
            self.count += 1
        return self._opcode


def run(quick: bool) -> list[dict[str, Any]]:
    import uvloop

    best, ops = uvloop.run(_measure(quick))
    bare = best["bare"]
    added = {name: round(value - bare, 2) for name, value in best.items() if name != "bare"}
    return [
        {"name": "gateway.path_us", "value": round(best["full"], 2),
         "unit": "CPU µs per request of the full route, in one process without sockets",
         "detail": {"us_per_request": {k: round(v, 2) for k, v in best.items()}, "added_over_bare_us": added}},
        {"name": "gateway.path_plugin_cost", "value": round(1 - bare / best["full"], 3),
         "unit": "share of the full route's in-process CPU spent on the plugins (no sockets)",
         "detail": {"note": "the wrk figure (gateway.plugin_overhead) adds the socket work both routes share"}},
        {"name": "gateway.path_ops_plugin_cost", "value": round(1 - ops["bare"] / ops["full"], 3),
         "unit": "share of the full route's Python bytecodes spent on the plugins (deterministic, noise-free)",
         "detail": {"bytecodes_per_request": {k: round(v, 1) for k, v in ops.items()},
                    "added_over_bare": {k: round(v - ops["bare"], 1) for k, v in ops.items() if k != "bare"},
                    "note": "C work (the key digest, orjson, header bytes, the parser) is not counted; a regression check, "
                            "not a time"}},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    for record in run(parser.parse_args().quick):
        print(json.dumps(record))


if __name__ == "__main__":
    main()
