"""Acme's e-mail platform (REST, bearer token): transactional sends and a contact list (upsert by email)."""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from weave.sandbox._base import SimService
from weave.sandbox._http import (
    HttpError,
    MonotonicClock,
    check_bearer,
    json_response,
    read_object,
    require_fields,
)
from weave.sandbox._pagination import paginate

TOKEN = "email-demo-token"


def _address(value: Any, field: str) -> dict[str, str]:
    if isinstance(value, str):
        value = {"email": value}
    if not isinstance(value, dict) or "@" not in str(value.get("email", "")):
        raise HttpError(422, "validation_failed", f"{field} needs an e-mail address",
                        [{"field": field, "error": "invalid email"}])
    return {k: str(v) for k, v in value.items()}


class EmailService(SimService):
    name: ClassVar[str] = "email"
    title: ClassVar[str] = "E-mail platform (REST)"

    def credentials(self) -> dict[str, str]:
        return {"token": TOKEN}

    def reset_state(self) -> None:
        self.clock = MonotonicClock()
        self.messages: dict[str, dict[str, Any]] = {}
        self.contacts: dict[str, dict[str, Any]] = {}
        self.jobs = 0

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v3/mail/send", self.send, methods=["POST"]),
            Route("/v3/messages/{id}", self.get_message, methods=["GET"]),
            Route("/v3/contacts", self.upsert_contacts, methods=["POST", "PUT"]),
            Route("/v3/contacts", self.list_contacts, methods=["GET"]),
        ]

    async def send(self, request: Request) -> Response:
        check_bearer(request, {TOKEN})
        body = await read_object(request)
        require_fields(body, "to", "from", "subject")
        to = body["to"] if isinstance(body["to"], list) else [body["to"]]
        recipients = [_address(t, f"to[{i}]") for i, t in enumerate(to)]
        sender = _address(body["from"], "from")
        if not (body.get("text") or body.get("html") or body.get("template_id")):
            raise HttpError(422, "validation_failed", "one of text, html or template_id is required",
                            [{"field": "text", "error": "required"}])
        message_id = f"msg-{len(self.messages) + 1:06d}"
        self.messages[message_id] = {"id": message_id, "status": "queued", "to": recipients, "from": sender,
                                     "subject": body["subject"], "queued_at": self.clock.next()}
        self.record(request, body, operation="mail.send")
        return json_response({"message_id": message_id, "status": "queued"}, 202)

    async def get_message(self, request: Request) -> Response:
        check_bearer(request, {TOKEN})
        message = self.messages.get(request.path_params["id"])
        if message is None:
            raise HttpError(404, "not_found", "no such message")
        return json_response(message)

    async def upsert_contacts(self, request: Request) -> Response:
        check_bearer(request, {TOKEN})
        body = await read_object(request)
        contacts = body.get("contacts")
        if not isinstance(contacts, list) or not 1 <= len(contacts) <= 1000:
            raise HttpError(422, "validation_failed", "contacts must be a list of 1 to 1000 objects")
        for i, contact in enumerate(contacts):
            if not isinstance(contact, dict):
                raise HttpError(422, "validation_failed", f"contacts[{i}] is not an object")
            _address(contact, f"contacts[{i}].email")
        created = 0
        for contact in contacts:
            email = str(contact["email"]).lower()
            created += email not in self.contacts
            previous = self.contacts.pop(email, {})
            self.contacts[email] = {**previous, **contact, "id": email, "email": email,
                                    "list_ids": body.get("list_ids", []), "updated_at": self.clock.next()}
        self.jobs += 1
        self.record(request, body, operation="contacts.upsert")
        return json_response({"job_id": f"job-{self.jobs:05d}", "upserted": len(contacts), "created": created}, 202)

    async def list_contacts(self, request: Request) -> Response:
        check_bearer(request, {TOKEN})
        return paginate(request, list(self.contacts.values()))
