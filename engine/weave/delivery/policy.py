"""Retry policy: which failures are retried, and how long to wait between attempts.

Rules (issue 5): HTTP 4xx other than 408/429 is terminal; 5xx, 408, 429, timeouts and connection
errors are transient. Waits grow exponentially with *full jitter* (uniform in [0, cap]) and a
server's `Retry-After` is honoured: the wait is never shorter than what the server asked for
(bounded by `max_retry_after`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from weave.errors import TerminalError, TransientError
from weave.spec.durations import parse_duration

Kind = Literal["transient", "terminal"]

TRANSIENT_4XX = frozenset({408, 429})


def classify_status(status: int, extra_transient: frozenset[int] = frozenset()) -> Kind:
    """`transient` for 5xx, 408, 429 (and any `extra_transient`), `terminal` for other 4xx."""
    if status >= 500 or status in TRANSIENT_4XX or status in extra_transient:
        return "transient"
    return "terminal"


def classify_error(error: BaseException, extra_transient: frozenset[int] = frozenset()) -> Kind:
    """Map an exception to transient/terminal. Unknown exception types are terminal (a bug retried
    forever helps nobody); timeouts and OS-level connection errors are transient."""
    status = getattr(error, "status", None)
    if isinstance(error, TerminalError):
        if isinstance(status, int) and status in extra_transient:
            return "transient"
        return "terminal"
    if isinstance(error, TransientError):
        return "transient"
    if isinstance(error, TimeoutError | asyncio.TimeoutError | ConnectionError):
        return "transient"
    return "terminal"


@dataclass(frozen=True)
class RetryPolicy:
    """`max_attempts` counts the first try: `retries: 5` in a spec means 6 attempts."""

    max_attempts: int = 6
    initial: float = 0.5
    max_delay: float = 30.0
    multiplier: float = 2.0
    timeout: float | None = 10.0
    max_retry_after: float = 300.0
    retry_on_status: frozenset[int] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.initial < 0 or self.max_delay < 0 or self.multiplier < 1:
            raise ValueError("backoff must have initial >= 0, max >= 0 and multiplier >= 1")

    @classmethod
    def from_spec(cls, block: Mapping[str, Any] | None) -> RetryPolicy:
        """Build from an integration's `delivery:` block (see the JSON schema `delivery_policy`)."""
        block = block or {}
        backoff = block.get("backoff") or {}
        timeout = block.get("timeout")
        return cls(
            max_attempts=int(block.get("retries", 5)) + 1,
            initial=parse_duration(backoff.get("initial", "500ms")),
            max_delay=parse_duration(backoff.get("max", "30s")),
            multiplier=float(backoff.get("multiplier", 2.0)),
            timeout=parse_duration(timeout) if timeout is not None else 10.0,
            max_retry_after=parse_duration(block.get("max_retry_after", "5m")),
            retry_on_status=frozenset(int(s) for s in block.get("retry_on_status", ())),
        )

    def backoff_cap(self, attempt: int) -> float:
        """The upper bound of the wait after failed attempt number `attempt` (1-based)."""
        exponent = max(0, attempt - 1)
        # guard against overflow for absurd attempt counts
        if exponent > 60:
            return self.max_delay
        return float(min(self.max_delay, self.initial * self.multiplier**exponent))

    def delay(self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        """Full-jitter wait after failed attempt `attempt`, at least `retry_after` when the server gave one."""
        cap = self.backoff_cap(attempt)
        jittered = (rng or random).uniform(0.0, cap)
        if retry_after is not None and retry_after > 0:
            return max(jittered, min(retry_after, self.max_retry_after))
        return jittered

    def classify(self, error: BaseException) -> Kind:
        return classify_error(error, self.retry_on_status)
