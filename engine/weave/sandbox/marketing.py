"""Acme's marketing automation (REST, OAuth2 client credentials): lead upserts in, campaign results out."""

from __future__ import annotations

import random
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
    TokenIssuer,
    check_bearer,
    json_response,
    normalise_instant,
    read_object,
)
from weave.sandbox._pagination import paginate
from weave.sandbox._webhooks import WebhookConfig

CLIENT_ID = "mkt-demo-client"
CLIENT_SECRET = "mkt-demo-secret"
_ACTIONS = ("createOrUpdate", "createOnly", "updateOnly")
_STATUSES = ["sent", "opened", "opened", "clicked", "responded", "bounced", "unsubscribed"]


class MarketingService(SimService):
    name: ClassVar[str] = "marketing"
    title: ClassVar[str] = "Marketing automation (REST, OAuth2)"

    def __init__(self, *, seed: int = 42, webhook: WebhookConfig | None = None, campaign_results: int = 600,
                 token_ttl: float = 3600.0) -> None:
        self.result_count = campaign_results
        self.tokens = TokenIssuer(CLIENT_ID, CLIENT_SECRET, token_ttl)
        super().__init__(seed=seed, webhook=webhook)

    def credentials(self) -> dict[str, str]:
        return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}

    def reset_state(self) -> None:
        self.clock = MonotonicClock()
        self.tokens.revoke_all()
        self.leads: dict[str, dict[str, Any]] = {}
        contacts = _seed.seed_crm(self.seed)["contacts"]
        rng = random.Random(self.seed + 3)
        results = []
        for i in range(1, self.result_count + 1):
            contact = contacts[rng.randrange(len(contacts))]
            moment = _seed.BASE_TIME + timedelta(hours=i, minutes=rng.randint(0, 59))
            campaign = rng.randint(1, 8)
            results.append({"id": f"RES-{i:06d}", "campaign_id": f"CMP-{campaign:03d}",
                            "campaign_name": f"Spring pump promotion wave {campaign}",
                            "contact_email": contact["email"], "crm_contact_id": contact["id"],
                            "status": rng.choice(_STATUSES), "score": rng.randint(0, 100),
                            "occurred_at": _seed.ts(moment), "updated_at": _seed.ts(moment)})
        self.results = results

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/identity/oauth/token", self.tokens.token_endpoint, methods=["POST"]),
            Route("/rest/v1/leads", self.upsert_leads, methods=["POST"]),
            Route("/rest/v1/leads", self.list_leads, methods=["GET"]),
            Route("/rest/v1/campaign-results", self.list_results, methods=["GET"]),
        ]

    def _auth(self, request: Request) -> None:
        check_bearer(request, frozenset(), self.tokens)

    async def upsert_leads(self, request: Request) -> Response:
        self._auth(request)
        body = await read_object(request)
        action = body.get("action", "createOrUpdate")
        if action not in _ACTIONS:
            raise HttpError(422, "validation_failed", f"action must be one of {list(_ACTIONS)}")
        if body.get("lookupField", "email") != "email":
            raise HttpError(422, "validation_failed", "only lookupField 'email' is supported")
        leads = body.get("input")
        if not isinstance(leads, list) or not 1 <= len(leads) <= 300:
            raise HttpError(422, "validation_failed", "input must be a list of 1 to 300 leads")
        result = []
        for lead in leads:
            email = str(lead.get("email", "")).lower() if isinstance(lead, dict) else ""
            if "@" not in email:
                result.append({"status": "skipped", "reasons": [{"code": "1003", "message": "email is required"}]})
                continue
            exists = email in self.leads
            if (action == "createOnly" and exists) or (action == "updateOnly" and not exists):
                result.append({"status": "skipped", "reasons": [{"code": "1005" if exists else "1004",
                                                                 "message": "lead exists" if exists else "not found"}]})
                continue
            previous = self.leads.pop(email, {"id": len(self.leads) + 1})
            self.leads[email] = {**previous, **lead, "email": email, "updated_at": self.clock.next()}
            result.append({"id": self.leads[email]["id"], "status": "updated" if exists else "created"})
        self.record(request, body, operation="leads.upsert")
        return json_response({"success": True, "result": result})

    async def list_leads(self, request: Request) -> Response:
        self._auth(request)
        return paginate(request, [{**lead, "id": str(lead["id"])} for lead in self.leads.values()])

    async def list_results(self, request: Request) -> Response:
        self._auth(request)
        records = self.results
        since = request.query_params.get("updated_since")
        if since:
            cutoff = normalise_instant(since, "updated_since")
            records = [r for r in records if r["updated_at"] >= cutoff]
        campaign = request.query_params.get("campaign_id")
        if campaign:
            records = [r for r in records if r["campaign_id"] == campaign]
        return paginate(request, records, default_style="offset", default_size=100)
