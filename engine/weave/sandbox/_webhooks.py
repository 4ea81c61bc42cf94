"""Outbound webhooks of the simulated systems, signed with the three common schemes.

- ``standard`` (Standard Webhooks): headers ``webhook-id``, ``webhook-timestamp`` (unix seconds) and
  ``webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`` where the key is the
  base64-decoded part of a ``whsec_<base64>`` secret.
- ``stripe``: ``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "{t}.{body}")>``.
- ``github``: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`` plus ``X-GitHub-Delivery``
  and ``X-GitHub-Event``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

from weave.sandbox._http import HttpError, utc_now_iso

SCHEMES = ("standard", "stripe", "github")


def standard_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret (``whsec_`` + base64)."""
    encoded = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise ValueError("a standard-webhooks secret is 'whsec_' followed by base64") from None


def sign(scheme: str, secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The signature headers for one delivery."""
    if scheme == "standard":
        digest = hmac.new(standard_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
        return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
                "webhook-signature": "v1," + base64.b64encode(digest).decode()}
    if scheme == "stripe":
        mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        return {"Stripe-Signature": f"t={timestamp},v1={mac}"}
    if scheme == "github":
        mac = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return {"X-Hub-Signature-256": f"sha256={mac}", "X-GitHub-Delivery": msg_id}
    raise ValueError(f"unknown webhook scheme {scheme!r}; known: {', '.join(SCHEMES)}")


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret: str
    scheme: str = "standard"
    events: tuple[str, ...] = ("*",)
    max_attempts: int = 3
    backoff_ms: int = 100
    timeout_s: float = 5.0

    def wants(self, event: str) -> bool:
        return any(p == "*" or p == event or (p.endswith(".*") and event.startswith(p[:-1])) for p in self.events)

    @classmethod
    def from_json(cls, data: Any, default_scheme: str) -> WebhookConfig:
        if not isinstance(data, dict) or not data.get("url") or not data.get("secret"):
            raise HttpError(400, "invalid_webhook", "a webhook needs 'url' and 'secret'")
        scheme = str(data.get("scheme") or default_scheme)
        if scheme not in SCHEMES:
            raise HttpError(400, "invalid_webhook", f"scheme must be one of {list(SCHEMES)}")
        try:
            events = tuple(str(e) for e in data.get("events") or ("*",))
            config = cls(url=str(data["url"]), secret=str(data["secret"]), scheme=scheme, events=events,
                         max_attempts=int(data.get("max_attempts", 3)), backoff_ms=int(data.get("backoff_ms", 100)),
                         timeout_s=float(data.get("timeout_s", 5.0)))
            if scheme == "standard":
                standard_key(config.secret)
        except (TypeError, ValueError) as exc:
            raise HttpError(400, "invalid_webhook", str(exc)) from None
        return config

    def view(self) -> dict[str, Any]:
        return {"url": self.url, "scheme": self.scheme, "events": list(self.events),
                "max_attempts": self.max_attempts, "backoff_ms": self.backoff_ms, "timeout_s": self.timeout_s}


@dataclass
class Delivery:
    webhook_id: str
    event: str
    url: str
    attempts: int = 0
    status: int | None = None
    error: str | None = None
    delivered: bool = False
    sent_at: str = field(default_factory=utc_now_iso)

    def view(self) -> dict[str, Any]:
        return {"webhook_id": self.webhook_id, "event": self.event, "url": self.url, "attempts": self.attempts,
                "status": self.status, "error": self.error, "delivered": self.delivered, "sent_at": self.sent_at}


class WebhookSender:
    """Sends signed webhooks to the configured URL with a few retries; keeps a log of deliveries."""

    def __init__(self, default_scheme: str, config: WebhookConfig | None = None) -> None:
        self.default_scheme = default_scheme
        self.initial = config
        self.config = config
        self.deliveries: list[Delivery] = []
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[Delivery]] = set()

    def reset(self) -> None:
        self.config = self.initial
        self.deliveries.clear()

    async def send(self, event: str, payload: dict[str, Any], *, wait: bool = True,
                   copies: int = 1) -> list[Delivery]:
        """Deliver one event (``copies`` > 1 re-sends the same id and body, as real providers sometimes do)."""
        config = self.config
        if config is None or not config.wants(event):
            return []
        msg_id = "msg_" + uuid.uuid4().hex
        body = orjson.dumps(payload)
        jobs = [self._deliver(config, msg_id, event, body) for _ in range(max(copies, 1))]
        if wait:
            return [await job for job in jobs]
        for job in jobs:
            task = asyncio.ensure_future(job)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return []

    async def _deliver(self, config: WebhookConfig, msg_id: str, event: str, body: bytes) -> Delivery:
        if self._session is None:  # aiohttp: several times httpx's throughput for many small POSTs
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
        delivery = Delivery(webhook_id=msg_id, event=event, url=config.url)
        self.deliveries.append(delivery)
        for attempt in range(1, config.max_attempts + 1):
            delivery.attempts = attempt
            headers = {"content-type": "application/json", "user-agent": "acme-sandbox-webhooks/1",
                       **sign(config.scheme, config.secret, msg_id, int(time.time()), body)}
            if config.scheme == "github":
                headers["X-GitHub-Event"] = event
            try:
                async with self._session.post(config.url, data=body, headers=headers,
                                              timeout=aiohttp.ClientTimeout(total=config.timeout_s)) as response:
                    await response.read()
                    delivery.status, delivery.error = response.status, None
                if 200 <= response.status < 300:
                    delivery.delivered = True
                    return delivery
            except (aiohttp.ClientError, TimeoutError) as exc:
                delivery.status, delivery.error = None, f"{type(exc).__name__}: {exc}"
            if attempt < config.max_attempts:
                await asyncio.sleep(config.backoff_ms / 1000 * 2 ** (attempt - 1))
        return delivery

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
