from __future__ import annotations

import random

import pytest

from weave.delivery import RetryPolicy, classify_error, classify_status
from weave.errors import TerminalError, TransientError
from weave.spec.durations import DurationError, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("500ms", 0.5), ("30s", 30), ("5m", 300), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("1.5s", 1.5), (3, 3.0)],
)
def test_parse_duration(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["", "5", "5 minutes", "-1s", "1w", "s", True, None])
def test_parse_duration_rejects(bad: object) -> None:
    with pytest.raises(DurationError, match="500ms, 30s, 5m, 2h or 1d"):
        parse_duration(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, "terminal"), (401, "terminal"), (404, "terminal"), (409, "terminal"), (422, "terminal"),
     (408, "transient"), (429, "transient"), (500, "transient"), (502, "transient"), (503, "transient")],
)
def test_classify_status(status: int, kind: str) -> None:
    assert classify_status(status) == kind


def test_classify_error() -> None:
    assert classify_error(TransientError("x", status=503)) == "transient"
    assert classify_error(TerminalError("x", status=400)) == "terminal"
    assert classify_error(TimeoutError()) == "transient"
    assert classify_error(ConnectionResetError()) == "transient"
    assert classify_error(KeyError("bug")) == "terminal"
    # per-status override: treat 409 as transient for this integration
    assert classify_error(TerminalError("conflict", status=409), frozenset({409})) == "transient"


def test_policy_from_spec() -> None:
    policy = RetryPolicy.from_spec(
        {"retries": 3, "backoff": {"initial": "200ms", "max": "5s"}, "timeout": "2s", "retry_on_status": [409]}
    )
    assert policy.max_attempts == 4
    assert policy.initial == 0.2 and policy.max_delay == 5.0 and policy.timeout == 2.0
    assert policy.retry_on_status == frozenset({409})
    assert RetryPolicy.from_spec(None).max_attempts == 6


def test_backoff_grows_exponentially_and_is_capped() -> None:
    policy = RetryPolicy(initial=0.5, max_delay=4.0)
    assert [policy.backoff_cap(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert policy.backoff_cap(10_000) == 4.0


def test_full_jitter_stays_within_cap_and_spreads() -> None:
    policy = RetryPolicy(initial=1.0, max_delay=60.0)
    rng = random.Random(7)
    delays = [policy.delay(3, rng=rng) for _ in range(2000)]
    assert all(0.0 <= d <= 4.0 for d in delays)
    # full jitter: roughly uniform over [0, 4] (mean ~2), not clustered at the cap
    assert 1.8 < sum(delays) / len(delays) < 2.2
    assert min(delays) < 0.1 and max(delays) > 3.9


def test_retry_after_is_a_floor_and_bounded() -> None:
    policy = RetryPolicy(initial=0.1, max_delay=1.0, max_retry_after=120.0)
    rng = random.Random(1)
    assert all(policy.delay(1, retry_after=7.0, rng=rng) == 7.0 for _ in range(50))
    assert policy.delay(1, retry_after=10_000.0, rng=rng) == 120.0


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(multiplier=0.5)
