"""Acme's telephony platform (REST, basic auth with account SID + auth token): click-to-call, SMS,
and a call log that the CRM imports as activities."""

from __future__ import annotations

import random
import re
from datetime import timedelta
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from weave.sandbox import _seed
from weave.sandbox._base import SimService
from weave.sandbox._http import (
    HttpError,
    MonotonicClock,
    check_basic,
    json_response,
    normalise_instant,
    read_object,
    require_fields,
)
from weave.sandbox._pagination import paginate

ACCOUNT_SID = "AC-acme-demo"
AUTH_TOKEN = "tel-demo-token"
_E164 = re.compile(r"^\+[1-9]\d{6,15}$")


def _phone(value: Any, field: str) -> str:
    number = re.sub(r"[\s\-()]", "", str(value or ""))
    if not _E164.match(number):
        raise HttpError(422, "validation_failed", f"{field} must be an E.164 phone number",
                        [{"field": field, "error": "invalid phone"}])
    return number


class TelephonyService(SimService):
    name: ClassVar[str] = "telephony"
    title: ClassVar[str] = "Telephony (REST, basic auth)"

    def credentials(self) -> dict[str, str]:
        return {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}

    def reset_state(self) -> None:
        self.clock = MonotonicClock()
        self.messages: dict[str, dict[str, Any]] = {}
        contacts = _seed.seed_crm(self.seed)["contacts"]
        rng = random.Random(self.seed + 4)
        calls = []
        for i in range(1, 201):
            contact = contacts[rng.randrange(len(contacts))]
            start = _seed.BASE_TIME + timedelta(minutes=i * 37 + rng.randint(0, 30))
            duration = rng.choice([0, 0, 45, 120, 300, 620])
            inbound = rng.random() < 0.5
            agent = f"+4940555{rng.randint(1000, 1999)}"
            customer = contact["phone"].replace(" ", "")
            calls.append({"id": f"CA{i:08d}", "sid": f"CA{i:08d}", "direction": "inbound" if inbound else "outbound",
                          "from": customer if inbound else agent, "to": agent if inbound else customer,
                          "status": "completed" if duration else "no-answer", "duration_s": duration,
                          "crm_contact_id": contact["id"], "started_at": _seed.ts(start),
                          "updated_at": _seed.ts(start + timedelta(seconds=duration + 5))})
        self.calls = {c["id"]: c for c in sorted(calls, key=lambda c: (c["updated_at"], c["id"]))}

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/calls", self.create_call, methods=["POST"]),
            Route("/v1/calls", self.list_calls, methods=["GET"]),
            Route("/v1/calls/{sid}", self.get_call, methods=["GET"]),
            Route("/v1/messages", self.send_sms, methods=["POST"]),
        ]

    def _auth(self, request: Request) -> None:
        check_basic(request, ACCOUNT_SID, AUTH_TOKEN, "acme-telephony")

    async def create_call(self, request: Request) -> Response:
        self._auth(request)
        body = await read_object(request)
        require_fields(body, "from", "to")
        sid = f"CA{len(self.calls) + 1:08d}"
        stamp = self.clock.next()
        call = {"id": sid, "sid": sid, "direction": "outbound", "from": _phone(body["from"], "from"),
                "to": _phone(body["to"], "to"), "status": "queued", "duration_s": 0,
                "crm_contact_id": body.get("crm_contact_id"), "started_at": stamp, "updated_at": stamp}
        self.calls[sid] = call
        self.record(request, body, operation="call.create")
        return json_response(call, 201)

    async def list_calls(self, request: Request) -> Response:
        self._auth(request)
        records = list(self.calls.values())
        since = request.query_params.get("updated_since")
        if since:
            cutoff = normalise_instant(since, "updated_since")
            records = [r for r in records if r["updated_at"] >= cutoff]
        return paginate(request, records, default_style="page")

    async def get_call(self, request: Request) -> Response:
        self._auth(request)
        call = self.calls.get(request.path_params["sid"])
        if call is None:
            raise HttpError(404, "not_found", "no such call")
        return json_response(call)

    async def send_sms(self, request: Request) -> Response:
        self._auth(request)
        body = await read_object(request)
        require_fields(body, "to", "body")
        text = str(body["body"])
        if len(text) > 1600:
            raise HttpError(422, "validation_failed", "body is limited to 1600 characters",
                            [{"field": "body", "error": "too long"}])
        sid = f"SM{len(self.messages) + 1:08d}"
        message = {"sid": sid, "to": _phone(body["to"], "to"), "body": text, "status": "queued",
                   "segments": (len(text) + 152) // 153 if len(text) > 160 else 1, "created_at": self.clock.next()}
        self.messages[sid] = message
        self.record(request, body, operation="sms.send")
        return json_response(message, 201)
