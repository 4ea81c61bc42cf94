"""Notification channels: SMTP e-mail, Slack-compatible incoming webhook, generic signed webhook, and
PagerDuty Events v2. Endpoints and secrets are references (`${env:...}`), resolved only when sending;
a value never reaches a log or an error message."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import smtplib
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import httpx
import orjson

from weave.ownership.notify import AlertSettings, Notification
from weave.secrets import resolve

SIGNATURE_HEADER = "X-Weave-Signature-256"
TIMESTAMP_HEADER = "X-Weave-Timestamp"


class ChannelError(Exception):
    """A notification could not be sent. The message names the channel, never a secret."""


class ChannelConfigError(ChannelError):
    """The channel is not configured (e.g. no SMTP server): retrying will not help."""


class Channel(Protocol):
    @property
    def kind(self) -> str: ...

    async def send(self, note: Notification, client: httpx.AsyncClient) -> None: ...


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` HMAC-SHA256 over `<timestamp>.<body>` (so a captured body cannot be replayed later)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


async def _post(client: httpx.AsyncClient, kind: str, url_ref: str, body: bytes,
                headers: Mapping[str, str] | None = None) -> None:
    url = str(resolve(url_ref))
    try:
        response = await client.post(url, content=body, headers={"content-type": "application/json",
                                                                  **(headers or {})})
    except httpx.HTTPError as exc:
        raise ChannelError(f"{kind}: {type(exc).__name__}") from None
    if response.status_code >= 300:
        raise ChannelError(f"{kind}: receiver answered HTTP {response.status_code}")


@dataclass(frozen=True)
class EmailChannel:
    to: str
    settings: AlertSettings
    kind: str = "email"

    async def send(self, note: Notification, client: httpx.AsyncClient) -> None:
        if not self.settings.smtp_url:
            raise ChannelConfigError("email: no SMTP server configured ([alerts] smtp in weave.toml or WEAVE_SMTP_URL)")
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = str(resolve(self.to))
        message["Subject"] = note.title
        message["X-Weave-Alert"] = str(note.alert.id)
        message["X-Weave-Action"] = note.action
        message.set_content(note.text)
        await asyncio.to_thread(_smtp_send, str(resolve(self.settings.smtp_url)), message, self.settings.timeout_s)


def _smtp_send(url: str, message: EmailMessage, timeout: float) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps", "smtp+starttls"):
        raise ChannelConfigError(f"email: unknown SMTP URL scheme {parts.scheme!r}; known: smtp, smtps, smtp+starttls")
    host, port = parts.hostname or "127.0.0.1", parts.port or (465 if parts.scheme == "smtps" else 25)
    try:
        smtp: smtplib.SMTP = (smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
                              if parts.scheme == "smtps" else smtplib.SMTP(host, port, timeout=timeout))
        with smtp:
            if parts.scheme == "smtp+starttls":
                smtp.starttls(context=ssl.create_default_context())
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise ChannelError(f"email: {type(exc).__name__} talking to the SMTP server") from None


@dataclass(frozen=True)
class SlackChannel:
    """Slack-compatible incoming webhook (also Mattermost, Rocket.Chat, Teams' Slack mode)."""

    url: str
    kind: str = "chat"

    async def send(self, note: Notification, client: httpx.AsyncClient) -> None:
        color = {"trigger": "#d93025", "escalate": "#b00020", "resolve": "#188038"}[note.action]
        body = {"text": note.title, "attachments": [{
            "color": color, "title": note.title, "text": note.text, "fallback": note.title,
            "fields": [{"title": "SLO", "value": note.description, "short": False},
                       {"title": "Owner", "value": note.owner or "(none)", "short": True},
                       {"title": "Alert", "value": f"#{note.alert.id}", "short": True}]}]}
        await _post(client, self.kind, self.url, orjson.dumps(body))


@dataclass(frozen=True)
class WebhookChannel:
    """Generic webhook: the notification as JSON, signed with HMAC-SHA256 when a secret is declared."""

    url: str
    secret: str | None = None
    kind: str = "webhook"

    async def send(self, note: Notification, client: httpx.AsyncClient) -> None:
        body = orjson.dumps(note.to_dict())
        headers = {"X-Weave-Event": note.to_dict()["type"]}
        if self.secret:
            timestamp = str(int(time.time()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = sign(str(resolve(self.secret)), timestamp, body)
        await _post(client, self.kind, self.url, body, headers)


@dataclass(frozen=True)
class PagerDutyChannel:
    """PagerDuty Events API v2: trigger / resolve with a stable dedup_key per alert."""

    routing_key: str
    settings: AlertSettings
    kind: str = "pagerduty"

    async def send(self, note: Notification, client: httpx.AsyncClient) -> None:
        body: dict[str, Any] = {"routing_key": str(resolve(self.routing_key)),
                                "event_action": "resolve" if note.action == "resolve" else "trigger",
                                "dedup_key": note.dedup_key}
        if note.action != "resolve":
            body["payload"] = {"summary": f"{note.alert.integration}: {note.alert.message}"[:1024],
                               "source": f"weave/{note.alert.integration}",
                               "severity": "critical" if note.action == "escalate" else "error",
                               "component": note.alert.integration, "group": note.owner or "unowned",
                               "class": note.alert.slo,
                               "custom_details": {"slo": note.description, "alert_id": note.alert.id,
                                                  "escalated": note.action == "escalate"}}
        await _post(client, self.kind, self.settings.pagerduty_url, orjson.dumps(body))


def channels_for(contacts: Mapping[str, Any] | None, settings: AlertSettings) -> list[Channel]:
    """Every channel a contacts block declares (email, chat_webhook, webhook, pagerduty_routing_key)."""
    c = contacts or {}
    out: list[Channel] = []
    if c.get("email"):
        out.append(EmailChannel(str(c["email"]), settings))
    if c.get("chat_webhook"):
        out.append(SlackChannel(str(c["chat_webhook"])))
    if c.get("webhook"):
        out.append(WebhookChannel(str(c["webhook"]), str(c["webhook_secret"]) if c.get("webhook_secret") else None))
    if c.get("pagerduty_routing_key"):
        out.append(PagerDutyChannel(str(c["pagerduty_routing_key"]), settings))
    return out
