"""A small CRM-like upstream for the gateway tests and benchmark: a raw ASGI app (no framework),
so it is cheap enough to sit behind the gateway in a benchmark."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

QUOTES: dict[str, dict[str, Any]] = {
    f"Q-{i:05d}": {
        "id": f"Q-{i:05d}", "account_id": f"ACC-{i % 7:04d}", "status": "sent", "total": 1200.0 + i,
        "cost_price": 800.0 + i, "currency": "EUR",
        "lines": [{"sku": "PRD-001", "qty": 2, "price": 400.0, "cost_price": 250.0},
                  {"sku": "PRD-002", "qty": 1, "price": 400.0 + i, "cost_price": 300.0 + i}],
    }
    for i in range(1, 51)
}
ACCOUNTS = {f"ACC-{i:04d}": {"id": f"ACC-{i:04d}", "name": f"Account {i}", "tier": "gold", "credit_limit": 50000}
            for i in range(7)}
SMALL = orjson.dumps({"id": "Q-00001", "total": 1201.0, "cost_price": 801.0, "currency": "EUR", "status": "sent"})


async def _send(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None,
                chunked: bool = False) -> None:
    base = [(b"content-type", b"application/json")] + (headers or [])
    if not chunked:
        base.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": base})
    if chunked:
        half = len(body) // 2
        await send({"type": "http.response.body", "body": body[:half], "more_body": True})
        await send({"type": "http.response.body", "body": body[half:], "more_body": False})
    else:
        await send({"type": "http.response.body", "body": body})


async def _body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    path: str = scope["path"]
    method: str = scope["method"]
    if path == "/small":
        await _send(send, 200, SMALL)
        return
    if path.startswith("/api/quotes/") and method == "GET":
        quote = QUOTES.get(path.rsplit("/", 1)[1])
        if quote is None:
            await _send(send, 404, b'{"detail": "quote not found in table crm.quotes"}')
        else:
            await _send(send, 200, orjson.dumps(quote), [(b"etag", b'"v1"')], chunked=quote["id"] == "Q-00002")
        return
    if path == "/api/quotes" and method == "POST":
        data = orjson.loads(await _body(receive))
        await _send(send, 201, orjson.dumps({"id": "Q-99999", **data, "cost_price": 1.0}))
        return
    if path.startswith("/api/accounts/") and method == "GET":
        account = ACCOUNTS.get(path.rsplit("/", 1)[1])
        await _send(send, 200 if account else 404, orjson.dumps(account or {"detail": "no account"}))
        return
    if path.startswith("/echo"):
        body = await _body(receive)
        headers = [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]]
        await _send(send, 200, orjson.dumps({"path": path, "raw_path": scope.get("raw_path", b"").decode("latin-1"),
                                             "query": scope["query_string"].decode("latin-1"), "headers": headers,
                                             "method": method, "body": body.decode("utf-8", "replace")}))
        return
    if path == "/slow":
        await asyncio.sleep(3)
        await _send(send, 200, b"{}")
        return
    if path == "/fail":
        await _send(send, 500, b'{"trace": "Traceback: psycopg.errors.UndefinedColumn at db-internal-7:5432"}')
        return
    if path == "/html":  # a 200 that is not JSON (a proxy's error page, a misrouted call)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/html"), (b"content-length", b"29")]})
        await send({"type": "http.response.body", "body": b"<html>maintenance page</html>"})
        return
    if path == "/forbidden":
        await _send(send, 403, b'{"detail": "bad upstream credentials"}')
        return
    await _send(send, 404, b'{"detail": "no such upstream path"}')
