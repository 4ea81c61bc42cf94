"""A high-volume paginated source (and sink) for batch benchmarks and tests.

``GET /v1/records`` serves N synthetic customer records (default 1,000,000) generated per page from the
record number, so memory stays flat whatever N is. Record ``i`` has ``updated_at = 2025-01-01T00:00:00Z + i
seconds``; records touched through ``POST /_bulk/touch`` get a new ``updated_at`` (now) and ``version``, and move
after all untouched records — the order is always ``(updated_at, id)``, as an incremental loader expects.
``POST /v1/ingest`` accepts batches of records and counts them by id (exactly-once checks).
"""

from __future__ import annotations

import bisect
import functools
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from weave.sandbox._base import SimService
from weave.sandbox._http import (
    HttpError,
    MonotonicClock,
    check_bearer,
    int_field,
    int_param,
    json_response,
    normalise_instant,
    read_object,
)
from weave.sandbox._pagination import decode_cursor, encode_cursor, link_header, style_of
from weave.sandbox._webhooks import WebhookConfig

TOKEN = "bulk-demo-token"
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
MAX_PAGE = 10_000
_COUNTRIES = ("DE", "AT", "NL", "SE", "FR", "GB", "US", "PL", "IT", "ES")
_SEGMENTS = ("smb", "mid-market", "enterprise", "public")


