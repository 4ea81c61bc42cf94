"""Webhook verification: published test vectors, tolerance, size, content type, JSON errors."""

from __future__ import annotations

import time

import pytest

from weave.connectors.webhook import (
    WebhookRejected,
    WebhookVerifier,
    sign_github,
    sign_standard_webhooks,
    sign_stripe,
    verify_github,
    verify_standard_webhooks,
    verify_stripe,
)
from weave.errors import TerminalError

SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SW_ID, SW_TS, SW_BODY = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'


def test_standard_webhooks_published_vector() -> None:
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign_standard_webhooks(SW_SECRET, SW_ID, SW_TS, SW_BODY) == expected
    headers = {"Webhook-Id": SW_ID, "Webhook-Timestamp": str(SW_TS), "Webhook-Signature": f"v1,bm9wZQ== {expected}"}
    assert verify_standard_webhooks(SW_SECRET, headers, SW_BODY, now=SW_TS + 10) == (SW_ID, SW_TS)


def test_github_published_vector() -> None:
    sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert sign_github("It's a Secret to Everybody", b"Hello, World!") == sig
    verify_github("It's a Secret to Everybody", {"X-Hub-Signature-256": sig}, b"Hello, World!")
    with pytest.raises(WebhookRejected, match="does not match"):
        verify_github("It's a Secret to Everybody", {"X-Hub-Signature-256": sig}, b"Hello, World?")


def test_stripe_roundtrip_and_multiple_v1() -> None:
    header = sign_stripe("whsec_test", 1700000000, b'{"id":"evt_1"}')
    assert header.startswith("t=1700000000,v1=")
    rotated = header + ",v1=" + "0" * 64  # during secret rotation several v1 values are sent
    assert verify_stripe("whsec_test", {"stripe-signature": rotated}, b'{"id":"evt_1"}', now=1700000100) == 1700000000


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing_signature"),
        ({"webhook-id": SW_ID, "webhook-timestamp": str(SW_TS), "webhook-signature": "v1,AAAA"}, "bad_signature"),
        ({"webhook-id": "other", "webhook-timestamp": str(SW_TS),
          "webhook-signature": sign_standard_webhooks(SW_SECRET, SW_ID, SW_TS, SW_BODY)}, "bad_signature"),
        ({"webhook-id": SW_ID, "webhook-timestamp": "soon", "webhook-signature": "v1,AAAA"}, "bad_signature"),
    ],
)
def test_standard_webhooks_rejections(headers: dict[str, str], reason: str) -> None:
    with pytest.raises(WebhookRejected) as info:
        verify_standard_webhooks(SW_SECRET, headers, SW_BODY, now=SW_TS)
    assert info.value.reason == reason and info.value.status == 401
    assert SW_SECRET not in str(info.value)


@pytest.mark.parametrize("skew", [-301, 301])
def test_timestamp_tolerance_both_directions(skew: int) -> None:
    headers = {"webhook-id": SW_ID, "webhook-timestamp": str(SW_TS),
               "webhook-signature": sign_standard_webhooks(SW_SECRET, SW_ID, SW_TS, SW_BODY)}
    with pytest.raises(WebhookRejected) as info:
        verify_standard_webhooks(SW_SECRET, headers, SW_BODY, now=SW_TS + skew)
    assert info.value.reason == "stale_timestamp"
    stripe = sign_stripe("s", SW_TS, SW_BODY)
    with pytest.raises(WebhookRejected, match="tolerance"):
        verify_stripe("s", {"Stripe-Signature": stripe}, SW_BODY, now=SW_TS + skew)


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", SW_SECRET)


def test_verifier_full_path(secret_env: None) -> None:
    verifier = WebhookVerifier.from_spec({"scheme": "standard-webhooks", "secret": "${env:HOOK_SECRET}", "tolerance": "1m"})
    now = int(time.time())
    body = b'{"order_id": "o-1", "lines": [1, 2]}'
    headers = {"Content-Type": "application/json; charset=utf-8", "webhook-id": "m1", "webhook-timestamp": str(now),
               "webhook-signature": sign_standard_webhooks(SW_SECRET, "m1", now, body)}
    msg = verifier.verify(headers, body)
    assert msg.payload == {"order_id": "o-1", "lines": [1, 2]} and msg.message_id == "m1" and msg.timestamp == now


@pytest.mark.parametrize(
    ("headers", "body", "reason", "status"),
    [
        ({"content-type": "text/plain"}, b"{}", "wrong_content_type", 415),
        ({}, b"{}", "wrong_content_type", 415),
        ({"content-type": "application/json"}, b"x" * 2048, "too_large", 413),
        ({"content-type": "application/json"}, b'{"a": 1,}', "bad_json", 400),
    ],
)
def test_verifier_rejections(headers: dict[str, str], body: bytes, reason: str, status: int) -> None:
    verifier = WebhookVerifier("none", max_body=1024)
    with pytest.raises(WebhookRejected) as info:
        verifier.verify(headers, body)
    assert (info.value.reason, info.value.status) == (reason, status)


def test_verifier_content_length_precheck_and_json_suffix() -> None:
    verifier = WebhookVerifier("none", max_body=10)
    with pytest.raises(WebhookRejected, match="exceeds the 10-byte limit"):
        verifier.check_length("11")
    verifier.check_length(None)
    verifier.check_length("10")
    assert verifier.verify({"content-type": "application/cloudevents+json"}, b"[1]").payload == [1]


def test_verifier_github_and_stripe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GH", "gh-secret")
    body = b'{"action": "opened"}'
    gh = WebhookVerifier("github", "${env:GH}")
    msg = gh.verify({"content-type": "application/json", "X-Hub-Signature-256": sign_github("gh-secret", body),
                     "X-GitHub-Delivery": "d-1"}, body)
    assert msg.message_id == "d-1" and msg.payload == {"action": "opened"}
    st = WebhookVerifier("stripe", "${env:GH}", clock=lambda: 1700000005)
    msg = st.verify({"content-type": "application/json", "stripe-signature": sign_stripe("gh-secret", 1700000000, body)}, body)
    assert msg.timestamp == 1700000000


def test_verifier_config_errors() -> None:
    with pytest.raises(TerminalError, match="known schemes: github, none, standard-webhooks, stripe"):
        WebhookVerifier("hmac-md5", "x")
    with pytest.raises(TerminalError, match="needs `secret:`"):
        WebhookVerifier("github")
