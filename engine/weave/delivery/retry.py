"""`deliver_with_retry`: call a delivery function until it succeeds, fails terminally, or runs
out of attempts, respecting the target's circuit breaker. Never raises for delivery failures:
the caller gets an `Outcome` (delivered, or dead-letter with the reason and the attempt count).
"""

from __future__ import annotations

import asyncio
import inspect
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from weave.delivery.breaker import CircuitBreaker, CircuitOpenError
from weave.delivery.policy import RetryPolicy

T = TypeVar("T")


@dataclass(frozen=True)
class Attempt:
    """Reported to `on_attempt` after every attempt."""

    number: int
    ok: bool
    error: str | None = None
    kind: Literal["transient", "terminal"] | None = None
    status: int | None = None
    delay: float | None = None  # the wait before the next attempt; None when no next attempt
    elapsed: float = 0.0


@dataclass(frozen=True)
class Outcome(Generic[T]):
    status: Literal["delivered", "dead_letter"]
    attempts: int
    result: T | None = None
    reason: str | None = None  # short, secret-free text; for the dead-letter store
    error_type: str | None = None
    error_kind: Literal["transient", "terminal"] | None = None
    http_status: int | None = None
    elapsed: float = 0.0

    @property
    def delivered(self) -> bool:
        return self.status == "delivered"


async def _notify(on_attempt: Callable[[Attempt], Any] | None, attempt: Attempt) -> None:
    if on_attempt is None:
        return
    res = on_attempt(attempt)
    if inspect.isawaitable(res):
        await res


async def deliver_with_retry(
    fn: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    breaker: CircuitBreaker | None = None,
    *,
    on_attempt: Callable[[Attempt], Any] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> Outcome[T]:
    """Run `fn()` under `policy` and `breaker`.

    An open circuit counts as a failed attempt (nothing is sent) and the wait before the next one is
    at least the time until the circuit half-opens. Cancellation propagates.
    """
    started = clock()
    last: BaseException | None = None
    kind: Literal["transient", "terminal"] | None = None
    for number in range(1, policy.max_attempts + 1):
        reserved = False
        try:
            if breaker is not None:
                breaker.before_call()
                reserved = True
            if policy.timeout is not None:
                result = await asyncio.wait_for(fn(), policy.timeout)
            else:
                result = await fn()
        except asyncio.CancelledError:
            if breaker is not None and reserved:
                breaker.release()
            raise
        except Exception as exc:  # noqa: BLE001 - every failure becomes an outcome
            last = exc
            kind = policy.classify(exc)
            if breaker is not None and not isinstance(exc, CircuitOpenError):
                if kind == "transient":
                    breaker.record_failure()
                else:
                    breaker.record_neutral()
            status = getattr(exc, "status", None)
            final = kind == "terminal" or number == policy.max_attempts
            delay = None
            if not final:
                retry_after = getattr(exc, "retry_after", None)
                delay = policy.delay(number, retry_after, rng)
            await _notify(
                on_attempt,
                Attempt(number, False, _describe(exc), kind, status, delay, clock() - started),
            )
            if final:
                break
            assert delay is not None
            await sleep(delay)
            continue
        if breaker is not None:
            breaker.record_success()
        await _notify(on_attempt, Attempt(number, True, elapsed=clock() - started))
        return Outcome("delivered", number, result=result, elapsed=clock() - started)
    assert last is not None
    reason = _describe(last)
    if kind == "transient":
        reason = f"gave up after {policy.max_attempts} attempts: {reason}"
    return Outcome(
        "dead_letter",
        number,
        reason=reason,
        error_type=type(last).__name__,
        error_kind=kind,
        http_status=getattr(last, "status", None),
        elapsed=clock() - started,
    )


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, TimeoutError | asyncio.TimeoutError) and not str(exc):
        text = "timed out"
    return text[:500]
