"""Webhook signatures against published vectors and independent recomputation."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from weave.sandbox import sign_webhook


def test_standard_webhooks_reference_vector() -> None:
    # the example from the Standard Webhooks specification / reference libraries
    headers = sign_webhook("standard", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                           1614265330, b'{"test": 2432232314}')
    assert headers == {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
                       "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}


def test_stripe_and_github_schemes() -> None:
    body = b'{"id":"evt_1"}'
    stripe = sign_webhook("stripe", "whsec_test", "ignored", 1700000000, body)["Stripe-Signature"]
    mac = hmac.new(b"whsec_test", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert stripe == f"t=1700000000,v1={mac}"
    github = sign_webhook("github", "s3cret", "d-1", 0, body)
    assert github["X-Hub-Signature-256"] == "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert github["X-GitHub-Delivery"] == "d-1"


def test_bad_scheme_or_secret() -> None:
    with pytest.raises(ValueError, match="known: standard, stripe, github"):
        sign_webhook("carrier-pigeon", "s", "id", 0, b"")
    with pytest.raises(ValueError, match="whsec_"):
        sign_webhook("standard", "whsec_not base64!", "id", 0, b"")
