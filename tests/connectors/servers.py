"""Small real HTTP services for the connector tests, run with uvicorn on 127.0.0.1 free ports.

One Starlette app (`make_app(state)`) serves every scenario; `ServerState` is shared in-process so
tests can read what the server saw (token requests, deliveries, idempotency keys).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import uvicorn
import xmltodict
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from weave.sandbox.services import free_port

ITEMS = [{"id": i, "name": f"item-{i}"} for i in range(1, 24)]  # 23 items: pages are not even
API_KEY = "k-test-123"
BASIC = ("weave", "s3cret-pass")
CLIENT = ("client-1", "client-secret-xyz")


@dataclass
class ServerState:
    token_ttl: int = 3600
    token_requests: int = 0
    tokens: dict[str, float] = field(default_factory=dict)  # token → expiry (time.time)
    failures: Counter[str] = field(default_factory=Counter)
    orders: dict[str, Any] = field(default_factory=dict)  # idempotency key → body
    order_posts: int = 0
    limited_hits: int = 0
    seen_auth: list[str] = field(default_factory=list)
    soap_calls: list[tuple[str, str]] = field(default_factory=list)

    def reset(self) -> None:
        fresh = ServerState()
        self.__dict__.update(fresh.__dict__)


def make_app(state: ServerState) -> Starlette:
    counter = itertools.count(1)

    def window(start: int, size: int) -> list[dict[str, Any]]:
        return ITEMS[start : start + size]

    async def page(request: Request) -> Response:
        p = int(request.query_params.get("page", 1))
        size = int(request.query_params.get("per_page", 10))
        pages = -(-len(ITEMS) // size)
        return JSONResponse({"data": window((p - 1) * size, size), "meta": {"page": p, "pages": pages}})

    async def offset(request: Request) -> Response:
        off = int(request.query_params.get("offset", 0))
        limit = int(request.query_params.get("limit", 10))
        return JSONResponse({"items": window(off, limit), "total": len(ITEMS)})

    async def cursor(request: Request) -> Response:
        pos = int(request.query_params.get("cursor", "c0")[1:])
        chunk = window(pos, 10)
        nxt = f"c{pos + 10}" if pos + 10 < len(ITEMS) else None
        return JSONResponse({"data": chunk, "meta": {"next": nxt}})

    async def link(request: Request) -> Response:
        p = int(request.query_params.get("page", 1))
        chunk = window((p - 1) * 10, 10)
        headers = {}
        if p * 10 < len(ITEMS):
            # alternate absolute and relative targets, plus an extra rel, like real APIs do
            target = f"/items/link?page={p + 1}" if p % 2 else f"{request.base_url}items/link?page={p + 1}"
            headers["Link"] = f'<{target}>; rel="next", </items/link?page=1>; rel="first"'
        return JSONResponse(chunk, headers=headers)

    async def token(request: Request) -> Response:
        state.token_requests += 1
        form = {k: v[0] for k, v in urllib.parse.parse_qs((await request.body()).decode()).items()}
        cid, secret = form.get("client_id"), form.get("client_secret")
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            cid, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        if form.get("grant_type") != "client_credentials" or (cid, secret) != CLIENT:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        tok = f"tok-{next(counter)}"
        state.tokens[tok] = time.time() + state.token_ttl
        return JSONResponse({"access_token": tok, "token_type": "Bearer", "expires_in": state.token_ttl})

    def _authorized(request: Request, kind: str) -> bool:
        header = request.headers.get("authorization", "")
        state.seen_auth.append(kind)
        if kind == "apikey":
            return request.headers.get("x-api-key") == API_KEY or request.query_params.get("api_key") == API_KEY
        if kind == "basic":
            return header == "Basic " + base64.b64encode(f"{BASIC[0]}:{BASIC[1]}".encode()).decode()
        if kind == "bearer":
            tok = header.removeprefix("Bearer ")
            return state.tokens.get(tok, 0) > time.time() or tok == "static-bearer-token"
        return True

    async def secure(request: Request) -> Response:
        kind = request.path_params["kind"]
        if not _authorized(request, kind):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        return JSONResponse({"data": ITEMS[:3]})

    async def orders(request: Request) -> Response:
        state.order_posts += 1
        key = request.headers.get("idempotency-key") or f"nokey-{state.order_posts}"
        body = await request.json()
        if isinstance(body, dict) and body.get("invalid"):
            return JSONResponse({"error": "validation failed: field email is required"}, status_code=422)
        if key in state.orders:
            return JSONResponse({"id": key, "duplicate": True}, status_code=200)
        state.orders[key] = body
        return JSONResponse({"id": key}, status_code=201)

    async def flaky(request: Request) -> Response:
        name = request.path_params["name"]
        fail = int(request.query_params.get("fail", 2))
        state.failures[name] += 1
        if state.failures[name] <= fail:
            return JSONResponse({"error": "temporarily unavailable"}, status_code=503)
        return await orders(request)

    async def limited(request: Request) -> Response:
        state.limited_hits += 1
        if state.limited_hits == 1:
            return JSONResponse({"error": "slow down"}, status_code=429, headers={"Retry-After": "1"})
        return JSONResponse({"ok": True})

    async def slow(request: Request) -> Response:
        await asyncio.sleep(float(request.query_params.get("s", 2)))
        return JSONResponse({"ok": True})

    async def status(request: Request) -> Response:
        code = int(request.path_params["code"])
        return JSONResponse({"error": f"status {code}"}, status_code=code)

    async def soap(request: Request) -> Response:
        action = request.headers.get("soapaction", "").strip('"')
        raw = (await request.body()).decode()
        state.soap_calls.append((action, raw))
        doc = xmltodict.parse(raw, process_namespaces=True, namespaces={
            "http://schemas.xmlsoap.org/soap/envelope/": "soap", "urn:erp": "erp"})
        body = doc["soap:Envelope"]["soap:Body"]
        if action == "ListCustomers":
            rows = "".join(
                f"<erp:customer><erp:id>{i}</erp:id><erp:name>Customer &amp; {i}</erp:name></erp:customer>"
                for i in range(1, 4)
            )
            inner = f"<erp:ListCustomersResponse><erp:customers>{rows}</erp:customers></erp:ListCustomersResponse>"
            return _soap_ok(inner)
        if action == "CreateOrder":
            order = body["erp:CreateOrder"]
            if order["erp:amount"].startswith("-"):
                return _soap_fault("soap:Client", "amount must be positive")
            return _soap_ok(f"<erp:CreateOrderResponse><erp:orderId>ERP-{order['erp:id']}</erp:orderId>"
                            "</erp:CreateOrderResponse>")
        if action == "Crash":
            return _soap_fault("soap:Server", "database is down")
        return _soap_fault("soap:Client", f"unknown operation {action}")

    routes = [
        Route("/items/page", page),
        Route("/items/offset", offset),
        Route("/items/cursor", cursor),
        Route("/items/link", link),
        Route("/oauth/token", token, methods=["POST"]),
        Route("/secure/{kind}", secure),
        Route("/orders", orders, methods=["POST"]),
        Route("/orders/{oid}", orders, methods=["PUT"]),
        Route("/flaky/{name}", flaky, methods=["POST"]),
        Route("/limited", limited, methods=["GET", "POST"]),
        Route("/slow", slow),
        Route("/status/{code}", status, methods=["GET", "POST"]),
        Route("/soap", soap, methods=["POST"]),
    ]
    return Starlette(routes=routes)


def _soap_ok(inner: str) -> Response:
    xml = ('<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
           f'xmlns:erp="urn:erp"><soap:Body>{inner}</soap:Body></soap:Envelope>')
    return Response(xml, media_type="text/xml")


def _soap_fault(code: str, text: str) -> Response:
    xml = ('<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
           f"<soap:Body><soap:Fault><faultcode>{code}</faultcode><faultstring>{text}</faultstring>"
           "</soap:Fault></soap:Body></soap:Envelope>")
    return Response(xml, status_code=500, media_type="text/xml")


class LocalServer:
    """uvicorn in a background thread on a free loopback port."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False,
                                lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> LocalServer:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
