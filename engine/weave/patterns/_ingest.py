"""Inbound webhooks: size limit, content type, signature, JSON parse, record extraction.

A refused request gets a 4xx, nothing is stored, and the reason is counted in metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from weave.patterns._steps import compile_expression
from weave.patterns.base import FlowServices, HttpRequest, HttpResponse
from weave.secrets import resolve
from weave.spec.durations import parse_duration

DEFAULT_MAX_BODY = 1024 * 1024


def _error(status: int, code: str, message: str) -> HttpResponse:
    return HttpResponse(status, {"error": {"code": code, "message": message}})


@dataclass
class Ingest:
    integration: str
    path: str
    scheme: str | None
    secret_ref: str | None
    tolerance: float
    max_body: int
    records_expr: Any

    @classmethod
    def from_spec(cls, integration: str, block: dict[str, Any]) -> Ingest:
        signature = block.get("signature") or {}
        return cls(
            integration=integration,
            path=str(block["path"]),
            scheme=signature.get("scheme"),
            secret_ref=signature.get("secret"),
            tolerance=parse_duration(signature.get("tolerance", "5m")),
            max_body=int(block.get("max_body_bytes", DEFAULT_MAX_BODY)),
            records_expr=compile_expression(block["records"]) if block.get("records") else None,
        )

    def parse(self, request: HttpRequest, services: FlowServices) -> tuple[list[dict[str, Any]], HttpResponse | None]:
        """The records in the request, or the refusal to send back."""
        metrics = services.metrics()
        if len(request.body) > self.max_body:
            metrics.rejected(self.integration, "too_large")
            return [], _error(413, "payload_too_large", f"body exceeds {self.max_body} bytes")
        content_type = request.headers.get("content-type", "")
        if "json" not in content_type.split(";")[0]:
            metrics.rejected(self.integration, "content_type")
            return [], _error(415, "unsupported_media_type", "send application/json")
        if self.scheme:
            from weave.connectors.webhook import SignatureError, verify_signature

            try:
                verify_signature(self.scheme, str(resolve(self.secret_ref)), request.headers, request.body,
                                 tolerance=self.tolerance)
            except SignatureError as exc:
                metrics.rejected(self.integration, "signature")
                return [], _error(401, "invalid_signature", str(exc))
        try:
            payload = orjson.loads(request.body)
        except orjson.JSONDecodeError as exc:
            metrics.rejected(self.integration, "malformed_json")
            return [], _error(400, "malformed_json", f"body is not valid JSON: {exc}")
        data = self.records_expr.search(payload) if self.records_expr is not None else payload
        records = data if isinstance(data, list) else [data]
        if not records or not all(isinstance(r, dict) for r in records):
            metrics.rejected(self.integration, "not_records")
            return [], _error(422, "not_records", "expected a JSON object or a list of objects")
        return records, None
