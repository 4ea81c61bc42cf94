"""HTTP client under concurrency: httpx.AsyncClient vs aiohttp (weave's default backend).

200 concurrent POSTs of a small JSON body to a local uvicorn server (separate process, httptools,
uvloop, raw ASGI echo app), same connection limit (100) for both clients, measured alternately
(A B A B …) in one run. Reports requests/s for each and the ratio aiohttp/httpx, plus the full
weave HttpConnector.write path on the default backend.

    python bench/connectors.py --quick
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Raw ASGI: read the body, answer 201 with a tiny JSON document."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 201, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"ok":true}'})


def _start_server() -> tuple[subprocess.Popen[bytes], int]:
    from weave.sandbox.services import free_port, wait_for_port

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "connectors:echo_app", "--app-dir", str(ROOT / "bench"),
         "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
         "--http", "httptools", "--loop", "uvloop"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return proc, port


async def _drive(send: Any, total: int, concurrency: int) -> float:
    body = json.dumps({"id": 1, "email": "a@example.com", "total": 12.5}).encode()
    counter = iter(range(total))

    async def worker() -> None:
        for _ in counter:
            await send(body)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - start)


async def _httpx_rate(url: str, total: int, concurrency: int) -> float:
    import httpx

    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(limits=limits) as client:

        async def send(body: bytes) -> None:
            r = await client.post(url, content=body, headers={"content-type": "application/json"})
            assert r.status_code == 201

        await send(b"{}")
        return await _drive(send, total, concurrency)


async def _aiohttp_rate(url: str, total: int, concurrency: int) -> float:
    from weave.connectors.http.backend import AiohttpBackend

    backend = AiohttpBackend(max_connections=100)
    try:

        async def send(body: bytes) -> None:
            r = await backend.request("POST", url, headers={"content-type": "application/json"}, content=body)
            assert r.status == 201

        await send(b"{}")
        return await _drive(send, total, concurrency)
    finally:
        await backend.aclose()


async def _connector_rate(base: str, total: int, concurrency: int) -> float:
    from weave.connectors.base import SystemConfig
    from weave.connectors.http.connector import HttpConnector

    conn = HttpConnector(SystemConfig(name="bench", style="rest", base_url=base, auth={"type": "none"}))
    op = {"method": "POST", "path": "/orders"}
    try:

        async def send(body: bytes) -> None:
            await conn.write(op, [{"id": 1, "email": "a@example.com", "total": 12.5}])

        await send(b"")
        return await _drive(send, total, concurrency)
    finally:
        await conn.aclose()


def run(quick: bool) -> list[dict[str, Any]]:
    total = 1500 if quick else 6000
    rounds = 2 if quick else 4
    concurrency = 200
    proc, port = _start_server()
    base = f"http://127.0.0.1:{port}"
    url = base + "/orders"
    rates: dict[str, list[float]] = {"httpx": [], "aiohttp": [], "connector": []}
    try:
        try:
            import uvloop

            runner = uvloop.run
        except ImportError:  # pragma: no cover
            runner = asyncio.run
        for _ in range(rounds):  # alternate A B C A B C …
            rates["httpx"].append(runner(_httpx_rate(url, total, concurrency)))
            rates["aiohttp"].append(runner(_aiohttp_rate(url, total, concurrency)))
            rates["connector"].append(runner(_connector_rate(base, total, concurrency)))
    finally:
        proc.terminate()
        proc.wait(10)
    best = {k: max(v) for k, v in rates.items()}
    detail = {"requests_per_round": total, "concurrency": concurrency, "rounds": rounds,
              "rates": {k: [round(x) for x in v] for k, v in rates.items()}, "cores": os.cpu_count()}
    return [
        {"name": "http_client.aiohttp_vs_httpx", "value": round(best["aiohttp"] / best["httpx"], 2),
         "unit": "ratio (req/s)", "detail": detail},
        {"name": "http_client.httpx_req_per_s", "value": round(best["httpx"]), "unit": "req/s", "detail": detail},
        {"name": "http_client.aiohttp_req_per_s", "value": round(best["aiohttp"]), "unit": "req/s", "detail": detail},
        {"name": "http_connector.write_vs_httpx", "value": round(best["connector"] / best["httpx"], 2),
         "unit": "ratio (req/s)", "detail": detail},
        {"name": "http_connector.write_req_per_s", "value": round(best["connector"]), "unit": "req/s",
         "detail": {**detail, "vs_raw_aiohttp": round(best["connector"] / best["aiohttp"], 2)}},
    ]


if __name__ == "__main__":
    for record in run("--quick" in sys.argv):
        print(json.dumps(record))
