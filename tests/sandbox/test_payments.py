"""The payment gateway: Idempotency-Key dedup, declines, refunds and Stripe-style signed webhooks."""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx
import orjson

from weave.sandbox import SandboxCluster
from weave.sandbox.payments import SECRET_KEY, WEBHOOK_SECRET

from ._util import received

AUTH = {"Authorization": f"Bearer {SECRET_KEY}"}
INTENT = {"amount": 321300, "currency": "EUR", "order_ref": "ORD-000001", "customer_ref": "ACC-0001"}


def _verify_stripe(secret: str, header: str, body: str) -> None:
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.{body}".encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, parts["v1"])
    assert abs(time.time() - int(parts["t"])) < 300


def test_idempotency_key_replays_and_refuses_reuse(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("payments") + "/v1/payment_intents"
    headers = {**AUTH, "Idempotency-Key": "order-ORD-000001"}
    first = http.post(url, json=INTENT, headers=headers)
    replay = http.post(url, json=INTENT, headers=headers)
    assert first.status_code == replay.status_code == 201
    assert first.json() == replay.json() and first.json()["status"] == "succeeded"
    assert replay.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    reused = http.post(url, json={**INTENT, "amount": 1}, headers=headers)
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "idempotency_key_reused"
    without_key = http.post(url, json=INTENT, headers=AUTH)
    assert without_key.json()["id"] != first.json()["id"]
    assert len(received(http, sandbox.url("payments"))) == 2
    listing = http.get(url, params={"order_ref": "ORD-000001", "style": "page"}, headers=AUTH).json()
    assert listing["meta"]["total"] == 2
    stats = http.get(sandbox.url("payments") + "/_stats").json()
    assert stats["counters"] == {"idempotent_replays": 1}


def test_declines_refunds_and_validation(sandbox: SandboxCluster, http: httpx.Client) -> None:
    base = sandbox.url("payments") + "/v1"
    declined = http.post(base + "/payment_intents", json={**INTENT, "payment_method": "pm_card_declined"},
                         headers={**AUTH, "Idempotency-Key": "k-decline"})
    assert declined.status_code == 402 and declined.json()["error"]["code"] == "card_declined"
    replayed = http.post(base + "/payment_intents", json={**INTENT, "payment_method": "pm_card_declined"},
                         headers={**AUTH, "Idempotency-Key": "k-decline"})
    assert replayed.status_code == 402 and replayed.headers["idempotent-replayed"] == "true"
    intent = http.post(base + "/payment_intents", json=INTENT, headers=AUTH).json()
    refund = http.post(base + "/refunds", json={"payment_intent": intent["id"], "amount": 1300}, headers=AUTH)
    assert refund.status_code == 201 and refund.json()["status"] == "succeeded"
    assert http.get(base + f"/payment_intents/{intent['id']}", headers=AUTH).json()["amount_refunded"] == 1300
    too_much = http.post(base + "/refunds", json={"payment_intent": intent["id"], "amount": 320001}, headers=AUTH)
    assert too_much.status_code == 422
    for body in ({**INTENT, "amount": 12.5}, {**INTENT, "amount": 0}, {**INTENT, "currency": "euro"}, {}):
        assert http.post(base + "/payment_intents", json=body, headers=AUTH).status_code == 422
    assert http.post(base + "/payment_intents", json=INTENT).status_code == 401


def test_webhooks_are_signed_stripe_style(sandbox: SandboxCluster, http: httpx.Client) -> None:
    payments, receiver = sandbox.url("payments"), sandbox.url("receiver")
    http.post(payments + "/_webhooks", json={"url": receiver + "/hook", "secret": WEBHOOK_SECRET}).raise_for_status()
    intent = http.post(payments + "/v1/payment_intents", json=INTENT, headers=AUTH).json()
    [hook] = received(http, receiver, min=1)
    _verify_stripe(WEBHOOK_SECRET, hook["headers"]["stripe-signature"], hook["body"])
    event = orjson.loads(hook["body"])
    assert event["type"] == "payment_intent.succeeded" and event["data"]["object"]["id"] == intent["id"]
    emitted = http.post(payments + "/_emit", json={"count": 4}).json()
    assert len(emitted["ids"]) == 4 and all(d["delivered"] for d in emitted["deliveries"])
    assert len(received(http, receiver)) == 5


def test_github_scheme_can_be_chosen(sandbox: SandboxCluster, http: httpx.Client) -> None:
    payments, receiver = sandbox.url("payments"), sandbox.url("receiver")
    http.post(payments + "/_webhooks", json={"url": receiver + "/hook", "secret": "gh-secret",
                                             "scheme": "github"}).raise_for_status()
    http.post(payments + "/_emit", json={"count": 1}).raise_for_status()
    [hook] = received(http, receiver)
    expected = "sha256=" + hmac.new(b"gh-secret", hook["body"].encode(), hashlib.sha256).hexdigest()
    assert hook["headers"]["x-hub-signature-256"] == expected
    assert hook["headers"]["x-github-event"] == "payment_intent.succeeded"
    bad = http.post(payments + "/_webhooks", json={"url": receiver, "secret": "s", "scheme": "carrier-pigeon"})
    assert bad.status_code == 400
