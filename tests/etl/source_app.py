"""A small paginated REST (and SOAP) customer service for the ETL tests and bench/etl.py.

Routes (all accept `updated_since`, records come sorted by (updated_at, id)):
  GET /offset?offset=&limit=        {"data": [...], "total": N}
  GET /page?page=&per_page=         {"data": [...], "total": N}
  GET /cursor?cursor=&limit=        {"data": [...], "meta": {"next": token|null}}
  GET /link?offset=&limit=          [...] with an RFC 8288 `Link: <...>; rel="next"` header
  GET /next?offset=&limit=          {"items": [...], "next": "/next?..."|null}
  POST /soap                        paged ListCustomers (page, pageSize in the envelope)
  POST /bulk                        bulk sink, deduplicated by Idempotency-Key; answers {"accepted": n}

Run alone: `python tests/etl/source_app.py --records 1000000 --port 8123` (the benchmark does this).
"""

from __future__ import annotations

import argparse
import base64
import bisect
import math
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BASE = datetime(2024, 1, 1, tzinfo=UTC)
BASE_EPOCH = int(BASE.timestamp())
COUNTRIES = ("DE", "FR", "NL", "AT", "CH", "PL", "IT", "ES")


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_since(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class GeneratedStore:
    """N records computed from their id (constant memory); updated_at = BASE + id seconds."""

    def __init__(self, n: int) -> None:
        self.n = n

    @staticmethod
    def record(i: int) -> dict[str, Any]:
        t = time.gmtime(BASE_EPOCH + i)
        return {
            "id": i, "first_name": f"First{i}", "last_name": f"Last{i % 977}", "email": f"user{i}@example.com",
            "country": COUNTRIES[i % 8], "balance_cents": (i * 7919) % 1_000_000, "active": i % 3 != 0,
            "updated_at": f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}T{t[3]:02d}:{t[4]:02d}:{t[5]:02d}Z",
        }

    def window(self, since: datetime | None, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        first = 1
        if since is not None:
            first = max(1, math.ceil((since - BASE).total_seconds()))
        total = max(0, self.n - first + 1)
        start = first + offset
        end = min(self.n, start + limit - 1)
        return [self.record(i) for i in range(start, end + 1)], total


class ListStore:
    """Mutable records for the tests (upsert, add fields); kept sorted by (updated_at, id)."""

    def __init__(self, records: list[dict[str, Any]] | None = None) -> None:
        self.by_id: dict[Any, dict[str, Any]] = {}
        self._sorted: list[dict[str, Any]] | None = None
        self.lock = threading.Lock()
        for r in records or []:
            self.upsert(r)

    def upsert(self, record: dict[str, Any]) -> None:
        with self.lock:
            self.by_id[record["id"]] = dict(record)
            self._sorted = None

    def _rows(self) -> list[dict[str, Any]]:
        if self._sorted is None:
            self._sorted = sorted(self.by_id.values(), key=lambda r: (r["updated_at"], r["id"]))
        return self._sorted

    def window(self, since: datetime | None, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        with self.lock:
            rows = self._rows()
            start = 0
            if since is not None:
                keys = [parse_since(r["updated_at"]) for r in rows]
                start = bisect.bisect_left(keys, since)  # type: ignore[arg-type]
            return rows[start + offset : start + offset + limit], len(rows) - start


class BulkSink:
    def __init__(self) -> None:
        self.batches: dict[str, list[dict[str, Any]]] = {}
        self.requests = 0

    @property
    def records(self) -> list[dict[str, Any]]:
        return [r for batch in self.batches.values() for r in batch]


SOAP_PAGE = re.compile(rb"<(?:\w+:)?page>(\d+)</")
SOAP_SIZE = re.compile(rb"<(?:\w+:)?pageSize>(\d+)</")


def _soap_xml(records: list[dict[str, Any]]) -> bytes:
    items = "".join(
        "<customer>" + "".join(f"<{k}>{v}</{k}>" for k, v in r.items()) + "</customer>" for r in records
    )
    return (
        '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f"<soap:Body><ListCustomersResponse><customers>{items}</customers></ListCustomersResponse></soap:Body>"
        "</soap:Envelope>"
    ).encode()


def make_app(store: GeneratedStore | ListStore, sink: BulkSink | None = None, total_override: int | None = None) -> Starlette:
    sink = sink or BulkSink()

    def page_of(request: Request, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        cap = request.query_params.get("n")  # serve only the first n records (the benchmark's sizes)
        if cap is not None:
            limit = max(0, min(limit, int(cap) - offset))
        rows, total = store.window(parse_since(request.query_params.get("updated_since")), offset, limit)
        if cap is not None:
            total = min(total, int(cap))
        return rows, total if total_override is None else total_override

    def qint(request: Request, name: str, default: int) -> int:
        return int(request.query_params.get(name, default))

    async def offset(request: Request) -> Response:
        rows, total = page_of(request, qint(request, "offset", 0), qint(request, "limit", 100))
        return Response(orjson.dumps({"data": rows, "total": total}), media_type="application/json")

    async def page(request: Request) -> Response:
        size = qint(request, "per_page", 100)
        rows, total = page_of(request, (qint(request, "page", 1) - 1) * size, size)
        return Response(orjson.dumps({"data": rows, "total": total}), media_type="application/json")

    async def cursor(request: Request) -> Response:
        token = request.query_params.get("cursor")
        off = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
        limit = qint(request, "limit", 100)
        rows, total = page_of(request, off, limit)
        nxt = base64.urlsafe_b64encode(str(off + limit).encode()).decode() if off + limit < total else None
        return Response(orjson.dumps({"data": rows, "meta": {"next": nxt}}), media_type="application/json")

    def _next_url(request: Request, off: int, limit: int, total: int, path: str) -> str | None:
        if off + limit >= total:
            return None
        since = request.query_params.get("updated_since")
        extra = f"&updated_since={since}" if since else ""
        return f"{path}?offset={off + limit}&limit={limit}{extra}"

    async def link(request: Request) -> Response:
        off, limit = qint(request, "offset", 0), qint(request, "limit", 100)
        rows, total = page_of(request, off, limit)
        nxt = _next_url(request, off, limit, total, "/link")
        headers = {"Link": f'<{nxt}>; rel="next"'} if nxt else {}
        return Response(orjson.dumps(rows), media_type="application/json", headers=headers)

    async def next_url(request: Request) -> Response:
        off, limit = qint(request, "offset", 0), qint(request, "limit", 100)
        rows, total = page_of(request, off, limit)
        body = {"items": rows, "next": _next_url(request, off, limit, total, "/next")}
        return Response(orjson.dumps(body), media_type="application/json")

    async def soap(request: Request) -> Response:
        body = await request.body()
        pg, size = SOAP_PAGE.search(body), SOAP_SIZE.search(body)
        if not pg or not size:
            fault = (b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
                     b"<soap:Fault><faultcode>soap:Client</faultcode><faultstring>page and pageSize required"
                     b"</faultstring></soap:Fault></soap:Body></soap:Envelope>")
            return Response(fault, status_code=500, media_type="text/xml")
        n, sz = int(pg.group(1)), int(size.group(1))
        rows, _ = store.window(None, (n - 1) * sz, sz)
        return Response(_soap_xml(rows), media_type="text/xml")

    async def bulk(request: Request) -> Response:
        sink.requests += 1
        key = request.headers.get("idempotency-key", f"anon-{sink.requests}")
        batch = orjson.loads(await request.body())
        sink.batches[key] = batch  # a re-sent batch replaces itself: idempotent
        return Response(orjson.dumps({"accepted": len(batch)}), media_type="application/json")

    routes = [
        Route("/offset", offset), Route("/page", page), Route("/cursor", cursor), Route("/link", link),
        Route("/next", next_url), Route("/soap", soap, methods=["POST"]), Route("/bulk", bulk, methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.store = store
    app.state.sink = sink
    return app


@contextmanager
def serve_in_thread(app: Starlette) -> Iterator[str]:
    """Run `app` with uvicorn on a free loopback port in a thread; yields the base URL."""
    from weave.sandbox.services import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        from weave.sandbox.services import wait_for_port

        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(make_app(GeneratedStore(args.records)), host="127.0.0.1", port=args.port, log_level="warning",
                lifespan="off", access_log=False)


if __name__ == "__main__":
    main()
