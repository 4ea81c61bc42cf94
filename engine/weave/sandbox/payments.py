"""Acme's payment gateway (REST, bearer secret key, Stripe-like): payment intents and refunds with
`Idempotency-Key` deduplication, and signed webhooks out (Stripe-style ``Stripe-Signature``)."""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
import time
from dataclasses import dataclass
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
    json_response,
    read_object,
    require_fields,
)
from weave.sandbox._pagination import paginate
from weave.sandbox._webhooks import Delivery

SECRET_KEY = "sk_test_acme_demo"
WEBHOOK_SECRET = "whsec_acme_payments_demo"  # used as-is as the HMAC key (Stripe style)
_CURRENCY = re.compile(r"^[a-z]{3}$")
_DECLINED = {"pm_card_declined", "pm_card_insufficient_funds"}


@dataclass(frozen=True)
class _Stored:
    fingerprint: str
    status: int
    body: bytes


class PaymentsService(SimService):
    name: ClassVar[str] = "payments"
    title: ClassVar[str] = "Payment gateway (REST, idempotency keys, webhooks out)"
    webhook_scheme: ClassVar[str | None] = "stripe"

    def credentials(self) -> dict[str, str]:
        return {"secret_key": SECRET_KEY, "webhook_secret": WEBHOOK_SECRET}

    def reset_state(self) -> None:
        self.clock = MonotonicClock()
        self.intents: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.idempotency: dict[str, _Stored] = {}

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/payment_intents", self.create_intent, methods=["POST"]),
            Route("/v1/payment_intents", self.list_intents, methods=["GET"]),
            Route("/v1/payment_intents/{id}", self.get_intent, methods=["GET"]),
            Route("/v1/refunds", self.create_refund, methods=["POST"]),
            Route("/_emit", self.admin_emit, methods=["POST"]),
            Route("/admin/emit", self.admin_emit, methods=["POST"]),
        ]

    # -- idempotency ------------------------------------------------------------------------------
    async def _idempotent(self, request: Request, handler: Any) -> Response:
        """Replay the stored answer for a known `Idempotency-Key`; 422 if the key is reused with another body."""
        check_bearer(request, {SECRET_KEY})
        key = request.headers.get("idempotency-key")
        raw = await request.body()
        fingerprint = hashlib.sha256(request.url.path.encode() + b"\n" + raw).hexdigest()
        if key:
            if len(key) > 255:
                raise HttpError(400, "invalid_idempotency_key", "Idempotency-Key is limited to 255 characters")
            stored = self.idempotency.get(key)
            if stored is not None:
                if stored.fingerprint != fingerprint:
                    raise HttpError(422, "idempotency_key_reused",
                                    "this Idempotency-Key was used with a different request")
                self.counters["idempotent_replays"] += 1
                return Response(stored.body, stored.status, {"Idempotent-Replayed": "true"},
                                media_type="application/json")
        try:
            status, result, events = await handler(await read_object(request))
        except HttpError as exc:
            if key and exc.status == 402:  # a decline is a definitive answer: replay it too
                body = orjson.dumps({"error": {"code": exc.code, "message": exc.message}})
                self.idempotency[key] = _Stored(fingerprint, exc.status, body)
            raise
        body = orjson.dumps(result)
        if key:
            self.idempotency[key] = _Stored(fingerprint, status, body)
        self.record(request, orjson.loads(raw), operation=f"{result['object']}.create")
        for event, obj in events:
            await self.emit(event, _event(event, obj))
        return Response(body, status, media_type="application/json")

    # -- handlers ---------------------------------------------------------------------------------
    async def create_intent(self, request: Request) -> Response:
        return await self._idempotent(request, self._new_intent)

    async def create_refund(self, request: Request) -> Response:
        return await self._idempotent(request, self._new_refund)

    async def _new_intent(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], list[tuple[str, Any]]]:
        require_fields(body, "amount", "currency")
        amount = body["amount"]
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise HttpError(422, "validation_failed", "amount is a positive integer in minor units (cents)",
                            [{"field": "amount", "error": "invalid"}])
        currency = str(body["currency"]).lower()
        if not _CURRENCY.match(currency):
            raise HttpError(422, "validation_failed", "currency is an ISO 4217 code",
                            [{"field": "currency", "error": "invalid"}])
        intent_id = f"pi_{len(self.intents) + 1:06d}"
        method = str(body.get("payment_method", "pm_card_visa"))
        declined = method in _DECLINED
        stamp = self.clock.next()
        intent = {"id": intent_id, "object": "payment_intent", "amount": amount, "amount_refunded": 0,
                  "currency": currency, "status": "requires_payment_method" if declined else "succeeded",
                  "payment_method": method, "customer_ref": body.get("customer_ref"),
                  "order_ref": body.get("order_ref"), "description": body.get("description"),
                  "metadata": body.get("metadata") or {}, "created": int(time.time()),
                  "created_at": stamp, "updated_at": stamp}
        self.intents[intent_id] = intent
        if declined:
            await self.emit("payment_intent.payment_failed", _event("payment_intent.payment_failed", intent))
            raise HttpError(402, "card_declined", f"the card was declined (payment_intent {intent_id})")
        return 201, intent, [("payment_intent.succeeded", intent)]

    async def _new_refund(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], list[tuple[str, Any]]]:
        require_fields(body, "payment_intent")
        intent = self.intents.get(str(body["payment_intent"]))
        if intent is None or intent["status"] != "succeeded":
            raise HttpError(422, "validation_failed", "payment_intent does not exist or did not succeed",
                            [{"field": "payment_intent", "error": "invalid"}])
        remaining = intent["amount"] - intent["amount_refunded"]
        amount = body.get("amount", remaining)
        if not isinstance(amount, int) or not 0 < amount <= remaining:
            raise HttpError(422, "validation_failed", f"amount must be between 1 and {remaining}",
                            [{"field": "amount", "error": "invalid"}])
        refund_id = f"re_{len(self.refunds) + 1:06d}"
        refund = {"id": refund_id, "object": "refund", "amount": amount, "currency": intent["currency"],
                  "payment_intent": intent["id"], "status": "succeeded", "reason": body.get("reason"),
                  "created": int(time.time())}
        self.refunds[refund_id] = refund
        intent.update(amount_refunded=intent["amount_refunded"] + amount, updated_at=self.clock.next())
        self.intents[intent["id"]] = self.intents.pop(intent["id"])
        return 201, refund, [("charge.refunded", intent)]

    async def list_intents(self, request: Request) -> Response:
        check_bearer(request, {SECRET_KEY})
        records = list(self.intents.values())
        for key in ("order_ref", "customer_ref", "status"):
            if key in request.query_params:
                records = [r for r in records if str(r.get(key)) == request.query_params[key]]
        return paginate(request, records)

    async def get_intent(self, request: Request) -> Response:
        check_bearer(request, {SECRET_KEY})
        intent = self.intents.get(request.path_params["id"])
        if intent is None:
            raise HttpError(404, "not_found", "no such payment_intent")
        return json_response(intent)

    async def admin_emit(self, request: Request) -> Response:
        """Create ``count`` synthetic successful payments and send their webhooks (wait for delivery)."""
        body = await read_object(request)
        count = int_field(body, "count", 1, 1, 100_000)
        semaphore = asyncio.Semaphore(int_field(body, "concurrency", 8, 1, 1000))
        copies = int_field(body, "copies", 1, 1, 10)

        async def one(intent: dict[str, Any]) -> list[Delivery]:
            async with semaphore:
                return await self.emit("payment_intent.succeeded", _event("payment_intent.succeeded", intent),
                                       wait=True, copies=copies)

        intents = []
        for _ in range(count):
            rng = random.Random(f"{self.seed}-pi-{len(self.intents) + 1}")
            _, intent, _ = await self._new_intent({"amount": rng.randint(1, 5000) * 100, "currency": "eur",
                                                   "order_ref": f"ORD-{rng.randint(1, 150):06d}"})
            intents.append(intent)
        results = await asyncio.gather(*(one(i) for i in intents))
        return json_response({"ids": [i["id"] for i in intents],
                              "deliveries": [d.view() for batch in results for d in batch]})


def _event(event: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"id": "evt_" + hashlib.sha1(f"{event}{obj['id']}{time.time_ns()}".encode()).hexdigest()[:24],
            "object": "event", "type": event, "created": int(time.time()), "data": {"object": dict(obj)}}
