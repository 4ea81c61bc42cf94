from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

import pytest

from weave.delivery import (
    Attempt,
    BreakerConfig,
    BreakerRegistry,
    CircuitBreaker,
    CircuitOpenError,
    RetryPolicy,
    TokenBucket,
    deliver_with_retry,
)
from weave.errors import TerminalError, TransientError

if TYPE_CHECKING:
    from conftest import FakeClock


def test_breaker_opens_half_opens_and_closes(clock: FakeClock) -> None:
    breaker = CircuitBreaker("erp", BreakerConfig(failure_threshold=3, reset_timeout=30.0), clock=clock)
    for _ in range(2):
        breaker.before_call()
        breaker.record_failure()
    assert breaker.state == "closed"
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state == "open"
    with pytest.raises(CircuitOpenError) as info:
        breaker.before_call()
    assert info.value.retry_after == pytest.approx(30.0)
    clock.advance(29.0)
    assert breaker.retry_after() == pytest.approx(1.0)
    clock.advance(1.0)
    assert breaker.state == "half_open"
    breaker.before_call()  # the one trial call
    with pytest.raises(CircuitOpenError):
        breaker.before_call()  # a second concurrent trial is refused
    breaker.record_failure()
    assert breaker.state == "open"  # trial failed: open for another reset_timeout
    clock.advance(30.0)
    breaker.before_call()
    breaker.record_success()
    assert breaker.state == "closed"


def test_breaker_success_resets_consecutive_count_and_4xx_is_neutral(clock: FakeClock) -> None:
    breaker = CircuitBreaker("crm", BreakerConfig(failure_threshold=2), clock=clock)
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_neutral()
    breaker.record_failure()
    assert breaker.state == "closed"


def test_breaker_registry_one_per_target(clock: FakeClock) -> None:
    registry = BreakerRegistry(clock=clock)
    assert registry.get("a") is registry.get("a")
    assert registry.get("a") is not registry.get("b")
    assert registry.states() == {"a": "closed", "b": "closed"}
    assert BreakerConfig.from_spec({"failures": 2, "reset": "1m"}) == BreakerConfig(2, 60.0, 1)