class BulkService(SimService):
    name: ClassVar[str] = "bulk"
    title: ClassVar[str] = "Bulk record source/sink (REST, for batch benchmarks)"

    def __init__(self, *, seed: int = 42, webhook: WebhookConfig | None = None, records: int = 1_000_000) -> None:
        self.initial_records = records
        super().__init__(seed=seed, webhook=webhook)

    def credentials(self) -> dict[str, str]:
        return {"token": TOKEN}

    def reset_state(self) -> None:
        self.total = self.initial_records
        self.extra_fields: dict[str, Any] = {}
        self.invalid_every = 0
        self.clock = MonotonicClock()
        self.touched: dict[int, tuple[str, int]] = {}  # id -> (updated_at, version)
        self.touched_ids: list[int] = []  # sorted ids
        self.touched_order: list[tuple[str, int]] = []  # sorted (updated_at, id)
        self.ingested: set[Any] = set()
        self.ingest_duplicates = 0
        self._days: dict[int, bytes] = {}
        self._fragments = _fragments(self.seed)
        self._tod = _time_of_day()

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/records", self.list_records, methods=["GET"]),
            Route("/v1/records/{id:int}", self.get_record, methods=["GET"]),
            Route("/v1/ingest", self.ingest, methods=["POST"]),
            Route("/_bulk/config", self.configure, methods=["POST"]),
            Route("/_bulk/touch", self.touch, methods=["POST"]),
            Route("/_bulk/ingested", self.ingested_view, methods=["GET"]),
        ]

    # -- generation: bytes templates for the common case, orjson for changed records -----------------
    def _fast(self, i: int) -> bytes:
        day, rest = divmod(i, 86400)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = (EPOCH + timedelta(days=day)).strftime("%Y-%m-%dT").encode()
        return _TEMPLATE % (i, i, i, i, self._fragments[i % _PERIOD], prefix, self._tod[rest])

    def _stamp(self, i: int) -> str:
        day, rest = divmod(i, 86400)
        return (EPOCH + timedelta(days=day)).strftime("%Y-%m-%dT") + self._tod[rest].decode() + ".000000Z"

    def make_record(self, i: int) -> dict[str, Any]:
        rec: dict[str, Any] = orjson.loads(self._fast(i))
        touched = self.touched.get(i)
        if touched:
            rec["updated_at"], rec["version"] = touched
        if self.extra_fields:
            rec.update(self.extra_fields)
        if self.invalid_every and i % self.invalid_every == 0:
            rec["email"], rec["balance"] = None, "n/a"
        return rec

    def _encode(self, i: int) -> bytes:
        if self.extra_fields or i in self.touched or (self.invalid_every and i % self.invalid_every == 0):
            return orjson.dumps(self.make_record(i))
        return self._fast(i)

    # -- ordering: untouched ids ascending, then touched ones by (updated_at, id) ----------------------
    def _first_untouched(self, since: str | None) -> int:
        if not since:
            return 1
        moment = datetime.strptime(since, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        seconds = (moment - EPOCH).total_seconds()
        return max(int(seconds) + (seconds > int(seconds)), 1)

    def _touched_count(self, lo: int, hi: int) -> int:
        return bisect.bisect_right(self.touched_ids, hi) - bisect.bisect_left(self.touched_ids, lo)

    def _nth_untouched(self, first: int, n: int) -> int:
        """The id of the n-th (0-based) untouched record with id >= first (a fixpoint of the skip count)."""
        skipped = 0
        while True:
            candidate = first + n + skipped
            now = self._touched_count(first, candidate)
            if now == skipped:
                return candidate
            skipped = now

    def _view(self, since: str | None) -> tuple[int, int, int]:
        """(first untouched id, count of untouched, index of the first touched entry) for a filter."""
        first = self._first_untouched(since)
        untouched = max(self.total - first + 1, 0) - self._touched_count(first, self.total)
        t_start = bisect.bisect_left(self.touched_order, (since, 0)) if since else 0
        return first, untouched, t_start

    def _slice(self, first: int, untouched: int, t_start: int, start: int, count: int) -> list[int]:
        """The ids at positions [start, start + count) of the filtered order."""
        out: list[int] = []
        if start < untouched:
            i = self._nth_untouched(first, start)
            take = min(count, untouched - start)
            while len(out) < take:
                if i not in self.touched:
                    out.append(i)
                i += 1
        t_index = t_start + max(start - untouched, 0)
        out.extend(i for _, i in self.touched_order[t_index:t_index + count - len(out)])
        return out

    # -- handlers -------------------------------------------------------------------------------------
    async def list_records(self, request: Request) -> Response:
        check_bearer(request, {TOKEN})
        style = style_of(request, "page")
        since_raw = request.query_params.get("updated_since")
        since = normalise_instant(since_raw, "updated_since") if since_raw else None
        first, untouched, t_start = self._view(since)
        total = untouched + len(self.touched_order) - t_start
        headers: dict[str, str] = {}
        if style in ("page", "link"):
            size = int_param(request, "per_page", 1000, 1, MAX_PAGE)
            page = int_param(request, "page", 1, 1)
            ids = self._slice(first, untouched, t_start, (page - 1) * size, size)
            pages = max((total + size - 1) // size, 1)
            meta: dict[str, Any] = {"style": style, "page": page, "per_page": size}
            if style == "page":
                meta.update(total=total, total_pages=pages)
            else:
                links = {"first": 1, "last": pages} | ({"next": page + 1} if page < pages else {})
                headers = {"Link": link_header(request, links, "per_page", size), "X-Total-Count": str(total)}
        elif style == "offset":
            size = int_param(request, "limit", 1000, 1, MAX_PAGE)
            offset = int_param(request, "offset", 0)
            ids = self._slice(first, untouched, t_start, offset, size)
            meta = {"style": style, "offset": offset, "limit": size, "total": total}
        else:
            size = int_param(request, "limit", 1000, 1, MAX_PAGE)
            position = self._cursor_position(request.query_params.get("cursor"), first, untouched, t_start)
            ids = self._slice(first, untouched, t_start, position, size)
            last = ids[-1] if ids and position + len(ids) < total else None
            stamp = None if last is None else self.touched[last][0] if last in self.touched else self._stamp(last)
            meta = {"style": style, "limit": size, "next": encode_cursor([stamp, last]) if last else None}
        body = b'{"data":[' + b",".join([self._encode(i) for i in ids]) + b'],"meta":' + orjson.dumps(meta) + b"}"
        return Response(body, headers=headers, media_type="application/json")

    def _cursor_position(self, cursor: str | None, first: int, untouched: int, t_start: int) -> int:
        if not cursor:
            return 0
        value = decode_cursor(cursor)
        try:
            stamp, last_id = str(value[0]), int(value[1])
        except (IndexError, TypeError, ValueError):
            raise HttpError(400, "invalid_cursor", "cursor is not one this service issued") from None
        if stamp != self._stamp(last_id):  # the cursor points into the touched records
            return untouched + bisect.bisect_right(self.touched_order, (stamp, last_id)) - t_start
        last_id = min(last_id, self.total)
        return max(last_id - first + 1, 0) - self._touched_count(first, last_id)

    async def get_record(self, request: Request) -> Response:
        check_bearer(request, {TOKEN})
        i = int(request.path_params["id"])
        if not 1 <= i <= self.total:
            raise HttpError(404, "not_found", "no such record")
        return json_response(self.make_record(i))

    async def ingest(self, request: Request) -> Response:
        """Accept ``{"records": [...]}`` (each with an ``id``); idempotent by id."""
        check_bearer(request, {TOKEN})
        body = await read_object(request)
        records = body.get("records")
        if not isinstance(records, list) or not all(isinstance(r, dict) and "id" in r for r in records):
            raise HttpError(422, "validation_failed", "records must be a list of objects with an id")
        before = len(self.ingested)
        self.ingested.update(r["id"] for r in records)
        accepted = len(self.ingested) - before
        self.ingest_duplicates += len(records) - accepted
        self.record(request, {"count": len(records), "first_id": records[0]["id"] if records else None,
                                 "last_id": records[-1]["id"] if records else None}, operation="ingest")
        return json_response({"accepted": accepted, "duplicates": len(records) - accepted})

    async def ingested_view(self, request: Request) -> Response:
        return json_response({"distinct": len(self.ingested), "duplicates": self.ingest_duplicates})

    async def configure(self, request: Request) -> Response:
        """``{"records": N, "extra_fields": {"loyalty_tier": "gold"}, "invalid_every": 1000}`` (all optional)."""
        body = await read_object(request)
        if "records" in body:
            self.total = int_field(body, "records", self.total, 0, 10**10)
        if "extra_fields" in body:
            if not isinstance(body["extra_fields"], dict):
                raise HttpError(400, "invalid_parameter", "extra_fields is an object of field -> value")
            self.extra_fields = dict(body["extra_fields"])
        if "invalid_every" in body:
            self.invalid_every = int_field(body, "invalid_every", 0)
        return json_response({"records": self.total, "extra_fields": self.extra_fields,
                              "invalid_every": self.invalid_every, "touched": len(self.touched)})

    async def touch(self, request: Request) -> Response:
        """Change records now: ``{"ids": [1, 2]}`` or ``{"every": 1000}`` (every k-th id)."""
        body = await read_object(request)
        if isinstance(body.get("ids"), list):
            ids = [i for i in body["ids"] if isinstance(i, int) and not isinstance(i, bool)]
            if len(ids) != len(body["ids"]):
                raise HttpError(400, "invalid_parameter", "ids must be integers")
        elif "every" in body:
            every = int_field(body, "every", 1, 1)
            ids = list(range(every, self.total + 1, every))
        else:
            raise HttpError(400, "invalid_parameter", "give 'ids' or 'every'")
        for i in ids:
            if not 1 <= i <= self.total:
                raise HttpError(400, "invalid_parameter", f"id {i} is out of range")
        for i in ids:
            old = self.touched.get(i)
            if old is not None:
                self.touched_order.remove((old[0], i))
            else:
                bisect.insort(self.touched_ids, i)
            stamp = self.clock.next()
            self.touched[i] = (stamp, (old[1] if old else 1) + 1)
            self.touched_order.append((stamp, i))
        return json_response({"touched": len(ids), "updated_at": self.clock.last})


_PERIOD = 9973  # fields other than id and updated_at repeat with this (prime) period
_TEMPLATE = (b'{"id":%d,"external_id":"CUST-%08d","name":"Customer %d","email":"customer%d@bulk.example",%s,'
             b'"version":1,"updated_at":"%s%s.000000Z"}')
_TOD: list[bytes] = []


def _time_of_day() -> list[bytes]:
    if not _TOD:
        _TOD.extend(b"%02d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60) for s in range(86400))
    return _TOD


@functools.lru_cache(maxsize=4)
def _fragments(seed: int) -> list[bytes]:
    out = []
    for j in range(_PERIOD):
        h = (j * 2654435761 + seed * 40503) & 0xFFFFFFFF
        fields = {"country": _COUNTRIES[h % 10], "segment": _SEGMENTS[(h >> 4) % 4],
                  "balance": (h % 10_000_000) / 100, "active": (h >> 8) % 7 != 0}
        out.append(orjson.dumps(fields)[1:-1])
    return out
