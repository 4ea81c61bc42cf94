"""Acme Industrial's CRM: REST collections, four pagination styles, OAuth2/bearer/API-key auth,
quotes priced from price lists, and signed outbound webhooks (Standard Webhooks) on every change."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from weave.sandbox import _seed
from weave.sandbox._base import SimService
from weave.sandbox._http import (
    ISO_FORMAT,
    HttpError,
    MonotonicClock,
    TokenIssuer,
    check_api_key,
    check_bearer,
    int_field,
    json_response,
    normalise_instant,
    read_object,
    require_fields,
    utc_now_iso,
)
from weave.sandbox._pagination import paginate
from weave.sandbox._webhooks import WebhookConfig

TOKEN = "crm-demo-token"
API_KEY = "crm-demo-key"
CLIENT_ID = "crm-demo-client"
CLIENT_SECRET = "crm-demo-secret"
WEBHOOK_SECRET = "whsec_YWNtZS1jcm0td2ViaG9vay1zZWNyZXQtMDAwMQ=="  # base64 of "acme-crm-webhook-secret-0001"
_PAGING = {"style", "page", "per_page", "offset", "limit", "cursor", "updated_since"}


@dataclass(frozen=True)
class Collection:
    prefix: str
    width: int
    event: str
    required: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()
    writable: bool = True


COLLECTIONS: dict[str, Collection] = {
    "accounts": Collection("ACC-", 4, "account", ("name",), ("tier", "owner", "industry", "erp_customer_number")),
    "contacts": Collection("CON-", 4, "contact", ("account_id", "email", "last_name"), ("account_id", "email")),
    "orders": Collection("ORD-", 6, "order", ("account_id", "lines"), ("account_id", "contact_id", "status")),
    "cases": Collection("CASE-", 4, "case", ("account_id", "subject"),
                        ("account_id", "contact_id", "status", "priority")),
    "opportunities": Collection("OPP-", 4, "opportunity", ("account_id", "name", "amount"), ("account_id", "stage")),
    "quotes": Collection("Q-", 5, "quote", ("account_id", "lines"), ("account_id", "status")),
    "campaign_responses": Collection("CR-", 6, "campaign_response", ("campaign_id",),
                                     ("campaign_id", "contact_id", "status")),
    "products": Collection("PRD-", 3, "product", (), ("sku", "category", "active"), writable=False),
    "price_lists": Collection("PL-", 3, "price_list", (), (), writable=False),
}


class CrmService(SimService):
    name: ClassVar[str] = "crm"
    title: ClassVar[str] = "Acme CRM (REST, webhooks out)"
    webhook_scheme: ClassVar[str | None] = "standard"

    def __init__(self, *, seed: int = 42, webhook: WebhookConfig | None = None, accounts: int = 40,
                 orders: int = 150, token_ttl: float = 3600.0) -> None:
        self.sizes = (accounts, orders)
        self.tokens = TokenIssuer(CLIENT_ID, CLIENT_SECRET, token_ttl)
        super().__init__(seed=seed, webhook=webhook)

    def credentials(self) -> dict[str, str]:
        return {"token": TOKEN, "api_key": API_KEY, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                "webhook_secret": WEBHOOK_SECRET}

    def reset_state(self) -> None:
        seeded = _seed.seed_crm(self.seed, *self.sizes)
        # each collection is kept in (updated_at, id) order: changed records move to the end
        self.data: dict[str, dict[str, dict[str, Any]]] = {
            name: {r["id"]: r for r in seeded.get(name, [])} for name in COLLECTIONS}
        self.next_id = {name: len(records) + 1 for name, records in self.data.items()}
        self.clock = MonotonicClock()
        self.tokens.revoke_all()

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/oauth/token", self.tokens.token_endpoint, methods=["POST"]),
            Route("/api/{collection}", self.list_records, methods=["GET"]),
            Route("/api/{collection}", self.create_record, methods=["POST"]),
            Route("/api/{collection}/bulk", self.bulk_upsert, methods=["POST"]),
            Route("/api/{collection}/{id}", self.get_record, methods=["GET"]),
            Route("/api/{collection}/{id}", self.update_record, methods=["PATCH"]),
            Route("/_emit", self.admin_emit, methods=["POST"]),
            Route("/admin/emit", self.admin_emit, methods=["POST"]),
        ]

    # -- auth and lookups -----------------------------------------------------------------------
    def _auth(self, request: Request) -> None:
        if "x-api-key" in request.headers:
            check_api_key(request, "x-api-key", {API_KEY})
        else:
            check_bearer(request, {TOKEN}, self.tokens)

    def _collection(self, request: Request, write: bool = False) -> tuple[str, Collection]:
        self._auth(request)
        name = request.path_params["collection"]
        spec = COLLECTIONS.get(name)
        if spec is None:
            raise HttpError(404, "not_found", f"no collection {name!r}; known: {sorted(COLLECTIONS)}")
        if write and not spec.writable:
            raise HttpError(405, "read_only", f"{name} is read-only")
        return name, spec

    def _get(self, name: str, rid: str) -> dict[str, Any]:
        record = self.data[name].get(rid)
        if record is None:
            raise HttpError(404, "not_found", f"{name}/{rid} does not exist")
        return record

    # -- handlers -------------------------------------------------------------------------------
    async def list_records(self, request: Request) -> Response:
        name, spec = self._collection(request)
        records: list[dict[str, Any]] = list(self.data[name].values())
        since = request.query_params.get("updated_since")
        if since:
            since = normalise_instant(since, "updated_since")
            records = [r for r in records if r["updated_at"] >= since]
        for key, value in request.query_params.items():
            if key in _PAGING:
                continue
            if key not in spec.filters:
                raise HttpError(400, "invalid_parameter",
                                f"cannot filter {name} by {key!r}; filters: {sorted(spec.filters)}")
            records = [r for r in records if _as_query(r.get(key)) == value]
        return paginate(request, records)

    async def get_record(self, request: Request) -> Response:
        name, _ = self._collection(request)
        return json_response(self._get(name, request.path_params["id"]))

    async def create_record(self, request: Request) -> Response:
        name, spec = self._collection(request, write=True)
        body = await read_object(request)
        record = self.create(name, body)
        self.record(request, body, operation=f"{spec.event}.create")
        await self.emit(f"{spec.event}.created", _envelope(f"{spec.event}.created", record))
        return json_response(record, 201, {"Location": f"/api/{name}/{record['id']}"})

    async def update_record(self, request: Request) -> Response:
        name, spec = self._collection(request, write=True)
        body = await read_object(request)
        record = self.update(name, request.path_params["id"], body)
        self.record(request, body, operation=f"{spec.event}.update")
        await self.emit(f"{spec.event}.updated", _envelope(f"{spec.event}.updated", record))
        return json_response(record)

    async def bulk_upsert(self, request: Request) -> Response:
        """Upsert up to 1000 records by `id` (records without an id are created)."""
        name, spec = self._collection(request, write=True)
        body = await read_object(request)
        records = body.get("records")
        if not isinstance(records, list) or not records or len(records) > 1000:
            raise HttpError(422, "validation_failed", "'records' must be a list of 1 to 1000 objects")
        errors = []
        for i, rec in enumerate(records):
            if not isinstance(rec, dict):
                errors.append({"index": i, "error": "not an object"})
                continue
            try:
                if rec.get("id") not in self.data[name]:
                    self._validate(name, spec, rec)
            except HttpError as exc:
                errors.append({"index": i, "error": exc.message, "details": exc.details})
        if errors:
            raise HttpError(422, "validation_failed", "some records are invalid; nothing was written", errors)
        created = updated = 0
        ids = []
        for rec in records:
            if rec.get("id") in self.data[name]:
                out = self.update(name, rec["id"], {k: v for k, v in rec.items() if k != "id"})
                updated += 1
            else:
                out = self.create(name, rec)
                created += 1
            ids.append(out["id"])
        self.record(request, body, operation=f"{spec.event}.bulk_upsert")
        return json_response({"created": created, "updated": updated, "ids": ids})

    async def admin_emit(self, request: Request) -> Response:
        """Create records and send their webhooks (see docs/design/sandbox.md, `POST /_emit`)."""
        body = await read_object(request)
        event = str(body.get("event", ""))
        kind, _, action = event.partition(".")
        name = next((n for n, c in COLLECTIONS.items() if c.event == kind and c.writable), None)
        if name is None or action not in ("created", "updated"):
            events = sorted(f"{c.event}.{a}" for c in COLLECTIONS.values() if c.writable for a in ("created", "updated"))
            raise HttpError(400, "invalid_event", f"unknown event {event!r}; known: {events}")
        if action == "updated":
            require_fields(body, "id")
            records = [self.update(name, str(body["id"]), dict(body.get("changes") or {"touched": True}))]
        elif "data" in body:
            records = [self.create(name, dict(body["data"]))]
        else:
            count = int_field(body, "count", 1, 1, 100_000)
            records = [self.create(name, self._synthetic(name)) for _ in range(count)]
        semaphore = asyncio.Semaphore(int_field(body, "concurrency", 8, 1, 1000))
        wait, copies = bool(body.get("wait", True)), int_field(body, "copies", 1, 1, 10)

        async def one(record: dict[str, Any]) -> list[Any]:
            async with semaphore:
                return await self.emit(event, _envelope(event, record), wait=wait, copies=copies)

        results = await asyncio.gather(*(one(r) for r in records))
        deliveries = [d.view() for batch in results for d in batch]
        return json_response({"event": event, "ids": [r["id"] for r in records], "deliveries": deliveries})

    # -- state changes (also used by tests in-process) -------------------------------------------
    def create(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        spec = COLLECTIONS[name]
        self._validate(name, spec, body)
        record = dict(body)
        if not record.get("id"):
            record["id"] = f"{spec.prefix}{self.next_id[name]:0{spec.width}d}"
            self.next_id[name] += 1
        elif record["id"] in self.data[name]:
            raise HttpError(409, "conflict", f"{name}/{record['id']} already exists")
        if name in ("orders", "quotes"):
            record.update(self._price(record, quote=name == "quotes"))
        defaults = {"orders": {"status": "submitted", "currency": _seed.CURRENCY}, "cases": {"status": "new"},
                    "opportunities": {"stage": "prospecting"}, "quotes": {"status": "draft"}}
        for key, value in defaults.get(name, {}).items():
            record.setdefault(key, value)
        record["created_at"] = record["updated_at"] = self.clock.next()
        self.data[name][record["id"]] = record
        return record

    def update(self, name: str, rid: str, changes: dict[str, Any]) -> dict[str, Any]:
        record = self._get(name, rid)
        frozen = {"id", "created_at", "updated_at"} & set(changes)
        if frozen:
            raise HttpError(422, "validation_failed", f"fields {sorted(frozen)} cannot be changed")
        record = {**record, **changes, "updated_at": self.clock.next()}
        del self.data[name][rid]
        self.data[name][rid] = record  # moves to the end: the dict stays in (updated_at, id) order
        return record

    def _validate(self, name: str, spec: Collection, body: dict[str, Any]) -> None:
        require_fields(body, *spec.required)
        account = body.get("account_id")
        if account is not None and name != "accounts" and account not in self.data["accounts"]:
            raise HttpError(422, "validation_failed", f"account {account!r} does not exist",
                            [{"field": "account_id", "error": "unknown"}])
        if name in ("orders", "quotes"):
            lines = body["lines"]
            skus = {p["sku"] for p in self.data["products"].values()}
            bad = [i for i, ln in enumerate(lines if isinstance(lines, list) else [None])
                   if not isinstance(ln, dict) or ln.get("sku") not in skus
                   or not isinstance(ln.get("quantity"), int) or ln["quantity"] < 1]
            if bad:
                raise HttpError(422, "validation_failed", "lines need a known sku and a positive integer quantity",
                                [{"field": f"lines[{i}]", "error": "invalid"} for i in bad])

    def _price(self, record: dict[str, Any], quote: bool) -> dict[str, Any]:
        account = self.data["accounts"][record["account_id"]]
        list_id = record.get("price_list_id") or account["price_list_id"]
        price_list = self.data["price_lists"].get(list_id)
        if price_list is None:
            raise HttpError(422, "validation_failed", f"price list {list_id!r} does not exist")
        prices = {item["sku"]: item for item in price_list["items"]}
        products = {p["sku"]: p for p in self.data["products"].values()}
        lines, cost_total = [], 0.0
        for line in record["lines"]:
            sku, qty = line["sku"], line["quantity"]
            unit = line.get("unit_price") if not quote and line.get("unit_price") else prices[sku]["price"]
            out = {"sku": sku, "quantity": qty, "unit_price": unit, "amount": _seed.money(unit * qty)}
            if quote:
                out.update(name=products[sku]["name"], list_price=products[sku]["list_price"],
                           discount_pct=price_list["discount_pct"], cost_price=products[sku]["cost_price"])
                cost_total += products[sku]["cost_price"] * qty
            lines.append(out)
        total = _seed.money(sum(line["amount"] for line in lines))
        out_fields: dict[str, Any] = {"lines": lines, "total": total, "currency": price_list["currency"],
                                      "price_list_id": list_id}
        if quote:
            valid = datetime.strptime(self.clock.last or utc_now_iso(), ISO_FORMAT) + timedelta(days=30)
            out_fields.update(cost_total=_seed.money(cost_total),
                              margin_pct=_seed.money((1 - cost_total / total) * 100) if total else 0.0,
                              valid_until=valid.date().isoformat())
        return out_fields

    def _synthetic(self, name: str) -> dict[str, Any]:
        n = self.next_id[name]
        rng = random.Random(f"{self.seed}-{name}-{n}")
        accounts = list(self.data["accounts"])
        account = accounts[rng.randrange(len(accounts))]
        skus = [p["sku"] for p in self.data["products"].values()]
        if name in ("orders", "quotes"):
            return {"account_id": account, "lines": [{"sku": s, "quantity": rng.randint(1, 9)}
                                                      for s in rng.sample(skus, rng.randint(1, 3))]}
        if name == "accounts":
            return {"name": f"Synthetic Customer {n} GmbH", "tier": "standard", "price_list_id": "PL-STD"}
        if name == "contacts":
            return {"account_id": account, "first_name": "Test", "last_name": f"Person{n}",
                    "email": f"person{n}@synthetic.example"}
        if name == "cases":
            return {"account_id": account, "subject": f"Synthetic case {n}", "priority": "normal"}
        if name == "opportunities":
            return {"account_id": account, "name": f"Synthetic deal {n}", "amount": rng.randint(1, 90) * 1000.0}
        return {"campaign_id": f"CMP-{rng.randint(1, 9):03d}", "status": "responded"}


def _envelope(event: str, record: dict[str, Any]) -> dict[str, Any]:
    return {"type": event, "timestamp": utc_now_iso(), "data": record}


def _as_query(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