class Flaky:
    """Fails with the given errors in order, then returns 'ok'."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


async def test_transient_then_ok_is_delivered_with_backoff(clock: FakeClock) -> None:
    attempts: list[Attempt] = []
    fn = Flaky(TransientError("503", status=503), TransientError("502", status=502))
    outcome = await deliver_with_retry(
        fn, RetryPolicy(initial=1.0, max_delay=10.0), None,
        on_attempt=attempts.append, sleep=clock.sleep, clock=clock, rng=random.Random(3),
    )
    assert outcome.delivered and outcome.result == "ok" and outcome.attempts == 3
    assert fn.calls == 3
    assert [a.ok for a in attempts] == [False, False, True]
    assert 0 <= clock.sleeps[0] <= 1.0 and 0 <= clock.sleeps[1] <= 2.0
    assert attempts[0].status == 503 and attempts[0].kind == "transient"


async def test_retry_after_is_honoured(clock: FakeClock) -> None:
    fn = Flaky(TransientError("429", retry_after=12.0, status=429))
    outcome = await deliver_with_retry(fn, RetryPolicy(initial=0.1), None, sleep=clock.sleep, clock=clock)
    assert outcome.delivered
    assert clock.sleeps == [12.0]


async def test_terminal_is_dead_lettered_at_once(clock: FakeClock) -> None:
    fn = Flaky(TerminalError("400 Bad Request: missing field email", status=400))
    outcome = await deliver_with_retry(fn, RetryPolicy(), None, sleep=clock.sleep, clock=clock)
    assert outcome.status == "dead_letter" and outcome.attempts == 1 and fn.calls == 1
    assert outcome.error_kind == "terminal" and outcome.http_status == 400
    assert "missing field email" in (outcome.reason or "")
    assert clock.sleeps == []


async def test_exhausted_attempts_dead_letter_with_count(clock: FakeClock) -> None:
    fn = Flaky(*[TransientError("down", status=503) for _ in range(10)])
    outcome = await deliver_with_retry(fn, RetryPolicy(max_attempts=4), None, sleep=clock.sleep, clock=clock)
    assert outcome.status == "dead_letter" and outcome.attempts == 4 and fn.calls == 4
    assert outcome.reason == "gave up after 4 attempts: down"
    assert len(clock.sleeps) == 3


async def test_timeout_is_transient(clock: FakeClock) -> None:
    calls = 0

    async def slow() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(5)
        return "ok"

    outcome = await deliver_with_retry(slow, RetryPolicy(timeout=0.05), None, sleep=clock.sleep, clock=clock)
    assert outcome.delivered and outcome.attempts == 2


async def test_open_circuit_stops_calls_and_waits_for_reset(clock: FakeClock) -> None:
    breaker = CircuitBreaker("erp", BreakerConfig(failure_threshold=2, reset_timeout=30.0), clock=clock)
    fn = Flaky(TransientError("a", status=503), TransientError("b", status=503))
    outcome = await deliver_with_retry(
        fn, RetryPolicy(max_attempts=5, initial=0.01, max_delay=0.01), breaker,
        sleep=clock.sleep, clock=clock, rng=random.Random(0),
    )
    # 2 failures open the circuit; attempt 3 is refused without a call and waits ~30s; attempt 4 is the
    # half-open trial, which succeeds and closes the circuit.
    assert outcome.delivered and outcome.attempts == 4
    assert fn.calls == 3
    assert clock.sleeps[2] == pytest.approx(30.0, abs=0.02)
    assert breaker.state == "closed"


async def test_async_on_attempt_callback(clock: FakeClock) -> None:
    seen: list[int] = []

    async def record(attempt: Attempt) -> None:
        seen.append(attempt.number)

    await deliver_with_retry(Flaky(TransientError("x")), RetryPolicy(), None, on_attempt=record, sleep=clock.sleep, clock=clock)
    assert seen == [1, 2]


async def test_token_bucket_paces_requests(clock: FakeClock) -> None:
    bucket = TokenBucket(rate=10, capacity=2, clock=clock, sleep=clock.sleep)
    for _ in range(12):
        await bucket.acquire()
    # burst of 2, then 10 more at 10/s → 1 second of waiting
    assert clock.now - 1000.0 == pytest.approx(1.0)
    assert not bucket.try_acquire()
    clock.advance(0.1)
    assert bucket.try_acquire()


async def test_token_bucket_real_clock_rate(clock: FakeClock) -> None:
    loop = asyncio.get_running_loop()
    bucket = TokenBucket(rate=200, capacity=1)
    start = loop.time()
    await asyncio.gather(*(bucket.acquire() for _ in range(41)))
    elapsed = loop.time() - start
    assert 0.18 <= elapsed < 0.6  # 40 tokens beyond the first at 200/s = 0.2s


async def test_cancelled_trial_call_frees_the_half_open_slot(clock: FakeClock) -> None:
    breaker = CircuitBreaker("erp", BreakerConfig(failure_threshold=1, reset_timeout=30.0), clock=clock)
    breaker.record_failure()
    clock.advance(30.0)
    assert breaker.state == "half_open"
    started = asyncio.Event()

    async def hang() -> str:
        started.set()
        await asyncio.sleep(60)
        return "late"

    task = asyncio.ensure_future(deliver_with_retry(hang, RetryPolicy(timeout=None), breaker, sleep=clock.sleep, clock=clock))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    breaker.before_call()  # the slot was given back: a new trial may go
    breaker.record_success()
    assert breaker.state == "closed"


def test_lost_trial_expires_after_reset_timeout(clock: FakeClock) -> None:
    breaker = CircuitBreaker("erp", BreakerConfig(failure_threshold=1, reset_timeout=30.0), clock=clock)
    breaker.record_failure()
    clock.advance(30.0)
    breaker.before_call()  # a trial that never reports back
    with pytest.raises(CircuitOpenError):
        breaker.before_call()
    clock.advance(30.0)
    breaker.before_call()  # after another reset_timeout a new trial is allowed
