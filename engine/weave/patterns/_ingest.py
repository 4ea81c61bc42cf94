"""Inbound webhooks: size limit, content type, signature, JSON parse, record extraction.

The checks themselves live in `weave.connectors.webhook.WebhookVerifier`. A refused request gets a 4xx,
nothing is stored, and the reason is counted in metrics (`weave_ingest_rejected_total`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from weave.connectors.webhook import DEFAULT_MAX_BODY, WebhookRejected, WebhookVerifier
from weave.patterns._steps import compile_expression
from weave.patterns.base import FlowServices, HttpRequest, HttpResponse
from weave.spec.durations import parse_duration


def _error(status: int, code: str, message: str) -> HttpResponse:
    return HttpResponse(status, {"error": {"code": code, "message": message}})


@dataclass
class Ingest:
    integration: str
    path: str
    verifier: WebhookVerifier
    records_expr: Any

    @classmethod
    def from_spec(cls, integration: str, block: dict[str, Any]) -> Ingest:
        signature = block.get("signature") or {}
        verifier = WebhookVerifier(
            str(signature.get("scheme", "none")),
            signature.get("secret"),
            tolerance=parse_duration(signature.get("tolerance", "5m")),
            max_body=int(block.get("max_body_bytes", DEFAULT_MAX_BODY)),
        )
        return cls(integration=integration, path=str(block["path"]), verifier=verifier,
                   records_expr=compile_expression(block["records"]) if block.get("records") else None)

    def parse(self, request: HttpRequest, services: FlowServices) -> tuple[list[dict[str, Any]], HttpResponse | None]:
        """The records in the request, or the refusal to send back."""
        try:
            message = self.verifier.verify(request.headers, request.body)
        except WebhookRejected as exc:
            services.metrics().rejected(self.integration, exc.reason)
            return [], _error(exc.status or 400, exc.reason, str(exc))
        payload = message.payload
        data = self.records_expr.search(payload) if self.records_expr is not None else payload
        records = data if isinstance(data, list) else [data]
        if not records or not all(isinstance(r, dict) for r in records):
            services.metrics().rejected(self.integration, "not_records")
            return [], _error(422, "not_records", "expected a JSON object or a list of objects")
        return records, None
