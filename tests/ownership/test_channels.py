"""Every notification channel against a real local receiver: SMTP (aiosmtpd), Slack-compatible webhook,
signed generic webhook, PagerDuty Events v2."""

from __future__ import annotations

import asyncio
import hashlib
import hmac

import httpx
import pytest

from tests.ownership.receivers import HttpReceiver, SmtpReceiver
from weave.ownership.channels import (
    ChannelError,
    EmailChannel,
    PagerDutyChannel,
    SlackChannel,
    WebhookChannel,
    channels_for,
)
from weave.ownership.notify import AlertSettings, Notification
from weave.secrets import SecretError
from weave.state import Alert

ALERT = Alert(id=7, integration="ship-orders", slo="freshness", owner="ops", status="open",
              message="last successful delivery 2h ago (limit 1h)", detail={"value": 7200}, opened_at=1.0,
              resolved_at=None, acked_at=None, acked_by=None, escalated_at=None)


def _note(action: str = "trigger") -> Notification:
    return Notification(action, ALERT, "last successful delivery younger than 1h", "ops", "owner")


def _send(channel: object, note: Notification) -> None:
    async def main() -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            await channel.send(note, client)  # type: ignore[attr-defined]

    asyncio.run(main())


def test_email_over_smtp(smtp: SmtpReceiver) -> None:
    settings = AlertSettings(smtp_url=smtp.url, mail_from="weave@acme.example")
    _send(EmailChannel("ops@acme.example", settings), _note())
    [mail] = smtp.mails
    assert mail.to == ["ops@acme.example"] and mail.sender == "weave@acme.example"
    assert mail.subject == "[weave] ALERT ship-orders: freshness"
    assert mail.message["X-Weave-Alert"] == "7" and "last successful delivery 2h ago" in mail.body
    _send(EmailChannel("ops@acme.example", settings), _note("resolve"))
    assert smtp.mails[1].subject == "[weave] RESOLVED ship-orders: freshness"


def test_email_without_server_or_with_a_dead_one_is_a_clear_error() -> None:
    with pytest.raises(ChannelError, match="no SMTP server configured"):
        _send(EmailChannel("a@b", AlertSettings()), _note())
    from weave.sandbox.services import free_port

    with pytest.raises(ChannelError, match="talking to the SMTP server"):
        _send(EmailChannel("a@b", AlertSettings(smtp_url=f"smtp://127.0.0.1:{free_port()}", timeout_s=2)), _note())


def test_slack_compatible_webhook(http_receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAM_SLACK", f"{http_receiver.url}/services/T0/B0/x")
    _send(SlackChannel("${env:TEAM_SLACK}"), _note("escalate"))
    [post] = http_receiver.posts
    assert post.path == "/services/T0/B0/x" and post.headers["content-type"] == "application/json"
    body = post.json
    assert body["text"] == "[weave] ESCALATED ship-orders: freshness"
    [attachment] = body["attachments"]
    assert attachment["color"] and {"title": "Alert", "value": "#7", "short": True} in attachment["fields"]


def test_signed_webhook(http_receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_URL", f"{http_receiver.url}/alerts")
    monkeypatch.setenv("HOOK_KEY", "s3cret-signing-key")
    _send(WebhookChannel("${env:HOOK_URL}", "${env:HOOK_KEY}"), _note())
    [post] = http_receiver.posts
    timestamp = post.headers["x-weave-timestamp"]
    expected = hmac.new(b"s3cret-signing-key", timestamp.encode() + b"." + post.body, hashlib.sha256).hexdigest()
    assert post.headers["x-weave-signature-256"] == f"sha256={expected}"
    assert post.json["type"] == "alert.triggered" and post.json["alert"]["id"] == 7
    assert post.headers["x-weave-event"] == "alert.triggered"
    assert b"s3cret-signing-key" not in post.body
    # a receiver that refuses: a clear error, without the URL's secret parts
    http_receiver.status = 500
    with pytest.raises(ChannelError, match="webhook: receiver answered HTTP 500") as err:
        _send(WebhookChannel("${env:HOOK_URL}", "${env:HOOK_KEY}"), _note())
    assert "s3cret" not in str(err.value)


def test_unset_secret_reference_names_the_reference_not_a_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_URL", raising=False)
    with pytest.raises(SecretError, match=r"\$\{env:NOPE_URL\}"):
        _send(WebhookChannel("${env:NOPE_URL}"), _note())


def test_pagerduty_events_v2(http_receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PD_KEY", "R0UTINGKEY")
    settings = AlertSettings(pagerduty_url=f"{http_receiver.url}/v2/enqueue")
    _send(PagerDutyChannel("${env:PD_KEY}", settings), _note())
    _send(PagerDutyChannel("${env:PD_KEY}", settings), _note("resolve"))
    trigger, resolve = (p.json for p in http_receiver.at("/v2/enqueue"))
    assert trigger["routing_key"] == "R0UTINGKEY" and trigger["event_action"] == "trigger"
    assert trigger["dedup_key"] == resolve["dedup_key"] == "weave:ship-orders:freshness:7"
    payload = trigger["payload"]
    assert {"summary", "source", "severity"} <= set(payload) and payload["severity"] in ("critical", "error")
    assert payload["source"] == "weave/ship-orders" and payload["class"] == "freshness"
    assert resolve["event_action"] == "resolve" and "payload" not in resolve


def test_channels_for_contacts() -> None:
    settings = AlertSettings()
    kinds = [c.kind for c in channels_for({"email": "a@b", "chat_webhook": "${env:S}", "webhook": "${env:W}",
                                           "webhook_secret": "${env:K}", "pagerduty_routing_key": "${env:P}",
                                           "oncall": "+1", "handle": "@x"}, settings)]
    assert kinds == ["email", "chat", "webhook", "pagerduty"]
    assert channels_for({"oncall": "+1"}, settings) == [] and channels_for(None, settings) == []
