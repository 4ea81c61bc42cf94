"""Inbound webhook checks: signature schemes, timestamp tolerance, body size, content type, JSON.

Pure functions plus `WebhookVerifier`, independent of any web framework. The HTTP endpoint that
uses them must answer 2xx only after the message is durably stored, and count a metric per
`WebhookRejected.reason`.

Schemes (`SCHEMES`):
- `standard-webhooks`: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>` (space-separated
  list), HMAC-SHA256 over `id.timestamp.body`, key = base64 after `whsec_` (raw bytes without the prefix);
- `stripe`: `Stripe-Signature: t=<ts>,v1=<hex>[,v1=…]`, HMAC-SHA256 over `t.body`;
- `github`: `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 over the body (no timestamp);
- `none`: no signature (still size, content type and JSON checks).

Comparisons are constant-time (`hmac.compare_digest`); errors never contain the secret or the
expected signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from weave.errors import TerminalError
from weave.secrets import resolve
from weave.spec.durations import parse_duration

DEFAULT_TOLERANCE = 300.0
DEFAULT_MAX_BODY = 1024 * 1024


class WebhookRejected(TerminalError):
    """An inbound message refused. `status` is the HTTP answer, `reason` a stable metric label:
    too_large, wrong_content_type, missing_signature, bad_signature, stale_timestamp, bad_json."""

    def __init__(self, reason: str, message: str, status: int) -> None:
        super().__init__(message, status=status)
        self.reason = reason


@dataclass(frozen=True)
class WebhookMessage:
    scheme: str
    payload: Any
    body: bytes
    message_id: str | None = None
    timestamp: int | None = None


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def _check_time(ts_text: str | None, tolerance: float, now: float) -> int:
    if not ts_text:
        raise WebhookRejected("missing_signature", "webhook timestamp header is missing", 401)
    try:
        ts = int(ts_text)
    except ValueError:
        raise WebhookRejected("bad_signature", "webhook timestamp is not an integer", 401) from None
    if abs(now - ts) > tolerance:
        raise WebhookRejected("stale_timestamp", f"webhook timestamp is outside the {tolerance:g}s tolerance", 401)
    return ts


# -- Standard Webhooks ---------------------------------------------------------------------------

def _standard_key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[6:], validate=True)
        except binascii.Error:
            raise WebhookRejected("bad_signature", "the configured whsec_ secret is not base64", 500) from None
    return secret.encode()


def sign_standard_webhooks(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = _hmac(_standard_key(secret), f"{msg_id}.{timestamp}.".encode() + body)
    return "v1," + base64.b64encode(mac).decode()


def verify_standard_webhooks(
    secret: str, headers: Mapping[str, str], body: bytes, *, tolerance: float = DEFAULT_TOLERANCE, now: float | None = None
) -> tuple[str, int]:
    h = _lower(headers)
    msg_id, sig_header = h.get("webhook-id"), h.get("webhook-signature")
    if not msg_id or not sig_header:
        raise WebhookRejected("missing_signature", "webhook-id or webhook-signature header is missing", 401)
    ts = _check_time(h.get("webhook-timestamp"), tolerance, time.time() if now is None else now)
    expected = _hmac(_standard_key(secret), f"{msg_id}.{ts}.".encode() + body)
    for item in sig_header.split():
        version, _, value = item.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except binascii.Error:
            continue
        if hmac.compare_digest(given, expected):
            return msg_id, ts
    raise WebhookRejected("bad_signature", "webhook signature does not match", 401)


# -- Stripe-style --------------------------------------------------------------------------------

def sign_stripe(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_stripe(
    secret: str, headers: Mapping[str, str], body: bytes, *, tolerance: float = DEFAULT_TOLERANCE, now: float | None = None
) -> int:
    header = _lower(headers).get("stripe-signature")
    if not header:
        raise WebhookRejected("missing_signature", "Stripe-Signature header is missing", 401)
    ts_text: str | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            ts_text = value
        elif key == "v1":
            signatures.append(value)
    if not signatures:
        raise WebhookRejected("missing_signature", "Stripe-Signature has no v1 signature", 401)
    ts = _check_time(ts_text, tolerance, time.time() if now is None else now)
    expected = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    if any(hmac.compare_digest(sig.encode(), expected.encode()) for sig in signatures):
        return ts
    raise WebhookRejected("bad_signature", "Stripe-Signature does not match", 401)


# -- GitHub-style --------------------------------------------------------------------------------

def sign_github(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_github(secret: str, headers: Mapping[str, str], body: bytes) -> None:
    header = _lower(headers).get("x-hub-signature-256")
    if not header or not header.startswith("sha256="):
        raise WebhookRejected("missing_signature", "X-Hub-Signature-256 header is missing", 401)
    expected = sign_github(secret, body)
    if not hmac.compare_digest(header.encode(), expected.encode()):
        raise WebhookRejected("bad_signature", "X-Hub-Signature-256 does not match", 401)


SCHEMES = ("github", "none", "standard-webhooks", "stripe")


def parse_json_body(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise WebhookRejected("bad_json", f"body is not valid JSON: {exc}", 400) from None


class WebhookVerifier:
    """Everything an inbound endpoint checks before it stores a message.

        verifier = WebhookVerifier.from_spec({"scheme": "standard-webhooks", "secret": "${env:CRM_WEBHOOK_SECRET}"})
        verifier.check_length(request.headers.get("content-length"))   # before reading the body
        message = verifier.verify(request.headers, body)               # raises WebhookRejected
    """

    def __init__(
        self,
        scheme: str = "none",
        secret: str | None = None,
        *,
        tolerance: float = DEFAULT_TOLERANCE,
        max_body: int = DEFAULT_MAX_BODY,
        require_json: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if scheme not in SCHEMES:
            raise TerminalError(f"unknown webhook signature scheme {scheme!r}; known schemes: {', '.join(SCHEMES)}")
        if scheme != "none" and not secret:
            raise TerminalError(f"webhook signature scheme {scheme!r} needs `secret:` (a ${{env:…}} reference)")
        self.scheme = scheme
        self._secret_ref = secret
        self.tolerance = tolerance
        self.max_body = max_body
        self.require_json = require_json
        self._clock = clock

    @classmethod
    def from_spec(cls, block: Mapping[str, Any] | None, *, max_body: int = DEFAULT_MAX_BODY) -> WebhookVerifier:
        """From a trigger's `webhook.signature:` block: `{scheme, secret, tolerance: 5m, max_body: 1048576}`."""
        block = block or {}
        return cls(
            str(block.get("scheme", "none")),
            block.get("secret"),
            tolerance=parse_duration(block.get("tolerance", "5m")),
            max_body=int(block.get("max_body", max_body)),
        )

    def check_length(self, content_length: str | int | None) -> None:
        """Refuse early on a declared Content-Length over the limit."""
        if content_length is None:
            return
        try:
            length = int(content_length)
        except ValueError:
            raise WebhookRejected("bad_request", "Content-Length is not a number", 400) from None
        if length > self.max_body:
            raise WebhookRejected("too_large", f"body of {length} bytes exceeds the {self.max_body}-byte limit", 413)

    def verify(self, headers: Mapping[str, str], body: bytes) -> WebhookMessage:
        if len(body) > self.max_body:
            raise WebhookRejected("too_large", f"body of {len(body)} bytes exceeds the {self.max_body}-byte limit", 413)
        h = _lower(headers)
        if self.require_json:
            ctype = h.get("content-type", "").split(";", 1)[0].strip().lower()
            if ctype != "application/json" and not ctype.endswith("+json"):
                raise WebhookRejected("wrong_content_type", f"content type {ctype or '(none)'!r} is not JSON", 415)
        msg_id: str | None = None
        ts: int | None = None
        if self.scheme != "none":
            secret = str(resolve(self._secret_ref))
            now = self._clock()
            if self.scheme == "standard-webhooks":
                msg_id, ts = verify_standard_webhooks(secret, h, body, tolerance=self.tolerance, now=now)
            elif self.scheme == "stripe":
                ts = verify_stripe(secret, h, body, tolerance=self.tolerance, now=now)
            else:
                verify_github(secret, h, body)
                msg_id = h.get("x-github-delivery")
        payload = parse_json_body(body) if self.require_json else body
        return WebhookMessage(self.scheme, payload, body, msg_id, ts)
